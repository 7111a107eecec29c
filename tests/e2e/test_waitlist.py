"""Joining the waiting list, and its emailed claim and leave pages, in a real browser: axe-core
(WCAG 2.2 A/AA) on every page and error state, with JavaScript off, and at 320 px wide."""

import re

import pytest
from playwright.sync_api import expect

from bookings import waitlist_links
from bookings.models import WaitlistEntry

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(autouse=True)
def _human_speed_is_instant(settings):
    settings.BOOKING_MIN_FILL_SECONDS = 0


def test_join_the_waiting_list_from_the_time_step(journey, live_server, page, assert_accessible):
    offer = journey["offer"]
    page.goto(f"{live_server.url}{journey['page'].url}time/?offer={offer.pk}&partner=any&tz=Europe/London")
    page.get_by_role("link", name="Join the waiting list for Thinking-partner chat").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Join the waiting list")
    assert_accessible("waiting list form")

    page.get_by_role("button", name="Join the waiting list").click()
    expect(page.locator(".error-summary")).to_contain_text("Choose at least one day of the week")
    expect(page.locator(".error-summary")).to_contain_text("Choose at least one time of day")
    expect(page.locator(".error-summary")).to_contain_text("Enter your full name")
    assert_accessible("waiting list form with errors")
    page.get_by_role("link", name="Choose at least one day of the week").click()
    expect(page).to_have_url(re.compile("#id_weekdays_0$"))

    page.get_by_role("group", name="Which days suit you?").get_by_label("Thursday").check()
    page.get_by_role("group", name="Which times of day suit you?").get_by_label(
        "Mornings (before 12 noon)"
    ).check()
    page.get_by_label("Full name").fill("Ann Waiting")
    page.get_by_label("Email address").fill("ann@example.org")
    page.get_by_role("button", name="Join the waiting list").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You are on the waiting list")
    assert_accessible("joined")
    entry = WaitlistEntry.objects.get()
    assert (entry.email, entry.weekdays, entry.parts_of_day) == ("ann@example.org", [3], ["morning"])


def test_joining_works_without_javascript_and_at_320_pixels(journey, live_server, browser, axe_source):
    context = browser.new_context(
        java_script_enabled=False, locale="en-GB", viewport={"width": 320, "height": 800}
    )
    try:
        page = context.new_page()
        offer = journey["offer"]
        page.goto(f"{live_server.url}{journey['page'].url}waiting-list/?offer={offer.pk}&partner=any")
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        page.get_by_label("Monday").check()
        page.get_by_label("Evenings (after 5pm)").check()
        page.get_by_label("Full name").fill("Nojs Person")
        page.get_by_label("Email address").fill("nojs@example.org")
        page.get_by_role("button", name="Join the waiting list").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("You are on the waiting list")
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
    finally:
        context.close()
    assert WaitlistEntry.objects.get().email == "nojs@example.org"


def test_claim_and_leave_pages(journey, live_server, page, assert_accessible):
    entry = WaitlistEntry.objects.create(
        offer=journey["offer"],
        name="Ann Waiting",
        email="ann@example.org",
        weekdays=list(range(7)),
        parts_of_day=["morning", "afternoon", "evening"],
        time_zone="Europe/London",
        joined_at="2026-01-01T00:00:00Z",
        expires_at="2099-01-01T00:00:00Z",
    )
    claim = waitlist_links.make(entry, waitlist_links.CLAIM)
    page.goto(f"{live_server.url}/bookings/waiting-list/{claim}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("A time has opened up")
    assert_accessible("claim page")
    page.get_by_role("button", name="See the free times").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a time")

    page.goto(f"{live_server.url}/bookings/waiting-list/{claim}/")
    page.get_by_role("link", name="Leave the waiting list").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Leave the waiting list")
    assert_accessible("leave page")
    page.get_by_role("button", name="Leave the waiting list").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You have left the waiting list")
    assert_accessible("left page")
    assert not WaitlistEntry.objects.exists()
    page.goto(f"{live_server.url}/bookings/waiting-list/{claim}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("This link no longer works")
    assert_accessible("gone page")
