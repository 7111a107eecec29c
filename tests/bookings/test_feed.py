"""The partner's calendar feed: what it carries, who can read it, and what it costs.

Times are relative to the real clock because the view reads it (it is the edge); nothing here
depends on how long anything takes.
"""

import logging
from datetime import UTC, datetime, time, timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone
from django.utils.http import parse_http_date

from bookings import partner_calendars, services
from bookings.calendars.feeds import booking_in_partner_feed
from bookings.models import Booking, BookingStatus, EmailNotification, Format, PartnerFeed, hash_token
from bookings.outbox.delivery import deliver
from bookings.workspace.feed import feed_url
from tests.support.ical_parsers import PARSERS
from tests.support.workspace_people import partner_with_login

from .factories import BookingFactory, OfferFactory, PartnerFactory

pytestmark = pytest.mark.django_db

SECRET_TEXTS = ("Robin Booker", "robin.booker@", "Northshire Trust", "Head of Nursing", "ZEBRA-NOTES", "ramp")


@pytest.fixture(params=list(PARSERS))
def parse(request):
    return PARSERS[request.param]


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def partner():
    return PartnerFactory()


@pytest.fixture
def offer(partner):
    return OfferFactory(partners=[partner], title="Thinking-partner chat")


@pytest.fixture
def token(partner, now):
    return partner_calendars.create_or_rotate_feed(partner, now=now)


def url(token):
    return f"/partners/feed/{token}.ics"


def book(partner, offer, start, **kwargs):
    kwargs.setdefault("booker_name", "Robin Booker")
    kwargs.setdefault("booker_email", "robin.booker@northshire.example")
    return BookingFactory(
        partner=partner,
        offer=offer,
        start=start.replace(microsecond=0),
        organisation="Northshire Trust",
        role="Head of Nursing",
        project_description="ZEBRA-NOTES about the project",
        access_needs="Step-free access, ramp",
        **kwargs,
    )


def test_feed_reads_back_in_three_parsers(client, partner, offer, token, now, parse):
    confirmed = book(partner, offer, now + timedelta(days=3), format=Format.PHONE)
    pending = book(partner, offer, now + timedelta(days=4), status=BookingStatus.PENDING)
    Booking.objects.filter(pk=confirmed.pk).update(sequence=2)
    confirmed.refresh_from_db()

    response = client.get(url(token))
    assert response.status_code == 200
    body = response.content
    assert body.startswith(b"BEGIN:VCALENDAR\r\n")
    for line in (b"REFRESH-INTERVAL;VALUE=DURATION:PT1H", b"X-PUBLISHED-TTL:PT1H", b"VERSION:2.0"):
        assert body.split(b"\r\n").count(line) == 1
    parsed = parse(body)
    assert parsed.method is None
    assert parsed.property_names.count("PRODID") == 1
    assert {"NAME", "X-WR-CALNAME"} <= set(parsed.property_names)
    events = {e.uid: e for e in parsed.events}
    assert set(events) == {confirmed.ical_uid, pending.ical_uid}
    first = events[confirmed.ical_uid]
    assert (first.start, first.end, first.sequence) == (confirmed.start, confirmed.end, 2)
    assert (first.status, first.summary) == ("CONFIRMED", "Thinking-partner chat (phone call)")
    second = events[pending.ical_uid]
    assert (second.status, second.summary) == ("TENTATIVE", "Request: Thinking-partner chat (video call)")
    assert all(e.organizer is None and e.attendees == [] for e in parsed.events)


def test_window_statuses_and_nothing_personal(client, partner, offer, token, now):
    inside = [
        book(partner, offer, now - timedelta(days=20), status=BookingStatus.COMPLETED),
        book(partner, offer, now - timedelta(days=10), status=BookingStatus.NO_SHOW),
        book(partner, offer, now + timedelta(days=2)),
        book(partner, offer, now + timedelta(days=330)),
    ]
    outside = [
        book(partner, offer, now - timedelta(days=40)),
        book(partner, offer, now + timedelta(days=400)),
        book(partner, offer, now + timedelta(days=5), status=BookingStatus.CANCELLED),
        book(partner, offer, now + timedelta(days=6), status=BookingStatus.DECLINED),
        book(PartnerFactory(), offer, now + timedelta(days=7)),  # someone else's chat
    ]
    body = client.get(url(token)).content
    text = body.decode()
    assert all(b.ical_uid in text for b in inside)
    assert not any(b.ical_uid in text for b in outside)
    assert text.count("BEGIN:VEVENT") == len(inside)
    for secret in SECRET_TEXTS:
        assert secret.lower() not in text.lower()
    assert "mailto:" not in text and "ORGANIZER" not in text and "ATTENDEE" not in text


def test_headers_and_no_compression(client, partner, offer, token, now):
    book(partner, offer, now + timedelta(days=1))
    response = client.get(url(token), headers={"accept-encoding": "gzip, deflate, br"})
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private, max-age=0"
    assert response["ETag"].startswith('"') and response["Last-Modified"].endswith("GMT")
    assert "Content-Encoding" not in response
    assert response.content.startswith(b"BEGIN:VCALENDAR")


def test_head_is_answered_and_other_methods_refused(client, token):
    assert client.head(url(token)).status_code == 200
    assert client.post(url(token)).status_code == 405


@pytest.mark.parametrize("header", ["if-none-match", "if-modified-since"])
def test_unchanged_feed_answers_304_in_two_queries(
    client, partner, offer, token, now, header, django_assert_max_num_queries
):
    for days in range(1, 30):
        book(partner, offer, now + timedelta(days=days))
    first = client.get(url(token))
    value = first["ETag"] if header == "if-none-match" else first["Last-Modified"]
    with django_assert_max_num_queries(2):
        again = client.get(url(token), headers={header: value})
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]
    # A weak form of the same tag matches too (If-None-Match uses weak comparison).
    assert client.get(url(token), headers={"if-none-match": "W/" + first["ETag"]}).status_code == 304


def test_etag_changes_with_every_booking_change(client, partner, offer, token, now):
    booking = book(partner, offer, now + timedelta(days=3))
    tags = [client.get(url(token))["ETag"]]
    other = book(partner, offer, now + timedelta(days=4))
    tags.append(client.get(url(token))["ETag"])
    services.cancel(other, now=now)
    tags.append(client.get(url(token))["ETag"])
    Booking.objects.filter(pk=booking.pk).update(
        start=booking.start + timedelta(hours=1),
        end=booking.end + timedelta(hours=1),
        blocked_start=booking.blocked_start + timedelta(hours=1),
        blocked_end=booking.blocked_end + timedelta(hours=1),
        sequence=1,
        updated_at=timezone.now(),
    )
    response = client.get(url(token), headers={"if-none-match": tags[-1]})
    assert response.status_code == 200
    tags.append(response["ETag"])
    assert other.ical_uid not in response.content.decode()
    # A deleted row moves no updated_at; the count in the ETag still catches it.
    Booking.objects.filter(pk=other.pk).delete()
    tags.append(client.get(url(token))["ETag"])
    assert len(set(tags)) == 5


def test_rotation_kills_the_old_address_at_once(client, partner, token, now):
    assert client.get(url(token)).status_code == 200
    new = partner_calendars.create_or_rotate_feed(partner, now=now)
    assert new != token
    assert client.get(url(token)).status_code == 404
    assert client.get(url(new)).status_code == 200
    assert PartnerFeed.objects.filter(partner=partner).count() == 1


def test_only_a_hash_of_the_token_is_stored(partner, token):
    feed = PartnerFeed.objects.get(partner=partner)
    assert feed.token_hash == hash_token(token) and token not in feed.token_hash
    assert len(token) >= 22  # at least 128 bits of base64url


def test_every_miss_gives_the_same_404(client, partner, token):
    other = PartnerFactory()
    other_token = partner_calendars.create_or_rotate_feed(other, now=timezone.now())
    other.active = False
    other.save()
    misses = [client.get(url("x" * 32)), client.get(url(other_token)), client.get(url("a" * 500))]
    partner_calendars.disable_feed(partner, now=timezone.now())
    misses.append(client.get(url(token)))
    assert {r.status_code for r in misses} == {404}
    assert len({(r.content, r["Content-Type"]) for r in misses}) == 1


def test_token_never_reaches_a_log(client, partner, offer, token, now, caplog):
    book(partner, offer, now + timedelta(days=1))
    old = token
    caplog.set_level(logging.DEBUG)
    client.get(url(old))
    client.get(
        url(old), headers={"if-match": '"nope"', "if-unmodified-since": "Thu, 01 Jan 1970 00:00:00 GMT"}
    )
    client.post(url(old))
    new = partner_calendars.create_or_rotate_feed(partner, now=now)
    client.get(url(old))  # now unknown: a 404
    client.get(url(new))
    logged = "\n".join(f"{r.getMessage()} {r.args}" for r in caplog.records)
    assert old not in logged and new not in logged
    assert not [r for r in caplog.records if r.name == "django.request"]


def test_feed_url_helper():
    request = RequestFactory().get("/partners/")
    assert feed_url(request, "abc") == "http://testserver/partners/feed/abc.ics"
    assert (
        feed_url("https://example.org/", "abc", webcal=True) == "webcal://example.org/partners/feed/abc.ics"
    )


# --- Channels: every chat reaches the partner's calendar, twice only where they were told -------


def test_a_partner_who_turns_on_the_feed_with_3_upcoming_chats_sees_3_events(client, partner, offer, now):
    chats = [book(partner, offer, now + timedelta(days=d)) for d in (2, 3, 4)]
    Booking.objects.filter(pk__in=[c.pk for c in chats]).update(created_at=now - timedelta(days=1))
    token = partner_calendars.create_or_rotate_feed(partner, now=now)
    body = client.get(url(token)).content
    events = PARSERS["icalendar"](body).events
    assert len(events) == 3
    assert {e.uid for e in events} == {c.ical_uid for c in chats}


def test_chats_booked_before_the_feed_keep_invites_and_appear_in_it_too(client, partner, offer, now):
    """Was test_chats_booked_before_the_feed_keep_invites_and_stay_out_of_it (the old policy left
    them out of the feed, which is the silent gap the issue found)."""
    before = book(partner, offer, now + timedelta(days=2))
    Booking.objects.filter(pk=before.pk).update(created_at=now - timedelta(hours=1))
    before.refresh_from_db()
    assert not booking_in_partner_feed(before)

    token = partner_calendars.create_or_rotate_feed(partner, now=now)
    after = book(partner, offer, now + timedelta(days=3))
    assert not booking_in_partner_feed(before)  # invited already: its invites keep it up to date
    assert booking_in_partner_feed(after)  # feed only: its emails carry no invite
    text = client.get(url(token)).content.decode()
    assert after.ical_uid in text and before.ical_uid in text

    # Rotating the address changes nothing about which chats the feed carries.
    token = partner_calendars.create_or_rotate_feed(partner, now=now)
    assert booking_in_partner_feed(after) and not booking_in_partner_feed(before)
    text = client.get(url(token)).content.decode()
    assert after.ical_uid in text and before.ical_uid in text


def test_turning_the_feed_off_sends_an_invite_for_every_upcoming_chat(partner, offer, now, mailoutbox):
    partner.email = "alex.partner@example.org"
    partner.save()
    partner_calendars.create_or_rotate_feed(partner, now=now)
    upcoming = [book(partner, offer, now + timedelta(days=d), status=BookingStatus.CONFIRMED) for d in (1, 2)]
    book(partner, offer, now - timedelta(days=2), status=BookingStatus.COMPLETED)
    book(partner, offer, now + timedelta(days=3), status=BookingStatus.CANCELLED)
    partner_calendars.disable_feed(partner, now=now)
    copies = EmailNotification.objects.filter(kind="calendar_copy")
    assert sorted(c.booking_id for c in copies) == sorted(b.pk for b in upcoming)
    for copy in copies:
        outcome = deliver(copy.pk, now=now, schedule=lambda *a: None)
        copy.refresh_from_db()
        assert outcome == "sent", copy.last_error
    assert len(mailoutbox) == 2
    for message in mailoutbox:
        (calendar,) = [a for a in message.attachments if a[0] == "invite.ics"]
        assert b"METHOD:REQUEST" in calendar[1]
    # Off, on, off again: a fresh copy each time (the partner may have deleted the first).
    partner_calendars.create_or_rotate_feed(partner, now=now)
    partner_calendars.disable_feed(partner, now=now)
    assert EmailNotification.objects.filter(kind="calendar_copy", status="queued").count() == 2


def test_the_partner_is_told_once_about_chats_already_sent_as_invites(client, offer, now):
    partner = partner_with_login("told", "Toldo Partner")
    offer.partners.add(partner)
    invited = book(partner, offer, now + timedelta(days=2))
    Booking.objects.filter(pk=invited.pk).update(created_at=now - timedelta(days=1))
    client.force_login(partner.user)
    first = client.post("/partners/calendar/link/").content.decode()
    assert "1 upcoming chat was already sent to you as email invites" in first
    assert "delete the copies that came from the email invites" in first
    assert "keep the invites only" in first
    again = client.post("/partners/calendar/link/").content.decode()
    assert "already sent to you as email invites" not in again


def test_last_modified_never_predates_today_as_the_window_moves_daily(client, partner, offer, token, now):
    long_ago = now - timedelta(days=10)
    PartnerFeed.objects.filter(partner=partner).update(created_at=long_ago, rotated_at=None)
    booking = book(partner, offer, now + timedelta(days=1))
    Booking.objects.filter(pk=booking.pk).update(created_at=long_ago, updated_at=long_ago)
    response = client.get(url(token))
    assert booking.ical_uid in response.content.decode()
    last_modified = parse_http_date(response["Last-Modified"])
    start_of_today = datetime.combine(now.astimezone(UTC).date(), time(), UTC)
    assert last_modified == start_of_today.timestamp()
