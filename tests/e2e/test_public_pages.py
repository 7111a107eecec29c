"""Every demo page in a real browser: axe-core finds 0 WCAG 2.2 A/AA violations."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect
from wagtail.models import Page

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def demo_site(db):
    call_command("load_demo_content", verbosity=0)


def public_urls():
    return [p.url for p in Page.objects.live().public().specific() if p.depth > 1 and p.url]


def test_every_demo_page_is_accessible(demo_site, live_server, page, assert_accessible):
    urls = public_urls()
    assert len(urls) >= 4, urls
    for url in urls:
        response = page.goto(live_server.url + url)
        assert response.status == 200, url
        expect(page.locator("h1")).to_have_count(1)
        expect(page.locator("html")).to_have_attribute("lang", "en-GB")
        assert_accessible(url)


def test_search_results_and_404_are_accessible(demo_site, live_server, page, assert_accessible):
    page.goto(live_server.url + "/search/?query=co-production")
    expect(page.locator("main")).to_contain_text(re.compile("co-production", re.I))
    assert_accessible("search results")

    response = page.goto(live_server.url + "/no-such-page/")
    assert response.status == 404
    assert_accessible("404")


def test_skip_link_moves_focus_to_main_content(demo_site, live_server, page):
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name=re.compile("skip to (main )?content", re.I))
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile("#main"))


def test_pages_fit_a_320px_phone_without_sideways_scrolling(demo_site, live_server, page):
    page.set_viewport_size({"width": 320, "height": 640})
    for url in public_urls():
        page.goto(live_server.url + url)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{url} scrolls sideways by {overflow}px at 320px"
