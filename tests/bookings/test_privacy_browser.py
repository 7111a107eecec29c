"""The privacy requests screen in a real browser: accessible (axe, WCAG 2.2 AA) and usable without
JavaScript, through the confirmation step (docs/privacy.md)."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from bookings.models import Booking
from tests.support.second_factor import pass_second_factor

from .factories import BookingFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "correct horse battery"  # noqa: S105


def sign_in(page, base):
    page.goto(f"{base}/admin/login/")
    page.fill("input[name=username]", "coordinator")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    pass_second_factor(page, "coordinator")
    page.wait_for_url(f"{base}/admin/")


def test_the_screen_is_accessible_and_erases_without_javascript(
    live_server, page, browser, assert_accessible, django_user_model
):
    staff = django_user_model.objects.create_user("coordinator", password=PASSWORD)
    staff.groups.add(Group.objects.get(name="Staff"))
    booking = BookingFactory(start=datetime(2026, 1, 5, 10, tzinfo=UTC), booker_email="ada@example.org")

    sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/admin/privacy-requests/")
    assert_accessible("privacy requests")
    page.fill("input[name=email]", "nobody@example.org")
    page.click("button[name=export]")
    expect(page.get_by_text("We hold nothing for that address")).to_be_visible()
    assert_accessible("nothing found")

    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    try:
        plain = context.new_page()
        sign_in(plain, live_server.url)
        plain.goto(f"{live_server.url}/admin/privacy-requests/")
        plain.fill("input[name=email]", "ada@example.org")
        plain.click("button[name=erase]")
        expect(plain.get_by_role("heading", name="Erase everything about ada@example.org?")).to_be_visible()
        plain.click("button[name=confirm_erase]")
        expect(plain.get_by_text("Done.")).to_be_visible()
    finally:
        context.close()
    booking.refresh_from_db()
    assert booking.booker_email == "" and Booking.objects.filter(anonymised_at__isnull=False).count() == 1
