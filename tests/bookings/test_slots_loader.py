"""The loader: a fixed number of queries, and rules that survive a database round trip."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bookings.models import AvailabilityRule, BookingSettings, BookingStatus
from bookings.slots import load_bounds, load_snapshot, policy_for_site
from tests.support.slots import available_slots

from .conftest import NOW
from .factories import (
    AvailabilityRuleFactory,
    BookingFactory,
    OfferFactory,
    PartnerFactory,
    TimeOffFactory,
    weekly,
)

LONDON = ZoneInfo("Europe/London")
pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "monday",
    [
        date(2026, 3, 23),
        date(2026, 3, 30),
        date(2026, 10, 19),
        date(2026, 10, 26),
        date(2027, 3, 22),
        date(2027, 3, 29),
        date(2027, 10, 25),
        date(2027, 11, 1),
    ],
)
def test_rule_read_back_from_the_database_keeps_london_wall_time(monday, policy):
    partner = PartnerFactory(works_bank_holidays=True)  # 29 March 2027 is Easter Monday
    AvailabilityRule.objects.create(
        partner=partner,
        recurrence=weekly(0),
        start_time=time(10),
        end_time=time(12),
        starts_on=date(2026, 1, 5),
    )
    offer = OfferFactory(partners=[partner])
    start = datetime.combine(monday, time(), LONDON)
    slots = available_slots(offer, start, start + timedelta(days=1), start - timedelta(days=7), policy=policy)
    assert [s.start.astimezone(LONDON).time() for s in slots] == [
        time(10),
        time(10, 30),
        time(11),
        time(11, 30),
    ]
    assert slots[0].start == datetime.combine(monday, time(10), LONDON)


def test_stored_exclusion_date_is_skipped(policy):
    partner = PartnerFactory()
    rec = weekly(0)
    rec.exdates.append(datetime(2026, 6, 7, 23, tzinfo=UTC))  # what the widget stores for 8 June
    AvailabilityRuleFactory(partner=partner, recurrence=rec)
    offer = OfferFactory(partners=[partner])
    slots = available_slots(
        offer, datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 6, 16, tzinfo=UTC), NOW, policy=policy
    )
    assert sorted({s.start.date() for s in slots}) == [date(2026, 6, 1), date(2026, 6, 15)]


def _populate(partners, past_bookings):
    people = [PartnerFactory() for _ in range(partners)]
    for p in people:
        AvailabilityRuleFactory(partner=p)
        TimeOffFactory(partner=p)
    offer = OfferFactory(partners=people)
    for i in range(past_bookings):
        BookingFactory(partner=people[i % partners], offer=offer, start=NOW - timedelta(days=30 + i))
    BookingFactory(partner=people[0], offer=offer, start=datetime(2026, 6, 1, 10, tzinfo=UTC))
    BookingFactory(
        partner=people[0],
        offer=offer,
        start=datetime(2026, 6, 1, 12, tzinfo=UTC),
        status=BookingStatus.CANCELLED,
    )
    return offer


@pytest.mark.parametrize(("partners", "weeks", "past"), [(1, 1, 0), (6, 8, 40)])
def test_query_count_does_not_grow_with_partners_days_or_history(
    partners, weeks, past, policy, django_assert_num_queries
):
    offer = _populate(partners, past)
    start = datetime(2026, 6, 1, tzinfo=UTC)
    with django_assert_num_queries(2):
        slots = available_slots(offer, start, start + timedelta(weeks=weeks), NOW, policy=policy)
    assert slots


def test_snapshot_holds_only_blocking_bookings_near_the_range():
    offer = _populate(2, 5)
    _spec, snap = load_snapshot(offer, datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 6, 2, tzinfo=UTC))
    assert [b.start for b in snap.bookings] == [datetime(2026, 6, 1, 10, tzinfo=UTC)]


def test_paused_and_inactive_partners_are_not_loaded(policy):
    offer = _populate(2, 0)
    partner = offer.partners.order_by("pk").first()
    partner.accepting_bookings = False
    partner.save()
    _spec, snap = load_snapshot(offer, datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 6, 2, tzinfo=UTC))
    assert partner.pk not in {p.id for p in snap.partners}


def test_policy_comes_from_the_site_setting(django_assert_max_num_queries):
    from wagtail.models import Site

    site = Site.objects.get(is_default_site=True)
    BookingSettings.objects.create(site=site, minimum_notice_hours=3, horizon_days=10, slot_step_minutes=20)
    with django_assert_max_num_queries(2):
        policy = policy_for_site()
    assert (policy.notice, policy.horizon, policy.step) == (
        timedelta(hours=3),
        timedelta(days=10),
        timedelta(minutes=20),
    )


def test_an_edited_rule_is_never_answered_from_the_cached_expansion(policy):
    # Expanded rules are kept per partner's rules and range (bookings/availability.py,
    # cached_windows), keyed by what each rule says: the same range asked again after an edit
    # must show the edit.
    partner = PartnerFactory()
    rule = AvailabilityRuleFactory(
        partner=partner, recurrence=weekly(0), start_time=time(10), end_time=time(11)
    )
    offer = OfferFactory(partners=[partner])
    start = datetime(2026, 6, 1, tzinfo=UTC)  # a Monday
    end = start + timedelta(days=7)

    def london_starts():
        slots = available_slots(offer, start, end, NOW, policy=policy)
        return [s.start.astimezone(LONDON).strftime("%a %H:%M") for s in slots]

    assert london_starts() == ["Mon 10:00", "Mon 10:30"]
    assert london_starts() == ["Mon 10:00", "Mon 10:30"]  # now from the cache
    rule.start_time, rule.end_time = time(14), time(14, 30)
    rule.save()
    assert london_starts() == ["Mon 14:00"]
    rule.recurrence = weekly(1)
    rule.save()
    assert london_starts() == ["Tue 14:00"]
    rule.recurrence.exdates.append(datetime(2026, 6, 1, 23, tzinfo=UTC))  # the widget's 2 June
    rule.save()
    assert london_starts() == []


@pytest.mark.parametrize("zone", ["Europe/London", "Pacific/Kiritimati", "Pacific/Pago_Pago"])
def test_the_weekly_cap_counts_a_chat_early_in_the_week_before_the_range(zone, policy):
    # The loader reads the whole weeks the range touches (load_bounds), not a fixed margin: a
    # chat on Monday fills a cap of one for the Sunday, in any zone from UTC+14 to UTC-11.
    tz = ZoneInfo(zone)
    partner = PartnerFactory(max_chats_per_week=1, time_zone=zone, works_bank_holidays=True)
    AvailabilityRuleFactory(partner=partner, start_time=time(0), end_time=time(23, 30))
    offer = OfferFactory(partners=[partner])
    BookingFactory(partner=partner, offer=offer, start=datetime(2026, 6, 1, 0, 15, tzinfo=tz))  # Monday
    sunday = datetime(2026, 6, 7, tzinfo=tz)
    assert available_slots(offer, sunday, sunday + timedelta(days=1), NOW, policy=policy) == []
    next_monday = datetime(2026, 6, 8, tzinfo=tz)
    assert available_slots(offer, next_monday, next_monday + timedelta(days=1), NOW, policy=policy)


def test_load_bounds_cover_the_weeks_the_engine_reads():
    # A fortnight from Wednesday 2 December 2026 (UK time): from the day before Monday
    # 30 November to the day after Monday 21 December, in UTC.
    start = datetime(2026, 12, 2, tzinfo=LONDON)
    low, high = load_bounds(start, start + timedelta(days=14))
    assert (low, high) == (datetime(2026, 11, 29, tzinfo=UTC), datetime(2026, 12, 22, tzinfo=UTC))


def test_loaded_times_are_the_stored_aware_times():
    """The loader reads the UNION's rows past Django's converters (docs/performance.md, "The time
    step"): every timestamp must still be the aware UTC moment the ORM reads back."""
    offer = OfferFactory(buffer_before_minutes=5, buffer_after_minutes=10)
    partner = PartnerFactory()
    offer.partners.add(partner)
    start = datetime(2026, 6, 1, 10, 15, 30, 250000, tzinfo=UTC)  # microseconds survive too
    booking = BookingFactory(partner=partner, offer=offer, start=start)
    booking.set_times(start, offer)
    booking.save()
    TimeOffFactory(
        partner=partner, start=datetime(2026, 6, 2, 9, tzinfo=UTC), end=datetime(2026, 6, 2, 17, tzinfo=UTC)
    )
    _spec, snap = load_snapshot(offer, datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 6, 3, tzinfo=UTC))
    stored = type(booking).objects.get(pk=booking.pk)
    (loaded,) = snap.bookings
    assert (loaded.start, loaded.end, loaded.blocked_start, loaded.blocked_end) == (
        stored.start,
        stored.end,
        stored.blocked_start,
        stored.blocked_end,
    )
    assert loaded.blocked_start == start - timedelta(minutes=5)
    assert all(v.utcoffset() == timedelta(0) for v in (loaded.start, loaded.blocked_end))
    (off,) = snap.time_off
    assert (off.start, off.end) == (datetime(2026, 6, 2, 9, tzinfo=UTC), datetime(2026, 6, 2, 17, tzinfo=UTC))


def test_an_offer_nobody_serves_loads_nothing():
    _spec, snap = load_snapshot(
        OfferFactory(), datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 6, 3, tzinfo=UTC)
    )
    assert snap.partners == snap.bookings == snap.time_off == ()
