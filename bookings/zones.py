"""Time-zone names and how times read to people: pure, no database and no clock.

Everything inside the project is an aware UTC datetime; this module turns one into words for a
reader in a zone ("Tuesday 2 June 2026 at 9:15am") and reads slot starts back from URLs and forms
(docs/conventions.md: UTC inside, local at the edges).
"""

import zoneinfo
from datetime import date, datetime, time
from functools import lru_cache

DEFAULT_TIME_ZONE = "Europe/London"
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


# The areas of the zone names we offer; booking.js is told them so it only proposes such a zone.
ZONE_AREAS = (
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


@lru_cache(maxsize=1)
def all_zones() -> tuple[str, ...]:
    """Area/City zone names, sorted. Legacy aliases such as "GB" or "EST5EDT" are left out."""
    return tuple(sorted(z for z in zoneinfo.available_timezones() if z.split("/", 1)[0] in ZONE_AREAS))


def zone_choices(
    current: str = DEFAULT_TIME_ZONE, *, full: bool = False
) -> list[tuple[str, list[tuple[str, str]]]]:
    """Grouped choices for a <select>. By default the short list: the common zones plus the zone
    in use (the browser's, once booking.js has detected it), so each time step stays small; with
    `full`, every zone after the common ones (no value twice), for "Another time zone"."""
    if full:
        return _every_zone_choice()
    common = [z for z in COMMON_ZONES if z in all_zones()]
    if current in all_zones() and current not in common:
        common.append(current)
    return [("Common time zones", [(z, zone_label(z)) for z in common])]


@lru_cache(maxsize=1)
def _every_zone_choice() -> list[tuple[str, list[tuple[str, str]]]]:
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
    return format_clock(local(dt, zone))


def format_clock(value: time | datetime) -> str:
    """A wall-clock time (or a datetime's, as it stands) as '9am', '2:15pm', '12pm' (midday),
    '12am' (midnight)."""
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
