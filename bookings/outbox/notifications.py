"""The one seam through which booking changes reach the outside world: the email outbox.

The services call `booking_changed` inside their transaction. It writes EmailNotification rows
and queues one delivery task per row in that same transaction, so the emails exist exactly when
the change does: a rollback leaves neither booking nor email nor task (docs/reliability.md, promise 4).
Nothing is sent here; the worker does that (bookings/outbox/delivery.py).
"""

from datetime import datetime, timedelta

from django.conf import settings

from bookings.models import Booking, BookingStatus, EmailNotification, NotificationStatus, Recipient
from bookings.outbox.tasks import schedule_delivery

BOTH = (Recipient.BOOKER, Recipient.PARTNER)


def messages_for(booking: Booking, event: str) -> list[tuple[str, str]]:
    """(kind, recipient) pairs that tell people about `event` on `booking`."""
    pending = booking.status == BookingStatus.PENDING
    if event == "placed" or (event == "rescheduled" and pending):
        if pending:
            return [("request_sent", Recipient.BOOKER), ("request_to_accept", Recipient.PARTNER)]
        return [("confirmed", r) for r in BOTH]
    if event == "confirmed":
        return [("confirmed", r) for r in BOTH]
    if event == "rescheduled":
        return [("rescheduled", r) for r in BOTH]
    if event == "declined":
        return [("declined", Recipient.BOOKER)]
    if event == "cancelled":
        return [("cancelled", r) for r in BOTH]
    return []  # completed, no_show: nothing to tell anyone


def reminder_time(booking: Booking, now: datetime) -> datetime | None:
    """When to remind people of a confirmed chat, or None if there is no time for a reminder."""
    hours = settings.REMINDER_BEFORE_HOURS
    if booking.status != BookingStatus.CONFIRMED or hours <= 0:
        return None
    at = booking.start - timedelta(hours=hours)
    return at if at > now else None


def booking_changed(booking: Booking, event: str, *, now: datetime) -> list[EmailNotification]:
    """Queue the emails for `event`; called by every service inside the same transaction.

    `event` is one of: "placed", "confirmed", "declined", "cancelled", "rescheduled",
    "completed", "no_show". Invariant: at most one row per (booking, kind, recipient, sequence),
    each with exactly one delivery task queued alongside it; task arguments are row ids only.
    A confirmed chat also gets one reminder per recipient for its current version; reminders for
    older versions are dropped at send time because the sequence no longer matches.
    """
    wanted = [(kind, recipient, now) for kind, recipient in messages_for(booking, event)]
    if event in {"placed", "confirmed", "rescheduled"} and (at := reminder_time(booking, now)):
        wanted += [("reminder", recipient, at) for recipient in BOTH]
    created = []
    for kind, recipient, send_after in wanted:
        notification, is_new = EmailNotification.objects.get_or_create(
            booking=booking,
            kind=kind,
            recipient=recipient,
            sequence=booking.sequence,
            defaults={"send_after": send_after},
        )
        if is_new:
            schedule_delivery(notification.pk, send_after if send_after > now else None)
            created.append(notification)
    return created


def partner_reinvited(partner_id: int, *, now: datetime) -> list[EmailNotification]:
    """Queue a calendar invite to the partner for every upcoming confirmed chat, in the caller's
    transaction: called when the partner turns a calendar channel off, so every chat is still in
    their own calendar (docs/feeds.md, "Channels"). One row per (booking, version); an earlier
    copy already sent or given up is replaced by a fresh row (a new Message-ID, so mail clients
    do not drop it as a repeat), one still waiting is left to go."""
    created = []
    upcoming = Booking.objects.filter(partner_id=partner_id, status=BookingStatus.CONFIRMED, start__gt=now)
    for booking in upcoming.only("pk", "sequence"):
        key = {"booking": booking, "kind": "calendar_copy", "recipient": Recipient.PARTNER}
        existing = EmailNotification.objects.filter(**key, sequence=booking.sequence).first()
        if existing is not None:
            if existing.status in (NotificationStatus.QUEUED, NotificationStatus.RETRYING, NotificationStatus.SENDING):
                continue
            existing.delete()
        notification = EmailNotification.objects.create(**key, sequence=booking.sequence, send_after=now)
        schedule_delivery(notification.pk, None)
        created.append(notification)
    return created
