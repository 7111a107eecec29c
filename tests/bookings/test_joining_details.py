"""Joining details per format (docs/bookings.md, "Joining details"): the video link, the booker's
phone number and the venue, as the real SMTP server receives the emails and as icalendar, vobject
and ical.js read the invites; the phone number in no calendar file, feed, task row or log."""

import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from bookings import bank_holidays, partner_calendars, partner_services, services, staff_services
from bookings.calendars.feeds import render_feed
from bookings.errors import InvalidBooking, InvalidInput
from bookings.manage_links import make_token
from bookings.models import (
    Booking,
    BookingEvent,
    BookingStatus,
    EmailNotification,
    Format,
    Partner,
    PartnerFeed,
)
from bookings.outbox import tasks
from bookings.outbox.delivery import WAITING
from bookings.privacy import erasure, export, purge
from bookings.services import BookerDetails
from tests.support.ical_parsers import PARSERS
from tests.support.outbox import body, calendar_bytes, calendar_parts, install_clock, with_email
from tests.support.privacy_scan import find_everywhere
from tests.support.smtp_server import SmtpServer, use_smtp

from .factories import OfferFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 5, 1, 9, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")
CHAT = datetime(2026, 6, 2, 10, tzinfo=LONDON)
BOOKER = "sam@example.org"
PARTNER = "partner@example.org"
LINK = "https://meet.example.org/thinking-partners?room=42&pwd=a,b;c"
# CONFERENCE is a URI: "," and ";" are percent-encoded there, because vobject splits values at them.
LINK_AS_URI = "https://meet.example.org/thinking-partners?room=42&pwd=a%2Cb%3Bc"
PHONE_E164 = "+447911123456"
# Every way the number might be written down somewhere it should not be.
PHONE_FORMS = (PHONE_E164, "7911123456", "7911 123456", "07911 123456", "+44 7911 123456")
ADDRESS = "Mill Lane Community Centre\n12 Mill Lane\nLeeds LS1 4AB"
ACCESS = "Step-free entrance on Mill Lane; ask at reception for the library room."


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
    partner = with_email(partner, django_user_model, PARTNER)
    partner.meeting_link = LINK
    partner.save(update_fields=["meeting_link"])
    return partner


@pytest.fixture
def offer(emailable):
    return OfferFactory(
        partners=[emailable],
        offers_video=True,
        offers_phone=True,
        offers_in_person=True,
        venue_address=ADDRESS,
        venue_access_notes=ACCESS,
    )


def place(offer, partner, policy, fmt, *, start=CHAT, phone="", now=NOW):
    booker = BookerDetails(name="Sam Example", email=BOOKER, format=fmt, phone=phone)
    return services.place_booking(
        offer=offer, start=start, partner=partner, booker=booker, now=now, policy=policy
    )


def deliver_due(clock):
    due = EmailNotification.objects.filter(status__in=WAITING, send_after__lte=clock()).order_by("pk")
    return [tasks.deliver_notification.call(pk) for pk in due.values_list("pk", flat=True)]


def next_month() -> datetime:
    """10:00 London about a month after the real clock, for views that read it, on a day that is
    not an English bank holiday (those close the partner's free times: 1 January, say)."""
    day = timezone.now().astimezone(LONDON).date() + timedelta(days=30)
    while bank_holidays.closed_dates(bank_holidays.ENGLAND, day, day):
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 10, tzinfo=LONDON)


def events(ics: bytes, uid: str):
    return {name: parse(ics).event(uid) for name, parse in PARSERS.items()}


# --- Video --------------------------------------------------------------------------------------


def test_a_video_chat_carries_the_link_in_both_emails_and_as_location_and_conference(
    offer, emailable, policy, smtp, clock
):
    booking = place(offer, emailable, policy, Format.VIDEO)
    deliver_due(clock)
    for address in (BOOKER, PARTNER):
        (received,) = smtp.to(address)
        assert f"Join the video call: {LINK}" in body(received.message, "plain")
        html = body(received.message, "html")
        escaped = LINK.replace("&", "&amp;")
        assert f'<a href="{escaped}">{escaped}</a>' in html
        for name, event in events(calendar_bytes(received.message), booking.ical_uid).items():
            assert event.location == LINK, name
            assert LINK in event.description, name
            (conference,) = event.conferences
            assert conference.value == LINK_AS_URI, name
            assert conference.value_type == "uri", name
            assert conference.feature == "VIDEO", name
            assert conference.label == "Join the video call", name


def test_only_plain_http_links_are_accepted_anywhere(emailable):
    for bad in (
        "javascript:alert(1)",
        "ftp://x.example",
        'https://x.example/"><script>',
        "https://a b.example",
    ):
        with pytest.raises(InvalidInput):
            partner_services.set_meeting_link(emailable, bad, now=NOW)
        emailable.meeting_link = bad
        with pytest.raises(ValidationError):
            emailable.full_clean()
    assert Partner.objects.get(pk=emailable.pk).meeting_link == LINK


def test_the_workspace_saves_a_standing_link_and_refuses_a_bad_one_kindly(client, emailable):
    client.force_login(emailable.user)
    url = reverse("workspace:joining")
    refused = client.post(url, {"meeting_link": "javascript:alert(1)"})
    assert refused.status_code == 400
    assert "Enter a link that starts with https://" in refused.content.decode()
    new = "https://zoom.example/j/123"
    assert client.post(url, {"meeting_link": new}).status_code == 302
    assert Partner.objects.get(pk=emailable.pk).meeting_link == new


def test_a_new_standing_link_sends_an_updated_invite_for_upcoming_video_chats(
    offer, emailable, policy, smtp, clock
):
    video = place(offer, emailable, policy, Format.VIDEO)
    phone = place(offer, emailable, policy, Format.PHONE, start=CHAT.replace(hour=14), phone=PHONE_E164)
    deliver_due(clock)
    smtp.handler.received.clear()
    new = "https://teams.example/l/meetup-join/abc"
    assert partner_services.set_meeting_link(emailable, new, now=NOW) == 1
    video.refresh_from_db()
    phone.refresh_from_db()
    assert (video.sequence, phone.sequence) == (1, 0)  # the phone chat is not about the link
    assert BookingEvent.objects.filter(
        booking=video, action="details_changed", details={"what": "video link"}
    ).exists()
    deliver_due(clock)
    for address in (BOOKER, PARTNER):
        (received,) = smtp.to(address)
        assert received.message["Subject"].startswith("New joining details")
        assert new in body(received.message, "plain")
        for name, event in events(calendar_bytes(received.message), video.ical_uid).items():
            assert (event.uid, event.sequence, event.location) == (video.ical_uid, 1, new), name
            assert event.conferences[0].value == new, name


def test_a_link_asked_for_on_accept_is_required_there_and_reaches_both_people(
    emailable, policy, smtp, clock, client
):
    offer = OfferFactory(partners=[emailable], requires_acceptance=True, video_link_on_accept=True)
    booking = place(offer, emailable, policy, Format.VIDEO)
    assert booking.status == BookingStatus.PENDING
    client.force_login(emailable.user)
    page = client.get(reverse("workspace:booking", args=[booking.public_id])).content.decode()
    assert 'name="meeting_link"' in page
    accept = reverse("workspace:accept", args=[booking.public_id])
    refused = client.post(accept, {"meeting_link": ""})
    assert refused.status_code == 400
    assert "Give the video link for this chat" in refused.content.decode()
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.PENDING
    own = "https://meet.jit.si/chat-for-sam"
    assert client.post(accept, {"meeting_link": own}).status_code == 302
    booking.refresh_from_db()
    assert (booking.status, booking.meeting_link) == (BookingStatus.CONFIRMED, own)
    deliver_due(clock)
    confirmed = [m for m in smtp.received if m.message["Subject"].startswith("Confirmed")]
    assert sorted(m.rcpt_tos[0] for m in confirmed) == [PARTNER, BOOKER]
    for received in confirmed:
        assert own in body(received.message, "plain")
        assert LINK not in body(received.message, "plain")  # the per-chat link wins over the standing one
        for event in events(calendar_bytes(received.message), booking.ical_uid).values():
            assert event.location == own
    # The partner's later change of standing link leaves this chat alone.
    assert partner_services.set_meeting_link(emailable, "https://zoom.example/j/9", now=NOW) == 0


def test_an_offer_asking_for_the_link_on_accept_must_need_acceptance():
    offer = OfferFactory.build(video_link_on_accept=True, requires_acceptance=False)
    with pytest.raises(ValidationError, match="partner must accept first"):
        offer.clean()


# --- Phone --------------------------------------------------------------------------------------


def test_the_booker_gives_a_number_for_a_phone_chat_stored_as_e164(offer, emailable, policy):
    with pytest.raises(InvalidBooking, match="phone number"):
        place(offer, emailable, policy, Format.PHONE)
    booking = place(offer, emailable, policy, Format.PHONE, phone=PHONE_E164)
    assert Booking.objects.get(pk=booking.pk).booker_phone == PHONE_E164
    video = place(offer, emailable, policy, Format.VIDEO, start=CHAT.replace(hour=14), phone=PHONE_E164)
    assert str(Booking.objects.get(pk=video.pk).booker_phone) == ""  # only kept for a phone chat


def test_the_phone_number_reaches_the_partner_only_and_no_calendar_feed_task_or_log(
    offer, emailable, policy, smtp, clock, caplog, client
):
    caplog.set_level(logging.DEBUG)
    partner_services.set_feed_joining_details(emailable, True)  # even with joining details shown
    PartnerFeed.objects.create(partner=emailable, token_hash="x" * 64)
    booking = place(offer, emailable, policy, Format.PHONE, phone=PHONE_E164)
    deliver_due(clock)
    (to_partner,) = smtp.to(PARTNER)
    (to_booker,) = smtp.to(BOOKER)
    assert "Phone them on: +44 7911 123456" in body(to_partner.message, "plain")
    assert "+44 7911 123456" in body(to_partner.message, "html")
    booker_text = body(to_booker.message, "plain")
    assert "will phone you at the start time" in booker_text
    services.cancel(booking, now=NOW)
    deliver_due(clock)
    client.force_login(emailable.user)
    page = client.get(reverse("workspace:booking", args=[booking.public_id])).content.decode()
    assert "+44 7911 123456" in page

    calendars = [calendar_bytes(m.message) for m in smtp.received if calendar_parts(m.message)[1]]
    assert len(calendars) == 2  # the booker's invite and cancel (the partner has the feed)
    calendars.append(render_feed(emailable.pk, (NOW.replace(month=1), NOW.replace(year=2027))))
    emails_to_booker = [m.message.as_string() for m in smtp.to(BOOKER)]
    cancel_to_partner = [
        m.message.as_string() for m in smtp.to(PARTNER) if "Cancelled" in m.message["Subject"]
    ]
    tasks_text = " ".join(str(row.args_kwargs) + str(row.return_value) for row in DBTaskResult.objects.all())
    logged = caplog.text
    for form in PHONE_FORMS:
        for data in calendars:
            assert form.encode() not in data.replace(b"\r\n ", b"")
        assert form not in tasks_text and form not in logged
        assert not any(form in text for text in emails_to_booker + cancel_to_partner)
    # In the database it is in exactly one place: the booking's own column.
    assert find_everywhere(PHONE_E164)[PHONE_E164] == {"bookings_booking.booker_phone"}


# --- In person ----------------------------------------------------------------------------------


def test_an_in_person_chat_carries_the_address_and_access_notes(offer, emailable, policy, smtp, clock):
    booking = place(offer, emailable, policy, Format.IN_PERSON)
    deliver_due(clock)
    one_line = "Mill Lane Community Centre, 12 Mill Lane, Leeds LS1 4AB"
    for address in (BOOKER, PARTNER):
        (received,) = smtp.to(address)
        text = body(received.message, "plain")
        assert f"Where: {one_line}" in text and ACCESS in text
        assert "12 Mill Lane<br>Leeds LS1 4AB" in body(received.message, "html")
        for name, event in events(calendar_bytes(received.message), booking.ical_uid).items():
            assert event.location == one_line, name
            assert ACCESS in event.description, name
            assert event.conferences == [], name


def test_staff_changing_the_venue_in_the_admin_sends_an_updated_invite(
    offer, emailable, policy, smtp, clock, admin_client
):
    booking = place(offer, emailable, policy, Format.IN_PERSON)
    deliver_due(clock)
    smtp.handler.received.clear()
    before = type(offer).objects.get(pk=offer.pk)
    offer.venue_address = "The Library, 1 High Street, York"
    offer.save()
    assert staff_services.joining_details_edited(before, offer, now=NOW, actor=None) == 1
    booking.refresh_from_db()
    assert booking.sequence == 1
    deliver_due(clock)
    for address in (BOOKER, PARTNER):
        (received,) = smtp.to(address)
        for event in events(calendar_bytes(received.message), booking.ical_uid).values():
            assert (event.sequence, event.location) == (1, "The Library, 1 High Street, York")


def test_the_admin_offer_edit_view_sends_the_updated_invite(offer, emailable, policy, admin_client):
    # The admin reads the real clock, so this chat is a month from it.
    booking = place(offer, emailable, policy, Format.IN_PERSON, start=next_month(), now=timezone.now())
    response = admin_client.post(
        reverse("offer:edit", args=[offer.pk]),
        {
            "title": offer.title,
            "description": offer.description,
            "duration_minutes": offer.duration_minutes,
            "buffer_before_minutes": 0,
            "buffer_after_minutes": 10,
            "offers_video": "on",
            "offers_phone": "on",
            "offers_in_person": "on",
            "venue_address": "Room 2, Town Hall",
            "venue_access_notes": ACCESS,
            "active": "on",
            "partners": [emailable.pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    booking.refresh_from_db()
    assert booking.sequence == 1
    assert EmailNotification.objects.filter(booking=booking, kind="details_updated").count() == 2


def test_the_admin_refuses_an_in_person_offer_without_an_address(admin_client, emailable):
    response = admin_client.post(
        reverse("offer:add"),
        {
            "title": "Meet in person",
            "duration_minutes": 30,
            "buffer_before_minutes": 0,
            "buffer_after_minutes": 10,
            "offers_in_person": "on",
            "active": "on",
            "partners": [emailable.pk],
        },
    )
    assert response.status_code == 200
    assert "Give the address for in-person chats." in response.content.decode()


# --- Feeds ----------------------------------------------------------------------------------------


def test_feeds_carry_joining_details_only_when_the_partner_opts_in(offer, emailable, policy):
    video = place(offer, emailable, policy, Format.VIDEO)
    window = (NOW.replace(month=1), NOW.replace(year=2027))
    plain = render_feed(emailable.pk, window)
    assert b"meet.example.org" not in plain and b"CONFERENCE" not in plain
    partner_services.set_feed_joining_details(emailable, True)
    shown = render_feed(emailable.pk, window)
    for name, parse in PARSERS.items():
        event = parse(shown).event(video.ical_uid)
        assert event.location == LINK, name
        assert event.conferences[0].value == LINK_AS_URI, name
    partner_services.set_feed_joining_details(emailable, False)
    assert render_feed(emailable.pk, window) == plain


# --- Manage page ------------------------------------------------------------------------------------


def test_the_manage_page_shows_the_link_as_a_link(offer, emailable, policy, client):
    # The manage page reads the real clock (an ended chat shows nothing): a chat a month from it.
    booking = place(offer, emailable, policy, Format.VIDEO, start=next_month(), now=timezone.now())
    page = client.get(reverse("bookings:manage", args=[make_token(booking)])).content.decode()
    escaped = LINK.replace("&", "&amp;")
    assert f'<a href="{escaped}" rel="noopener noreferrer">{escaped}</a>' in page


def test_turning_joining_details_on_or_off_changes_the_feeds_etag(emailable, client):
    token = partner_calendars.create_or_rotate_feed(emailable, now=NOW)
    url = reverse("partner_feed", args=[token])
    before = client.get(url)["ETag"]
    partner_services.set_feed_joining_details(emailable, True)
    shown = client.get(url, HTTP_IF_NONE_MATCH=before)
    assert shown.status_code == 200 and shown["ETag"] != before


def test_the_workspace_feed_setting_saves_the_choice(emailable, client):
    client.force_login(emailable.user)
    assert client.post(reverse("workspace:feed_joining_details"), {"shown": "on"}).status_code == 302
    assert Partner.objects.get(pk=emailable.pk).feed_shows_joining_details is True
    page = client.get(reverse("workspace:calendar")).content.decode()
    assert "Your calendar link shows the video link or address of each chat." in page
    client.post(reverse("workspace:feed_joining_details"), {})
    assert Partner.objects.get(pk=emailable.pk).feed_shows_joining_details is False


def test_staff_editing_a_partners_link_in_the_admin_updates_upcoming_video_chats(
    offer, emailable, policy, admin_client
):
    booking = place(offer, emailable, policy, Format.VIDEO, start=next_month(), now=timezone.now())
    data = {
        "display_name": emailable.display_name,
        "bio": "",
        "email": "",
        "user": emailable.user_id,
        "time_zone": "Europe/London",
        "meeting_link": "https://zoom.example/j/555",
        "active": "on",
        "accepting_bookings": "on",
        "max_chats_per_day": 3,
        "max_chats_per_week": 8,
        "rest_minutes": 15,
        "nation": "ENG",
    }
    response = admin_client.post(reverse("partner:edit", args=[emailable.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    booking.refresh_from_db()
    assert booking.sequence == 1
    assert set(
        EmailNotification.objects.filter(booking=booking, kind="details_updated").values_list(
            "recipient", flat=True
        )
    ) == {"booker", "partner"}


# --- Privacy: export, erasure, purge ------------------------------------------------------------


def test_the_phone_number_and_per_chat_link_are_exported_and_erased(emailable, policy, admin_user):
    offer = OfferFactory(partners=[emailable], requires_acceptance=True, video_link_on_accept=True)
    phone = place(offer, emailable, policy, Format.PHONE, phone=PHONE_E164)
    video = place(offer, emailable, policy, Format.VIDEO, start=CHAT.replace(hour=14))
    own = "https://meet.jit.si/for-sam-only"
    partner_services.act_on_booking(emailable, video.public_id, "accept", now=NOW, meeting_link=own)
    exported = export.collect(BOOKER).sections["bookings"]
    assert {row["booker_phone"] for row in exported} == {PHONE_E164, ""}
    assert own in {row["meeting_link"] for row in exported}
    # Erasure after the chats: nothing left to tell anyone, so the rows are anonymised at once.
    erasure.erase_person(BOOKER, user=admin_user, now=datetime(2026, 7, 1, tzinfo=UTC))
    assert not any(find_everywhere(PHONE_E164, own).values())
    assert Booking.objects.filter(pk__in=[phone.pk, video.pk], anonymised_at__isnull=False).count() == 2


def test_the_retention_purge_blanks_the_phone_number_and_link(emailable, policy):
    phone = place(offer_for(emailable), emailable, policy, Format.PHONE, phone=PHONE_E164)
    Booking.objects.filter(pk=phone.pk).update(meeting_link="https://meet.example.org/old")
    purge.purge(now=datetime(2028, 1, 1, tzinfo=UTC))
    phone.refresh_from_db()
    assert phone.anonymised_at is not None
    assert (str(phone.booker_phone), phone.meeting_link) == ("", "")


def offer_for(partner):
    return OfferFactory(partners=[partner], offers_phone=True)
