"""The booking journey and the manage link in a real browser: keyboard only, JavaScript off, and
axe-core (WCAG 2.2 A/AA) on every step, every error state and the slot-taken page."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from bookings import manage_links, services
from bookings.journey import bot_guard
from bookings.models import Booking, BookingStatus
from bookings.services import BookerDetails
from bookings.zones import iso_utc
from tests.bookings.factories import BookingFactory
from tests.support.slots import first_free

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # A zone other than UK time, so the page's zone detection has something to do.
    return {**browser_context_args, "timezone_id": "Europe/Paris"}


@pytest.fixture(autouse=True)
def _human_speed_is_instant(settings):
    # live_server runs in this process, so the override reaches it. The too-fast check itself
    # is tested in tests/bookings/test_journey.py.
    settings.BOOKING_MIN_FILL_SECONDS = 0


def tab_to(page, locator, limit=400):
    """Press Tab until `locator` has focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if locator.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"never reached {locator} by Tab")


def type_into(page, label, text):
    field = page.get_by_label(label, exact=True)
    tab_to(page, field)
    page.keyboard.type(text)


def test_whole_journey_by_keyboard_with_every_step_accessible(journey, live_server, page, assert_accessible):
    page.goto(live_server.url + journey["page"].url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Book a chat")
    assert_accessible("step 1")
    tab_to(page, page.get_by_role("link", name="Choose Thinking-partner chat"))
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Who would you like to talk to?")
    assert_accessible("step 2")
    tab_to(page, page.get_by_role("link", name="Choose Robin Example"))
    page.keyboard.press("Enter")

    # booking.js notices the browser is in Paris and reloads with that zone.
    expect(page).to_have_url(re.compile(r"tz=Europe%2FParis"))
    expect(page.locator(".zone-label")).to_have_text("Times shown in Europe/Paris.")
    assert_accessible("step 3")
    tab_to(page, page.locator(".time-list a").first)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Your details")
    assert_accessible("step 4")
    tab_to(page, page.get_by_role("button", name="Continue"))
    page.keyboard.press("Enter")  # nothing filled in: the error state
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_be_focused()
    expect(page).to_have_title(re.compile(r"^Error: "))
    assert_accessible("step 4 errors")

    type_into(page, "Full name", "Alex Example")
    type_into(page, "Email address", "alex@example.org")
    type_into(page, "Your role", "Ward manager")
    type_into(page, "Tell us about your project", "Planning a peer support service.")
    tab_to(page, page.get_by_role("radio", name="Co-production"))
    page.keyboard.press("Space")
    tab_to(page, page.get_by_role("radio", name="Video call"))
    page.keyboard.press("Space")
    tab_to(page, page.get_by_role("checkbox", name=re.compile("I have read the privacy notice")))
    page.keyboard.press("Space")
    tab_to(page, page.get_by_role("button", name="Continue"))
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Check your answers"))
    expect(page.locator("main")).to_contain_text("Alex Example")
    assert_accessible("step 5")

    # Someone else takes the time while Alex reads their answers (the first free time, picked above).
    start = first_free(journey["offer"])
    BookingFactory(partner=journey["partner"], offer=journey["offer"], start=start)
    tab_to(page, page.get_by_role("button", name="Confirm booking"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sorry, that time has just been taken")
    assert_accessible("slot taken")
    tab_to(page, page.locator(".time-list button").first)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Check your answers"))
    tab_to(page, page.get_by_role("button", name="Confirm booking"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Booking confirmed")
    assert_accessible("step 6")
    booked = Booking.objects.get(booker_email="alex@example.org")
    assert booked.booker_time_zone == "Europe/Paris"
    assert booked.start != start


def test_whole_journey_without_javascript(journey, live_server, browser):
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    try:
        page = context.new_page()
        page.goto(live_server.url + journey["page"].url)
        page.get_by_role("link", name="Choose Thinking-partner chat").click()
        page.get_by_role("link", name="Choose whoever is free").click()
        expect(page.locator(".zone-label")).to_have_text("Times shown in UK time (Europe/London).")
        page.get_by_label("Time zone").select_option("America/New_York")
        page.get_by_role("button", name="Show times in this zone").click()
        expect(page.locator(".zone-label")).to_have_text("Times shown in America/New York.")
        page.locator(".day-list a").nth(1).click()
        page.locator(".time-list a").first.click()

        page.get_by_role("button", name="Continue").click()
        expect(page.locator(".error-summary")).to_contain_text("Enter your full name")
        page.get_by_role("link", name="Enter your full name").click()
        expect(page).to_have_url(re.compile("#id_name$"))
        page.get_by_label("Full name").fill("Sam Example")
        page.get_by_label("Email address").fill("sam@example.org")
        page.get_by_label("Your role").fill("Commissioner")
        page.get_by_label("Tell us about your project").fill("A community crisis café.")
        page.get_by_role("radio", name="Consultation").check()
        page.get_by_role("radio", name="Phone call").check()
        page.get_by_label(re.compile("^Phone number")).fill("07911 123456")
        page.get_by_role("checkbox", name=re.compile("privacy notice")).check()
        page.get_by_role("button", name="Continue").click()

        expect(page.locator("main")).to_contain_text("Sam Example")
        page.locator(".summary-list__row", has_text="Full name").get_by_role("link").click()
        expect(page.get_by_label("Full name")).to_have_value("Sam Example")  # answers kept
        page.get_by_label("Full name").fill("Sam Q. Example")
        page.get_by_role("button", name="Continue").click()
        page.get_by_role("button", name="Confirm booking").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Booking confirmed")
        expect(page.locator("main")).to_contain_text("America/New York")
        booking = Booking.objects.get()
        assert booking.booker_name == "Sam Q. Example"
        assert booking.booker_time_zone == "America/New_York"
    finally:
        context.close()


@pytest.fixture
def booking(journey):
    offer, partner = journey["offer"], journey["partner"]
    start, now = first_free(offer), timezone.now()
    booker = BookerDetails(name="Alex Example", email="alex@example.org", time_zone="Europe/London")
    return services.place_booking(offer=offer, start=start, partner=partner, booker=booker, now=now)


def test_manage_page_rebook_then_cancel(booking, live_server, page, assert_accessible):
    old_link = live_server.url + f"/bookings/manage/{manage_links.make_token(booking)}/"
    page.goto(old_link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your booking")
    assert_accessible("manage")
    page.get_by_role("link", name="Choose a new time").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new time")
    assert_accessible("rebook")
    page.locator(".day-list a").nth(1).click()
    page.locator(".time-list button").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your chat has moved")
    assert_accessible("moved")
    booking.refresh_from_db()
    assert booking.sequence == 1

    assert page.goto(old_link).status == 404  # superseded by the move

    page.goto(live_server.url + f"/bookings/manage/{manage_links.make_token(booking)}/")
    page.get_by_role("button", name="Cancel this chat").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Are you sure you want to cancel this chat?")
    assert_accessible("cancel: are you sure")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED  # asking changed nothing
    page.get_by_role("button", name="Yes, cancel this chat").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your chat has been cancelled")
    expect(page.get_by_role("link", name="Book another chat")).to_be_visible()
    assert_accessible("cancelled")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED


def test_a_chat_that_has_happened_and_a_copied_form_are_explained(
    journey, live_server, page, assert_accessible
):
    offer, partner = journey["offer"], journey["partner"]
    past = BookingFactory(offer=offer, partner=partner, start=timezone.now() - timedelta(days=11))
    response = page.goto(live_server.url + f"/bookings/manage/{manage_links.make_token(past)}/")
    assert response.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text("This chat has happened")
    expect(page.get_by_role("button", name="Cancel this chat")).to_have_count(0)
    expect(page.get_by_role("link", name="Choose a new time")).to_have_count(0)
    assert_accessible("chat has happened")

    start = iso_utc(first_free(offer))
    details = journey["page"].url + journey["page"].reverse_subpage("details")
    page.goto(live_server.url + details + f"?offer={offer.pk}&partner={partner.pk}&start={start}")
    type_into(page, "Full name", "Alex Example")
    # A genuine stamp, but issued to another browser's session (as if the page had been copied).
    copied = bot_guard.issue_stamp(timezone.now(), {})
    page.locator("input[name=form_stamp]").evaluate("(input, value) => { input.value = value }", copied)
    page.get_by_role("button", name="Continue").click()
    notice = page.get_by_role("alert").filter(has_text="Please check your details and send them again")
    expect(notice).to_be_visible()
    expect(page.get_by_label("Full name")).to_have_value("Alex Example")
    expect(page).to_have_title(re.compile(r"^Error: "))
    assert_accessible("copied form shown again")
