"""Weekly availability ranges as partners see them: "Mondays, 09:00 to 12:00".

Under the hood each range is an AvailabilityRule whose django-recurrence pattern is a plain
weekly rule. Staff can still give a rule any pattern in the admin (every other week, first
Monday of the month), so this module tells plain weekly patterns apart from the rest, and says
conservatively which weekdays any pattern can touch. Pure: no ORM, no clock.
"""

from collections.abc import Iterable
from datetime import time

import recurrence

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ALL_DAYS = frozenset(range(7))
# Rule parameters that would make a "weekly" rule mean something narrower than every week.
_NARROWING = ("bysetpos", "bymonth", "bymonthday", "byyearday", "byweekno", "byhour", "byminute", "bysecond")


def weekly(days: Iterable[int]) -> recurrence.Recurrence:
    """Every week on the given weekdays (0 = Monday)."""
    return recurrence.Recurrence(rrules=[recurrence.Rule(recurrence.WEEKLY, byday=sorted(set(days)))])


def _day_number(day) -> int:
    # byday holds ints when built in Python and Weekday objects when read back from the database.
    return getattr(day, "number", day)


def _day_index(day):
    return getattr(day, "index", None)


def plain_weekly_days(pattern: recurrence.Recurrence | None) -> tuple[int, ...] | None:
    """The weekdays of an "every week on these days" pattern, or None for any other pattern."""
    if pattern is None or len(pattern.rrules) != 1 or pattern.exrules or pattern.rdates or pattern.exdates:
        return None
    rule = pattern.rrules[0]
    if rule.freq != recurrence.WEEKLY or rule.interval != 1 or rule.count or rule.until or not rule.byday:
        return None
    if any(getattr(rule, name) for name in _NARROWING) or any(_day_index(d) for d in rule.byday):
        return None
    return tuple(sorted({_day_number(d) for d in rule.byday}))


def weekdays_of(pattern: recurrence.Recurrence | None) -> frozenset[int]:
    """Every weekday on which a pattern can fall. When that is not obvious (a monthly rule by
    date, say) all seven days are returned, so overlap checks err on the side of refusing."""
    if pattern is None:
        return frozenset()
    days: set[int] = set()
    for rule in pattern.rrules:
        if rule.byday:
            days.update(_day_number(d) for d in rule.byday)
        else:
            return ALL_DAYS
    days.update(d.weekday() for d in pattern.rdates)
    return frozenset(days)


def describe(pattern: recurrence.Recurrence | None) -> str:
    """Plain words for any pattern, for ranges the workspace cannot edit itself."""
    if pattern is None or not pattern.rrules:
        return "on particular dates"
    return "; ".join(rule.to_text() for rule in pattern.rrules)


def overlaps(a_start: time, a_end: time, b_start: time, b_end: time) -> bool:
    """Half-open ranges: 09:00–12:00 and 12:00–13:00 touch but do not overlap."""
    return a_start < b_end and b_start < a_end


def day_list(days: Iterable[int]) -> str:
    """Days in words: "Monday", "Monday and Wednesday", "Monday, Wednesday and Friday"."""
    names = [WEEKDAYS[d] for d in sorted(days)]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]
