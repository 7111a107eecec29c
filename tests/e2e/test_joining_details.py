"""Joining details in a real browser: a partner saves their standing video link (a bad one gets a
kind error), accepts a request that asks for its own link, and turns joining details on for their
feed; axe-core finds 0 WCAG 2.2 A/AA violations and nothing scrolls sideways at 320px."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from bookings.models import Booking, BookingStatus, Format, Partner
from tests.bookings.factories import BookingFactory, OfferFactory, PartnerFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "a browser test password"
LINK = "https://meet.example.org/a-rather-long-room-name-for-thinking-partner-chats?pwd=abc123"


@pytest.fixture
def partner(django_user_model):
    user = django_user_model.objects.create_user("ada", "ada@example.org", PASSWORD)
    return PartnerFactory(display_name="Ada Partner", user=user)


def sign_in(page, live_server, path):
    page.goto(f"{live_server.url}{path}")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def fits(page, what):
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{what} scrolls sideways by {overflow}px at 320px"


def test_a_partner_sets_their_link_and_accepts_a_request_with_its_own(
    partner, live_server, page, assert_accessible
):
    page.set_viewport_size({"width": 320, "height": 640})
    sign_in(page, live_server, "/partners/joining/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your video link")
    assert_accessible("video link page")
    page.get_by_label("Your video meeting link").fill("javascript:alert(1)")
    page.get_by_role("button", name="Save my video link").click()
    expect(page.locator(".error-summary")).to_contain_text("Enter a link that starts with https://")
    assert_accessible("video link page with an error")
    page.get_by_label("Your video meeting link").fill(LINK)
    page.get_by_role("button", name="Save my video link").click()
    expect(page.get_by_role("link", name=LINK)).to_be_visible()
    fits(page, "video link page")
    assert Partner.objects.get(pk=partner.pk).meeting_link == LINK

    offer = OfferFactory(partners=[partner], requires_acceptance=True, video_link_on_accept=True)
    request = BookingFactory(
        partner=partner,
        offer=offer,
        status=BookingStatus.PENDING,
        format=Format.VIDEO,
        start=timezone.now() + timedelta(days=5),
    )
    page.goto(f"{live_server.url}/partners/chats/{request.public_id}/")
    page.get_by_role("button", name="Accept this chat").click()
    expect(page.locator(".error-summary")).to_contain_text("Give the video link for this chat")
    assert_accessible("accepting without a link")
    fits(page, "chat page")
    page.get_by_label("Video link for this chat").fill("https://meet.jit.si/for-this-chat")
    page.get_by_role("button", name="Accept this chat").click()
    expect(page.get_by_role("link", name="https://meet.jit.si/for-this-chat")).to_be_visible()
    assert Booking.objects.get(pk=request.pk).status == BookingStatus.CONFIRMED

    page.goto(f"{live_server.url}/partners/calendar/")
    page.get_by_label("Show the video link or address in my calendar link").check()
    page.get_by_role("button", name=re.compile("^Save$")).click()
    expect(page.locator("main")).to_contain_text("now shows the video link or address")
    assert_accessible("calendar page with joining details on")
    fits(page, "calendar page")
    assert Partner.objects.get(pk=partner.pk).feed_shows_joining_details is True
