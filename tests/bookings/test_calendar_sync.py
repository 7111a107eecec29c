"""Busy times from a partner's own calendar, end to end: local server → task → slots → booking.

Only 127.0.0.1 is ever contacted (tests/support/ics_server.py); the addresses are IP literals,
so no name is looked up. `now` is passed in, as the task's edge would.
"""

import logging
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from bookings import partner_calendars, services
from bookings.calendars import sync as calendar_sync
from bookings.calendars.fetch import CalendarFetchError
from bookings.calendars.sync import sync_due_calendars, sync_partner
from bookings.errors import InvalidInput, SlotUnavailable
from bookings.models import BusyInterval, ExternalCalendar, Format, TimeOff
from bookings.services import BookerDetails
from tests.support.ics_server import IcsServer, huge, ics, redirect, stall, status
from tests.support.slots import available_slots

from .conftest import NOW
from .factories import AvailabilityRuleFactory, PartnerFactory

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
BOOKER = BookerDetails(name="Sam Example", email="sam@example.org", format=Format.VIDEO)


def calendar(*events: str) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Test//Own calendar//EN"]
    for event in events:
        lines += ["BEGIN:VEVENT", *event.strip().splitlines(), "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(line.strip() for line in lines) + "\r\n").encode()


ONE_MEETING = calendar(
    "UID:meeting\nSUMMARY:Private dentist visit\n"
    "DTSTART;TZID=Europe/London:20260615T100000\nDTEND;TZID=Europe/London:20260615T110000"
)
WEEKLY_ACROSS_OCTOBER = calendar(
    "UID:weekly\nSUMMARY:Team call\nRRULE:FREQ=WEEKLY;BYDAY=MO\n"
    "DTSTART;TZID=Europe/London:20261012T100000\nDTEND;TZID=Europe/London:20261012T110000"
)


@pytest.fixture
def server():
    with IcsServer() as running:
        yield running


def save_calendar(partner, address, saved_at=NOW):
    return ExternalCalendar.objects.create(partner=partner, url=address, saved_at=saved_at)


def day_slots(offer, day: date, policy, now=NOW, partner=None):
    start = datetime.combine(day, time(), LONDON)
    return available_slots(offer, start, start + timedelta(days=1), now, policy=policy, partner=partner)


def local_starts(slots) -> list[time]:
    return [s.start.astimezone(LONDON).time() for s in slots]


def clear_of(slots, busy_start: time, busy_end: time, duration=timedelta(minutes=30), buffer_after=10):
    """No slot (with the offer's buffer after it) overlaps the busy local time."""
    for s in slots:
        local = s.start.astimezone(LONDON)
        end = local + duration + timedelta(minutes=buffer_after)
        if local.time() < busy_end and end.time() > busy_start:
            return False
    return True


def test_a_london_meeting_closes_exactly_the_slots_it_overlaps(server, partner, offer, policy):
    server.routes["/own.ics"] = ics(ONE_MEETING)
    save_calendar(partner, server.url("/own.ics"))
    before = day_slots(offer, date(2026, 6, 15), policy)
    assert sync_partner(partner.pk, now=NOW) == "ok"

    stored = list(BusyInterval.objects.filter(partner=partner).values_list("start", "end"))
    assert stored == [(datetime(2026, 6, 15, 9, tzinfo=UTC), datetime(2026, 6, 15, 10, tzinfo=UTC))]
    after = day_slots(offer, date(2026, 6, 15), policy)
    assert after != before and clear_of(after, time(10), time(11))
    assert time(9) in local_starts(after) and time(11) in local_starts(after)
    # Exactly as if the partner had entered the same time off themselves.
    BusyInterval.objects.all().delete()
    TimeOff.objects.create(partner=partner, start=stored[0][0], end=stored[0][1])
    assert day_slots(offer, date(2026, 6, 15), policy) == after
    # Other days are untouched.
    assert local_starts(day_slots(offer, date(2026, 6, 16), policy)) == local_starts(before)

    calendar_row = ExternalCalendar.objects.get(partner=partner)
    assert (calendar_row.last_success_at, calendar_row.last_checked_at) == (NOW, NOW)
    assert calendar_row.error_code == ""


def test_a_weekly_meeting_stays_at_ten_london_across_the_clock_change(server, partner, offer, policy):
    server.routes["/own.ics"] = ics(WEEKLY_ACROSS_OCTOBER)
    save_calendar(partner, server.url("/own.ics"))
    now = datetime(2026, 10, 1, 9, tzinfo=UTC)
    assert sync_partner(partner.pk, now=now) == "ok"
    for monday in (date(2026, 10, 19), date(2026, 10, 26), date(2026, 11, 2)):  # BST, then GMT
        slots = day_slots(offer, monday, policy, now=now)
        assert clear_of(slots, time(10), time(11)), monday
        assert time(9) in local_starts(slots) and time(11) in local_starts(slots), monday


def test_a_timeout_is_recorded_and_keeps_the_last_good_busy_times(server, partner, settings):
    settings.BUSY_CALENDAR_TIMEOUT = 0.5
    server.routes["/own.ics"] = ics(ONE_MEETING)
    save_calendar(partner, server.url("/own.ics"))
    assert sync_partner(partner.pk, now=NOW) == "ok"
    kept = list(BusyInterval.objects.values_list("pk", "start", "end"))

    server.routes["/own.ics"] = stall()
    later = NOW + timedelta(hours=1)
    assert sync_partner(partner.pk, now=later) == "timeout"
    row = ExternalCalendar.objects.get(partner=partner)
    assert row.error_code == "timeout"
    assert row.error_message == CalendarFetchError("timeout").message
    assert (row.last_checked_at, row.last_success_at) == (later, NOW)
    assert list(BusyInterval.objects.values_list("pk", "start", "end")) == kept


def test_an_oversized_calendar_is_an_error_not_a_crash(server, partner, settings):
    settings.BUSY_CALENDAR_MAX_BYTES = 1_000
    server.routes["/own.ics"] = huge(50_000, with_length=True)
    save_calendar(partner, server.url("/own.ics"))
    assert sync_partner(partner.pk, now=NOW) == "too_large"
    assert ExternalCalendar.objects.get(partner=partner).error_code == "too_large"


def test_private_addresses_are_refused_unless_allowed(server, partner, settings, caplog):
    settings.BUSY_CALENDAR_ALLOW_PRIVATE = False
    server.routes["/own.ics"] = redirect(server.url("/internal.ics"))
    server.routes["/internal.ics"] = ics(ONE_MEETING)
    address = server.url("/own.ics")
    save_calendar(partner, address)
    caplog.set_level(logging.DEBUG)
    assert sync_partner(partner.pk, now=NOW) == "address_not_allowed"
    assert server.requests == []  # refused before a single byte was sent
    row = ExternalCalendar.objects.get(partner=partner)
    assert address not in row.error_message and "/own.ics" not in caplog.text

    # Allowed (tests and local development only), the redirect to the private target is
    # followed: the setting really reaches the fetch.
    settings.BUSY_CALENDAR_ALLOW_PRIVATE = True
    assert sync_partner(partner.pk, now=NOW + timedelta(hours=1)) == "ok"
    assert [r["path"] for r in server.requests] == ["/own.ics", "/internal.ics"]


@pytest.mark.parametrize(
    ("ok_hours_ago", "never_read", "open_"),
    [(23, False, True), (25, False, False), (25, True, False), (1, True, True)],
)
def test_a_stale_calendar_closes_only_that_partners_slots(
    partner, offer, policy, ok_hours_ago, never_read, open_, server
):
    other = PartnerFactory()
    AvailabilityRuleFactory(partner=other)
    offer.partners.add(other)
    ok_at = NOW - timedelta(hours=ok_hours_ago)
    row = save_calendar(
        partner, server.url("/own.ics"), saved_at=ok_at - timedelta(days=3 * (not never_read))
    )
    if not never_read:
        row.last_success_at = ok_at
        row.save()
    slots = day_slots(offer, date(2026, 6, 15), policy)
    assert bool(day_slots(offer, date(2026, 6, 15), policy, partner=partner)) is open_
    assert all(other.pk in s.partner_ids or open_ for s in slots) and slots
    assert any(partner.pk in s.partner_ids for s in slots) is open_

    start = datetime(2026, 6, 15, 13, tzinfo=UTC)
    if open_:
        services.place_booking(
            offer=offer, start=start, partner=partner, booker=BOOKER, now=NOW, policy=policy
        )
    else:
        with pytest.raises(SlotUnavailable):
            services.place_booking(
                offer=offer, start=start, partner=partner, booker=BOOKER, now=NOW, policy=policy
            )
    booked = services.place_booking(
        offer=offer, start=start, partner=other, booker=BOOKER, now=NOW, policy=policy
    )
    assert booked.partner_id == other.pk


def test_a_failing_calendar_never_breaks_booking(server, partner, offer, policy):
    other = PartnerFactory()
    AvailabilityRuleFactory(partner=other)
    offer.partners.add(other)
    server.routes["/own.ics"] = status(500)
    save_calendar(partner, server.url("/own.ics"))
    assert sync_partner(partner.pk, now=NOW) == "http_error"
    start = datetime(2026, 6, 15, 13, tzinfo=UTC)
    booked = services.place_booking(
        offer=offer, start=start, partner=None, booker=BOOKER, now=NOW, policy=policy
    )
    assert booked.partner_id in {partner.pk, other.pk}
    # Inside the grace period the failing partner is still bookable on the last good data.
    again = services.place_booking(
        offer=offer, start=start, partner=None, booker=BOOKER, now=NOW, policy=policy
    )
    assert {booked.partner_id, again.partner_id} == {partner.pk, other.pk}


def test_unexpected_errors_are_recorded_never_raised(server, partner, monkeypatch, caplog):
    server.routes["/own.ics"] = ics(ONE_MEETING)
    save_calendar(partner, server.url("/own.ics"))

    def broken(*args, **kwargs):
        raise RuntimeError("parser blew up")

    monkeypatch.setattr(calendar_sync, "busy_intervals_isolated", broken)
    assert sync_partner(partner.pk, now=NOW) == "internal_error"
    row = ExternalCalendar.objects.get(partner=partner)
    assert row.error_code == "internal_error" and "our side" in row.error_message
    assert row.last_success_at is None
    assert server.url("/own.ics") not in caplog.text


def test_the_task_runs_with_ids_only(server, partner):
    server.routes["/own.ics"] = ics(ONE_MEETING)
    save_calendar(partner, server.url("/own.ics"))
    assert calendar_sync.sync_partner_calendar.call(partner.pk) == "ok"
    # A duplicate arriving straight after does not download again, unless forced.
    assert calendar_sync.sync_partner_calendar.call(partner.pk) == "skipped"
    assert calendar_sync.sync_partner_calendar.call(partner.pk, True) == "ok"
    assert len(server.requests) == 2
    assert sync_partner(PartnerFactory().pk, now=NOW) == "no_calendar"


def sync_tasks():
    return DBTaskResult.objects.filter(task_path="bookings.calendars.sync.sync_partner_calendar")


def queued_args():
    return sorted(row.args_kwargs["args"][0] for row in sync_tasks())


def test_due_calendars_are_queued(partner):
    due_never, due_old, fresh = partner, PartnerFactory(), PartnerFactory()
    save_calendar(due_never, "https://calendar.example/a.ics")
    ExternalCalendar.objects.create(
        partner=due_old,
        url="https://calendar.example/b.ics",
        saved_at=NOW,
        last_checked_at=NOW - timedelta(minutes=31),
    )
    ExternalCalendar.objects.create(
        partner=fresh,
        url="https://calendar.example/c.ics",
        saved_at=NOW,
        last_checked_at=NOW - timedelta(minutes=10),
    )
    assert sync_due_calendars(NOW) == 2
    assert queued_args() == sorted([due_never.pk, due_old.pk])
    assert "calendar.example" not in str(list(sync_tasks().values_list("args_kwargs", flat=True)))


def test_management_command_once(partner, capsys):
    save_calendar(partner, "https://calendar.example/a.ics", saved_at=NOW)
    call_command("sync_calendars", "--once")
    assert "Queued 1 calendar read(s)." in capsys.readouterr().out
    assert queued_args() == [partner.pk]


# --- Services the workspace calls ------------------------------------------------------------


def test_saving_an_address_normalises_it_and_queues_a_read(partner):
    row = partner_calendars.set_external_calendar(
        partner, " webcal://calendar.example/private/basic.ics ", now=NOW
    )
    assert row.url == "https://calendar.example/private/basic.ics"
    assert (row.saved_at, row.last_success_at) == (NOW, None)
    assert [r.args_kwargs for r in sync_tasks()] == [{"args": [partner.pk, True], "kwargs": {}}]


def test_a_new_address_drops_old_busy_times_and_removing_drops_everything(partner):
    partner_calendars.set_external_calendar(partner, "https://calendar.example/one.ics", now=NOW)
    BusyInterval.objects.create(partner=partner, start=NOW, end=NOW + timedelta(hours=1))
    partner_calendars.set_external_calendar(partner, "https://calendar.example/one.ics", now=NOW)
    assert BusyInterval.objects.count() == 1  # same address: kept, but read again
    assert sync_tasks().count() == 2
    partner_calendars.set_external_calendar(partner, "https://calendar.example/two.ics", now=NOW)
    assert BusyInterval.objects.count() == 0
    BusyInterval.objects.create(partner=partner, start=NOW, end=NOW + timedelta(hours=1))
    partner_calendars.remove_external_calendar(partner)
    assert not ExternalCalendar.objects.exists() and not BusyInterval.objects.exists()


@pytest.mark.parametrize(
    "address",
    ["", "ftp://calendar.example/a.ics", "https://user:pw@calendar.example/a.ics", "calendar", "https://"],
)
def test_unusable_addresses_get_a_plain_message(partner, address):
    with pytest.raises(InvalidInput) as caught:
        partner_calendars.set_external_calendar(partner, address, now=NOW)
    assert caught.value.message.endswith(".") and "Traceback" not in caught.value.message
    assert not ExternalCalendar.objects.exists() and not sync_tasks().exists()


def test_try_again_now(partner):
    assert partner_calendars.request_calendar_sync(partner) is False
    save_calendar(partner, "https://calendar.example/a.ics")
    assert partner_calendars.request_calendar_sync(partner) is True
    assert queued_args() == [partner.pk]
