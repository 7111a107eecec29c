"""Sending a partner an emailed invite for every upcoming chat: when they turn their feed off, or
when their CalDAV calendar stops working, so every chat is still in their own calendar
(docs/feeds.md, "Channels"). Called inside the caller's transaction."""

from collections.abc import Callable
from datetime import datetime

from bookings.models import Booking, BookingStatus, EmailNotification, NotificationStatus, Recipient

Schedule = Callable[[int, "datetime | None"], None]
_IN_FLIGHT = (NotificationStatus.QUEUED, NotificationStatus.RETRYING, NotificationStatus.SENDING)


def partner_reinvited(partner_id: int, *, now: datetime, schedule: Schedule) -> list[EmailNotification]:
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
            if existing.status in _IN_FLIGHT:
                continue
            existing.delete()
        notification = EmailNotification.objects.create(**key, sequence=booking.sequence, send_after=now)
        schedule(notification.pk, None)
        created.append(notification)
    return created
