"""CalDAV push against real servers on loopback (docs/caldav.md): Radicale and Xandikos started
from PyPI for the session (the `dav_servers` fixture, tests/conftest.py), and a fault server for
401, 412, 500 and a hang."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from caldav import DAVClient
from caldav.lib.error import NotFoundError
from django.db import connection as db_connection
from icalendar import Calendar

from bookings import partner_caldav, services
from bookings.calendars.caldav_secrets import encrypt_password
from bookings.errors import InvalidInput
from bookings.models import (
    Booking,
    BookingStatus,
    CalDAVConnection,
    CalDAVEvent,
    CalDAVPush,
    CalDAVState,
    EmailNotification,
)
from bookings.outbox import caldav, notifications
from bookings.outbox.deliverer import WAITING
from bookings.outbox.emails import context
from tests.support.caldav_servers import PASSWORD, USER, FaultServer

from .factories import BookingFactory, OfferFactory, PartnerFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 10, 1, 9, tzinfo=UTC)
# Friday before and Monday after the UK clocks go back (25 October 2026), 10:00 London.
BEFORE = datetime(2026, 10, 23, 9, tzinfo=UTC)  # 10:00 BST
AFTER = datetime(2026, 10, 26, 10, tzinfo=UTC)  # 10:00 GMT


@pytest.fixture(params=["radicale", "xandikos"])
def dav(request, dav_servers):
    server = dav_servers[request.param]
    with DAVClient(url=server.url, username=USER, password=PASSWORD, timeout=10) as client:
        principal = client.principal()
        if not principal.calendars():
            principal.make_calendar(name="Chats")
    return server


def run_pushes(fallbacks=None) -> list[str]:
    """What the worker does: every waiting push, in order."""
    outcomes = []
    for pk in CalDAVPush.objects.filter(status__in=WAITING).order_by("pk").values_list("pk", flat=True):
        outcomes.append(
            caldav.push(
                pk,
                now=NOW,
                schedule=lambda *a: None,
                fallback=lambda pid, now: (fallbacks if fallbacks is not None else []).append(pid),
            )
        )
    return outcomes


def server_events(server, uid: str) -> list:
    found = []
    with DAVClient(url=server.url, username=USER, password=PASSWORD, timeout=10) as client:
        for cal in client.principal().calendars():
            for obj in cal.get_objects() if hasattr(cal, "get_objects") else cal.objects():
                try:
                    obj.load()
                except NotFoundError:  # listed a moment ago, gone now: not there
                    continue
                parsed = Calendar.from_ical(obj.data)
                found += [e for e in parsed.walk("VEVENT") if str(e["UID"]) == uid]
    return found


def connected_partner(url: str, *, calendar_url: str = "", state=CalDAVState.ACTIVE):
    partner = PartnerFactory(email="alex.partner@example.org")
    CalDAVConnection.objects.create(
        partner=partner,
        server_url=url,
        username=USER,
        password_encrypted=encrypt_password(PASSWORD),
        calendar_url=calendar_url or url,
        state=state,
        created_at=NOW - timedelta(days=1),
    )
    return partner


def test_book_accept_move_across_the_clock_change_and_cancel(dav):
    partner = PartnerFactory(email="alex.partner@example.org")
    calendars = partner_caldav.connect_caldav(partner, dav.url, USER, PASSWORD, now=NOW)
    assert calendars
    partner_caldav.choose_caldav_calendar(partner, calendars[0][0], now=NOW)
    offer = OfferFactory(partners=[partner])

    booking = BookingFactory(partner=partner, offer=offer, start=BEFORE, status=BookingStatus.PENDING)
    notifications.booking_changed(booking, "placed", now=NOW)
    assert run_pushes() == ["sent"]
    (event,) = server_events(dav, booking.ical_uid)
    assert str(event["STATUS"]) == "TENTATIVE" and event.decoded("DTSTART") == BEFORE
    assert "ORGANIZER" not in event and "ATTENDEE" not in event

    services.confirm(booking, now=NOW)
    assert run_pushes() == ["sent"]
    # The partner's emails about it carry no invite: the chat is in their CalDAV calendar.
    partner_email = EmailNotification.objects.get(booking=booking, recipient="partner", kind="confirmed")
    assert context(partner_email)["in_feed"] is True and context(partner_email)["has_invite"] is False
    (event,) = server_events(dav, booking.ical_uid)
    assert str(event["STATUS"]) == "CONFIRMED"
    first_etag = CalDAVEvent.objects.get(booking=booking).etag
    assert first_etag

    # Moved across the clock change (what services.reschedule does to the row, then its seam).
    booking.refresh_from_db()
    booking.set_times(AFTER, offer)
    booking.sequence += 1
    booking.save()
    notifications.booking_changed(booking, "rescheduled", now=NOW)
    assert run_pushes() == ["sent"]
    (event,) = server_events(dav, booking.ical_uid)
    assert event.decoded("DTSTART") == AFTER and int(event["SEQUENCE"]) == booking.sequence
    assert CalDAVEvent.objects.get(booking=booking).etag != first_etag
    if dav.name == "radicale":
        on_disk = [b for b in dav.stored_ics() if booking.ical_uid.encode() in b]
        assert len(on_disk) == 1 and b"DTSTART:20261026T100000Z" in on_disk[0]

    services.cancel(booking, now=NOW, actor_label="booker")
    assert run_pushes() == ["sent"]
    assert server_events(dav, booking.ical_uid) == []
    assert not CalDAVEvent.objects.filter(booking=booking).exists()
    if dav.name == "radicale":
        assert not [b for b in dav.stored_ics() if booking.ical_uid.encode() in b]


def test_choosing_a_calendar_writes_every_upcoming_chat(dav):
    partner = PartnerFactory(email="alex.partner@example.org")
    offer = OfferFactory(partners=[partner])
    chats = [
        BookingFactory(
            partner=partner, offer=offer, start=NOW + timedelta(days=d), status=BookingStatus.CONFIRMED
        )
        for d in (2, 3, 4)
    ]
    calendars = partner_caldav.connect_caldav(partner, dav.url, USER, PASSWORD, now=NOW)
    assert partner_caldav.choose_caldav_calendar(partner, calendars[0][0], now=NOW) == 3
    assert run_pushes() == ["sent"] * 3
    for chat in chats:
        assert len(server_events(dav, chat.ical_uid)) == 1


def test_wrong_password_is_refused_in_plain_words(dav_servers):
    partner = PartnerFactory()
    radicale = dav_servers["radicale"]  # Xandikos has no accounts: any password goes
    with pytest.raises(InvalidInput) as caught:
        partner_caldav.connect_caldav(partner, radicale.url, USER, "wrong", now=NOW)
    assert "did not accept" in caught.value.message
    assert not CalDAVConnection.objects.exists()


# --- faults ------------------------------------------------------------------------------------


@pytest.fixture
def fault():
    servers = []

    def make(status):
        server = FaultServer(status)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()


def queued_put(partner):
    booking = BookingFactory(
        partner=partner, offer=OfferFactory(partners=[partner]), start=BEFORE, status=BookingStatus.CONFIRMED
    )
    notifications.booking_changed(booking, "confirmed", now=NOW)
    return booking, CalDAVPush.objects.get(booking=booking)


def test_401_marks_the_connection_failed_and_falls_back_to_email(fault):
    server = fault(401)
    partner = connected_partner(server.url)
    booking, row = queued_put(partner)
    fallbacks = []
    assert run_pushes(fallbacks) == ["failed"]
    connection = CalDAVConnection.objects.get(partner=partner)
    assert connection.state == CalDAVState.FAILED and "email invites" in connection.error_message
    assert fallbacks == [partner.pk]
    row.refresh_from_db()
    assert row.status == "failed" and row.last_error == "refused credentials"
    # From now on the partner's emails carry the invite again.
    partner_email = EmailNotification.objects.get(booking=booking, recipient="partner", kind="confirmed")
    assert context(partner_email)["has_invite"] is True


def test_500_is_retried_with_back_off(fault, settings):
    server = fault(500)
    partner = connected_partner(server.url)
    _booking, row = queued_put(partner)
    assert run_pushes() == ["retrying"]
    row.refresh_from_db()
    assert row.status == "retrying" and row.last_error == "HTTP 500"
    assert row.send_after == NOW + timedelta(seconds=settings.EMAIL_RETRY_BASE_SECONDS)
    assert CalDAVConnection.objects.get(partner=partner).state == CalDAVState.ACTIVE


def test_out_of_attempts_falls_back_to_email(fault, settings):
    settings.CALDAV_MAX_ATTEMPTS = 1
    server = fault(500)
    partner = connected_partner(server.url)
    queued_put(partner)
    fallbacks = []
    assert run_pushes(fallbacks) == ["failed"]
    assert fallbacks == [partner.pk]


def test_a_hang_times_out_at_the_setting_and_is_retried(fault, settings):
    settings.CALDAV_TIMEOUT = 0.5
    server = fault(None)
    partner = connected_partner(server.url)
    _booking, row = queued_put(partner)
    assert run_pushes() == ["retrying"]
    row.refresh_from_db()
    assert row.status == "retrying" and row.last_error


def test_412_on_a_stale_etag_refetches_and_retries(fault):
    server = fault(412)
    partner = connected_partner(server.url)
    booking, _row = queued_put(partner)
    CalDAVEvent.objects.create(booking=booking, href=server.url + "x.ics", etag='"stale"')
    run_pushes()
    methods = [(m, h.get("If-Match")) for m, h in server.requests]
    assert methods[0] == ("PUT", '"stale"')
    assert ("GET", None) in methods  # refetched the current ETag
    assert methods[-1] == ("PUT", '"fault"')  # and wrote over it once


def test_412_recreates_an_event_deleted_on_the_server(dav):
    partner = PartnerFactory(email="alex.partner@example.org")
    calendars = partner_caldav.connect_caldav(partner, dav.url, USER, PASSWORD, now=NOW)
    partner_caldav.choose_caldav_calendar(partner, calendars[0][0], now=NOW)
    booking, _row = queued_put(partner)
    assert run_pushes() == ["sent"]
    known = CalDAVEvent.objects.get(booking=booking)
    with DAVClient(url=dav.url, username=USER, password=PASSWORD, timeout=10) as client:
        client.delete(known.href)  # the partner deleted it in their app
    booking.refresh_from_db()
    booking.set_times(AFTER, booking.offer)
    booking.sequence += 1
    booking.save()
    notifications.booking_changed(booking, "rescheduled", now=NOW)
    outcomes = run_pushes()
    assert outcomes == ["sent"], CalDAVPush.objects.filter(booking=booking).values_list("last_error")
    assert len(server_events(dav, booking.ical_uid)) == 1


# --- the password never leaks --------------------------------------------------------------------


def test_the_password_is_nowhere_in_the_database_tasks_or_logs(dav, caplog, client):
    caplog.set_level(logging.DEBUG)
    partner = PartnerFactory(email="alex.partner@example.org")
    calendars = partner_caldav.connect_caldav(partner, dav.url, USER, PASSWORD, now=NOW)
    partner_caldav.choose_caldav_calendar(partner, calendars[0][0], now=NOW)
    booking, _ = queued_put(partner)
    run_pushes()
    services.cancel(Booking.objects.get(pk=booking.pk), now=NOW)
    run_pushes()
    CalDAVConnection.objects.filter(partner=partner).update(calendar_url="http://127.0.0.1:9/")
    queued_put(partner)
    run_pushes()  # a failing server: errors are stored and logged

    found = []
    with db_connection.cursor() as cursor:
        for table in db_connection.introspection.table_names():
            columns = [c.name for c in db_connection.introspection.get_table_description(cursor, table)]
            quoted = ", ".join(db_connection.ops.quote_name(c) for c in columns)
            cursor.execute(f"SELECT {quoted} FROM {db_connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                found += [table for value in row if PASSWORD in str(value)]
    assert found == []
    assert PASSWORD not in caplog.text
    assert CalDAVConnection.objects.get(partner=partner).password_encrypted != PASSWORD
