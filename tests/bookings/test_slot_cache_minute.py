"""The computed free times a listing shares for a minute (bookings/slots.py `_displayed_slots`,
docs/performance.md "The time step"): one engine run per minute, and nothing offered that the
booking service would refuse at the real `now`."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from bookings import slots
from bookings.availability import Policy, free_partners
from tests.support.slots import counted_calls

from .factories import AvailabilityRuleFactory, OfferFactory, PartnerFactory

LONDON = ZoneInfo("Europe/London")
POLICY = Policy(notice=timedelta(hours=1), horizon=timedelta(days=2), step=timedelta(minutes=15))


@pytest.fixture(autouse=True)
def _slot_cache_on(settings):
    settings.SLOT_CACHE_SECONDS = 60  # off in the test settings (config/settings/test.py)


@pytest.fixture
def offer(db):
    partners = [PartnerFactory(), PartnerFactory()]
    for partner in partners:
        AvailabilityRuleFactory(partner=partner)  # every day 09:00-17:00 UK time
    return OfferFactory(partners=partners)  # 30 minutes


@pytest.fixture
def engine_runs(monkeypatch):
    return counted_calls(monkeypatch, "compute_slots")


def _day(days_ahead: int):
    day = timezone.now().astimezone(LONDON).date() + timedelta(days=days_ahead)
    return datetime.combine(day, time(0), LONDON)


def _listing(offer, now):
    start = _day(1)
    return slots.free_slots(offer, None, start, start + timedelta(days=3), now, POLICY, cached=True)


def test_requests_in_one_minute_share_one_engine_run(offer, engine_runs):
    now = _day(1) + timedelta(hours=8, seconds=10)
    first = _listing(offer, now)
    assert first and len(engine_runs) == 1
    assert _listing(offer, now + timedelta(seconds=40)) == first  # 08:00:50: the same minute
    assert len(engine_runs) == 1
    _listing(offer, now + timedelta(seconds=55))  # 08:01:05: the next
    assert len(engine_runs) == 2


@pytest.mark.parametrize("seconds", [1, 30, 59])
def test_every_time_offered_is_one_the_booking_service_accepts_at_the_real_now(offer, seconds):
    # The notice cut-off falls inside the day's free period, just after 10:15, a quarter-hour
    # (the grid): computed as at 09:15, the minute begun, 10:15 would be offered and refused.
    now = _day(1) + timedelta(hours=9, minutes=15, seconds=seconds)
    shown = _listing(offer, now)
    assert shown
    for slot in shown:
        spec, snapshot = slots.load_snapshot(offer, slot.start, slot.end)
        assert free_partners(snapshot, spec, POLICY, slot.start, now), slot.start


def test_the_horizon_counts_from_the_real_now_not_the_minute(offer):
    # Computed as at 10:00 the horizon would allow a chat starting at 09:30 two days later; from
    # the real now, 09:59:30, the last start is 09:29:30.
    at = _day(1) + timedelta(hours=10)
    last = at + POLICY.horizon - offer.duration
    assert any(s.start == last for s in slots.free_slots(offer, None, _day(1), _day(4), at, POLICY))
    now = at - timedelta(seconds=30)
    shown = slots.free_slots(offer, None, _day(1), _day(4), now, POLICY, cached=True)
    assert shown and all(s.start <= now + POLICY.horizon - offer.duration for s in shown)
    assert last not in {s.start for s in shown}
