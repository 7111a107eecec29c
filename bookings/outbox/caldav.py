"""Writing chats into partners' CalDAV calendars, through the outbox (docs/caldav.md).

A booking change queues a CalDAVPush row and a task carrying its id only, in the change's own
transaction (`queue_push`, called by `notifications.booking_changed`). The worker (`push`) claims
the row, then talks to the server outside any transaction, with the `caldav` library:

* request / accept / move: PUT the chat's stored VEVENT (the same bytes the feed carries, no
  ORGANIZER or ATTENDEE) at ``<calendar>/<uid>.ics``; a first write sends ``If-None-Match: *``,
  an update ``If-Match`` with the stored ETag;
* cancel / decline: DELETE it (404 or 410 means it is gone already);
* 412 (the ETag is stale: the partner's app changed the event): GET the current ETag and retry
  once, or recreate it if it has gone;
* 401 / 403: the connection is marked failed, the partner (workspace) and staff (the admin's
  outbox view) see it, and every upcoming chat goes to the partner as an emailed invite instead;
* 5xx, timeouts (CALDAV_TIMEOUT), refused connections: retried with the email outbox's back-off;
  after CALDAV_MAX_ATTEMPTS the row is failed and the chats go by email, as for 401.

Nothing personal is stored about failures: last_error is an HTTP status or an exception class.
The password is decrypted for the request only and never logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from urllib.parse import quote

from caldav import DAVClient
from caldav.lib.error import AuthorizationError, DAVError
from django.conf import settings

from bookings.calendars.caldav_secrets import decrypt_password
from bookings.calendars.feeds import stored_vevent
from bookings.calendars.ical import calendar_object
from bookings.models import (
    Booking,
    BookingStatus,
    CalDAVConnection,
    CalDAVEvent,
    CalDAVPush,
    CalDAVState,
)
from bookings.outbox.deliverer import Failed, Outbox, Retry, Schedule

logger = logging.getLogger(__name__)

GONE = (BookingStatus.CANCELLED, BookingStatus.DECLINED)
# fallback(partner_id, now): queue emailed invites for the partner's upcoming chats.
Fallback = Callable[..., object]


class Temporary(Exception):
    """The server may well answer next time: retry with back-off."""


class Refused(Exception):
    """The server refused our credentials: the connection needs the partner."""


def version_of(booking: Booking) -> str:
    return f"{booking.sequence}:{booking.status}"


def active_connection(partner_id: int) -> CalDAVConnection | None:
    return CalDAVConnection.objects.filter(
        partner_id=partner_id, state=CalDAVState.ACTIVE, calendar_url__gt=""
    ).first()


def partner_uses_caldav(partner_id: int) -> bool:
    return active_connection(partner_id) is not None


def booking_in_partner_caldav(booking: Booking) -> bool:
    """True if this chat reaches its partner through their CalDAV calendar only, so their emails
    about it carry no invite: the calendar works and was connected before the chat was booked
    (older chats keep their invites, whose copies must stay up to date; docs/caldav.md)."""
    return CalDAVConnection.objects.filter(
        partner_id=booking.partner_id,
        state=CalDAVState.ACTIVE,
        calendar_url__gt="",
        created_at__lte=booking.created_at,
    ).exists()


def queue_upcoming(partner_id: int, *, now: datetime, schedule: Schedule) -> int:
    """Write every upcoming chat to a newly chosen calendar (no silent gaps); returns how many."""
    count = 0
    upcoming = Booking.objects.filter(
        partner_id=partner_id, status__in=[BookingStatus.PENDING, BookingStatus.CONFIRMED], end__gt=now
    )
    for booking in upcoming:
        count += queue_push(booking, now=now, schedule=schedule) is not None
    return count


def queue_push(booking: Booking, *, now: datetime, schedule: Schedule) -> CalDAVPush | None:
    """Queue the write this version of the booking needs, if the partner has a working CalDAV
    calendar. One row per (booking, version, action); ids only in the task."""
    if not partner_uses_caldav(booking.partner_id):
        return None
    action = CalDAVPush.DELETE if booking.status in GONE else CalDAVPush.PUT
    row, new = CalDAVPush.objects.get_or_create(
        booking=booking, version=version_of(booking), action=action, defaults={"send_after": now}
    )
    if new:
        schedule(row.pk, None)
    return row


class CalDAVPushes(Outbox):
    """The shared outbox cycle (bookings/outbox/deliverer.py) for CalDAVPush rows. A push is written
    whenever its task runs, has no claim or sent time, and giving up (refused credentials, or out
    of CALDAV_MAX_ATTEMPTS) fails the connection and sends the partner's chats by email."""

    model = CalDAVPush
    max_attempts_setting = "CALDAV_MAX_ATTEMPTS"
    waits_until_due = False
    records_times = False

    def __init__(self, fallback: Fallback):
        self.fallback = fallback

    def check(self, row, now):
        booking = Booking.objects.select_related("offer").get(pk=row.booking_id)
        connection = active_connection(booking.partner_id)
        if connection is None:
            return "no working CalDAV calendar", None
        if version_of(booking) != row.version:
            return "booking changed since", None
        return "", (booking, connection)

    def send(self, row, context, *, now):
        booking, connection = context
        try:
            with DAVClient(
                url=connection.calendar_url,
                username=connection.username,
                password=decrypt_password(connection.password_encrypted),
                timeout=settings.CALDAV_TIMEOUT,
            ) as client:
                if row.action == CalDAVPush.PUT:
                    _put(client, connection, booking)
                else:
                    _delete(client, booking)
        except (Refused, ValueError) as exc:
            raise Failed(
                "refused credentials" if isinstance(exc, Refused) else "password key changed"
            ) from None
        except Temporary as exc:
            raise Retry(str(exc)) from None
        except (OSError, DAVError) as exc:  # refused, reset, timed out (niquests' errors are OSErrors)
            raise Retry(type(exc).__name__) from None

    def out_of_attempts(self, label: str, attempts: int) -> str:
        return f"{label}, out of attempts"

    def given_up(self, row, context, label: str, *, now: datetime) -> None:
        """Mark the connection failed; the partner's chats go by email from now on."""
        _, connection = context
        CalDAVConnection.objects.filter(pk=connection.pk).update(
            state=CalDAVState.FAILED,
            failed_at=now,
            error_message=(
                "Your calendar server refused the user name or app password."
                if "refused" in label
                else "We could not reach your calendar server for a long time."
            )
            + " Until you connect it again, your chats come to you as email invites.",
        )
        self.fallback(connection.partner_id, now=now)
        logger.warning("CalDAV push %s failed: %s (chats go by email)", row.pk, label)

    def will_retry(self, row, context, label: str) -> None:
        logger.warning("CalDAV push %s will retry: %s", row.pk, label)


def push(push_id: int, *, now: datetime, schedule: Schedule, fallback: Fallback) -> str:
    """Carry out one CalDAVPush row. Returns a status word; never raises for server trouble."""
    return CalDAVPushes(fallback).deliver(push_id, now=now, schedule=schedule)


def _href(connection: CalDAVConnection, booking: Booking) -> str:
    return connection.calendar_url.rstrip("/") + "/" + quote(booking.ical_uid, safe="@.-_") + ".ics"


def _check(response, *, ok=(200, 201, 204)) -> None:
    if response.status in ok:
        return
    if response.status in (401, 403):
        raise Refused()
    raise Temporary(f"HTTP {response.status}")


def _put(client: DAVClient, connection: CalDAVConnection, booking: Booking) -> None:
    body = calendar_object(stored_vevent(booking)).decode("utf-8")
    known = CalDAVEvent.objects.filter(booking=booking).first()
    href = known.href if known else _href(connection, booking)
    headers = {"Content-Type": "text/calendar; charset=utf-8"}
    # If-Match on the ETag we stored; If-None-Match: * when we have never written it.
    conditional = {"If-Match": known.etag} if known and known.etag else {"If-None-Match": "*"}
    try:
        response = client.put(href, body, {**headers, **conditional})
        if response.status in (404, 412):
            # Changed (or created) on the server since: take its current ETag and write ours over
            # it once; if it has gone (some servers answer a stale If-Match on a deleted object
            # with 404), create it again.
            current = client.request(href, "GET")
            etag = current.headers.get("ETag", "") if current.status == 200 else ""
            retry = {"If-Match": etag} if etag else {"If-None-Match": "*"}
            response = client.put(href, body, {**headers, **retry})
    except AuthorizationError:
        raise Refused() from None
    _check(response)
    etag = response.headers.get("ETag", "")
    if not etag:  # some servers send no ETag on PUT: ask for it
        head = client.request(href, "GET")
        etag = head.headers.get("ETag", "") if head.status == 200 else ""
    CalDAVEvent.objects.update_or_create(booking=booking, defaults={"href": href, "etag": etag})


def _delete(client: DAVClient, booking: Booking) -> None:
    known = CalDAVEvent.objects.filter(booking=booking).first()
    if known is None:
        return  # never written there: nothing to remove
    try:
        response = client.delete(known.href)
    except AuthorizationError:
        raise Refused() from None
    _check(response, ok=(200, 204, 404, 410))
    known.delete()
