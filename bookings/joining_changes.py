"""New joining details after booking: a partner's new standing video link or staff's new venue
reach every chat still to come (docs/bookings.md, "Joining details"). One transaction, like
services.py, whose history it writes; what a booking's joining details are is joining.py.
"""

from datetime import datetime

from django.db import transaction

from bookings.models import BLOCKING_STATUSES, Booking, BookingStatus, Format, Offer, Partner
from bookings.outbox import notifications
from bookings.services import record_event

S = BookingStatus


def joining_details_changed(
    bookings, *, now: datetime, actor=None, actor_label: str = "partner", what: str = ""
) -> list[Booking]:
    """The joining details of these chats changed (a partner's new standing link, staff's new
    venue): every one still to come gets an updated invite (docs/bookings.md, "Joining details").

    Invariant: confirmed chats that have not started go up one SEQUENCE, keep their UID, record a
    "details_changed" history entry (`what` is a fixed word, never the new value) and queue the
    updated invite to both people plus their reminders at the new version, all in the caller's
    transaction. Pending requests are not re-versioned (their booker's manage link stays good):
    their row is touched so feeds see the change, and the details are read when they are accepted.
    """
    changed = []
    with transaction.atomic():
        ids = sorted(b.pk for b in bookings)
        locked_rows = (
            Booking.objects.select_for_update().select_related("partner", "offer").filter(pk__in=ids)
        )
        for locked in locked_rows.order_by("pk"):
            if locked.start <= now or locked.status not in BLOCKING_STATUSES:
                continue
            if locked.status == S.CONFIRMED:
                locked.sequence += 1
                locked.save(update_fields=["sequence", "updated_at"])
                record_event(
                    locked,
                    "details_changed",
                    locked.status,
                    now,
                    actor,
                    actor_label,
                    {"what": what} if what else {},
                )
                notifications.booking_changed(locked, "details_changed", now=now)
            else:
                locked.save(update_fields=["updated_at"])
            changed.append(locked)
    return changed


def upcoming_video_chats_on_standing_link(partner: Partner, now: datetime):
    """The partner's chats still to come whose video link is the partner's standing one."""
    return Booking.objects.blocking().filter(
        partner=partner, format=Format.VIDEO, meeting_link="", start__gt=now
    )


def upcoming_in_person_chats(offer: Offer, now: datetime):
    """The offer's in-person chats still to come (their address is the offer's)."""
    return Booking.objects.blocking().filter(offer=offer, format=Format.IN_PERSON, start__gt=now)
