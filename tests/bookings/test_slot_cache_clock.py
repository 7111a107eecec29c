"""Each partner's cached free times as the clock moves on (bookings/slots.py `_displayed_slots`,
docs/performance.md "The time step"): a listing is exactly what the engine finds at the real
`now`, the engine runs again only for a partner whose times the clock has outrun, and nothing
is offered that the booking service would refuse."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from bookings import slots
from bookings.availability import Policy, free_partners
from bookings.models import ExternalCalendar
from tests.support.slots import counted_calls

from .factories import AvailabilityRuleFactory, BookingFactory, OfferFactory, PartnerFactory

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
    return counted_calls(monkeypatch, "partner_starts")


def _day(days_ahead: int):
    day = timezone.now().astimezone(LONDON).date() + timedelta(days=days_ahead)
    return datetime.combine(day, time(0), LONDON)


def _listing(offer, now, cached=True):
    start = _day(1)
    return slots.free_slots(offer, None, start, start + timedelta(days=3), now, POLICY, cached=cached)


def test_the_listing_is_what_the_engine_finds_as_the_clock_moves_on(offer, engine_runs, settings):
    # From 07:00 to 19:00 in seven-minute steps, with a second partner's booking mid-morning and
    # their own calendar going stale at 15:00: cached or not, the same slots at every moment.
    settings.BUSY_CALENDAR_STALE_AFTER_HOURS = 24
    first, second = offer.partners.order_by("pk")
    day = _day(1)
    BookingFactory(partner=second, offer=offer, start=day + timedelta(hours=11, minutes=10))
    ExternalCalendar.objects.create(
        partner=second,
        url="https://example.org/own.ics",
        saved_at=day,
        last_success_at=day - timedelta(hours=9),
    )
    moments = [day + timedelta(hours=7, minutes=7 * k, seconds=k % 60) for k in range(103)]
    for now in moments:
        assert _listing(offer, now) == _listing(offer, now, cached=False), now
    # The first listing ran the engine for both; later ones ran it again only as the notice
    # cut-off passed a partner's first time (their half-hour chats pack every half hour) or the
    # calendar went stale, for that partner alone.
    assert 8 < len(engine_runs) < len(moments) // 2, len(engine_runs)
    assert any(len(args[0].partners) == 1 for args, _ in engine_runs)


@pytest.mark.parametrize("seconds", [1, 30, 59])
def test_every_time_offered_is_one_the_booking_service_accepts_at_the_real_now(offer, seconds):
    # The notice cut-off falls inside the day's free period, just after 10:15, a quarter-hour
    # (the grid): the times kept from 09:15 offered 10:15, which is refused from then on.
    _listing(offer, _day(1) + timedelta(hours=9, minutes=15))
    now = _day(1) + timedelta(hours=9, minutes=15, seconds=seconds)
    shown = _listing(offer, now)
    assert shown
    for slot in shown:
        spec, snapshot = slots.load_snapshot(offer, slot.start, slot.end)
        assert free_partners(snapshot, spec, POLICY, slot.start, now), slot.start


def test_the_horizon_counts_from_the_real_now(offer):
    # At 10:00 the horizon allows a chat starting at 09:30 two days later; the times kept from
    # 09:59 go beyond the horizon, and from 09:59:30 the last start is 09:29:30.
    at = _day(1) + timedelta(hours=10)
    last = at + POLICY.horizon - offer.duration
    assert any(s.start == last for s in slots.free_slots(offer, None, _day(1), _day(4), at, POLICY))
    slots.free_slots(offer, None, _day(1), _day(4), at - timedelta(minutes=1), POLICY, cached=True)
    now = at - timedelta(seconds=30)
    shown = slots.free_slots(offer, None, _day(1), _day(4), now, POLICY, cached=True)
    assert shown and all(s.start <= now + POLICY.horizon - offer.duration for s in shown)
    assert last not in {s.start for s in shown}
