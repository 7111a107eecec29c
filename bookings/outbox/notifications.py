"""The one seam through which booking changes reach the outside world: the email outbox.

The services call `booking_changed` inside their transaction. It writes EmailNotification rows
and queues one delivery task per row in that same transaction, so the emails exist exactly when
the change does: a rollback leaves neither booking nor email nor task (docs/reliability.md, promise 4).
Nothing is sent here; the worker does that (bookings/outbox/delivery.py).
"""

from datetime import datetime, timedelta

from django.conf import settings
from wagtail.models import Site

from bookings.models import Booking, BookingSettings, BookingStatus, EmailNotification, Recipient
from bookings.outbox import caldav, reinvite
from bookings.outbox.tasks import schedule_delivery, schedule_push

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
    if event == "reassigned":
        to_partner = "request_to_accept" if pending else "confirmed"
        return [("reassigned", Recipient.BOOKER), (to_partner, Recipient.PARTNER)]
    if event == "declined":
        return [("declined", Recipient.BOOKER)]
    if event == "cancelled":
        return [("cancelled", r) for r in BOTH]
    if event == "details_changed" and not pending:
        return [("details_updated", r) for r in BOTH]
    return []  # completed (the feedback request waits a day, below), no_show: nothing to tell anyone


def reminder_leads() -> tuple[int, ...]:
    """Minutes before a chat of each reminder editors set (Settings → Booking settings)."""
    site = Site.objects.filter(is_default_site=True).first() or Site.objects.first()
    settings_row = BookingSettings.for_site(site) if site is not None else BookingSettings()
    return settings_row.reminder_leads


def reminder_plan(booking: Booking, now: datetime) -> list[tuple[int, datetime]]:
    """(lead in minutes, when) for each reminder still ahead of a confirmed chat, at its current
    version. A reminder whose time has already passed (a chat booked or moved late) is left out."""
    if booking.status != BookingStatus.CONFIRMED:
        return []
    plan = [(lead, booking.start - timedelta(minutes=lead)) for lead in reminder_leads()]
    return [(lead, at) for lead, at in plan if at > now]


def _reminders(booking: Booking, now: datetime) -> list[tuple]:
    return [("reminder", r, at, None, lead) for lead, at in reminder_plan(booking, now) for r in BOTH]


def booking_changed(booking: Booking, event: str, *, now: datetime) -> list[EmailNotification]:
    """Queue the emails for `event`; called by every service inside the same transaction.

    `event` is one of: "placed", "confirmed", "declined", "cancelled", "rescheduled",
    "completed", "no_show", "reassigned", "details_changed". Invariant: at most one row per
    (booking, kind, recipient, sequence, lead), each with exactly one delivery task queued alongside
    it; task arguments are row ids only. A confirmed chat also gets one reminder per recipient and
    per offset editors set, for its current version; reminders for older versions are dropped at
    send time because the sequence no longer matches (a move re-plans them, a cancel drops them).
    """
    wanted = [(kind, recipient, now) for kind, recipient in messages_for(booking, event)]
    if event in {"placed", "confirmed", "rescheduled", "reassigned", "details_changed"}:
        wanted += _reminders(booking, now)
    if event == "completed":
        # One "how did it go?" email a day later (docs/impact.md); the unique row makes it once.
        later = now + timedelta(hours=settings.FEEDBACK_REQUEST_AFTER_HOURS)
        wanted.append(("feedback_request", Recipient.BOOKER, later))
    # The partner's CalDAV calendar, if they connected one, gets this version too (docs/caldav.md).
    if event not in {"completed", "no_show"}:
        caldav.queue_push(booking, now=now, schedule=schedule_push)
    return _queue(booking, wanted, now)


def booking_reassigned(booking: Booking, former_partner_id: int, *, now: datetime) -> list[EmailNotification]:
    """Queue the emails for a chat passed to another partner (docs/staff.md).

    The booker gets "your chat is now with ..." with the updated invite, the new partner the
    invite or the request to accept (at the new version, plus reminders); the former partner gets
    a calendar CANCEL addressed to them explicitly, because the booking no longer names them.
    """
    wanted = [(kind, recipient, now) for kind, recipient in messages_for(booking, "reassigned")]
    wanted += _reminders(booking, now)
    wanted.append(("reassigned_away", Recipient.PARTNER, now, former_partner_id))
    # The new partner's CalDAV calendar gets the chat; the former partner's copy is left to their
    # emailed CANCEL (docs/caldav.md).
    caldav.queue_push(booking, now=now, schedule=schedule_push)
    return _queue(booking, wanted, now)


def invite_resent(booking: Booking, recipients, *, now: datetime) -> list[EmailNotification]:
    """Queue the current invite (or request) again for `recipients`, at the booking's new version.

    The caller has bumped the sequence, so the new rows cannot clash with the old ones (one row
    per version) and each gets its own Message-ID; reminders move to the new version too, since
    those for the old one are dropped at send time.
    """
    wanted = [(k, r, now) for k, r in messages_for(booking, "placed") if r in recipients]
    wanted += _reminders(booking, now)
    return _queue(booking, wanted, now)


def _queue(booking: Booking, wanted, now: datetime) -> list[EmailNotification]:
    created = []
    for kind, recipient, send_after, *rest in wanted:
        # Optional extras: the partner the email is addressed to, and a reminder's lead.
        partner_id = rest[0] if rest else None
        lead = rest[1] if len(rest) > 1 else 0
        notification, is_new = EmailNotification.objects.get_or_create(
            booking=booking,
            kind=kind,
            recipient=recipient,
            sequence=booking.sequence,
            lead_minutes=lead,
            defaults={"send_after": send_after, "partner_id": partner_id},
        )
        if is_new:
            schedule_delivery(notification.pk, send_after if send_after > now else None)
            created.append(notification)
    return created


def partner_reinvited(partner_id: int, *, now: datetime) -> list[EmailNotification]:
    """Queue an emailed invite for each of the partner's upcoming chats (bookings/outbox/reinvite.py)."""
    return reinvite.partner_reinvited(partner_id, now=now, schedule=schedule_delivery)
