"""django-recurrence's widget really runs inside the Wagtail admin (its JS needs Django admin's
jQuery; without it the field silently stays a text box, docs/calendar.md)."""

import pytest

from tests.support.second_factor import pass_second_factor

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    # The session-wide live server loads WhiteNoise before per-test settings apply.
]


def test_recurrence_widget_builds_its_editor_in_the_wagtail_admin(live_server, page, django_user_model):
    django_user_model.objects.create_superuser("editor", "editor@example.org", "correct horse battery")
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", "editor")
    page.fill("input[name=password]", "correct horse battery")
    page.click("button[type=submit]")
    pass_second_factor(page, "editor")
    page.wait_for_url(f"{live_server.url}/admin/")
    page.goto(f"{live_server.url}/admin/availabilityrule/new/")
    # The widget hides the textarea and draws its own controls next to it.
    page.wait_for_selector(".recurrence-widget .add-button, .recurrence-widget a", timeout=10_000)
    assert page.locator("textarea.recurrence-widget").is_hidden()
    assert errors == [], "\n".join(errors)
