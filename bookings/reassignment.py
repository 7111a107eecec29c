"""Giving a chat to another partner at the same time: a staff action, from the staff desk or a
partner's deactivation (docs/staff-operations.md). One transaction, like services.py, whose
history and status checks it uses.
"""

from dataclasses import replace
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction

from bookings import waitlist
from bookings.availability import Policy, free_partners
from bookings.errors import InvalidBooking, InvalidTransition, SlotUnavailable
from bookings.models import BLOCKING_STATUSES, Booking, Partner
from bookings.outbox import notifications
from bookings.services import record_event, require_status
from bookings.slots import load_snapshot, policy_for_site


def reassign(
    booking: Booking,
    new_partner: Partner,
    *,
    now: datetime,
    actor,
    actor_label: str = "staff",
    details: dict | None = None,
    policy: Policy | None = None,
) -> Booking:
    """Give a pending or confirmed chat to `new_partner`, at the same time (a staff action).

    Invariant: the new partner offers this kind of chat and is free then by the same engine as a
    booking (rules, caps, rest, buffers, time off, pause), except the minimum notice, because staff
    may act inside the change window; same row, public id and UID, SEQUENCE + 1. The booker gets a
    "your chat is now with ..." email with the updated invite; the new partner gets the confirmed
    invite (or the request to accept); the former partner gets a calendar CANCEL addressed to them.
    History records both partners by id. The one implementation: the staff desk and the partner
    deactivation step both call it.
    """
    policy = replace(policy or policy_for_site(), notice=timedelta(0))
    try:
        with transaction.atomic():
            ids = sorted({booking.partner_id, new_partner.pk})
            partners = {
                p.pk: p for p in Partner.objects.select_for_update().filter(pk__in=ids).order_by("pk")
            }
            locked = Booking.objects.select_for_update().select_related("offer").get(pk=booking.pk)
            require_status(locked, "reassigned", BLOCKING_STATUSES)
            if new_partner.pk == locked.partner_id:
                raise InvalidBooking("This chat is already with that partner.")
            if locked.start <= now:
                raise InvalidTransition(
                    "This chat has already started, so it cannot be given to another partner."
                )
            if not locked.offer.partners.filter(pk=new_partner.pk).exists():
                raise InvalidBooking(f"{new_partner} does not offer this kind of chat.")
            spec, snapshot = load_snapshot(
                locked.offer,
                locked.start,
                locked.end,
                partner_ids=[new_partner.pk],
                exclude_booking_id=locked.pk,
            )
            if new_partner.pk not in free_partners(snapshot, spec, policy, locked.start, now):
                raise SlotUnavailable()
            former = locked.partner_id
            details = {**(details or {}), "from_partner": former, "to_partner": new_partner.pk}
            locked.partner = new_partner
            locked.sequence += 1
            locked.save(update_fields=["partner", "sequence", "updated_at"])
            record_event(locked, "reassigned", locked.status, now, actor, actor_label, details)
            notifications.booking_reassigned(locked, former, now=now)
            # The former partner's time is free again: tell the people waiting for it, in this
            # transaction, as a cancellation does (docs/bookings.md#waiting-list).
            waitlist.partner_opened(partners[former], now=now)
    except IntegrityError:
        raise SlotUnavailable() from None
    return locked


def free_partners_for(booking: Booking, now: datetime) -> list[Partner]:
    """Who else could take this chat at its time (as `reassign` would allow), by name."""
    policy = replace(policy_for_site(), notice=timedelta(0))
    spec, snapshot = load_snapshot(booking.offer, booking.start, booking.end, exclude_booking_id=booking.pk)
    ids = set(free_partners(snapshot, spec, policy, booking.start, now)) - {booking.partner_id}
    return list(Partner.objects.filter(pk__in=ids).order_by("display_name", "pk"))
