"""Every change to a booking's state happens here, one transaction each: placing it, moving it
and its status (confirm, decline, cancel, complete, no-show). Two changes have modules of their
own, built the same way on this one's history and checks: giving a chat to another partner
(reassignment.py) and new joining details after booking (joining_changes.py).

Locks: on PostgreSQL `select_for_update` on the Partner row serialises bookings per partner, and
the exclusion constraint (migration 0002) is the last word on overlaps. On SQLite
`select_for_update` does nothing, but every transaction is BEGIN IMMEDIATE (config/settings/base.py),
so writers queue for the single write lock and each re-check sees the previous commit.
Side effects go through `notifications.booking_changed` inside the transaction, so they commit
or roll back with the change.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction

from bookings import payments, waitlist
from bookings.availability import Policy, free_partners
from bookings.errors import InvalidBooking, InvalidInput, InvalidTransition, SlotUnavailable
from bookings.models import (
    BLOCKING_STATUSES,
    Booking,
    BookingEvent,
    BookingStatus,
    Format,
    Offer,
    Partner,
    is_meeting_link,
)
from bookings.outbox import notifications
from bookings.slots import load_snapshot, policy_for_site

S = BookingStatus

_STATUS_PHRASE = {
    S.PENDING: "is still waiting for the partner to accept",
    S.CONFIRMED: "is already confirmed",
    S.DECLINED: "has been declined",
    S.CANCELLED: "has already been cancelled",
    S.COMPLETED: "has already been marked as completed",
    S.NO_SHOW: "has been marked as missed",
}
_ACTION_PHRASE = {
    "confirmed": "confirmed",
    "declined": "declined",
    "cancelled": "cancelled",
    "rescheduled": "moved",
    "completed": "marked as completed",
    "no_show": "marked as missed",
    "reassigned": "passed to another partner",
    "resent": "sent again",
}


@dataclass(frozen=True)
class BookerDetails:
    """What the booker tells us, already cleaned by a form."""

    name: str
    email: str
    organisation: str = ""
    role: str = ""
    project_description: str = ""
    ladder_rung_id: int | None = None
    format: str = Format.VIDEO
    access_needs: str = ""
    time_zone: str = ""  # the booker's chosen zone, for showing them times; never for computing
    phone: str = ""  # E.164, for a phone chat only: the partner calls it (never into a calendar)


def place_booking(
    *,
    offer: Offer,
    start: datetime,
    partner: Partner | None,
    booker: BookerDetails,
    now: datetime,
    idempotency_key: str | None = None,
    policy: Policy | None = None,
    actor=None,
    actor_label: str = "booker",
    details: dict | None = None,
) -> Booking:
    """Book `offer` at `start` with `partner`, or with whoever is free when `partner` is None.
    Staff booking for someone pass themselves as `actor` with `actor_label="staff"`.

    Invariant: a booking is created only if, inside the transaction and after the partner lock,
    the engine still finds the partner free at `start` (rules, notice, horizon, caps, rest,
    buffers, time off, pause); the database rejects any overlap that slips past. The same
    idempotency key always yields the same single booking.
    """
    if idempotency_key:
        existing = Booking.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    if not offer.active:
        raise InvalidBooking("Sorry, this kind of chat is not available to book at the moment.")
    if booker.format not in offer.formats:
        raise InvalidBooking("Sorry, this chat is not offered in that format. Please choose another.")
    if booker.format == Format.PHONE and not booker.phone:
        raise InvalidBooking("Please give a phone number for the partner to call you on.")
    policy = policy or policy_for_site()
    try:
        with transaction.atomic():
            placed = _place_locked(offer, start, partner, booker, now, idempotency_key, policy)
            record_event(placed, "placed", "", now, actor, actor_label, details)
            notifications.booking_changed(placed, "placed", now=now)
            waitlist.booked(offer, booker.email)  # they are no longer waiting for this offer
            return placed
    except (IntegrityError, SlotUnavailable) as exc:
        # A same-key double submit that raced us finds its twin's booking taken the slot (or
        # the key taken): hand back that booking, not an error.
        if idempotency_key:
            existing = Booking.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                return existing
        if isinstance(exc, SlotUnavailable):
            raise
        raise SlotUnavailable() from None


def _place_locked(offer, start, partner, booker, now, idempotency_key, policy) -> Booking:
    candidates = Partner.objects.select_for_update(of=("self",)).filter(offers=offer)
    if partner is not None:
        candidates = candidates.filter(pk=partner.pk)
    locked_ids = list(candidates.order_by("pk").values_list("pk", flat=True))
    if partner is not None and not locked_ids:
        raise InvalidBooking("Sorry, this partner does not offer this kind of chat.")
    spec, snapshot = load_snapshot(offer, start, start + offer.duration, partner_ids=locked_ids)
    free = free_partners(snapshot, spec, policy, start, now)
    if not free:
        raise SlotUnavailable()
    chosen = free[0] if partner is not None else _least_busy(free, snapshot, start)
    booking = Booking(
        partner_id=chosen,
        offer=offer,
        status=S.PENDING if offer.requires_acceptance else S.CONFIRMED,
        booker_name=booker.name,
        booker_email=booker.email,
        organisation=booker.organisation,
        role=booker.role,
        project_description=booker.project_description,
        ladder_rung_id=booker.ladder_rung_id,
        format=booker.format,
        access_needs=booker.access_needs,
        booker_phone=booker.phone if booker.format == Format.PHONE else "",
        booker_time_zone=booker.time_zone,
        idempotency_key=idempotency_key or None,
    )
    booking.set_times(start, offer)
    booking.save()
    return booking


def _least_busy(free: tuple[int, ...], snapshot, start: datetime) -> int:
    """Whoever-is-free choice: fewest chats in the week around `start`, then lowest id."""
    week = [b.partner_id for b in snapshot.bookings if abs(b.start - start).days < 7]
    return min(free, key=lambda pid: (week.count(pid), pid))


def confirm(
    booking: Booking,
    *,
    now: datetime,
    actor=None,
    actor_label: str = "partner",
    details: dict | None = None,
    meeting_link: str = "",
) -> Booking:
    """Pending → confirmed. The time was already held, so no availability re-check is needed.
    SEQUENCE goes up: an invite sent for the request is superseded by the confirmed one.

    `meeting_link` is the video link the partner gives when accepting, for an offer that asks for
    one per chat (docs/bookings.md, "Joining details"); it is stored with the confirmation, in the
    same transaction, so the confirmed emails and invite carry it."""
    if meeting_link and not is_meeting_link(meeting_link):
        raise InvalidInput("Enter a link that starts with https:// (or http://), with no spaces.")
    changes = {"meeting_link": meeting_link} if meeting_link else None
    return _transition(
        booking,
        "confirmed",
        (S.PENDING,),
        S.CONFIRMED,
        now,
        actor,
        actor_label,
        bump=True,
        details=details,
        changes=changes,
    )


def decline(
    booking: Booking,
    *,
    now: datetime,
    actor=None,
    actor_label: str = "partner",
    reason: str = "",
    details: dict | None = None,
) -> Booking:
    """Pending → declined; the time is freed at once (declined never blocks).

    `reason` is a key from a fixed list (never free text: history outlives the retention purge)
    and is recorded in the same history entry."""
    details = {**(details or {}), **({"reason": reason} if reason else {})}
    return _transition(
        booking, "declined", (S.PENDING,), S.DECLINED, now, actor, actor_label, bump=True, details=details
    )


def cancel(
    booking: Booking,
    *,
    now: datetime,
    actor=None,
    actor_label: str = "booker",
    expected_sequence=None,
    details: dict | None = None,
) -> Booking:
    """Pending or confirmed → cancelled; the time is freed and SEQUENCE goes up (iTIP CANCEL).
    With `expected_sequence` (a manage link's version), a booking changed since is left alone."""
    return _transition(
        booking,
        "cancelled",
        BLOCKING_STATUSES,
        S.CANCELLED,
        now,
        actor,
        actor_label,
        bump=True,
        expected_sequence=expected_sequence,
        details=details,
    )


def mark_completed(
    booking: Booking, *, now: datetime, actor=None, actor_label: str = "partner", details: dict | None = None
) -> Booking:
    """Confirmed → completed, only once the chat has started. Accrues the partner's payment line
    and queues the booker's feedback request for a day later, in the same transaction."""
    return _transition(
        booking,
        "completed",
        (S.CONFIRMED,),
        S.COMPLETED,
        now,
        actor,
        actor_label,
        after_start=True,
        details=details,
    )


def mark_no_show(
    booking: Booking, *, now: datetime, actor=None, actor_label: str = "partner", details: dict | None = None
) -> Booking:
    """Confirmed → no-show, only once the chat has started. Accrues the late-cancellation amount."""
    return _transition(
        booking,
        "no_show",
        (S.CONFIRMED,),
        S.NO_SHOW,
        now,
        actor,
        actor_label,
        after_start=True,
        details=details,
    )


def _transition(
    booking,
    action,
    allowed,
    to_status,
    now,
    actor,
    actor_label,
    *,
    bump=False,
    after_start=False,
    expected_sequence=None,
    details=None,
    changes=None,
):
    with transaction.atomic():
        locked = Booking.objects.select_for_update().get(pk=booking.pk)
        require_version(locked, expected_sequence)
        require_status(locked, action, allowed)
        if after_start and locked.start > now:
            raise InvalidTransition(
                f"This chat has not started yet, so it cannot be {_ACTION_PHRASE[action]}."
            )
        from_status = locked.status
        locked.status = to_status
        if bump:
            locked.sequence += 1
        for name, value in (changes or {}).items():
            setattr(locked, name, value)
        locked.save(update_fields=["status", "sequence", "updated_at", *(changes or {})])
        record_event(locked, action, from_status, now, actor, actor_label, details)
        # The partner's involvement payment, if this change earns one (docs/impact.md).
        payments.accrue(locked, action, from_status, now=now, actor=actor)
        notifications.booking_changed(locked, action, now=now)
        if from_status in BLOCKING_STATUSES and to_status not in BLOCKING_STATUSES:
            # The time is free again: tell the people waiting for it, in this transaction.
            waitlist.partner_opened(locked.partner, now=now)
    return locked


def reschedule(
    booking: Booking,
    new_start: datetime,
    *,
    now: datetime,
    actor=None,
    actor_label: str = "booker",
    policy: Policy | None = None,
    expected_sequence: int | None = None,
    details: dict | None = None,
) -> Booking:
    """Move a pending or confirmed booking to `new_start` with the same partner.

    Invariant: same row, same public id and iCalendar UID, SEQUENCE + 1; the new time passes the
    same checks as a new booking (ignoring the booking's own old time), and the database's overlap
    guard still applies to the updated row. With `expected_sequence` (a manage link's version),
    a booking changed since is left alone.
    """
    policy = policy or policy_for_site()
    try:
        with transaction.atomic():
            list(Partner.objects.select_for_update().filter(pk=booking.partner_id))
            locked = Booking.objects.select_for_update().select_related("offer").get(pk=booking.pk)
            require_version(locked, expected_sequence)
            require_status(locked, "rescheduled", BLOCKING_STATUSES)
            if new_start == locked.start:
                raise InvalidBooking("The booking is already at that time.")
            offer = locked.offer
            spec, snapshot = load_snapshot(
                offer,
                new_start,
                new_start + offer.duration,
                partner_ids=[locked.partner_id],
                exclude_booking_id=locked.pk,
            )
            if locked.partner_id not in free_partners(snapshot, spec, policy, new_start, now):
                raise SlotUnavailable()
            old_start = locked.start
            locked.set_times(new_start, offer)
            locked.sequence += 1
            locked.save()
            moved = {"from_start": old_start.isoformat(), "to_start": new_start.isoformat()}
            record_event(
                locked, "rescheduled", locked.status, now, actor, actor_label, {**(details or {}), **moved}
            )
            notifications.booking_changed(locked, "rescheduled", now=now)
    except IntegrityError:
        raise SlotUnavailable() from None
    return locked


def require_version(booking: Booking, expected_sequence: int | None) -> None:
    """Two requests made with one manage link must not both act: only the first still matches."""
    if expected_sequence is not None and booking.sequence != expected_sequence:
        raise InvalidTransition(
            "This booking has just been changed. Please use the link in your most recent email."
        )


def require_status(booking: Booking, action: str, allowed) -> None:
    if booking.status not in allowed:
        phrase = _STATUS_PHRASE[S(booking.status)]
        raise InvalidTransition(f"This booking {phrase}, so it cannot be {_ACTION_PHRASE[action]}.")


def record_event(booking, action, from_status, now, actor, actor_label, details=None) -> BookingEvent:
    # No names, emails or notes in details: history outlives the retention purge.
    return BookingEvent.objects.create(
        booking=booking,
        at=now,
        actor=actor,
        actor_label=actor_label,
        action=action,
        from_status=from_status,
        to_status=booking.status,
        details=details or {},
    )
