"""Pure slot computation: rules, time off, bookings, settings and `now` in; bookable slots out.

No ORM and no clock: the loader (bookings/slots.py) builds the inputs, and callers pass `now`.
Every datetime in and out is an aware UTC datetime, except rule times, which are wall-clock
times in the partner's own zone.

Rules are expanded on *local dates* with a naive local `dtstart` we build here, then each date is
combined with the rule's times in the partner's zone. django-recurrence's own expansion uses the
UTC start it stored, which drifts an hour across clock changes (docs/calendar.md, upstream #174).

Conflicts are turned into "forbidden start" intervals per partner. For a chat of length D with
buffers bb/ba and rest r, an existing blocked interval [B0, B1) forbids starts in
(B0 - D - ba, B1 + bb); an existing chat [E0, E1) with its rest forbids (E0 - D - r, E1 + r);
time off [T0, T1) forbids (T0 - D - ba, T1 + bb). Touching intervals never conflict, matching
the database's half-open `[)` ranges.

The slots offered for one partner are packed greedily from the start of each free period on the
step grid, so any one of them can be booked and no two of them overlap (with buffers and rest).
`free_partners` answers the wider question "can this partner take a chat at this start?", which
is what the booking services re-check.
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import dateutil.rrule
from recurrence import Recurrence

from bookings.zones import DEFAULT_TIME_ZONE

# A start on a rule date is at most this far from local midnight in UTC, so one day of margin
# either side when picking local dates for a UTC range is always enough.
DAY = timedelta(days=1)
_TICK = timedelta(microseconds=1)  # datetimes' resolution: `s < x + _TICK` is `s <= x`


@dataclass(frozen=True)
class PartnerSpec:
    id: int
    time_zone: str = DEFAULT_TIME_ZONE
    accepting: bool = True  # active and not paused
    max_per_day: int | None = None
    max_per_week: int | None = None
    rest: timedelta = timedelta(0)
    # Set when the partner's own calendar is imported: from this moment its busy times are too
    # old to trust, and every slot of theirs closes (docs/busy-calendar.md). None: no calendar.
    calendar_fresh_until: datetime | None = None
    # Local dates on which none of the partner's rules apply: their nation's bank holidays unless
    # they work on them. The loader works them out (bookings/bank_holidays.py) and passes them in.
    closed_dates: frozenset[date] = frozenset()

    def open_at(self, now: datetime) -> bool:
        fresh = self.calendar_fresh_until is None or now < self.calendar_fresh_until
        return self.accepting and fresh


@dataclass(frozen=True, eq=False)
class RuleSpec:
    partner_id: int
    recurrence: Recurrence
    start_time: time
    end_time: time
    starts_on: date
    # The rule as stored (recurrence text, times, first day), set by the loader: equal keys expand
    # to equal dates, so their expansion can be kept (_expanded). None: expanded on every call.
    key: tuple | None = None


@dataclass(frozen=True)
class TimeOffSpec:
    """Time off, or a busy time read from the partner's own calendar: both simply block."""

    partner_id: int
    start: datetime
    end: datetime


@dataclass(frozen=True)
class BusySpec:
    """An existing pending or confirmed booking."""

    partner_id: int
    start: datetime
    end: datetime
    blocked_start: datetime
    blocked_end: datetime


@dataclass(frozen=True)
class OfferSpec:
    id: int
    duration: timedelta
    buffer_before: timedelta
    buffer_after: timedelta
    partner_ids: frozenset[int]


@dataclass(frozen=True)
class Policy:
    notice: timedelta
    horizon: timedelta
    step: timedelta


@dataclass(frozen=True)
class Snapshot:
    partners: tuple[PartnerSpec, ...]
    rules: tuple[RuleSpec, ...]
    time_off: tuple[TimeOffSpec, ...]
    bookings: tuple[BusySpec, ...]


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    partner_ids: tuple[int, ...]  # who can take it, ascending


# --- Rule expansion --------------------------------------------------------------------------


def _local_date(value: date | datetime, tz: ZoneInfo) -> date:
    """The calendar date an exclusion/extra date stands for.

    The widget stores an editor's local midnight converted to UTC; rounding to the nearest
    midnight in the partner's zone recovers the intended day for editors up to 12 hours away.
    """
    if not isinstance(value, datetime):
        return value
    if value.tzinfo is None:
        return value.date()
    return (value.astimezone(tz) + timedelta(hours=12)).date()


def _to_dateutil(rule, dtstart: datetime, tz: ZoneInfo) -> dateutil.rrule.rrule:
    kwargs = {param: getattr(rule, param) or None for param in rule.byparams}
    kwargs["byweekday"] = kwargs.pop("byday")
    until = rule.until
    if until is not None:
        # UNTIL names a last day; keep every occurrence on it.
        until = datetime.combine(_local_date(until, tz), time.max)
    return dateutil.rrule.rrule(
        rule.freq,
        dtstart=dtstart,
        interval=rule.interval or 1,
        wkst=rule.wkst,
        count=rule.count,
        until=until,
        **kwargs,
    )


def rule_dates(rule: RuleSpec, tz: ZoneInfo, first: date, last: date) -> list[date]:
    """Local dates in [first, last] on which `rule` applies."""
    first = max(first, rule.starts_on)
    if last < first:
        return []
    rec = rule.recurrence
    # Rules with an interval or a count depend on where they start, so they are anchored on
    # starts_on; plain weekly/daily rules give the same dates from any start, so expansion
    # begins at the range and costs nothing for old rules.
    anchored = any((r.interval or 1) != 1 or r.count for r in [*rec.rrules, *rec.exrules])
    dtstart = datetime.combine(rule.starts_on if anchored else first, time())
    ruleset = dateutil.rrule.rruleset()
    for r in rec.rrules:
        ruleset.rrule(_to_dateutil(r, dtstart, tz))
    for r in rec.exrules:
        ruleset.exrule(_to_dateutil(r, dtstart, tz))
    for d in rec.rdates:
        ruleset.rdate(datetime.combine(_local_date(d, tz), time()))
    for d in rec.exdates:
        ruleset.exdate(datetime.combine(_local_date(d, tz), time()))
    window = ruleset.between(datetime.combine(first, time()), datetime.combine(last, time()), inc=True)
    return [occurrence.date() for occurrence in window]


def _local(d: date, t: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(d, t, tzinfo=tz).astimezone(UTC)


def partner_windows(
    rules: Iterable[RuleSpec], tz: ZoneInfo, first: date, last: date
) -> list[tuple[date, datetime, datetime]]:
    """Free periods (local date, UTC start, UTC end) from a partner's rules, overlaps merged."""
    raw = []
    for rule in rules:
        for d in rule_dates(rule, tz, first, last):
            raw.append((_local(d, rule.start_time, tz), _local(d, rule.end_time, tz), d))
    raw.sort()
    merged: list[list] = []
    for start, end, d in raw:
        if merged and start <= merged[-1][2] and merged[-1][0] == d:
            merged[-1][2] = max(merged[-1][2], end)
        else:
            merged.append([d, start, end])
    return [(d, start, end) for d, start, end in merged]


class _KeyedRules(tuple):
    """One partner's rules, compared and hashed by their keys, so their expansion can be cached."""

    __slots__ = ()

    def keys(self) -> tuple:
        return tuple(r.key for r in self)

    def __hash__(self):
        return hash(self.keys())

    def __eq__(self, other):
        return isinstance(other, _KeyedRules) and self.keys() == other.keys()


@lru_cache(maxsize=2048)
def _expanded(rules: _KeyedRules, tz: ZoneInfo, first: date, last: date) -> tuple:
    return tuple(partner_windows(rules, tz, first, last))


def cached_windows(rules, tz: ZoneInfo, first: date, last: date):
    """partner_windows, kept per partner's rules and range: the time step asks for the same
    fortnight again and again. Keyed by what the rules say (RuleSpec.key), never by a row id,
    so an edited rule is a new key and can never be answered from an old expansion."""
    rules = tuple(rules)
    if not rules or any(r.key is None for r in rules):
        return partner_windows(rules, tz, first, last)
    return _expanded(_KeyedRules(rules), tz, first, last)


# --- Conflicts -------------------------------------------------------------------------------


class _Forbidden:
    """Merged open intervals of start times a partner cannot take; bisect to test a start."""

    def __init__(self, intervals: list[tuple[datetime, datetime]]):
        intervals.sort()
        starts: list[datetime] = []
        ends: list[datetime] = []
        for a, b in intervals:
            if ends and a < ends[-1]:
                ends[-1] = max(ends[-1], b)
            else:
                starts.append(a)
                ends.append(b)
        self.starts, self.ends = starts, ends

    def blocked_until(self, s: datetime) -> datetime | None:
        """None if `s` is free, else the end of the forbidden interval containing it."""
        i = bisect.bisect_right(self.starts, s) - 1
        if i >= 0 and self.starts[i] < s < self.ends[i]:
            return self.ends[i]
        return None


def _week_key(d: date) -> tuple[int, int]:
    iso = d.isocalendar()
    return iso.year, iso.week


class _PartnerState:
    """Everything about one partner that the engine needs, indexed once per call."""

    def __init__(self, partner: PartnerSpec, offer: OfferSpec, by_partner):
        self.partner = partner
        self.tz = ZoneInfo(partner.time_zone)
        self.rules = by_partner["rules"].get(partner.id, [])
        duration, before, after, rest = offer.duration, offer.buffer_before, offer.buffer_after, partner.rest
        intervals = []
        append, tz = intervals.append, self.tz
        local_days = []
        # Start times less these, and end times plus these, bound the starts a chat forbids.
        lead, lead_rest = duration + after, duration + rest
        for b in by_partner["bookings"].get(partner.id, []):
            append((b.blocked_start - lead, b.blocked_end + before))
            append((b.start - lead_rest, b.end + rest))
            local_days.append(b.start.astimezone(tz).date())
        for t in by_partner["time_off"].get(partner.id, []):
            append((t.start - lead, t.end + before))
        self.forbidden = _Forbidden(intervals)
        # Weeks are counted from the days, so each distinct day's week is worked out once.
        self.per_day: Counter = Counter(local_days)
        self.per_week: Counter = Counter()
        for day, count in self.per_day.items():
            self.per_week[_week_key(day)] += count

    def under_caps(self, d: date) -> bool:
        p = self.partner
        if p.max_per_day is not None and self.per_day[d] >= p.max_per_day:
            return False
        return p.max_per_week is None or self.per_week[_week_key(d)] < p.max_per_week

    def windows(self, range_start: datetime, range_end: datetime):
        first = range_start.astimezone(self.tz).date() - DAY
        last = range_end.astimezone(self.tz).date() + DAY
        windows = cached_windows(self.rules, self.tz, first, last)
        closed = self.partner.closed_dates
        return [w for w in windows if w[0] not in closed] if closed else windows


def _states(snapshot: Snapshot, offer: OfferSpec, now: datetime) -> list[_PartnerState]:
    by_partner: dict[str, defaultdict] = {k: defaultdict(list) for k in ("rules", "bookings", "time_off")}
    for r in snapshot.rules:
        by_partner["rules"][r.partner_id].append(r)
    for b in snapshot.bookings:
        by_partner["bookings"][b.partner_id].append(b)
    for t in snapshot.time_off:
        by_partner["time_off"][t.partner_id].append(t)
    return [
        _PartnerState(p, offer, by_partner)
        for p in sorted(snapshot.partners, key=lambda p: p.id)
        if p.open_at(now) and p.id in offer.partner_ids
    ]


def _bounds(policy: Policy, offer: OfferSpec, now: datetime, range_start: datetime, range_end: datetime):
    """Earliest start allowed and latest start allowed (exclusive) for this call."""
    earliest = max(range_start, now + policy.notice)
    latest = min(range_end, now + policy.horizon - offer.duration + timedelta(microseconds=1))
    return earliest, latest


def _check_aware(*values: datetime) -> None:
    for v in values:
        if v.tzinfo is None:
            raise ValueError("availability works on aware datetimes only")


# --- Public API ------------------------------------------------------------------------------


def compute_slots(
    snapshot: Snapshot,
    offer: OfferSpec,
    policy: Policy,
    range_start: datetime,
    range_end: datetime,
    now: datetime,
) -> list[Slot]:
    """Bookable slots starting in [range_start, range_end), merged across partners by start.

    Each slot lies inside one of a partner's free periods, starts at least `notice` after `now`,
    ends by `now + horizon`, keeps clear of existing chats (with both chats' buffers and the
    partner's rest), of time off, of closed dates (bank holidays), of pauses, of stale own
    calendars, and of the daily and weekly caps. Each partner's starts (partner_starts), merged.
    """
    return merge_starts(
        partner_starts(snapshot, offer, policy, range_start, range_end, now), offer, policy, now
    )


@dataclass(frozen=True)
class PartnerStarts:
    """One partner's packed starts in a range, with no horizon applied, and until when they hold.

    They are exactly what compute_slots finds for that partner at any `now` from the one they
    were computed at up to (not including) `valid_before`, once starts after that `now`'s
    horizon (`now + horizon - duration`) are dropped: see partner_starts. None: for every
    later `now`.
    """

    partner_id: int
    starts: tuple[datetime, ...]
    valid_before: datetime | None


def partner_starts(
    snapshot: Snapshot,
    offer: OfferSpec,
    policy: Policy,
    range_start: datetime,
    range_end: datetime,
    now: datetime,
) -> dict[int, PartnerStarts]:
    """Each partner's starts in [range_start, range_end) at `now`, before the horizon, so the
    journey can keep them per partner (bookings/slot_cache.py; docs/performance.md, "The time
    step") and merge them at a later `now` without running the engine again.

    Why they hold for a later `now`: packing runs forward from the first free point of the step
    grid at or after `max(range_start, now + notice)`. While that bound has not passed the first
    start found, the first free grid point after it is still that start (there was none before
    it), so every start after it packs the same. The horizon only cuts the end of a forward
    packing, so it is applied after. A partner closes when their own calendar goes stale
    (`calendar_fresh_until`). Partners who are closed at `now` have no starts from then on.
    """
    _check_aware(range_start, range_end, now)
    earliest = max(range_start, now + policy.notice)
    found = {}
    for state in _states(snapshot, offer, now):
        starts = tuple(_packed(state, offer, policy, range_start, range_end, earliest))
        limits = [] if not starts else [starts[0] - policy.notice + _TICK]
        if state.partner.calendar_fresh_until is not None:
            limits.append(state.partner.calendar_fresh_until)
        found[state.partner.id] = PartnerStarts(state.partner.id, starts, min(limits) if limits else None)
    for partner in snapshot.partners:  # closed at `now`, so for every later `now` too
        found.setdefault(partner.id, PartnerStarts(partner.id, (), None))
    return found


def merge_starts(
    pieces: dict[int, PartnerStarts], offer: OfferSpec, policy: Policy, now: datetime
) -> list[Slot]:
    """Slots from partners' starts that hold at `now` (partner_starts), cut at `now`'s horizon:
    one slot per start, with everyone who has it."""
    last_start = now + policy.horizon - offer.duration
    merged: dict[datetime, list[int]] = defaultdict(list)
    for partner_id in sorted(pieces):
        for s in pieces[partner_id].starts:
            if s > last_start:
                break
            merged[s].append(partner_id)
    return [Slot(s, s + offer.duration, tuple(ids)) for s, ids in sorted(merged.items())]


def _packed(state: _PartnerState, offer: OfferSpec, policy: Policy, range_start, range_end, earliest):
    """One partner's starts in [earliest, range_end), packed greedily from each free period's
    start, before any horizon."""
    step, duration = policy.step, offer.duration
    gap = max(offer.buffer_before + offer.buffer_after, timedelta(0))
    # After a slot is offered, the next one for this partner must clear it as a booking would.
    spacing = duration + max(gap, state.partner.rest)
    blocked_until = state.forbidden.blocked_until
    next_allowed = earliest
    for d, w_start, w_end in state.windows(range_start, range_end):
        if w_end <= earliest or w_start >= range_end or not state.under_caps(d):
            continue
        last_start = min(range_end, w_end - duration + _TICK)  # starts before this fit the window
        s = _grid_at_or_after(w_start, step, max(next_allowed, earliest))
        while s < last_start:
            blocked = blocked_until(s)
            if blocked is not None:
                s = _grid_at_or_after(w_start, step, blocked)
                continue
            yield s
            next_allowed = s + spacing
            s = _grid_at_or_after(w_start, step, next_allowed)


def free_partners(
    snapshot: Snapshot, offer: OfferSpec, policy: Policy, start: datetime, now: datetime
) -> tuple[int, ...]:
    """Partners who can take a chat of this offer at exactly `start` (ascending ids).

    The booking services call this inside their transaction: it keeps the same invariants as
    compute_slots but does not require the start to be one of the greedily packed slots.
    """
    _check_aware(start, now)
    end = start + offer.duration
    earliest, latest = _bounds(policy, offer, now, start, end)
    if start < earliest or start >= latest:
        return ()
    ids = []
    for state in _states(snapshot, offer, now):
        inside = [d for d, w_start, w_end in state.windows(start, end) if w_start <= start and end <= w_end]
        if inside and state.under_caps(inside[0]) and state.forbidden.blocked_until(start) is None:
            ids.append(state.partner.id)
    return tuple(ids)


def _grid_at_or_after(origin: datetime, step: timedelta, moment: datetime) -> datetime:
    """The first point origin + k*step (k >= 0) not before `moment`."""
    if moment <= origin:
        return origin
    k = -((origin - moment) // step)  # ceiling division on timedeltas
    return origin + k * step
