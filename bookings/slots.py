"""Loads what the slot engine needs for a date range, in a fixed number of queries, and pages
the free times it finds a fortnight at a time for the journey and the manage link.

Four queries whatever the number of partners, days or past bookings (partners with their own
calendar's freshness and nation, whose bank holidays are worked out here without a query; rules;
time off together with busy times from own calendars; bookings near the range), plus one for the
site's booking settings when no policy is passed.
History outside the range is never read: only bookings within MARGIN of it can affect caps,
buffers or rest.
"""

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import F
from django.db.models.functions import Coalesce
from wagtail.models import Site

from bookings.availability import (
    BusySpec,
    OfferSpec,
    PartnerSpec,
    Policy,
    RuleSpec,
    Slot,
    Snapshot,
    TimeOffSpec,
    compute_slots,
)
from bookings.bank_holidays import closed_dates
from bookings.models import AvailabilityRule, Booking, BookingSettings, BusyInterval, Offer, Partner, TimeOff
from bookings.zones import format_day, format_time, iso_utc

# A whole local week either side (the weekly cap counts it) plus a day for zone offsets;
# buffers and rest are minutes, far inside this.
MARGIN = timedelta(days=8)
DAYS_PER_PAGE = 14


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
    # The own calendar's freshness comes in the same query (a LEFT JOIN on a one-to-one).
    partners_qs = partners_qs.annotate(
        calendar_ok_since=Coalesce(F("external_calendar__last_success_at"), F("external_calendar__saved_at"))
    )
    low, high = range_start - MARGIN, range_end + MARGIN
    # Local dates the engine may look at in any zone (it reads a day either side of the range).
    first, last = low.date(), high.date()
    partners = [partner_spec(p, first, last) for p in partners_qs.order_by("pk")]
    ids = [p.id for p in partners]

    rules = tuple(
        RuleSpec(r.partner_id, r.recurrence, r.start_time, r.end_time, r.starts_on)
        for r in AvailabilityRule.objects.filter(partner_id__in=ids)
    )
    # Busy times from partners' own calendars block exactly like time off: one UNION ALL query.
    columns = ("partner_id", "start", "end")
    own_time_off = TimeOff.objects.filter(partner_id__in=ids, end__gt=low, start__lt=high)
    busy = BusyInterval.objects.filter(partner_id__in=ids, end__gt=low, start__lt=high)
    time_off = tuple(
        TimeOffSpec(*row)
        for row in own_time_off.order_by()
        .values_list(*columns)
        .union(busy.order_by().values_list(*columns), all=True)
    )
    bookings_qs = Booking.objects.blocking().filter(partner_id__in=ids).overlapping(low, high)
    if exclude_booking_id is not None:
        bookings_qs = bookings_qs.exclude(pk=exclude_booking_id)
    bookings = tuple(
        BusySpec(*row)
        for row in bookings_qs.values_list("partner_id", "start", "end", "blocked_start", "blocked_end")
    )
    snapshot = Snapshot(partners=tuple(partners), rules=rules, time_off=time_off, bookings=bookings)
    return offer_spec(offer, ids), snapshot


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
) -> Fortnight:
    """Days with free times in [first_day, first_day + 14 days) as local days in `zone`.

    One snapshot load, so the query count does not grow with partners or bookings. A booking
    being moved is left out of the snapshot (`exclude_booking_id`), so it may move into a time
    that overlaps its old one; its current start is not offered (`exclude_start`).
    """
    tz = zoneinfo.ZoneInfo(zone)
    today = now.astimezone(tz).date()
    first_day = max(first_day or today, today)
    last_bookable = (now + policy.horizon).astimezone(tz).date()
    first_day = min(first_day, last_bookable)
    range_start = datetime.combine(first_day, time(0), tz)
    range_end = datetime.combine(first_day + timedelta(days=DAYS_PER_PAGE), time(0), tz)
    slots = free_slots(
        offer, partner, range_start, range_end, now, policy, exclude_booking_id=exclude_booking_id
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
) -> list[Slot]:
    """Bookable slots for `offer` starting in [range_start, range_end), with `partner` or anyone.

    `exclude_booking_id` ignores one booking (the one being moved).
    """
    partner_ids = None if partner is None else [partner.pk]
    spec, snapshot = load_snapshot(
        offer, range_start, range_end, partner_ids=partner_ids, exclude_booking_id=exclude_booking_id
    )
    return compute_slots(snapshot, spec, policy, range_start, range_end, now)


def nearest_free(
    offer: Offer, partner: Partner | None, start: datetime, now: datetime, policy: Policy, *, after: int = 5
) -> list[Slot]:
    """The nearest free slot before `start` (if any) and the next `after` slots after it."""
    window = timedelta(days=DAYS_PER_PAGE)
    slots = free_slots(offer, partner, start - window, start + window, now, policy)
    before = [s for s in slots if s.start < start][-1:]
    later = [s for s in slots if s.start > start][:after]
    return before + later
