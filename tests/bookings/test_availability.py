"""The pure slot engine, example by example. Properties are in test_availability_properties.py."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import recurrence

from bookings.availability import (
    BusySpec,
    OfferSpec,
    PartnerSpec,
    Policy,
    RuleSpec,
    Snapshot,
    TimeOffSpec,
    compute_slots,
    free_partners,
    rule_dates,
)

LONDON = ZoneInfo("Europe/London")
MIN = timedelta(minutes=1)
NOW = datetime(2026, 1, 1, tzinfo=UTC)
POLICY = Policy(notice=timedelta(hours=48), horizon=timedelta(days=800), step=timedelta(minutes=15))


def weekly(*days, **kwargs):
    rec = recurrence.Recurrence(rrules=[recurrence.Rule(recurrence.WEEKLY, byday=list(days), **kwargs)])
    # Serialise and read back, as the database does.
    return recurrence.deserialize(recurrence.serialize(rec), include_dtstart=False)


def rule(partner_id=1, days=(0,), start=time(10), end=time(12), starts_on=date(2025, 1, 1), rec=None):
    return RuleSpec(partner_id, rec or weekly(*days), start, end, starts_on)


def offer(duration=30, before=0, after=0, partners=(1,)):
    return OfferSpec(1, duration * MIN, before * MIN, after * MIN, frozenset(partners))


def snap(rules, partners=None, bookings=(), time_off=()):
    partners = partners or (PartnerSpec(1),)
    return Snapshot(tuple(partners), tuple(rules), tuple(time_off), tuple(bookings))


def london(y, m, d, hh, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=LONDON).astimezone(UTC)


def day_range(y, m, d):
    start = london(y, m, d, 0)
    return start, start + timedelta(days=1)


def starts(slots):
    return [s.start.astimezone(LONDON).strftime("%H:%M") for s in slots]


def busy(start, minutes=30, before=0, after=0, partner_id=1):
    return BusySpec(
        partner_id, start, start + minutes * MIN, start - before * MIN, start + (minutes + after) * MIN
    )


def test_slots_are_packed_on_the_step_grid_inside_the_window():
    slots = compute_slots(snap([rule()]), offer(), POLICY, *day_range(2026, 6, 1), NOW)
    assert starts(slots) == ["10:00", "10:30", "11:00", "11:30"]
    assert all(s.end - s.start == 30 * MIN and s.partner_ids == (1,) for s in slots)


def test_no_slots_on_days_without_a_rule():
    assert compute_slots(snap([rule()]), offer(), POLICY, *day_range(2026, 6, 2), NOW) == []


@pytest.mark.parametrize(
    ("before_change", "after_change"),
    [
        (date(2026, 3, 23), date(2026, 3, 30)),  # clocks go forward on Sunday 29 March 2026
        (date(2026, 10, 19), date(2026, 10, 26)),  # back on Sunday 25 October 2026
        (date(2027, 3, 22), date(2027, 3, 29)),  # forward on Sunday 28 March 2027
        (date(2027, 10, 25), date(2027, 11, 1)),  # back on Sunday 31 October 2027
    ],
)
def test_monday_ten_oclock_london_stays_ten_oclock_across_clock_changes(before_change, after_change):
    for d in (before_change, after_change):
        slots = compute_slots(snap([rule()]), offer(), POLICY, *day_range(d.year, d.month, d.day), NOW)
        assert slots[0].start == london(d.year, d.month, d.day, 10)
        assert starts(slots)[0] == "10:00"
    # and the UTC instants really differ by the hour the clocks moved
    offsets = {london(d.year, d.month, d.day, 10).hour for d in (before_change, after_change)}
    assert offsets == {9, 10}


@pytest.mark.parametrize(
    "sunday", [date(2026, 3, 29), date(2026, 10, 25), date(2027, 3, 28), date(2027, 10, 31)]
)
def test_rule_on_the_day_of_the_change_itself(sunday):
    slots = compute_slots(snap([rule(days=(6,))]), offer(), POLICY, *day_range(*sunday.timetuple()[:3]), NOW)
    assert starts(slots) == ["10:00", "10:30", "11:00", "11:30"]


def test_exclusion_date_removes_that_day_only():
    rec = weekly(0)
    # As the widget stores it: local midnight of the skipped day, converted to UTC (BST here).
    rec.exdates.append(datetime(2026, 5, 31, 23, 0, tzinfo=UTC))
    dates = rule_dates(rule(rec=rec), LONDON, date(2026, 5, 25), date(2026, 6, 15))
    assert dates == [date(2026, 5, 25), date(2026, 6, 8), date(2026, 6, 15)]


def test_every_other_week_is_anchored_on_starts_on_not_the_query():
    rec = weekly(0, interval=2)
    r = rule(rec=rec, starts_on=date(2026, 6, 1))
    assert rule_dates(r, LONDON, date(2026, 6, 1), date(2026, 6, 30)) == [
        date(2026, 6, 1),
        date(2026, 6, 15),
        date(2026, 6, 29),
    ]
    assert rule_dates(r, LONDON, date(2026, 6, 8), date(2026, 6, 30)) == [
        date(2026, 6, 15),
        date(2026, 6, 29),
    ]
    assert rule_dates(r, LONDON, date(2026, 5, 1), date(2026, 5, 31)) == []


def test_until_date_is_inclusive():
    rec = weekly(0, until=datetime(2026, 6, 7, 23, 0, tzinfo=UTC))  # local midnight 8 June
    assert rule_dates(rule(rec=rec), LONDON, date(2026, 6, 1), date(2026, 6, 30)) == [
        date(2026, 6, 1),
        date(2026, 6, 8),
    ]


def test_several_ranges_a_day_and_overlapping_rules_merge():
    rules = [
        rule(start=time(9), end=time(10)),
        rule(start=time(9, 30), end=time(10, 30)),
        rule(start=time(14), end=time(15)),
    ]
    slots = compute_slots(snap(rules), offer(duration=60), POLICY, *day_range(2026, 6, 1), NOW)
    assert starts(slots) == ["09:00", "14:00"]


def test_existing_booking_buffers_on_both_sides_are_honoured():
    existing = busy(london(2026, 6, 1, 10, 30), before=15, after=15)  # blocks 10:15-11:15
    slots = compute_slots(
        snap([rule()], bookings=[existing]), offer(before=5, after=10), POLICY, *day_range(2026, 6, 1), NOW
    )
    # 10:00 would end 10:30 + 10 min buffer = 10:40 > 10:15: not offered. First start after:
    # 11:15 + 5 min of our own buffer = 11:20, on the 15-minute grid = 11:30.
    assert starts(slots) == ["11:30"]


def test_rest_time_after_each_chat():
    partner = PartnerSpec(1, rest=timedelta(minutes=20))
    existing = busy(london(2026, 6, 1, 10))
    slots = compute_slots(snap([rule()], [partner], [existing]), offer(), POLICY, *day_range(2026, 6, 1), NOW)
    assert starts(slots) == ["11:00"]  # 10:30 + 20 min rest = 10:50 -> grid 11:00; then 11:30 + 20 > 11:30


def test_notice_and_horizon():
    now = london(2026, 5, 30, 11)
    policy = Policy(notice=timedelta(hours=47), horizon=timedelta(days=2, hours=1), step=15 * MIN)
    slots = compute_slots(snap([rule()]), offer(), policy, *day_range(2026, 6, 1), now)
    # earliest start 1 June 10:00, last end 1 June 12:00 (now + 2 days 1 hour)
    assert starts(slots) == ["10:00", "10:30", "11:00", "11:30"]
    policy = Policy(
        notice=timedelta(hours=47, minutes=1), horizon=timedelta(days=2, minutes=44), step=15 * MIN
    )
    assert starts(compute_slots(snap([rule()]), offer(), policy, *day_range(2026, 6, 1), now)) == [
        "10:15",
        "10:45",
    ]


def test_daily_and_weekly_caps():
    partner = PartnerSpec(1, max_per_day=1, max_per_week=2)
    bookings = [busy(london(2026, 6, 1, 10))]  # Monday
    rules = [rule(days=(0, 1, 2))]
    full = compute_slots(
        snap(rules, [partner], bookings), offer(), POLICY, london(2026, 6, 1, 0), london(2026, 6, 4, 0), NOW
    )
    assert {s.start.date() for s in full} == {date(2026, 6, 2), date(2026, 6, 3)}
    bookings.append(busy(london(2026, 6, 3, 10)))  # Wednesday: the week is now full
    full = compute_slots(
        snap(rules, [partner], bookings), offer(), POLICY, london(2026, 6, 1, 0), london(2026, 6, 4, 0), NOW
    )
    assert full == []
    next_week = compute_slots(snap(rules, [partner], bookings), offer(), POLICY, *day_range(2026, 6, 8), NOW)
    assert next_week


def test_paused_partner_and_partner_not_offering_get_no_slots():
    assert (
        compute_slots(
            snap([rule()], [PartnerSpec(1, accepting=False)]), offer(), POLICY, *day_range(2026, 6, 1), NOW
        )
        == []
    )
    assert compute_slots(snap([rule()]), offer(partners=(2,)), POLICY, *day_range(2026, 6, 1), NOW) == []


def test_time_off_blocks_including_buffers():
    off = TimeOffSpec(1, london(2026, 6, 1, 9), london(2026, 6, 1, 11))
    slots = compute_slots(
        snap([rule()], time_off=[off]), offer(before=10), POLICY, *day_range(2026, 6, 1), NOW
    )
    assert starts(slots) == ["11:15"]


def test_whoever_is_free_merges_partners():
    partners = [PartnerSpec(1), PartnerSpec(2)]
    rules = [rule(1), rule(2, start=time(11), end=time(13))]
    bookings = [busy(london(2026, 6, 1, 11), partner_id=1)]
    slots = compute_slots(
        snap(rules, partners, bookings), offer(partners=(1, 2)), POLICY, *day_range(2026, 6, 1), NOW
    )
    got = {s.start.astimezone(LONDON).strftime("%H:%M"): s.partner_ids for s in slots}
    assert got == {"10:00": (1,), "10:30": (1,), "11:00": (2,), "11:30": (1, 2), "12:00": (2,), "12:30": (2,)}


def test_free_partners_checks_any_start_not_only_packed_ones():
    s = snap([rule()], bookings=[busy(london(2026, 6, 1, 10))])
    assert free_partners(s, offer(), POLICY, london(2026, 6, 1, 10, 40), NOW) == (1,)
    assert free_partners(s, offer(), POLICY, london(2026, 6, 1, 10, 20), NOW) == ()
    assert free_partners(s, offer(), POLICY, london(2026, 6, 1, 11, 45), NOW) == ()  # runs past 12:00
    assert free_partners(s, offer(), POLICY, london(2026, 6, 2, 10), NOW) == ()  # Tuesday


def test_touching_chats_do_not_conflict():
    s = snap([rule()], bookings=[busy(london(2026, 6, 1, 10))])
    assert free_partners(s, offer(), POLICY, london(2026, 6, 1, 10, 30), NOW) == (1,)
    assert free_partners(s, offer(), POLICY, london(2026, 6, 1, 9, 30), NOW) == ()  # before the window
    s = snap([rule(start=time(9))], bookings=[busy(london(2026, 6, 1, 10))])
    assert free_partners(s, offer(), POLICY, london(2026, 6, 1, 9, 30), NOW) == (1,)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="aware"):
        compute_slots(snap([rule()]), offer(), POLICY, datetime(2026, 6, 1), datetime(2026, 6, 2), NOW)
