"""The issue's "done when": the demo editor (not a superuser) logs in at /admin/, edits the For
professionals page, a ladder rung, a testimonial and a resource through Wagtail's own forms,
previews and publishes, and sees each change on the public site.

Every edit goes through the admin UI; the ORM is only used to find ids and to confirm the
editor really is an ordinary account.
"""

import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect

from home.demo import EDITOR_USERNAME, FOR_PROFESSIONALS_SLUG
from home.models import ContentPage
from home.snippets import LadderRung, Testimonial
from resources.models import ResourceIndexPage, ResourcePage

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# Wagtail's admin pages can be slow on a first, cold request (static files, icons).
ADMIN_TIMEOUT_MS = 15_000


@pytest.fixture
def demo_site(db):
    call_command("load_demo_content", verbosity=0)


@pytest.fixture
def editor_page(demo_site, live_server, page):
    """A browser logged in to the admin as the demo editor, through the login form."""
    editor = get_user_model().objects.get(username=EDITOR_USERNAME)
    # Part of what is proven: an ordinary editor, not a superuser or staff shortcut.
    assert not editor.is_superuser

    page.set_default_timeout(ADMIN_TIMEOUT_MS)
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill(EDITOR_USERNAME)
    page.get_by_label("Password").fill(settings.DEMO_EDITOR_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    return page


def publish(page):
    """Wagtail's footer: the primary action is "Save draft"; Publish is in its dropdown menu."""
    page.get_by_role("button", name="More actions").click()
    page.get_by_role("button", name="Publish").click()
    expect(page.locator(".messages")).to_contain_text(re.compile("published", re.I))


def save_snippet(page):
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messages")).to_contain_text(re.compile("updated|saved", re.I))


def test_editor_edits_previews_and_publishes_the_for_professionals_page(editor_page, live_server):
    page = editor_page
    target = ContentPage.objects.get(slug=FOR_PROFESSIONALS_SLUG)
    new_title = "For professionals: working together"

    page.goto(f"{live_server.url}/admin/pages/{target.pk}/edit/")
    title = page.get_by_placeholder(re.compile(r"^Page title"))
    title.fill(new_title)

    # Preview: Wagtail 8 posts the unsaved form and shows the page in the side panel's iframe.
    page.get_by_role("button", name=re.compile("preview", re.I)).first.click()
    preview = page.frame_locator("#w-preview-iframe")
    expect(preview.get_by_role("heading", level=1)).to_have_text(new_title)

    # Previewing publishes nothing.
    page.context.new_page()
    public = page.context.pages[-1]
    public.goto(f"{live_server.url}/{FOR_PROFESSIONALS_SLUG}/")
    expect(public.get_by_role("heading", level=1)).not_to_have_text(new_title)

    publish(page)
    public.goto(f"{live_server.url}/{FOR_PROFESSIONALS_SLUG}/")
    expect(public.get_by_role("heading", level=1)).to_have_text(new_title)
    public.close()


def test_editor_edits_a_ladder_rung_and_the_public_page_shows_it(editor_page, live_server):
    page = editor_page
    rung = LadderRung.objects.get(name="Consultation")
    new_explanation = "People give their views in a survey; staff alone decide what to do with them."

    # Warm the cache first, so the test proves saving the rung clears the cached ladder.
    page.goto(f"{live_server.url}/{FOR_PROFESSIONALS_SLUG}/")
    expect(page.locator("main")).not_to_contain_text(new_explanation)

    page.goto(f"{live_server.url}/admin/snippets/home/ladderrung/")
    page.get_by_role("link", name="Consultation", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/admin/snippets/home/ladderrung/edit/{rung.pk}/"))
    page.get_by_label("Explanation").fill(new_explanation)
    save_snippet(page)

    page.goto(f"{live_server.url}/{FOR_PROFESSIONALS_SLUG}/")
    expect(page.locator("main")).to_contain_text(new_explanation)


def test_editor_edits_a_testimonial_and_the_public_page_shows_it(editor_page, live_server):
    page = editor_page
    testimonial = Testimonial.objects.get(role="A senior manager in community crisis services")
    new_quote = "Having someone who had used the crisis line in the room changed every decision we made."

    page.goto(f"{live_server.url}/{FOR_PROFESSIONALS_SLUG}/")
    expect(page.locator("main")).not_to_contain_text(new_quote)

    page.goto(f"{live_server.url}/admin/snippets/home/testimonial/")
    page.get_by_role("link", name=re.compile("senior manager in community crisis")).click()
    expect(page).to_have_url(re.compile(rf"/admin/snippets/home/testimonial/edit/{testimonial.pk}/"))
    page.get_by_label("Quote").fill(new_quote)
    save_snippet(page)

    page.goto(f"{live_server.url}/{FOR_PROFESSIONALS_SLUG}/")
    expect(page.locator("main")).to_contain_text(new_quote)


def test_editor_edits_a_resource_summary_and_the_listing_shows_it(editor_page, live_server):
    page = editor_page
    index = ResourceIndexPage.objects.live().get()
    resource = ResourcePage.objects.child_of(index).live().order_by("path").first()
    new_summary = "A national network that helps services and the people who use them plan together."

    page.goto(f"{live_server.url}/admin/pages/{resource.pk}/edit/")
    page.get_by_role("textbox", name=re.compile(r"^Summary")).fill(new_summary)
    publish(page)

    page.goto(live_server.url + index.url)
    expect(page.locator("main")).to_contain_text(new_summary)
