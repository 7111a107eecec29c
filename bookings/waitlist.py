"""The waiting list's state changes (docs/bookings.md#waiting-list). One transaction each, like
services.py; the "a time has opened" emails are outbox rows (WaitlistEmail) queued with one task
each inside the caller's transaction, so they exist exactly when the change that opened the
time does.

Who is told: every unexpired entry for the offer (and its partner, if they chose one) with at
least one free time, within the horizon, on a weekday and in a part of the day they picked, read
in their own zone. In order of joining; at most one email per entry per
WAITLIST_NOTIFY_GAP_HOURS, so a busy afternoon of changes sends one email, not ten. Nobody is
held a time: the first to book it has it, and the others, who stay on the list, are told kindly
when they follow their link.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction

from bookings.availability import Policy, Slot
from bookings.errors import InvalidInput
from bookings.models import Offer, Partner, PartOfDay, WaitlistEmail, WaitlistEntry
from bookings.outbox.tasks import schedule_waitlist_email
from bookings.slots import free_slots, policy_for_site
from bookings.zones import resolve_zone

NOON, FIVE = time(12), time(17)
PARTS = [p.value for p in PartOfDay]


@dataclass(frozen=True)
class Wish:
    name: str
    email: str
    weekdays: tuple[int, ...]
    parts_of_day: tuple[str, ...]
    time_zone: str


def part_of_day(moment: datetime, zone: str) -> str:
    t = moment.astimezone(ZoneInfo(zone)).time()
    if t < NOON:
        return PartOfDay.MORNING
    return PartOfDay.AFTERNOON if t < FIVE else PartOfDay.EVENING


def suits(entry: WaitlistEntry, slot: Slot) -> bool:
    """Whether `slot` is one this person said they can make (and with their partner, if chosen)."""
    if entry.partner_id is not None and entry.partner_id not in slot.partner_ids:
        return False
    local = slot.start.astimezone(ZoneInfo(entry.time_zone))
    return (
        local.weekday() in entry.weekdays and part_of_day(slot.start, entry.time_zone) in entry.parts_of_day
    )


def _clean(wish: Wish) -> Wish:
    weekdays = tuple(sorted({int(d) for d in wish.weekdays if 0 <= int(d) <= 6}))
    parts = tuple(p for p in PARTS if p in wish.parts_of_day)
    if not weekdays:
        raise InvalidInput("Choose at least one day of the week.")
    if not parts:
        raise InvalidInput("Choose at least one time of day.")
    if not wish.name.strip() or not wish.email.strip():
        raise InvalidInput("Enter your name and email address.")
    zone = resolve_zone(wish.time_zone)[0]
    return Wish(wish.name.strip(), wish.email.strip(), weekdays, parts, zone)


def join(*, offer: Offer, partner: Partner | None, wish: Wish, now: datetime) -> WaitlistEntry:
    """Put someone on the waiting list for `offer` (with `partner`, or whoever is free).

    Invariant: one entry per offer, partner and address (any case). Joining again changes the
    days and times and starts the expiry again, but keeps the place in the queue.
    """
    wish = _clean(wish)
    if not offer.active:
        raise InvalidInput("Sorry, this kind of chat is not available at the moment.")
    expires = now + timedelta(days=settings.WAITLIST_EXPIRY_DAYS)
    with transaction.atomic():
        existing = (
            WaitlistEntry.objects.select_for_update()
            .filter(offer=offer, partner=partner, email__iexact=wish.email, expires_at__gt=now)
            .first()
        )
        fields = {
            "name": wish.name,
            "email": wish.email,
            "weekdays": list(wish.weekdays),
            "parts_of_day": list(wish.parts_of_day),
            "time_zone": wish.time_zone,
            "expires_at": expires,
        }
        if existing is not None:
            for key, value in fields.items():
                setattr(existing, key, value)
            existing.save()
            return existing
        return WaitlistEntry.objects.create(offer=offer, partner=partner, joined_at=now, **fields)


def leave(entry: WaitlistEntry) -> None:
    """Take someone off the list: the row and its emails go (nothing about them is kept)."""
    with transaction.atomic():
        WaitlistEntry.objects.filter(pk=entry.pk).delete()


def booked(offer: Offer, email: str) -> int:
    """Someone booked `offer`: their entries for it are done. Called inside place_booking's
    transaction, so a rolled-back booking keeps them waiting."""
    deleted, _ = WaitlistEntry.objects.filter(offer=offer, email__iexact=email).delete()
    return deleted


def matching_slots(entry: WaitlistEntry, now: datetime, policy: Policy | None = None) -> list[Slot]:
    """Free times within the horizon that suit this entry, soonest first."""
    policy = policy or policy_for_site()
    slots = free_slots(entry.offer, entry.partner, now, now + policy.horizon, now, policy)
    return [s for s in slots if suits(entry, s)]


def times_opened(*, offers, now: datetime, policy: Policy | None = None) -> list[WaitlistEmail]:
    """Something may have opened times for `offers` (offer objects or ids): email the people
    waiting whom a free time now suits. Runs inside the caller's transaction (or its own)."""
    offer_ids = sorted({getattr(o, "pk", o) for o in offers})
    gap = timedelta(hours=settings.WAITLIST_NOTIFY_GAP_HOURS)
    queued: list[WaitlistEmail] = []
    with transaction.atomic():
        waiting = list(
            WaitlistEntry.objects.select_related("offer")
            .filter(offer_id__in=offer_ids, expires_at__gt=now, offer__active=True)
            .order_by("joined_at", "pk")
        )
        due = [e for e in waiting if e.notified_at is None or e.notified_at <= now - gap]
        if not due:
            return queued
        policy = policy or policy_for_site()
        slots_by_offer: dict[int, list[Slot]] = {}
        for entry in due:
            if entry.offer_id not in slots_by_offer:
                # One load per offer for everyone waiting for it, whoever they chose.
                slots_by_offer[entry.offer_id] = free_slots(
                    entry.offer, None, now, now + policy.horizon, now, policy
                )
            if not any(suits(entry, s) for s in slots_by_offer[entry.offer_id]):
                continue
            email = WaitlistEmail.objects.create(entry=entry, send_after=now, created_at=now)
            WaitlistEntry.objects.filter(pk=entry.pk).update(notified_at=now)
            schedule_waitlist_email(email.pk)
            queued.append(email)
    return queued


def partner_opened(partner: Partner, *, now: datetime) -> list[WaitlistEmail]:
    """A partner's change may have opened times (free times saved, back from a pause, time off
    removed, bank holidays opened, a chat cancelled): check every offer they take part in."""
    return times_opened(offers=list(partner.offers.values_list("pk", flat=True)), now=now)


def purge_expired(*, now: datetime, dry_run: bool = False) -> int:
    """Delete entries past their expiry, with their emails (the retention purge calls this)."""
    expired = WaitlistEntry.objects.filter(expires_at__lte=now)
    count = expired.count()
    if not dry_run and count:
        with transaction.atomic():
            expired.delete()
    return count
