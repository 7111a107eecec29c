"""Loads what the slot engine needs for a date range, in a fixed number of queries, and pages
the free times it finds a fortnight at a time for the journey and the manage link.

Two queries whatever the number of partners, days or past bookings (partners with their rules,
their own calendar's freshness and nation, whose bank holidays are worked out here without a
query; then time off, busy times from own calendars and bookings near the range together), plus
one for the site's booking settings when no policy is passed.
History outside the range is never read: only bookings in the weeks the range touches can affect
caps, buffers or rest (load_bounds).
"""

import hashlib
import zoneinfo
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from django.conf import settings
from django.db import connections
from django.db.models import F, IntegerField, TextField, Value
from django.db.models.functions import Cast, Coalesce
from django.db.models.sql.constants import MULTI
from recurrence import Recurrence
from wagtail.models import Site

from bookings import slot_cache
from bookings.availability import (
    BusySpec,
    OfferSpec,
    PartnerSpec,
    PartnerStarts,
    Policy,
    RuleSpec,
    Slot,
    Snapshot,
    TimeOffSpec,
    compute_slots,
    merge_starts,
    partner_starts,
)
from bookings.bank_holidays import closed_dates
from bookings.models import AvailabilityRule, Booking, BookingSettings, BusyInterval, Offer, Partner, TimeOff
from bookings.zones import format_day, format_time, iso_utc

# The engine reads local dates a day either side of the range in the partner's zone, which is at
# most 14 hours from UTC; buffers and rest are minutes, far inside a day.
ZONE_DAY = timedelta(days=1)
DAYS_PER_PAGE = 14
RECURRENCE_FIELD = AvailabilityRule._meta.get_field("recurrence")
# What partner_spec reads; the loader fetches no other column of a partner.
PARTNER_SPEC_FIELDS = (
    "time_zone",
    "active",
    "accepting_bookings",
    "max_chats_per_day",
    "max_chats_per_week",
    "rest_minutes",
    "nation",
    "works_bank_holidays",
)
# What a cached piece is made of, and from what (bookings/slot_cache.py): a short digest of the
# engine's input and output classes and their fields, part of every piece's key.
PIECE_SHAPE = hashlib.md5(
    repr(
        [
            (c.__name__, [f.name for f in fields(c)])
            for c in (Snapshot, PartnerSpec, RuleSpec, TimeOffSpec, BusySpec, PartnerStarts)
        ]
    ).encode(),
    usedforsecurity=False,
).hexdigest()[:8]


def policy_from_settings(booking_settings: BookingSettings) -> Policy:
    return Policy(
        notice=booking_settings.notice,
        horizon=booking_settings.horizon,
        step=timedelta(minutes=max(1, booking_settings.slot_step_minutes)),
    )


def policy_for_site(site: Site | None = None) -> Policy:
    """The booking policy of `site`, or of the default site (one query, two without a site)."""
    if site is None:
        site = Site.objects.filter(is_default_site=True).first() or Site.objects.first()
    if site is None:  # a bare database with no site yet: the model's defaults
        return policy_from_settings(BookingSettings())
    return policy_from_settings(BookingSettings.for_site(site))


def partner_spec(partner: Partner, first: date | None = None, last: date | None = None) -> PartnerSpec:
    """The engine's view of `partner`; bank holidays in [first, last] close unless they work them."""
    # calendar_ok_since is annotated by load_snapshot: the last good read of the partner's own
    # calendar, or when its address was saved if it has never been read (None: no calendar).
    ok_since = getattr(partner, "calendar_ok_since", None)
    stale_after = timedelta(hours=settings.BUSY_CALENDAR_STALE_AFTER_HOURS)
    return PartnerSpec(
        id=partner.pk,
        time_zone=partner.time_zone,
        accepting=partner.is_bookable,
        max_per_day=partner.max_chats_per_day,
        max_per_week=partner.max_chats_per_week,
        rest=timedelta(minutes=partner.rest_minutes),
        calendar_fresh_until=None if ok_since is None else ok_since + stale_after,
        closed_dates=(
            frozenset()
            if partner.works_bank_holidays or first is None or last is None
            else closed_dates(partner.nation, first, last)
        ),
    )


def offer_spec(offer: Offer, partner_ids) -> OfferSpec:
    return OfferSpec(
        id=offer.pk,
        duration=offer.duration,
        buffer_before=timedelta(minutes=offer.buffer_before_minutes),
        buffer_after=timedelta(minutes=offer.buffer_after_minutes),
        partner_ids=frozenset(partner_ids) if offer.active else frozenset(),
    )


def load_snapshot(
    offer: Offer,
    range_start: datetime,
    range_end: datetime,
    *,
    partner_ids=None,
    exclude_booking_id: int | None = None,
) -> tuple[OfferSpec, Snapshot]:
    """Partners offering `offer` (optionally only `partner_ids`) and everything about them.

    `exclude_booking_id` leaves one booking out, so a reschedule can move into its own time.
    """
    partners_qs = Partner.objects.filter(offers=offer, active=True, accepting_bookings=True)
    if partner_ids is not None:
        partners_qs = partners_qs.filter(pk__in=list(partner_ids))
    # One row per partner and rule (a LEFT JOIN, so a partner without rules still comes), with
    # the own calendar's freshness (a LEFT JOIN on a one-to-one). The rule's recurrence comes as
    # its stored text, parsed once per process (_recurrence), which also keys the engine's cache
    # of expanded rules (bookings/availability.py, partner_windows).
    rows = partners_qs.order_by("pk", "availability_rules__start_time", "availability_rules__pk")
    rows = rows.only(*PARTNER_SPEC_FIELDS).annotate(
        calendar_ok_since=Coalesce(F("external_calendar__last_success_at"), F("external_calendar__saved_at")),
        rule_text=Cast("availability_rules__recurrence", TextField()),
        rule_start=F("availability_rules__start_time"),
        rule_end=F("availability_rules__end_time"),
        rule_starts_on=F("availability_rules__starts_on"),
    )
    low, high = load_bounds(range_start, range_end)
    # Local dates the engine may look at in any zone (it reads a day either side of the range).
    first, last = low.date(), high.date()
    partners: dict[int, PartnerSpec] = {}
    rules = []
    for p in rows:
        if p.pk not in partners:
            partners[p.pk] = partner_spec(p, first, last)
        if p.rule_start is not None:
            key = (p.rule_text, p.rule_start, p.rule_end, p.rule_starts_on)
            rules.append(RuleSpec(p.pk, _recurrence(p.rule_text), *key[1:], key=key))
    ids = list(partners)

    # Time off, busy times from partners' own calendars (both simply block) and bookings near
    # the range, in one UNION ALL query; `kind` tells them apart.
    time_off = TimeOff.objects.filter(partner_id__in=ids, end__gt=low, start__lt=high)
    busy = BusyInterval.objects.filter(partner_id__in=ids, end__gt=low, start__lt=high)
    bookings_qs = Booking.objects.blocking().filter(partner_id__in=ids).overlapping(low, high)
    if exclude_booking_id is not None:
        bookings_qs = bookings_qs.exclude(pk=exclude_booking_id)
    blocks = _blocks(time_off, TIME_OFF, "start", "end").union(
        _blocks(busy, TIME_OFF, "start", "end"),
        _blocks(bookings_qs, BOOKING, "blocked_start", "blocked_end"),
        all=True,
    )
    off, booked = [], []
    aware = _aware_datetimes(blocks.db)
    for partner_id, start, end, blocked_start, blocked_end, kind in _driver_rows(blocks):
        if kind == BOOKING:
            booked.append(BusySpec(partner_id, *aware(start, end, blocked_start, blocked_end)))
        else:
            off.append(TimeOffSpec(partner_id, *aware(start, end)))
    snapshot = Snapshot(
        partners=tuple(partners.values()), rules=tuple(rules), time_off=tuple(off), bookings=tuple(booked)
    )
    return offer_spec(offer, ids), snapshot


TIME_OFF, BOOKING = 0, 1


def load_bounds(range_start: datetime, range_end: datetime) -> tuple[datetime, datetime]:
    """From the Monday before the first local date the engine may read to the Monday after the
    last, a day wider each way for zone offsets: the whole weeks the weekly cap counts, and so
    every day the daily cap counts and every chat whose buffers or rest reach into the range."""
    first = (range_start.astimezone(UTC) - 2 * ZONE_DAY).date()
    last = (range_end.astimezone(UTC) + 2 * ZONE_DAY).date()
    monday = first - timedelta(days=first.weekday())
    next_monday = last + timedelta(days=7 - last.weekday())
    low = datetime.combine(monday, time(0), UTC) - ZONE_DAY
    return low, datetime.combine(next_monday, time(0), UTC) + ZONE_DAY


def _blocks(queryset, kind: int, blocked_start: str, blocked_end: str):
    """(partner_id, start, end, blocked start, blocked end, kind) rows, to be joined by UNION ALL."""
    return (
        queryset.order_by()
        .annotate(
            block_start=F(blocked_start),
            block_end=F(blocked_end),
            kind=Value(kind, output_field=IntegerField()),
        )
        .values_list("partner_id", "start", "end", "block_start", "block_end", "kind")
    )


def _driver_rows(queryset):
    """The rows of a values_list queryset as the database driver returns them, in the same
    column order, without Django's converters: those cost more than the rest of the loader's
    Python work on SQLite, where each of a booking's four timestamps is parsed and then made
    aware one call at a time (docs/performance.md, "The time step")."""
    for chunk in queryset.query.get_compiler(using=queryset.db).execute_sql(MULTI):
        yield from chunk


def _aware_datetimes(alias: str):
    """What Django's converters do to a timestamp column, done for several values at once.

    PostgreSQL's driver already returns aware datetimes; SQLite's returns naive ones in the
    connection's time zone (UTC unless the database's TIME_ZONE says otherwise), or the stored
    text where it cannot tell the column's type."""
    zone = connections[alias].timezone

    def aware(*values):
        out = []
        for v in values:
            if isinstance(v, str):
                v = datetime.fromisoformat(v)
            out.append(v if v.tzinfo is not None else v.replace(tzinfo=zone))
        return out

    return aware


@lru_cache(maxsize=1024)
def _recurrence(text: str) -> Recurrence:
    """A stored rule's recurrence, parsed as the model field does; the engine never changes it."""
    return RECURRENCE_FIELD.to_python(text)


@dataclass(frozen=True)
class TimeOption:
    start: datetime
    iso: str
    label: str


@dataclass(frozen=True)
class DayOption:
    day: date
    iso: str
    label: str
    times: tuple[TimeOption, ...]


@dataclass(frozen=True)
class Fortnight:
    first_day: date
    days: tuple[DayOption, ...]  # only days with at least one free time
    earlier: date | None  # first day of the previous page, if it can hold bookable times
    later: date | None
    selected: DayOption | None  # the day asked for if it has free times, else the first that has


def fortnight(
    offer: Offer,
    partner: Partner | None,
    zone: str,
    first_day: date | None,
    now: datetime,
    policy: Policy,
    *,
    day: date | None = None,
    exclude_booking_id: int | None = None,
    exclude_start: datetime | None = None,
    cached: bool = False,
) -> Fortnight:
    """Days with free times in [first_day, first_day + 14 days) as local days in `zone`.

    One snapshot load, so the query count does not grow with partners or bookings. A booking
    being moved is left out of the snapshot (`exclude_booking_id`), so it may move into a time
    that overlaps its old one; its current start is not offered (`exclude_start`). `cached`:
    each partner's free times may come from the shared cache (`_displayed_slots`): the journey's
    and the manage link's listings, never a check before a write.
    """
    tz = zoneinfo.ZoneInfo(zone)
    today = now.astimezone(tz).date()
    first_day = max(first_day or today, today)
    last_bookable = (now + policy.horizon).astimezone(tz).date()
    first_day = min(first_day, last_bookable)
    range_start = datetime.combine(first_day, time(0), tz)
    range_end = datetime.combine(first_day + timedelta(days=DAYS_PER_PAGE), time(0), tz)
    slots = free_slots(
        offer,
        partner,
        range_start,
        range_end,
        now,
        policy,
        exclude_booking_id=exclude_booking_id,
        cached=cached,
    )
    grouped: dict[date, list[TimeOption]] = {}
    for slot in slots:
        if exclude_start is not None and slot.start == exclude_start:
            continue
        local_day = slot.start.astimezone(tz).date()
        grouped.setdefault(local_day, []).append(
            TimeOption(slot.start, iso_utc(slot.start), format_time(slot.start, zone))
        )
    days = tuple(DayOption(d, d.isoformat(), format_day(d), tuple(t)) for d, t in sorted(grouped.items()))
    earlier = None
    if first_day > today:
        earlier = max(today, first_day - timedelta(days=DAYS_PER_PAGE))
    later_day = first_day + timedelta(days=DAYS_PER_PAGE)
    later = later_day if later_day <= last_bookable else None
    selected = next((d for d in days if d.day == day), days[0] if days else None)
    return Fortnight(first_day, days, earlier, later, selected)


def free_slots(
    offer: Offer,
    partner: Partner | None,
    range_start: datetime,
    range_end: datetime,
    now: datetime,
    policy: Policy,
    *,
    exclude_booking_id: int | None = None,
    cached: bool = False,
) -> list[Slot]:
    """Bookable slots for `offer` starting in [range_start, range_end), with `partner` or anyone.

    `exclude_booking_id` ignores one booking (the one being moved); `cached` as in `fortnight`.
    """
    partner_ids = None if partner is None else [partner.pk]
    if cached and slot_cache.enabled():
        return _displayed_slots(offer, partner_ids, range_start, range_end, now, policy, exclude_booking_id)
    spec, snapshot = load_snapshot(
        offer, range_start, range_end, partner_ids=partner_ids, exclude_booking_id=exclude_booking_id
    )
    return compute_slots(snapshot, spec, policy, range_start, range_end, now)


def _displayed_slots(offer, partner_ids, range_start, range_end, now, policy, exclude_booking_id):
    """A listing's slots from each partner's cached piece (bookings/slot_cache.py), loading and
    running the engine only for the partners whose piece is missing, stale, or no longer holds
    at `now` (availability.partner_starts). The same slots as the engine finds at `now`, merged
    with the horizon counted from `now`. docs/performance.md, "The time step"."""
    if not offer.active:
        return []
    epoch, roster = slot_cache.roster(offer.pk, lambda: _roster(offer))
    chosen = None if partner_ids is None else frozenset(partner_ids)
    ids = [i for i in roster if chosen is None or i in chosen]
    key = _pieces_key(offer, range_start, range_end, policy, exclude_booking_id)
    pieces = slot_cache.Pieces(key, epoch, ids)
    held = {i: p for i, p in pieces.found.items() if p.valid_before is None or now < p.valid_before}
    wanted = [i for i in ids if i not in held]
    if wanted:
        spec, snapshot = load_snapshot(
            offer, range_start, range_end, partner_ids=wanted, exclude_booking_id=exclude_booking_id
        )
        found = partner_starts(snapshot, spec, policy, range_start, range_end, now)
        # A partner missing from the snapshot stopped offering it after the roster was read.
        loaded = {i: found.get(i, PartnerStarts(i, (), None)) for i in wanted}
        pieces.store(loaded)
        held.update(loaded)
    return merge_starts(held, offer_spec(offer, held), policy, now)


def _roster(offer: Offer):
    """Who can be listed for `offer`: the loader's partners (load_snapshot), as ids."""
    partners = Partner.objects.filter(offers=offer, active=True, accepting_bookings=True)
    return partners.order_by("pk").values_list("pk", flat=True)


def _pieces_key(offer, range_start, range_end, policy, exclude_booking_id) -> str:
    """What a partner's piece depends on besides their own data (which their token covers)."""
    asked = (
        f"{PIECE_SHAPE}.{settings.BUSY_CALENDAR_STALE_AFTER_HOURS}.{offer.pk}.{offer.duration_minutes}"
        f".{offer.buffer_before_minutes}.{offer.buffer_after_minutes}.{range_start.isoformat()}"
        f".{range_end.isoformat()}.{policy.notice.total_seconds()}.{policy.step.total_seconds()}"
        f".{exclude_booking_id or ''}"
    )
    return "starts." + hashlib.md5(asked.encode(), usedforsecurity=False).hexdigest()


def nearest_free(
    offer: Offer, partner: Partner | None, start: datetime, now: datetime, policy: Policy, *, after: int = 5
) -> list[Slot]:
    """The nearest free slot before `start` (if any) and the next `after` slots after it."""
    window = timedelta(days=DAYS_PER_PAGE)
    slots = free_slots(offer, partner, start - window, start + window, now, policy)
    before = [s for s in slots if s.start < start][-1:]
    later = [s for s in slots if s.start > start][:after]
    return before + later
