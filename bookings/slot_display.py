"""Showing free times to a booker: in their chosen time zone, a fortnight at a time.

Used by the booking journey (pages.py) and the manage-link rebooking view (views.py). Slots are
computed in UTC by slots.py; this module only chooses which ones to show and how to label them.
"""

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from .availability import Policy, Slot, compute_slots
from .models import DEFAULT_TIME_ZONE, Offer, Partner
from .slots import load_snapshot

DAYS_PER_PAGE = 14
# Zones most of our bookers are in, offered first so nobody scrolls 400 names to find UK time.
COMMON_ZONES = (
    "Europe/London",
    "Europe/Dublin",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Madrid",
    "America/New_York",
    "America/Toronto",
    "Asia/Kolkata",
    "Australia/Sydney",
)


@lru_cache(maxsize=1)
def all_zones() -> tuple[str, ...]:
    """Area/City zone names, sorted. Legacy aliases such as "GB" or "EST5EDT" are left out."""
    areas = (
        "Africa",
        "America",
        "Antarctica",
        "Asia",
        "Atlantic",
        "Australia",
        "Europe",
        "Indian",
        "Pacific",
    )
    return tuple(sorted(z for z in zoneinfo.available_timezones() if z.split("/", 1)[0] in areas))


@lru_cache(maxsize=1)
def zone_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Grouped choices for a <select>: common zones, then every other zone (no value twice)."""
    common = [(z, zone_label(z)) for z in COMMON_ZONES if z in all_zones()]
    others = [(z, zone_label(z)) for z in all_zones() if z not in COMMON_ZONES]
    return [("Common time zones", common), ("Other time zones", others)]


def zone_label(name: str) -> str:
    if name == DEFAULT_TIME_ZONE:
        return "UK time (Europe/London)"
    return name.replace("_", " ")


def resolve_zone(raw: str | None) -> tuple[str, bool]:
    """(zone name, was the request's zone rejected). Anything unknown falls back to UK time."""
    if not raw:
        return DEFAULT_TIME_ZONE, False
    if raw in all_zones():
        return raw, False
    return DEFAULT_TIME_ZONE, True


def local(dt: datetime, zone: str) -> datetime:
    return dt.astimezone(zoneinfo.ZoneInfo(zone))


def format_time(dt: datetime, zone: str) -> str:
    """'9am', '2:15pm' in the zone: the style GOV.UK recommends."""
    value = local(dt, zone)
    hour = value.hour % 12 or 12
    suffix = "am" if value.hour < 12 else "pm"
    return f"{hour}{suffix}" if value.minute == 0 else f"{hour}:{value.minute:02d}{suffix}"


def format_day(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def format_moment(dt: datetime, zone: str) -> str:
    """'Tuesday 2 June 2026 at 9:15am'."""
    return f"{format_day(local(dt, zone).date())} at {format_time(dt, zone)}"


def iso_utc(dt: datetime) -> str:
    return dt.astimezone(zoneinfo.ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso_utc(raw: str | None) -> datetime | None:
    """A slot start from a URL or form; None unless it is a whole-second aware UTC time."""
    if not raw or len(raw) > 40:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    # Bookable times are near today; far-off years would overflow later date arithmetic.
    if value.tzinfo is None or value.microsecond or not 2000 <= value.year <= 2100:
        return None
    return value.astimezone(zoneinfo.ZoneInfo("UTC"))


def parse_day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw and len(raw) == 10 else None
    except ValueError:
        return None


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


def fortnight(
    offer: Offer,
    partner: Partner | None,
    zone: str,
    first_day: date | None,
    now: datetime,
    policy: Policy,
    *,
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
        day = slot.start.astimezone(tz).date()
        grouped.setdefault(day, []).append(
            TimeOption(slot.start, iso_utc(slot.start), format_time(slot.start, zone))
        )
    days = tuple(DayOption(d, d.isoformat(), format_day(d), tuple(t)) for d, t in sorted(grouped.items()))
    earlier = None
    if first_day > today:
        earlier = max(today, first_day - timedelta(days=DAYS_PER_PAGE))
    later_day = first_day + timedelta(days=DAYS_PER_PAGE)
    later = later_day if later_day <= last_bookable else None
    return Fortnight(first_day, days, earlier, later)


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
    """Like slots.available_slots, and able to ignore one booking (the one being moved)."""
    partner_ids = None if partner is None else [partner.pk]
    spec, snapshot = load_snapshot(
        offer, range_start, range_end, partner_ids=partner_ids, exclude_booking_id=exclude_booking_id
    )
    return compute_slots(snapshot, spec, policy, range_start, range_end, now)


def is_free(offer: Offer, partner: Partner | None, start: datetime, now: datetime, policy: Policy) -> bool:
    """Whether `start` is still a bookable slot (with this partner, or with anyone)."""
    found = free_slots(offer, partner, start, start + timedelta(minutes=1), now, policy)
    return any(slot.start == start for slot in found)


def nearest_free(
    offer: Offer, partner: Partner | None, start: datetime, now: datetime, policy: Policy, *, after: int = 5
) -> list[Slot]:
    """The nearest free slot before `start` (if any) and the next `after` slots after it."""
    window = timedelta(days=DAYS_PER_PAGE)
    slots = free_slots(offer, partner, start - window, start + window, now, policy)
    before = [s for s in slots if s.start < start][-1:]
    later = [s for s in slots if s.start > start][:after]
    return before + later
