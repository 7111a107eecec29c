"""Turn a partner's own calendar (ICS bytes) into busy intervals. No ORM, no clock.

``busy_intervals`` returns merged, sorted, aware UTC intervals inside a window.
``busy_intervals_isolated`` runs it in a child process with a time limit, because a hostile
recurrence rule (anyone can put one in a partner's calendar by sending an invitation) can keep
dateutil busy for seconds per rule and cannot be interrupted in-process. Fetching is in
calendar_fetch.py; both raise its CalendarFetchError family with plain-English messages.
"""

from __future__ import annotations

import multiprocessing
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from bookings.calendars.fetch import CalendarFetchError, CalendarParseError

MAX_INTERVALS = 5_000  # occurrences (busy or free) in one window before we call a feed hostile

MAX_REPEATS_PER_DAY = 48  # a rule repeating more often than half-hourly is not a diary

_FREQ_SECONDS = {
    "SECONDLY": 1,
    "MINUTELY": 60,
    "HOURLY": 3600,
    "DAILY": 86400,
    "WEEKLY": 7 * 86400,
    "MONTHLY": 31 * 86400,
    "YEARLY": 366 * 86400,
}
_DAY_PARTS = ("BYDAY", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYMONTH")


def _repeats_per_day(rule) -> float:
    """An upper bound on how many times a day an RRULE fires (0 if we cannot read it)."""
    try:
        freq = _FREQ_SECONDS[str(rule["FREQ"][0]).upper()]
        interval = max(int(rule.get("INTERVAL", [1])[0]), 1)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError):
        return 0  # recurring-ical-events will reject the rule with its own error
    per_period = 1
    for part, unit in (("BYSECOND", 1), ("BYMINUTE", 60), ("BYHOUR", 3600)):
        if part in rule and freq > unit:
            per_period *= max(len(rule[part]), 1)
    if freq > 86400 and any(part in rule for part in _DAY_PARTS):
        per_period *= freq // 86400
    return per_period * 86400 / (freq * interval)


def _check_cost(calendar, max_intervals: int) -> None:
    for event in calendar.walk("VEVENT"):
        rules = event.get("RRULE", [])
        for rule in rules if isinstance(rules, list) else [rules]:
            if _repeats_per_day(rule) > MAX_REPEATS_PER_DAY:
                raise CalendarParseError("too_complex", detail="rule repeats too often")
        rdates = event.get("RDATE", [])
        count = sum(len(getattr(rd, "dts", ())) for rd in (rdates if isinstance(rdates, list) else [rdates]))
        if count > max_intervals:
            raise CalendarParseError("too_complex", detail="too many RDATE values")


def _to_utc(value: date | datetime, tz: ZoneInfo) -> datetime:
    if not isinstance(value, datetime):  # all-day: the partner's local midnight
        value = datetime(value.year, value.month, value.day, tzinfo=tz)
    elif value.tzinfo is None:  # floating: the partner's wall-clock time
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)


def _is_free(event) -> bool:
    return (
        str(event.get("STATUS", "")).upper() == "CANCELLED"
        or str(event.get("TRANSP", "")).upper() == "TRANSPARENT"
        or str(event.get("X-MICROSOFT-CDO-BUSYSTATUS", "")).upper() == "FREE"
    )


def busy_intervals(
    ics: bytes,
    *,
    window_start: datetime,
    window_end: datetime,
    default_tz: ZoneInfo,
    max_intervals: int = MAX_INTERVALS,
) -> list[tuple[datetime, datetime]]:
    """Busy time in ``ics`` between the window bounds, as merged, sorted UTC intervals.

    Invariant: every interval is aware UTC, non-empty, inside the window and apart from its
    neighbours; cancelled, free (transparent) and cancelled single occurrences add nothing.
    Raises only CalendarParseError for bad or hostile input.
    """
    if window_start.tzinfo is None or window_end.tzinfo is None:
        raise ValueError("window bounds must be aware datetimes")
    window_start, window_end = window_start.astimezone(UTC), window_end.astimezone(UTC)
    if not ics.lstrip(b"\xef\xbb\xbf \t\r\n")[:15].upper().startswith(b"BEGIN:VCALENDAR"):
        raise CalendarParseError("not_calendar", detail="no BEGIN:VCALENDAR")
    seen: set[tuple] = set()
    found: list[tuple[datetime, datetime]] = []
    # Untrusted input: icalendar, dateutil and recurring-ical-events raise many exception
    # types on bad data (ValueError, KeyError, TypeError, RecursionError...). All mean "not a
    # calendar we can read"; our own too_complex refusals pass through untouched.
    try:
        calendar = icalendar.Calendar.from_ical(ics)
        _check_cost(calendar, max_intervals)
        query = recurring_ical_events.of(calendar)
        # Pad by a day so all-day and floating events are found whatever the zone, then query a
        # week at a time so the occurrence cap trips before a dense feed fills memory.
        chunk_start, query_end = window_start - timedelta(days=1), window_end + timedelta(days=1)
        while chunk_start < query_end:
            chunk_end = min(chunk_start + timedelta(days=7), query_end)
            for event in query.between(chunk_start, chunk_end):
                start, end = _to_utc(event.start, default_tz), _to_utc(event.end, default_tz)
                key = (str(event.get("UID", "")), start, end)
                if key in seen:
                    continue
                seen.add(key)
                if len(seen) > max_intervals:
                    raise CalendarParseError("too_complex", detail=f"over {max_intervals} events")
                start, end = max(start, window_start), min(end, window_end)
                if start < end and not _is_free(event):
                    found.append((start, end))
            chunk_start = chunk_end
    except CalendarParseError:
        raise
    except Exception as exc:  # untrusted input: see the comment above the try
        # "from None": the library's message quotes the feed, and event titles are private.
        raise CalendarParseError("not_calendar", detail=type(exc).__name__) from None
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(found):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _isolated_worker(conn, ics, window_start, window_end, tz_key, max_intervals) -> None:
    try:
        result = busy_intervals(
            ics,
            window_start=window_start,
            window_end=window_end,
            default_tz=ZoneInfo(tz_key),
            max_intervals=max_intervals,
        )
        conn.send(("ok", result))
    except CalendarFetchError as exc:
        conn.send(("error", exc.code.value, str(exc)))
    finally:
        conn.close()


def busy_intervals_isolated(
    ics: bytes,
    *,
    window_start: datetime,
    window_end: datetime,
    default_tz: ZoneInfo,
    max_intervals: int = MAX_INTERVALS,
    time_limit: float = 20.0,
) -> list[tuple[datetime, datetime]]:
    """``busy_intervals`` in a child process that is killed after ``time_limit`` seconds.

    Same invariant and errors as ``busy_intervals``; a child that runs out of time or dies
    becomes CalendarParseError("too_complex"). "spawn" avoids forking a threaded worker.
    """
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    args = (sender, ics, window_start, window_end, default_tz.key, max_intervals)
    process = context.Process(target=_isolated_worker, args=args, daemon=True)
    process.start()
    sender.close()
    try:
        if not receiver.poll(time_limit):
            raise CalendarParseError("too_complex", detail="time limit reached")
        try:
            reply = receiver.recv()
        except EOFError:
            raise CalendarParseError("too_complex", detail="parser process died") from None
    finally:
        if process.is_alive():
            process.kill()
        process.join()
        receiver.close()
    if reply[0] == "ok":
        return reply[1]
    raise CalendarParseError(reply[1], detail=reply[2])
