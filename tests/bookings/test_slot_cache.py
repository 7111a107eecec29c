"""The journey's cache of loaded slot data (bookings/slot_cache.py, docs/bookings.md "The
loader"): a repeated time step skips the loader, every kind of write shows on the next request
once it commits, a rolled-back write changes nothing, and booking still checks the database."""

import re
from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bookings import manage_links, partner_services, reassignment, services, slot_cache, slots
from bookings.calendars import sync as calendar_sync
from bookings.calendars.fetch import CalendarFetchError
from bookings.models import AvailabilityRule, BookingSettings, BusyInterval, ExternalCalendar, Partner
from bookings.services import BookerDetails
from bookings.zones import parse_iso_utc
from tests.support.slots import counted_calls

from .factories import AvailabilityRuleFactory, BookingFactory, OfferFactory, PartnerFactory
from .test_journey import body, links, param, step, submit_details

BOOKER = BookerDetails(name="Sam Example", email="sam@example.org")
LONDON = ZoneInfo("Europe/London")


@pytest.fixture(autouse=True)
def _slot_cache_on(settings):
    settings.SLOT_CACHE_SECONDS = 60  # off in the test settings (config/settings/test.py)
    settings.BOOKING_MIN_FILL_SECONDS = 0


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what a commit would run (the new token) for the writes inside the block."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def partner(db):
    partner = PartnerFactory(display_name="Robin Example")
    AvailabilityRuleFactory(partner=partner)  # every day 09:00-17:00 UK time
    return partner


@pytest.fixture
def offer(partner):
    return OfferFactory(title="Thinking-partner chat", partners=[partner])


@pytest.fixture
def loads(monkeypatch):
    """How many times the loader itself ran."""
    return counted_calls(monkeypatch, "load_snapshot")


def loads_partner_ids(call):
    """The partners one of those loads asked for (the listing's loads name them)."""
    return sorted(call[1]["partner_ids"])


def shown(client, page, offer, partner="any"):
    """The starts the time step offers on its selected day (UTC, aware)."""
    who = partner if partner == "any" else partner.pk
    response = client.get(step(page, "time", offer=offer.pk, partner=who, tz="Europe/London"))
    assert response.status_code == 200
    return [parse_iso_utc(param(link, "start")) for link in links(body(response), "details/?")]


def test_a_repeated_time_step_skips_the_loader_and_its_queries(
    client, booking_page, offer, partner, committed, loads
):
    url = step(booking_page, "time", offer=offer.pk, partner="any", tz="Europe/London")
    client.get(url)  # fill the site cache (navigation, footer) and the slot cache
    with committed():
        slot_cache.changed()  # a new token: the next request misses again
    with CaptureQueriesContext(connection) as miss:
        first = client.get(url)
    with CaptureQueriesContext(connection) as hit:
        second = client.get(url)
    assert len(loads) == 2  # the first request and the miss loaded; the hit did not
    # The roster's query and the loader's two.
    assert len(hit.captured_queries) == len(miss.captured_queries) - 3
    assert body(first) == body(second)


def test_each_zone_loads_its_fortnight_once(client, booking_page, offer, partner, loads):
    for zone in ("Europe/London", "Asia/Kolkata", "America/New_York", "Europe/London", "Asia/Kolkata"):
        client.get(step(booking_page, "time", offer=offer.pk, partner="any", tz=zone))
    assert len(loads) == 3  # a fortnight from local midnight is its own range in each zone


def test_a_booking_with_one_partner_leaves_the_others_pieces_warm(
    client, booking_page, offer, partner, committed, loads
):
    other = PartnerFactory(display_name="Alex Example")
    AvailabilityRuleFactory(partner=other)
    offer.partners.add(other)
    before = shown(client, booking_page, offer)
    assert len(loads) == 1 and loads_partner_ids(loads[0]) == sorted([partner.pk, other.pk])
    with committed():
        services.place_booking(offer=offer, start=before[0], partner=other, booker=BOOKER, now=timezone.now())
    assert shown(client, booking_page, offer) == before  # the partner still free then takes it
    assert len(loads) == 2 and loads_partner_ids(loads[1]) == [other.pk]


def test_a_new_staleness_setting_never_reads_an_entry_made_under_the_old(
    client, booking_page, offer, partner, settings, loads
):
    # The setting is baked into each partner's calendar_fresh_until, so it is part of the key.
    shown(client, booking_page, offer)
    shown(client, booking_page, offer)
    settings.BUSY_CALENDAR_STALE_AFTER_HOURS += 1
    shown(client, booking_page, offer)
    assert len(loads) == 2


def test_a_booking_made_and_cancelled_shows_on_the_next_request(
    client, booking_page, offer, partner, committed, loads
):
    before = shown(client, booking_page, offer)
    now = timezone.now()
    with committed():
        booking = services.place_booking(offer=offer, start=before[0], partner=None, booker=BOOKER, now=now)
    assert before[0] not in shown(client, booking_page, offer)
    with committed():
        services.cancel(booking, now=now)
    assert shown(client, booking_page, offer) == before
    assert len(loads) == 3


def test_time_off_shows_on_the_next_request(client, booking_page, offer, partner, committed):
    first = shown(client, booking_page, offer, partner)[0]
    with committed():
        partner_services.add_time_off(
            partner, start=first, end=first + timedelta(hours=1), now=timezone.now()
        )
    assert first not in shown(client, booking_page, offer, partner)


def test_an_edited_rule_shows_on_the_next_request(client, booking_page, offer, partner, committed):
    assert any(local_hour(t) >= 12 for t in shown(client, booking_page, offer, partner))
    rule = AvailabilityRule.objects.get(partner=partner)
    with committed():
        partner_services.save_weekly_range(
            partner, weekdays=range(7), start_time=time(9), end_time=time(12), rule=rule
        )
    after = shown(client, booking_page, offer, partner)
    assert after and all(local_hour(t) < 12 for t in after)


def local_hour(moment) -> int:
    return moment.astimezone(LONDON).hour


@pytest.mark.parametrize("write", ["pause", "bulk_update"])
def test_a_pause_saved_with_queryset_update_shows(client, booking_page, offer, partner, committed, write):
    assert shown(client, booking_page, offer)
    with committed():
        if write == "pause":
            partner_services.pause(partner)  # Partner.objects.filter(...).update(...)
        else:
            partner.accepting_bookings = False
            Partner.objects.bulk_update([partner], ["accepting_bookings"])
    # Whoever is free: the paused partner's own step is a 404 (bookings/journey/choice.py).
    assert shown(client, booking_page, offer) == []


def test_limits_saved_with_queryset_update_show(client, booking_page, offer, partner, committed):
    day = shown(client, booking_page, offer, partner)
    with committed():
        BookingFactory(partner=partner, offer=offer, start=day[0])
    before = shown(client, booking_page, offer, partner)  # the booked day, still open
    assert {t.date() for t in before} == {day[0].date()}
    with committed():
        partner_services.set_limits(partner, 1, None, 0)  # Partner.objects.filter(...).update(...)
    after = shown(client, booking_page, offer, partner)
    assert after and day[0].date() not in {t.date() for t in after}  # one chat a day: that day closes


def test_a_partner_no_longer_offering_it_shows(client, booking_page, offer, partner, committed):
    assert shown(client, booking_page, offer)
    with committed():
        offer.partners.remove(partner)  # m2m_changed
    assert shown(client, booking_page, offer) == []


def test_a_busy_calendar_import_shows_on_the_next_request(
    client, booking_page, offer, partner, committed, monkeypatch
):
    first = shown(client, booking_page, offer, partner)[0]
    now = timezone.now()
    ExternalCalendar.objects.create(partner=partner, url="http://127.0.0.1:9/cal.ics", saved_at=now)
    busy = (first, first + timedelta(hours=1))
    monkeypatch.setattr(calendar_sync, "fetch_calendar", lambda *a, **k: b"")
    monkeypatch.setattr(calendar_sync, "busy_intervals_isolated", lambda *a, **k: [busy])
    with committed():
        assert calendar_sync.sync_partner(partner.pk, now=now, force=True) == "ok"
    assert BusyInterval.objects.filter(partner=partner).count() == 1
    assert first not in shown(client, booking_page, offer, partner)


def test_a_failed_calendar_check_keeps_the_cached_listing(
    client, booking_page, offer, partner, committed, monkeypatch, loads
):
    now = timezone.now()
    with committed():
        ExternalCalendar.objects.create(partner=partner, url="http://127.0.0.1:9/cal.ics", saved_at=now)
    before = shown(client, booking_page, offer, partner)

    def timeout(*args, **kwargs):
        raise CalendarFetchError("timeout")

    monkeypatch.setattr(calendar_sync, "fetch_calendar", timeout)
    with committed():
        assert calendar_sync.sync_partner(partner.pk, now=now, force=True) == "timeout"
    assert ExternalCalendar.objects.get(partner=partner).error_code == "timeout"
    assert shown(client, booking_page, offer, partner) == before
    assert len(loads) == 1  # only last_checked_at and the error changed: no new token


def test_a_settings_change_shows_on_the_next_request(client, booking_page, offer, partner, committed):
    first = shown(client, booking_page, offer, partner)[0]
    settings_row = BookingSettings.objects.get()
    with committed():
        settings_row.minimum_notice_hours = int((first - timezone.now()).total_seconds() // 3600) + 2
        settings_row.save()
    assert first not in shown(client, booking_page, offer, partner)


def tokens(partner):
    return cache.get_many([slot_cache.EPOCH_KEY, slot_cache.ROSTER_KEY, slot_cache._partner_key(partner.pk)])


def test_a_rolled_back_write_sets_no_new_token(client, booking_page, offer, partner, committed, loads):
    before = shown(client, booking_page, offer, partner)
    token = tokens(partner)
    assert len(token) == 3
    with committed():
        try:
            with transaction.atomic():
                partner_services.pause(partner)
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
    assert tokens(partner) == token
    assert shown(client, booking_page, offer, partner) == before
    assert len(loads) == 1  # still the first request's snapshot


def test_many_rows_in_one_commit_set_one_new_token(partner, committed, monkeypatch):
    writes = []
    real_set = cache.set
    monkeypatch.setattr(cache, "set", lambda key, *a, **k: (writes.append(key), real_set(key, *a, **k))[1])
    start = timezone.now()
    with committed():
        BusyInterval.objects.bulk_create(
            [
                BusyInterval(
                    partner=partner,
                    start=start + timedelta(hours=h),
                    end=start + timedelta(hours=h, minutes=30),
                )
                for h in range(20)
            ]
        )
        BusyInterval.objects.filter(partner=partner).delete()  # one post_delete per row
    assert writes == [slot_cache._partner_key(partner.pk)]


def test_booking_still_refuses_a_time_taken_after_the_listing_was_cached(
    client, booking_page, offer, partner
):
    first = shown(client, booking_page, offer, partner)[0]
    submit_details(client, booking_page, offer, first, partner)
    # Taken without a new token (as if the listing were stale): the listing still offers it...
    BookingFactory(partner=partner, offer=offer, start=first)
    assert first in shown(client, booking_page, offer, partner)
    # ...but booking it checks the database under the partner's lock.
    response = client.post(step(booking_page, "check"))
    assert response.status_code == 409
    assert "that time has just been taken" in body(response)


def test_the_manage_links_listing_is_cached_and_moving_still_checks(
    client, booking_page, offer, partner, committed, loads
):
    now = timezone.now()
    with committed():
        mine = services.place_booking(
            offer=offer, start=shown_starts(offer)[0], partner=partner, booker=BOOKER, now=now
        )
    rebook = reverse("bookings:rebook", args=[manage_links.make_token(mine)])

    def offered():
        return re.findall(r'name="start" value="([^"]+)"', client.get(rebook).content.decode())

    loaded = len(loads)
    first = offered()
    assert first == offered() and len(loads) == loaded + 1  # the second listing came from the cache
    with committed():
        services.place_booking(
            offer=offer, start=parse_iso_utc(first[0]), partner=partner, booker=BOOKER, now=now
        )
    second = offered()
    assert first[0] not in second  # a committed booking shows at once
    # Taken without a new token: the cached listing still offers it, the move refuses it.
    BookingFactory(partner=partner, offer=offer, start=parse_iso_utc(second[0]))
    assert second[0] in offered()
    response = client.post(rebook, {"start": second[0]})
    assert response.status_code == 409 and "just been taken" in response.content.decode()


def shown_starts(offer):
    now = timezone.now()
    return [
        s.start
        for s in slots.free_slots(offer, None, now, now + timedelta(days=14), now, slots.policy_for_site())
    ]


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_token_follows_the_write(monkeypatch):
    # In autocommit the new token is set at once: it must come after the rows, or a listing read
    # in between would store the old rows under the new token.
    partner = PartnerFactory()
    seen = []
    real_set = cache.set

    def spying(key, *args, **kwargs):
        if key == slot_cache._partner_key(partner.pk):
            seen.append(
                Partner.objects.filter(pk=partner.pk).values_list("accepting_bookings", flat=True).get()
            )
        return real_set(key, *args, **kwargs)

    monkeypatch.setattr(cache, "set", spying)
    Partner.objects.filter(pk=partner.pk).update(accepting_bookings=False)
    assert seen == [False]


def test_a_chat_given_to_another_partner_frees_the_first_partners_time(
    client, booking_page, offer, partner, committed
):
    other = PartnerFactory(display_name="Alex Example")
    AvailabilityRuleFactory(partner=other)
    offer.partners.add(other)
    before = shown(client, booking_page, offer, partner)
    now = timezone.now()
    with committed():
        booking = services.place_booking(
            offer=offer, start=before[0], partner=partner, booker=BOOKER, now=now
        )
    assert before[0] not in shown(client, booking_page, offer, partner)
    assert before[0] in shown(client, booking_page, offer, other)
    with committed():
        reassignment.reassign(booking, other, now=now, actor=None)
    # The save names only the new partner; the one it was loaded with is renewed too.
    assert shown(client, booking_page, offer, partner) == before
    assert before[0] not in shown(client, booking_page, offer, other)
