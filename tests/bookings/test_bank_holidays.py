"""Bank holidays close a partner's free times by nation unless they work on them
(docs/bookings.md#bank-holidays): the dates, the engine, the loader, the workspace and staff."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from wagtail.models import ModelLogEntry

from bookings import partner_services
from bookings.availability import (
    OfferSpec,
    PartnerSpec,
    Policy,
    RuleSpec,
    Snapshot,
    compute_slots,
    free_partners,
)
from bookings.bank_holidays import ENGLAND, NORTHERN_IRELAND, SCOTLAND, WALES, bank_holidays, closed_dates
from bookings.errors import InvalidInput
from bookings.models import Partner
from tests.support.slots import available_slots
from tests.support.workspace_people import partner_with_login

from .factories import AvailabilityRuleFactory, OfferFactory, PartnerFactory, weekly

LONDON = ZoneInfo("Europe/London")
MIN = timedelta(minutes=1)
EVERY_DAY = (0, 1, 2, 3, 4, 5, 6)
pytestmark = pytest.mark.django_db

# --- the dates, 2026-2028 -------------------------------------------------------------------

SCOTTISH = [
    date(2026, 1, 2),  # 2 January
    date(2027, 1, 4),  # 2 January 2027 is a Saturday: Monday 4th instead
    date(2028, 1, 4),  # New Year's Day on Saturday, 2nd on Sunday: Monday 3rd and Tuesday 4th
    date(2026, 8, 3),  # Summer bank holiday: the first Monday of August
    date(2027, 8, 2),
    date(2028, 8, 7),
    date(2026, 11, 30),  # St Andrew's Day (a Monday in 2026)
    date(2027, 11, 30),
    date(2028, 11, 30),
    date(2025, 12, 1),  # St Andrew's Day 2025 was a Sunday: the substitute Monday
]
NORTHERN_IRISH = [
    date(2026, 3, 17),  # St Patrick's Day
    date(2027, 3, 17),
    date(2028, 3, 17),
    date(2026, 7, 13),  # 12 July 2026 is a Sunday: the substitute Monday
    date(2027, 7, 12),  # Battle of the Boyne
    date(2028, 7, 12),
]
EVERYWHERE = [
    date(2026, 12, 25),
    date(2026, 12, 28),  # Boxing Day 2026 is a Saturday: substitute Monday 28 December
    date(2027, 12, 27),  # Christmas and Boxing Day 2027 on the weekend: Monday and Tuesday
    date(2027, 12, 28),
    date(2028, 1, 3),  # New Year's Day 2028 is a Saturday
    date(2026, 4, 3),  # Good Friday
    date(2028, 5, 1),  # Early May bank holiday
]


@pytest.mark.parametrize("day", SCOTTISH)
def test_scottish_days_close_in_scotland_only(day):
    assert day in closed_dates(SCOTLAND, day, day)
    if day.month != 1 or day == date(2026, 1, 2):  # 2 January is Scottish only
        assert day not in closed_dates(ENGLAND, day, day)
        assert day not in closed_dates(NORTHERN_IRELAND, day, day)


@pytest.mark.parametrize("day", NORTHERN_IRISH)
def test_northern_irish_days_close_in_northern_ireland_only(day):
    assert day in closed_dates(NORTHERN_IRELAND, day, day)
    for nation in (ENGLAND, WALES, SCOTLAND):
        assert day not in closed_dates(nation, day, day)


@pytest.mark.parametrize("day", EVERYWHERE)
@pytest.mark.parametrize("nation", [ENGLAND, WALES, SCOTLAND, NORTHERN_IRELAND])
def test_christmas_new_year_and_their_substitutes_close_everywhere(nation, day):
    assert day in closed_dates(nation, day, day)


def test_england_and_scotland_differ_on_easter_monday_and_the_august_holiday():
    england = closed_dates(ENGLAND, date(2026, 1, 1), date(2028, 12, 31))
    scotland = closed_dates(SCOTLAND, date(2026, 1, 1), date(2028, 12, 31))
    assert date(2026, 4, 6) in england and date(2026, 4, 6) not in scotland  # Easter Monday
    assert date(2026, 8, 31) in england and date(2026, 8, 31) not in scotland  # late summer
    assert date(2026, 8, 3) in scotland and date(2026, 8, 3) not in england
    assert closed_dates(WALES, date(2026, 1, 1), date(2028, 12, 31)) == england
    assert date(2026, 12, 29) not in england  # an ordinary Tuesday


def test_bank_holidays_are_named_in_date_order_within_the_range():
    found = bank_holidays(ENGLAND, date(2026, 12, 1), date(2027, 1, 1))
    assert list(found) == [date(2026, 12, 25), date(2026, 12, 26), date(2026, 12, 28), date(2027, 1, 1)]
    assert "Boxing Day" in found[date(2026, 12, 28)]


# --- the engine takes closed dates as data ----------------------------------------------------


def _engine(closed=frozenset()):
    rec = weekly(*EVERY_DAY)
    rules = (RuleSpec(1, rec, time(10), time(11), date(2025, 1, 1)),)
    partner = PartnerSpec(1, "Europe/London", closed_dates=frozenset(closed))
    snapshot = Snapshot((partner,), rules, (), ())
    offer = OfferSpec(1, 30 * MIN, 0 * MIN, 0 * MIN, frozenset({1}))
    policy = Policy(notice=timedelta(0), horizon=timedelta(days=400), step=30 * MIN)
    return snapshot, offer, policy


def _days(slots):
    return sorted({s.start.astimezone(LONDON).date() for s in slots})


def test_engine_skips_closed_dates_only():
    now = datetime(2026, 12, 1, tzinfo=UTC)
    start, end = datetime(2026, 12, 24, tzinfo=LONDON), datetime(2026, 12, 30, tzinfo=LONDON)
    snapshot, offer, policy = _engine({date(2026, 12, 25), date(2026, 12, 28)})
    days = _days(compute_slots(snapshot, offer, policy, start, end, now))
    assert days == [date(2026, 12, 24), date(2026, 12, 26), date(2026, 12, 27), date(2026, 12, 29)]
    closed_start = datetime(2026, 12, 28, 10, tzinfo=LONDON).astimezone(UTC)
    assert free_partners(snapshot, offer, policy, closed_start, now) == ()
    open_start = datetime(2026, 12, 29, 10, tzinfo=LONDON).astimezone(UTC)
    assert free_partners(snapshot, offer, policy, open_start, now) == (1,)
    # Without closed dates the same days are all open.
    snapshot, offer, policy = _engine()
    assert len(_days(compute_slots(snapshot, offer, policy, start, end, now))) == 6


# --- the loader works them out per partner ------------------------------------------------------


def _loader_world(**partner_fields):
    partner = PartnerFactory(**partner_fields)
    AvailabilityRuleFactory(
        partner=partner, recurrence=weekly(*EVERY_DAY), start_time=time(10), end_time=time(12)
    )
    return partner, OfferFactory(partners=[partner])


def _slot_days(offer, first, days, now):
    start = datetime.combine(first, time(), LONDON)
    policy = Policy(notice=timedelta(0), horizon=timedelta(days=800), step=timedelta(minutes=30))
    return _days(available_slots(offer, start, start + timedelta(days=days), now, policy=policy))


NOW = datetime(2026, 11, 1, tzinfo=UTC)


def test_a_scottish_partner_is_closed_on_st_andrews_day_and_an_english_one_is_not():
    _, scottish_offer = _loader_world(nation=SCOTLAND)
    _, english_offer = _loader_world()  # England is the default
    assert date(2026, 11, 30) not in _slot_days(scottish_offer, date(2026, 11, 29), 3, NOW)
    assert date(2026, 11, 30) in _slot_days(english_offer, date(2026, 11, 29), 3, NOW)


def test_the_substitute_day_closes_and_the_next_day_is_open():
    _, offer = _loader_world()
    days = _slot_days(offer, date(2026, 12, 24), 7, NOW)
    assert days == [date(2026, 12, 24), date(2026, 12, 27), date(2026, 12, 29), date(2026, 12, 30)]


def test_northern_irish_partner_closed_on_the_boyne_substitute_monday():
    _, offer = _loader_world(nation=NORTHERN_IRELAND)
    now = datetime(2026, 7, 1, tzinfo=UTC)
    days = _slot_days(offer, date(2026, 7, 11), 4, now)
    assert days == [date(2026, 7, 11), date(2026, 7, 14)]


def test_a_partner_who_works_bank_holidays_keeps_every_day():
    _, offer = _loader_world(nation=SCOTLAND, works_bank_holidays=True)
    assert len(_slot_days(offer, date(2026, 12, 24), 7, NOW)) == 7


def test_closed_dates_cost_no_extra_query(django_assert_num_queries):
    partner, offer = _loader_world(nation=NORTHERN_IRELAND)
    start = datetime(2026, 7, 6, tzinfo=LONDON)
    policy = Policy(notice=timedelta(0), horizon=timedelta(days=800), step=timedelta(minutes=30))
    with django_assert_num_queries(2):
        slots = available_slots(offer, start, start + timedelta(days=14), NOW, policy=policy)
    assert date(2026, 7, 13) not in _days(slots)


# --- the partner's workspace and the staff form -------------------------------------------------


def test_workspace_shows_the_next_bank_holidays_and_saves_the_choice(client):
    partner = partner_with_login("hols", "Hamish Holiday")
    client.force_login(partner.user)
    html = client.get("/partners/availability/").content.decode()
    assert "Nobody can book you on a bank holiday in England" in html
    assert 'name="nation"' in html and 'name="works_bank_holidays"' in html

    response = client.post("/partners/availability/bank-holidays/", {"nation": SCOTLAND})
    assert response.status_code == 302
    partner.refresh_from_db()
    assert (partner.nation, partner.works_bank_holidays) == (SCOTLAND, False)
    html = client.get("/partners/availability/").content.decode()
    assert "in Scotland" in html and "Saved. Nobody can book you on a bank holiday." in html

    client.post("/partners/availability/bank-holidays/", {"nation": SCOTLAND, "works_bank_holidays": "on"})
    partner.refresh_from_db()
    assert partner.works_bank_holidays is True
    assert "You work on bank holidays" in client.get("/partners/availability/").content.decode()
    entries = ModelLogEntry.objects.filter(object_id=str(partner.pk)).order_by("pk")
    assert [e.data for e in entries][-2:] == [{"workspace": "bank_holidays_changed"}] * 2


def test_workspace_refuses_an_unknown_nation_kindly(client):
    partner = partner_with_login("hols2", "Hana Holiday")
    client.force_login(partner.user)
    response = client.post("/partners/availability/bank-holidays/", {"nation": "FRA"})
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    partner.refresh_from_db()
    assert partner.nation == ENGLAND
    assert "Bank holidays" in client.get("/partners/availability/bank-holidays/").content.decode()


def test_service_refuses_an_unknown_nation():
    partner = PartnerFactory()
    with pytest.raises(InvalidInput):
        partner_services.set_bank_holidays(partner, "XX", False)
    assert Partner.objects.get(pk=partner.pk).nation == ENGLAND


def test_staff_can_set_a_partners_nation_and_opt_in(admin_client):
    partner = PartnerFactory(display_name="Sian Staffset")
    html = admin_client.get(reverse("partner:edit", args=[partner.pk])).content.decode()
    assert 'name="nation"' in html and 'name="works_bank_holidays"' in html
