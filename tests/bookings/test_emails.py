"""Booking emails as a real SMTP server receives them, and their invites as three calendar parsers
we did not write read them (icalendar, vobject, ical.js): docs/calendar.md, docs/reliability.md 13, 16."""

import re
from datetime import UTC, datetime
from email.utils import parseaddr
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from wagtail.models import Site

from bookings import services
from bookings.journey.pages import BookingPage
from bookings.manage_links import booking_for_token
from bookings.models import Booking, EmailNotification, NotificationStatus, Recipient
from bookings.outbox import tasks
from bookings.outbox.delivery import WAITING
from bookings.services import BookerDetails
from tests.support.ical_parsers import PARSERS
from tests.support.outbox import body, calendar_bytes, calendar_parts, install_clock, with_email
from tests.support.smtp_server import SmtpServer, use_smtp

NOW = datetime(2026, 5, 1, 9, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")
BOOKER = "sam@example.org"
PARTNER = "partner@example.org"
SECRET_NOTES = "Our ward's SECRET-PROJECT-NOTES"
SECRET_NEEDS = "SECRET-ACCESS-NEEDS: captions"


@pytest.fixture
def clock(monkeypatch):
    return install_clock(monkeypatch, NOW)


@pytest.fixture
def smtp(settings):
    with SmtpServer() as server:
        use_smtp(settings, server.port)
        yield server


@pytest.fixture
def emailable(partner, django_user_model):
    return with_email(partner, django_user_model, PARTNER)


def place(offer, partner, policy, start, *, now=NOW, **booker):
    details = BookerDetails(
        **{
            "name": "Sam Example",
            "email": BOOKER,
            "organisation": "Example Trust",
            "project_description": SECRET_NOTES,
            "access_needs": SECRET_NEEDS,
            **booker,
        }
    )
    return services.place_booking(
        offer=offer, start=start, partner=partner, booker=details, now=now, policy=policy
    )


def deliver_due(clock) -> list[str]:
    """Run the delivery task for every email that is due, as the worker would."""
    due = EmailNotification.objects.filter(status__in=WAITING, send_after__lte=clock()).order_by("pk")
    return [tasks.deliver_notification.call(pk) for pk in due.values_list("pk", flat=True)]


def london(*args) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def parse_all(data: bytes):
    return [parse(data) for parse in PARSERS.values()]


def test_confirmed_booking_sends_each_person_one_invite_in_the_agreed_layout(
    offer, emailable, policy, smtp, clock
):
    booking = place(offer, emailable, policy, london(2026, 6, 2, 10))
    assert deliver_due(clock) == [NotificationStatus.SENT] * 2

    (to_booker,) = smtp.to(BOOKER)
    (to_partner,) = smtp.to(PARTNER)
    for received in (to_booker, to_partner):
        message = received.message
        assert message.get_content_type() == "multipart/mixed"
        outer = message.get_payload()
        assert [p.get_content_type() for p in outer] == ["multipart/alternative", "application/ics"]
        inner = [p.get_content_type() for p in outer[0].get_payload()]
        assert inner == ["text/plain", "text/html", "text/calendar"]
        alternative, attachment = calendar_parts(message)
        assert alternative.get_param("method") == "REQUEST"
        assert alternative.get_content_charset() == "utf-8"
        assert attachment.get_filename() == "invite.ics"
        ics = calendar_bytes(message)
        assert b"\r\n" in ics and b"\n" not in ics.replace(b"\r\n", b"")
        # One iTIP object, the same in both places.
        assert ics.count(b"BEGIN:VCALENDAR") == 1
        assert alternative.get_content().replace("\r\n", "\n") == ics.decode().replace("\r\n", "\n")
        # From is the organiser, and the organiser is the bookings mailbox.
        assert parseaddr(message["From"])[1] == settings.BOOKINGS_MAILBOX == received.mail_from
        for parsed in parse_all(ics):
            event = parsed.event(booking.ical_uid)
            assert parsed.method == "REQUEST"
            assert event.organizer.value.lower() == f"mailto:{settings.BOOKINGS_MAILBOX}"
            assert sorted(a.value.lower() for a in event.attendees) == [
                f"mailto:{PARTNER}",
                f"mailto:{BOOKER}",
            ]
            (booker_attendee,) = [a for a in event.attendees if BOOKER in a.value.lower()]
            assert booker_attendee.rsvp == "TRUE"
        assert message["Message-ID"].endswith(f"@{booking.ical_uid.split('@')[1]}>")

    text = body(to_booker.message, "plain")
    assert "Tuesday 2 June 2026, 10am to 10:30am (UK time)" in text
    assert "Video call" in text


def test_notes_and_access_needs_never_leave_the_site(offer, emailable, policy, smtp, clock):
    booking = place(offer, emailable, policy, london(2026, 6, 2, 10))
    deliver_due(clock)
    services.reschedule(booking, london(2026, 6, 3, 11), now=NOW, policy=policy)
    deliver_due(clock)
    services.cancel(booking, now=NOW)
    deliver_due(clock)
    assert len(smtp.received) == 6
    for received in smtp.received:
        decoded = [p.get_payload(decode=True) or b"" for p in received.message.walk() if not p.is_multipart()]
        for blob in [received.raw, *decoded]:
            assert b"SECRET" not in blob


def test_manage_link_is_in_the_bookers_email_only_and_opens_this_booking(
    offer, emailable, policy, smtp, clock
):
    booking = place(offer, emailable, policy, london(2026, 6, 2, 10))
    deliver_due(clock)
    (to_booker,) = smtp.to(BOOKER)
    (to_partner,) = smtp.to(PARTNER)
    links = re.findall(r"https?://\S+/bookings/manage/([^/\s]+)/", body(to_booker.message, "plain"))
    assert links and len(set(links)) == 1
    assert booking_for_token(links[0]) == booking
    assert f"/bookings/manage/{links[0]}/" in body(to_booker.message, "html")
    assert "/bookings/manage/" not in body(to_partner.message, "plain")
    for received in (to_booker, to_partner):
        assert b"manage" not in calendar_bytes(received.message).lower()


@pytest.mark.parametrize(
    "start",
    [
        london(2026, 10, 23, 10),  # Friday before the clocks go back (BST)
        london(2026, 10, 26, 10),  # Monday after (GMT)
        london(2027, 3, 26, 10),  # Friday before the clocks go forward (GMT)
        london(2027, 3, 29, 10),  # Monday after (BST)
    ],
    ids=["2026-10-23", "2026-10-26", "2027-03-26", "2027-03-29"],
)
def test_invite_times_equal_the_database_instants_either_side_of_clock_changes(
    offer, emailable, policy, smtp, clock, start
):
    emailable.works_bank_holidays = True  # 26 and 29 March 2027 are Good Friday and Easter Monday
    emailable.save(update_fields=["works_bank_holidays"])
    booking = place(offer, emailable, policy, start)
    deliver_due(clock)
    booking.refresh_from_db()
    (to_booker,) = smtp.to(BOOKER)
    alternative, _ = calendar_parts(to_booker.message)
    for data in (calendar_bytes(to_booker.message), alternative.get_content().encode()):
        for parsed in parse_all(data):
            event = parsed.event(booking.ical_uid)
            assert (event.start, event.end) == (booking.start, booking.end), parsed.parser
            assert event.all_utc, parsed.parser
    uk = start.strftime("%-I%p").lower()  # "10am": the email states UK wall-clock time
    assert f"{uk} to 10:30am (UK time)" in body(to_booker.message, "plain")


def test_uid_stays_and_sequence_rises_from_booking_to_move_to_cancel(offer, emailable, policy, smtp, clock):
    booking = place(offer, emailable, policy, london(2026, 6, 2, 10))
    deliver_due(clock)
    services.reschedule(booking, london(2026, 6, 4, 14), now=NOW, policy=policy)
    deliver_due(clock)
    services.cancel(booking, now=NOW)
    deliver_due(clock)
    booking.refresh_from_db()

    for address in (BOOKER, PARTNER):
        messages = [r.message for r in smtp.to(address)]
        assert len(messages) == 3
        for parser, parse in PARSERS.items():
            parsed = [parse(calendar_bytes(m)) for m in messages]
            assert [p.method for p in parsed] == ["REQUEST", "REQUEST", "CANCEL"], parser
            events = [p.events[0] for p in parsed]
            assert {e.uid for e in events} == {booking.ical_uid}, parser
            sequences = [e.sequence for e in events]
            assert sequences == sorted(set(sequences)) and sequences[-1] == booking.sequence, parser
            assert events[-1].status == "CANCELLED" and len(events[-1].attendees) == 2, parser
            assert events[1].start == london(2026, 6, 4, 14), parser
        assert [calendar_parts(m)[0].get_param("method") for m in messages] == [
            "REQUEST",
            "REQUEST",
            "CANCEL",
        ]


def test_requests_needing_acceptance_invite_only_once_accepted(offer, emailable, policy, smtp, clock):
    offer.requires_acceptance = True
    offer.save()
    booking = place(offer, emailable, policy, london(2026, 6, 2, 10))
    deliver_due(clock)
    (request_sent,) = smtp.to(BOOKER)
    (please_accept,) = smtp.to(PARTNER)
    for received in (request_sent, please_accept):
        assert calendar_parts(received.message) == (None, None)
    assert "Nothing is booked until they accept" in body(request_sent.message, "plain")
    assert "accept or decline" in body(please_accept.message, "plain")

    services.confirm(booking, now=NOW)
    deliver_due(clock)
    for address in (BOOKER, PARTNER):
        latest = smtp.to(address)[-1].message
        for parsed in parse_all(calendar_bytes(latest)):
            assert parsed.method == "REQUEST" and parsed.events[0].sequence == 1, parsed.parser


def test_a_decline_is_explained_kindly_with_a_way_to_choose_another_time(
    offer, emailable, policy, smtp, clock
):
    offer.requires_acceptance = True
    offer.save()
    booking = place(offer, emailable, policy, london(2026, 6, 2, 10))
    services.decline(booking, now=NOW)
    deliver_due(clock)
    # The "request sent" email was overtaken by the decline before it left, so only that goes.
    assert EmailNotification.objects.get(kind="request_sent").status == NotificationStatus.OBSOLETE
    (declined,) = smtp.to(BOOKER)
    text = body(declined.message, "plain")
    assert "not about you or your project" in text
    assert "choose another time" in text and f"{settings.SITE_URL}/" in text
    assert calendar_parts(declined.message) == (None, None)
    assert not [r for r in smtp.to(PARTNER) if "could not go ahead" in r.message["Subject"]]


# At most 120 characters, the field's length (PostgreSQL enforces it).
HOSTILE_NAME = (
    'Eve "Q" O\'Brien; Ltd,\r\nBcc: evil@example.com\r\nATTENDEE:mailto:evil@example.com'
    "\rX-Injected: 1\n<script>alert(1)</script>🙂"
)
assert len(HOSTILE_NAME) <= 120


def test_hostile_names_add_no_header_recipient_property_or_attendee(offer, emailable, policy, smtp, clock):
    plain = place(offer, emailable, policy, london(2026, 6, 2, 10))
    hostile = place(
        offer,
        emailable,
        policy,
        london(2026, 6, 3, 10),
        name=HOSTILE_NAME,
        email="eve@example.org",
        organisation="Trust\r\nX-Injected: yes; ATTENDEE:mailto:evil@example.com",
        role='<b>lead</b>, "nurse"\n\rEND:VEVENT',
    )
    deliver_due(clock)
    (benign,) = smtp.to(BOOKER)
    (to_eve,) = smtp.to("eve@example.org")
    to_partner = [r for r in smtp.to(PARTNER) if hostile.ical_uid.encode() in calendar_bytes(r.message)]
    assert len(smtp.received) == 4 and len(to_partner) == 1
    for received in (to_eve, to_partner[0]):
        message = received.message
        assert sorted(message.keys()) == sorted(benign.message.keys())
        assert "evil" not in str(message.items()).lower() and "injected" not in str(message.items()).lower()
        assert len(received.rcpt_tos) == 1
        html = body(message, "html")
        assert "<script>" not in html and "&lt;script&gt;" in html and "<b>lead" not in html
        for parsed, baseline in zip(
            parse_all(calendar_bytes(message)), parse_all(calendar_bytes(benign.message)), strict=True
        ):
            event = parsed.event(hostile.ical_uid)
            assert sorted(event.property_names) == sorted(baseline.event(plain.ical_uid).property_names)
            assert parsed.top_level_components == 1 and parsed.component_names == ["VEVENT"]
            assert sorted(a.value.lower() for a in event.attendees) == [
                "mailto:eve@example.org",
                f"mailto:{PARTNER}",
            ]
            cn = next(a.cn for a in event.attendees if "eve@" in a.value)
            assert "\r" not in cn and "\n" not in cn and "Eve" in cn


def test_booker_sees_uk_time_and_their_own_zone(offer, emailable, policy, smtp, clock):
    booking = place(offer, emailable, policy, london(2026, 6, 2, 10))
    Booking.objects.filter(pk=booking.pk).update(booker_time_zone="America/New_York")
    deliver_due(clock)
    (to_booker,) = smtp.to(BOOKER)
    text = body(to_booker.message, "plain")
    assert "Tuesday 2 June 2026, 10am to 10:30am (UK time)" in text
    assert "Tuesday 2 June 2026, 5am to 5:30am (America/New York)" in text
    (to_partner,) = smtp.to(PARTNER)  # the partner is in UK time: one time only
    assert "America" not in body(to_partner.message, "plain")


def test_a_partner_without_an_address_is_skipped_visibly_and_the_booker_still_invited(
    offer, partner, policy, smtp, clock
):
    booking = place(offer, partner, policy, london(2026, 6, 2, 10))
    deliver_due(clock)
    skipped = EmailNotification.objects.get(booking=booking, recipient=Recipient.PARTNER, kind="confirmed")
    assert skipped.status == NotificationStatus.OBSOLETE
    assert skipped.last_error == "no email address for this recipient"
    (to_booker,) = smtp.received
    (event,) = PARSERS["icalendar"](calendar_bytes(to_booker.message)).events
    assert [a.value.lower() for a in event.attendees] == [f"mailto:{BOOKER}"]


@pytest.mark.django_db
def test_partner_contact_email_is_preferred_to_the_account_email(django_user_model):
    from bookings.outbox.emails import partner_email

    from .factories import BookingFactory

    booking = BookingFactory()
    partner = booking.partner
    partner.user = django_user_model.objects.create_user("p1", "account@example.org")
    partner.save()
    assert partner_email(booking) == "account@example.org"
    partner.email = "contact@example.org"
    partner.save()
    assert partner_email(booking) == "contact@example.org"


def test_the_book_again_link_in_a_cancellation_uses_site_url_not_the_wagtail_site_host(
    offer, emailable, policy, smtp, clock, settings
):
    # Wagtail's default Site is localhost:80; the address people use is SITE_URL.
    settings.SITE_URL = "https://bookings.example.org"
    site = Site.objects.get(is_default_site=True)
    assert (site.hostname, site.port) == ("localhost", 80)
    page = BookingPage(title="Book a chat", slug="book-a-chat")
    site.root_page.add_child(instance=page)
    booking = place(offer, emailable, policy, london(2026, 6, 2, 10))
    services.cancel(booking, now=NOW, actor_label="booker")
    deliver_due(clock)
    cancelled = next(r for r in smtp.to(BOOKER) if "cancelled" in r.message["Subject"].lower())
    text = body(cancelled.message, "plain")
    assert "https://bookings.example.org/book-a-chat/" in text
    assert "localhost" not in text


def test_calendar_title_says_the_chat_once_and_a_cancel_asks_nothing_of_anyone(
    offer, emailable, policy, smtp, clock
):
    offer.title = "Thinking-partner chat"
    offer.save()
    booking = place(offer, emailable, policy, london(2026, 6, 2, 10))
    deliver_due(clock)
    services.cancel(booking, now=NOW)
    deliver_due(clock)
    for address in (BOOKER, PARTNER):
        invite, cancel = [r.message for r in smtp.to(address)]
        for parser, parse in PARSERS.items():
            sent, cancelled = parse(calendar_bytes(invite)).events[0], parse(calendar_bytes(cancel)).events[0]
            assert sent.summary == cancelled.summary == "Thinking-partner chat", parser
            assert "To change or cancel" in sent.description, parser
            assert "To change or cancel" not in cancelled.description, parser
            assert "has been cancelled" in cancelled.description, parser
            assert [a.rsvp for a in cancelled.attendees] == [None, None], parser
        assert "RSVP" not in calendar_bytes(cancel).decode()
