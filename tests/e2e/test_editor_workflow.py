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
from tests.support.second_factor import pass_second_factor

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
    pass_second_factor(page, editor)
    expect(page).to_have_url(re.compile(r"/admin/$"))
    yield page
    # The editor's page keeps talking to the server (preview refreshes, autosave): leave it before
    # the test database is flushed, or a late request can write while the tables are emptied.
    page.goto("about:blank")
    page.wait_for_load_state("load")


def publish(page):
    """Wagtail's footer: the primary action is "Save draft"; Publish is in its dropdown menu."""
    page.get_by_role("button", name="More actions").click()
    page.get_by_role("button", name="Publish").click()
    expect(page.locator(".messages")).to_contain_text(re.compile("published", re.I))


def save_snippet(page):
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messages")).to_contain_text(re.compile("updated|saved", re.I))


def edit_for_professionals_title(page, live_server, new_title):
    target = ContentPage.objects.get(slug=FOR_PROFESSIONALS_SLUG)
    page.goto(f"{live_server.url}/admin/pages/{target.pk}/edit/")
    # The page title's input; a video block in the body has a "Title" field of its own.
    page.get_by_placeholder(re.compile(r"^Page title")).fill(new_title)


def open_preview_panel(page):
    """The eye icon in the editor's header opens the preview side panel; Wagtail posts the unsaved
    form and loads the result into the panel's iframe."""
    page.get_by_role("button", name=re.compile("preview", re.I)).first.click()
    return page.frame_locator("#w-preview-iframe")


def test_editor_edits_previews_and_publishes_the_for_professionals_page(editor_page, live_server):
    page = editor_page
    new_title = "For professionals: working together"
    edit_for_professionals_title(page, live_server, new_title)

    # "Preview in new tab" shows the unsaved change outside the admin's frame.
    open_preview_panel(page)
    with page.context.expect_page() as new_tab:
        page.get_by_role("link", name="Preview in new tab").click()
    preview = new_tab.value
    expect(preview.get_by_role("heading", level=1)).to_have_text(new_title)

    # Previewing publishes nothing.
    public = page.context.new_page()
    public.goto(f"{live_server.url}/{FOR_PROFESSIONALS_SLUG}/")
    expect(public.get_by_role("heading", level=1)).not_to_have_text(new_title)

    publish(page)
    public.goto(f"{live_server.url}/{FOR_PROFESSIONALS_SLUG}/")
    expect(public.get_by_role("heading", level=1)).to_have_text(new_title)


def edit_ladder_rung(page, live_server, new_explanation):
    page.goto(f"{live_server.url}/admin/snippets/home/ladderrung/")
    page.get_by_role("link", name="Consultation", exact=True).click()
    rung = LadderRung.objects.get(name="Consultation")
    expect(page).to_have_url(re.compile(rf"/admin/snippets/home/ladderrung/edit/{rung.pk}/"))
    page.get_by_role("textbox", name=re.compile(r"^Explanation")).fill(new_explanation)


def edit_testimonial(page, live_server, new_quote):
    page.goto(f"{live_server.url}/admin/snippets/home/testimonial/")
    page.get_by_role("link", name=re.compile("senior manager in community crisis")).click()
    testimonial = Testimonial.objects.get(role="A senior manager in community crisis services")
    expect(page).to_have_url(re.compile(rf"/admin/snippets/home/testimonial/edit/{testimonial.pk}/"))
    page.get_by_role("textbox", name=re.compile(r"^Quote")).fill(new_quote)


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(edit_for_professionals_title, id="page"),
        pytest.param(edit_ladder_rung, id="ladder-rung"),
        pytest.param(edit_testimonial, id="testimonial"),
    ],
)
def test_preview_panel_shows_the_unsaved_change(editor_page, live_server, edit):
    """The side panel is where Wagtail shows previews by default (docs/content.md promises it for
    pages and both snippets), so an editor must see the unsaved change in it.

    Wagtail renders the preview by running a dummy request for the public URL through the
    middleware, so the public site's CSP (frame-ancestors 'none') comes back with it and the
    browser refuses to show it in the admin's same-origin iframe. The failure names the directive.
    """
    page = editor_page
    new_text = "Words only an unsaved preview would show"
    edit(page, live_server, new_text)

    blocked = []
    page.on(
        "console", lambda message: blocked.append(message.text) if "frame-ancestors" in message.text else None
    )
    frame = open_preview_panel(page)
    try:
        expect(frame.locator("body")).to_contain_text(new_text)
    except AssertionError as error:
        raise AssertionError(f"preview panel stayed empty; the browser said: {blocked}") from error


def test_editor_edits_a_ladder_rung_and_the_public_page_shows_it(editor_page, live_server):
    page = editor_page
    new_explanation = "People give their views in a survey; staff alone decide what to do with them."

    # Warm the cache first, so the test proves saving the rung clears the cached ladder.
    page.goto(f"{live_server.url}/{FOR_PROFESSIONALS_SLUG}/")
    expect(page.locator("main")).not_to_contain_text(new_explanation)

    edit_ladder_rung(page, live_server, new_explanation)
    save_snippet(page)

    page.goto(f"{live_server.url}/{FOR_PROFESSIONALS_SLUG}/")
    expect(page.locator("main")).to_contain_text(new_explanation)


def test_editor_edits_a_testimonial_and_the_public_page_shows_it(editor_page, live_server):
    page = editor_page
    new_quote = "Having someone who had used the crisis line in the room changed every decision we made."

    page.goto(f"{live_server.url}/{FOR_PROFESSIONALS_SLUG}/")
    expect(page.locator("main")).not_to_contain_text(new_quote)

    edit_testimonial(page, live_server, new_quote)
    # Testimonials are drafts until published (docs/impact.md: quotes from feedback are moderated).
    publish(page)

    page.goto(f"{live_server.url}/{FOR_PROFESSIONALS_SLUG}/")
    expect(page.locator("main")).to_contain_text(new_quote)


def test_editor_edits_a_resource_summary_and_the_listing_shows_it(editor_page, live_server):
    page = editor_page
    index = ResourceIndexPage.objects.live().get()
    resource = ResourcePage.objects.child_of(index).live().order_by("path").first()
    new_summary = "A national network that helps services and the people who use them plan together."
    page.goto(live_server.url + index.url)
    expect(page.locator("main")).not_to_contain_text(new_summary)

    page.goto(f"{live_server.url}/admin/pages/{resource.pk}/edit/")
    page.get_by_role("textbox", name=re.compile(r"^Summary")).fill(new_summary)
    publish(page)

    page.goto(live_server.url + index.url)
    expect(page.locator("main")).to_contain_text(new_summary)
