"""The resources library in a real browser, checked by axe-core, with JavaScript switched off for
the filter so it is proven to work without it."""

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.models import Collection, Locale, Page, Site

from resources.models import RESOURCES_PER_PAGE

from .factories import ResourcePageFactory

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def site_root(transactional_db):
    """The default site's root page, building the minimal Wagtail tree if it is missing.

    Transactional tests empty the database when they finish, and serialized rollback cannot put
    the migration data back once Playwright is running: its event loop gives the test a different
    database connection object from the one the data was serialized on.
    """
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if site is not None:
        return site.root_page
    Locale.objects.get_or_create(language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE))
    if not Collection.objects.exists():
        Collection.add_root(name="Root")
    root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root"))
    home = root.add_child(instance=Page(title="Home", slug="home"))
    Site.objects.create(hostname="localhost", port=80, root_page=home, is_default_site=True)
    return home


@pytest.fixture
def library(index_page):
    for n in range(RESOURCES_PER_PAGE + 2):
        ResourcePageFactory(parent=index_page, title=f"Film {n:02d}", as_video=True, tags=["video"])
    ResourcePageFactory(parent=index_page, title="Checklist", as_document=True, tags=["planning"])
    ResourcePageFactory(parent=index_page, title="Network", link_url="https://copronet.wales/")


def test_filter_form_works_without_javascript(library, live_server, browser):
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    try:
        page = context.new_page()
        page.goto(live_server.url + "/resources/")
        page.get_by_label("Kind of resource").select_option("document")
        page.get_by_role("button", name="Show resources").click()
        expect(page).to_have_url(re.compile(r"kind=document"))
        expect(page.get_by_role("heading", level=3)).to_have_text(["Checklist (TXT document)"])
    finally:
        context.close()


def test_every_state_of_the_index_is_accessible(library, live_server, page, assert_accessible):
    page.goto(live_server.url + "/resources/")
    assert_accessible("resources index")

    page.get_by_label("Kind of resource").select_option("document")
    page.get_by_role("button", name="Show resources").click()
    expect(page).to_have_url(re.compile(r"kind=document"))
    assert_accessible("filtered by kind")

    page.get_by_label("Topic").select_option("video")
    page.get_by_role("button", name="Show resources").click()
    expect(page.get_by_text("No resources match these filters.")).to_be_visible()
    assert_accessible("no matches")
    page.get_by_role("link", name="Clear the filters to see every resource").click()

    nav = page.get_by_role("navigation", name="Pages of resources")
    nav.get_by_role("link", name="Next page").click()
    current = page.get_by_role("navigation", name="Pages of resources").locator("[aria-current=page]")
    expect(current).to_have_text("Page 2")
    assert_accessible("page 2")
    expect(page.get_by_role("link", name="Network (external site)")).to_have_attribute(
        "href", "https://copronet.wales/"
    )

    page.goto(live_server.url + "/resources/checklist/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Checklist")
    assert_accessible("resource page")
