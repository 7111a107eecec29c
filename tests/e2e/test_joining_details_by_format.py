"""A booking for each format, made through the real pages in Chromium (axe-core, WCAG 2.2 A/AA, on
every step), then delivered by the outbox to a real SMTP server: the emails and the invite.ics
they carry hold the right joining details as icalendar, vobject and ical.js read them
(docs/bookings.md, "Joining details"). The booker's phone number is in the partner's email and
in no calendar file."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from bookings.models import Booking, EmailNotification, Format
from bookings.outbox import tasks
from bookings.outbox.delivery import WAITING
from tests.bookings.factories import AvailabilityRuleFactory, OfferFactory, PartnerFactory
from tests.home.factories import LadderRungFactory
from tests.support.booking_page import publish_booking_page
from tests.support.ical_parsers import PARSERS
from tests.support.outbox import body, calendar_parts, with_email
from tests.support.smtp_server import SmtpServer, use_smtp

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

BOOKER = "alex@example.org"
PARTNER = "robin@example.org"
LINK = "https://meet.example.org/thinking-partners?room=42"
ADDRESS = "Mill Lane Community Centre\n12 Mill Lane\nLeeds LS1 4AB"
ONE_LINE = "Mill Lane Community Centre, 12 Mill Lane, Leeds LS1 4AB"
PHONE_TYPED = "07911 123456"
# Every way the number might be written down in a calendar file.
PHONE_FORMS = ("+447911123456", "7911123456", "7911 123456", "07911 123456", "+44 7911 123456")


@pytest.fixture(autouse=True)
def _human_speed_is_instant(settings):
    settings.BOOKING_MIN_FILL_SECONDS = 0  # live_server runs in this process, so this reaches it


@pytest.fixture
def smtp(settings):
    with SmtpServer() as server:
        use_smtp(settings, server.port)
        yield server


@pytest.fixture
def booking_page(site_root, django_user_model):
    # The journey fixture's page and partner (tests/e2e/conftest.py), with an email address,
    # a standing video link and an offer in all three formats at a venue.
    partner = with_email(PartnerFactory(display_name="Robin Example"), django_user_model, PARTNER)
    partner.meeting_link = LINK
    partner.save(update_fields=["meeting_link"])
    AvailabilityRuleFactory(partner=partner)
    OfferFactory(
        title="Thinking-partner chat",
        partners=[partner],
        offers_video=True,
        offers_phone=True,
        offers_in_person=True,
        venue_address=ADDRESS,
    )
    LadderRungFactory(name="Co-production")
    page = publish_booking_page(site_root)
    return page


def book_in_the_browser(page, url, fmt_label, assert_accessible, *, phone=""):
    page.goto(url)
    assert_accessible("step 1")
    page.get_by_role("link", name="Choose Thinking-partner chat").click()
    assert_accessible("step 2")
    page.get_by_role("link", name="Choose Robin Example").click()
    expect(page.locator(".time-list a").first).to_be_visible()
    assert_accessible("step 3")
    page.locator(".time-list a").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your details")
    assert_accessible("step 4")
    page.get_by_label("Full name", exact=True).fill("Alex Example")
    page.get_by_label("Email address", exact=True).fill(BOOKER)
    page.get_by_label("Your role", exact=True).fill("Ward manager")
    page.get_by_label("Tell us about your project", exact=True).fill("Planning a peer support service.")
    page.get_by_role("radio", name="Co-production").check()
    page.get_by_role("radio", name=fmt_label).check()
    if phone:
        page.get_by_label(re.compile("^Phone number")).fill(phone)
    page.get_by_role("checkbox", name=re.compile("I have read the privacy notice")).check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Check your answers"))
    assert_accessible("step 5")
    page.get_by_role("button", name="Confirm booking").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Booking confirmed")
    assert_accessible("step 6")


def deliver_due():
    """Run the outbox tasks that are due now (the confirmations; reminders wait), as the worker
    would: the same task function, against the real SMTP server."""
    due = EmailNotification.objects.filter(status__in=WAITING, send_after__lte=timezone.now())
    for pk in due.order_by("pk").values_list("pk", flat=True):
        tasks.deliver_notification.call(pk)


def invite_events(message, uid):
    _, attachment = calendar_parts(message)
    assert attachment is not None, f"no invite.ics in {message['Subject']!r} to {message['To']}"
    ics = attachment.get_payload(decode=True)
    return ics, {name: parse(ics).event(uid) for name, parse in PARSERS.items()}


@pytest.mark.parametrize(
    ("fmt", "label"),
    [(Format.VIDEO, "Video call"), (Format.PHONE, "Phone call"), (Format.IN_PERSON, "In person")],
    ids=["video", "phone", "in-person"],
)
def test_a_booking_made_in_the_browser_emails_the_right_joining_details(
    fmt, label, booking_page, smtp, live_server, page, assert_accessible
):
    phone = PHONE_TYPED if fmt == Format.PHONE else ""
    book_in_the_browser(page, live_server.url + booking_page.url, label, assert_accessible, phone=phone)
    booking = Booking.objects.get(booker_email=BOOKER)
    assert booking.format == fmt

    deliver_due()
    (to_booker,) = smtp.to(BOOKER)
    (to_partner,) = smtp.to(PARTNER)
    invites = {}
    for received in (to_booker, to_partner):
        invites[received.rcpt_tos[0]] = invite_events(received.message, booking.ical_uid)

    for who, (ics, events) in invites.items():
        for name, event in events.items():
            where = f"{who}, {name}"
            if fmt == Format.VIDEO:
                assert event.location == LINK, where
                (conference,) = event.conferences
                assert conference.value == LINK, where
                assert conference.feature == "VIDEO", where
            elif fmt == Format.IN_PERSON:
                assert event.location == ONE_LINE, where
                assert event.conferences == [], where
            else:
                assert event.conferences == [], where
                assert LINK not in (event.location or ""), where
        if fmt == Format.PHONE:
            unfolded = ics.replace(b"\r\n ", b"")
            for form in PHONE_FORMS:
                assert form.encode() not in unfolded, f"{form} in the invite to {who}"

    partner_text = body(to_partner.message, "plain")
    booker_text = body(to_booker.message, "plain")
    if fmt == Format.VIDEO:
        for text in (partner_text, booker_text):
            assert f"Join the video call: {LINK}" in text
    elif fmt == Format.IN_PERSON:
        for text in (partner_text, booker_text):
            assert f"Where: {ONE_LINE}" in text
    else:
        assert "Phone them on: +44 7911 123456" in partner_text
        assert "+44 7911 123456" in body(to_partner.message, "html")
        assert "will phone you at the start time" in booker_text
        assert not any(form in to_booker.message.as_string() for form in PHONE_FORMS)
