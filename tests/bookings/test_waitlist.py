"""The waiting list (docs/bookings.md#waiting-list): joining, who is emailed when a time opens
and in which order, the claim and leave links, expiry, privacy and the staff view."""

import re
from datetime import UTC, datetime, time, timedelta
from html import unescape

import pytest
from django.core import mail, signing
from django.db import transaction
from django.urls import reverse
from wagtail.models import Site

from bookings import partner_services, services, waitlist, waitlist_links
from bookings.errors import InvalidInput
from bookings.models import (
    AvailabilityRule,
    BookingSettings,
    BookingStatus,
    TimeOff,
    WaitlistEmail,
    WaitlistEntry,
)
from bookings.outbox import tasks
from bookings.outbox.waitlist_emails import SUBJECT
from bookings.privacy import erasure, export, purge
from bookings.services import BookerDetails
from bookings.slots import free_slots, policy_for_site
from tests.support.outbox import install_clock
from tests.support.second_factor import sign_in_verified

from .factories import AvailabilityRuleFactory, OfferFactory, PartnerFactory, weekly
from .staff_people import coordinator

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 5, 5, 8, tzinfo=UTC)  # Tuesday 9am UK time
THURSDAY = datetime(2026, 5, 7, 9, tzinfo=UTC)  # 10am UK time: the partner's only free time
LINK = re.compile(r"https?://[^\s\"<>]+/bookings/waiting-list/[^\s\"<>/]+/(?:leave/)?")


@pytest.fixture
def clock(monkeypatch):
    return install_clock(monkeypatch, NOW)


@pytest.fixture
def world(clock, settings):
    settings.BOOKING_MIN_FILL_SECONDS = 0
    booking_settings = BookingSettings.for_site(Site.objects.get(is_default_site=True))
    booking_settings.horizon_days = 3  # the partner is free on Thursdays only: Thursday 7 May
    booking_settings.minimum_notice_hours = 0
    booking_settings.save()
    partner = PartnerFactory(display_name="Robin Example", email="robin@example.org")
    AvailabilityRuleFactory(partner=partner, recurrence=weekly(3), start_time=time(10), end_time=time(10, 30))
    offer = OfferFactory(title="Thinking-partner chat", partners=[partner])
    return partner, offer


def book(offer, email="sam@booker.example", partner=None):
    details = BookerDetails(name="Sam Samplebooker", email=email, organisation="Secret Trust")
    return services.place_booking(
        offer=offer, start=THURSDAY, partner=partner, booker=details, now=NOW, policy=policy_for_site()
    )


def wish(email, weekdays=(3,), parts=("morning",), zone="Europe/London", name="Ann Waiting"):
    return waitlist.Wish(name=name, email=email, weekdays=weekdays, parts_of_day=parts, time_zone=zone)


def join(offer, email, clock, partner=None, **kwargs):
    entry = waitlist.join(offer=offer, partner=partner, wish=wish(email, **kwargs), now=clock())
    clock.advance(minutes=1)
    return entry


def deliver_all():
    due = WaitlistEmail.objects.filter(status="queued").order_by("pk")
    return [tasks.deliver_waitlist_email.call(pk) for pk in due.values_list("pk", flat=True)]


def sent():
    return [m for m in mail.outbox if m.subject == SUBJECT]


def links(message):
    found = LINK.findall(message.body)
    claim = next(u for u in found if not u.endswith("/leave/"))
    leave = next(u for u in found if u.endswith("/leave/"))
    return claim.split("testserver", 1)[-1], leave.split("testserver", 1)[-1]


def path_of(url):
    return re.sub(r"^https?://[^/]+", "", url)


# --- joining --------------------------------------------------------------------------------


def test_joining_twice_keeps_one_entry_and_its_place(world, clock):
    _, offer = world
    first = join(offer, "ann@example.org", clock)
    again = join(offer, "ANN@example.org", clock, weekdays=(1, 3), parts=("evening", "morning"))
    assert again.pk == first.pk and WaitlistEntry.objects.count() == 1
    again.refresh_from_db()
    assert again.joined_at == NOW  # the place in the queue
    assert again.weekdays == [1, 3] and again.parts_of_day == ["morning", "evening"]
    assert again.expires_at == clock() - timedelta(minutes=1) + timedelta(days=60)


@pytest.mark.parametrize(
    ("weekdays", "parts", "message"),
    [((), ("morning",), "day of the week"), ((3,), (), "time of day")],
)
def test_joining_needs_a_day_and_a_time_of_day(world, clock, weekdays, parts, message):
    _, offer = world
    with pytest.raises(InvalidInput, match=message):
        waitlist.join(offer=offer, partner=None, wish=wish("a@example.org", weekdays, parts), now=clock())
    assert not WaitlistEntry.objects.exists()


# --- who is told, and when ------------------------------------------------------------------


def test_a_cancellation_emails_the_people_it_suits_in_order_of_joining(world, clock):
    partner, offer = world
    booking = book(offer)
    assert free_slots(offer, None, NOW, NOW + timedelta(days=3), NOW, policy_for_site()) == []
    join(offer, "ann@example.org", clock)
    join(offer, "bo@example.org", clock, partner=partner)
    join(offer, "eve@example.org", clock, parts=("evening",))  # Thursday 10am is not evening
    join(offer, "mon@example.org", clock, weekdays=(0,))  # nor a Monday
    join(offer, "ny@example.org", clock, zone="America/New_York")  # 5am there: still morning
    gone = join(offer, "old@example.org", clock)
    WaitlistEntry.objects.filter(pk=gone.pk).update(expires_at=NOW)

    services.cancel(booking, now=clock())

    queued = WaitlistEmail.objects.order_by("pk")
    assert [e.entry.email for e in queued] == ["ann@example.org", "bo@example.org", "ny@example.org"]
    # One delivery task per row, carrying its id only.
    assert deliver_all() == ["sent", "sent", "sent"]
    messages = sent()
    assert [m.to for m in messages] == [["ann@example.org"], ["bo@example.org"], ["ny@example.org"]]
    text = messages[1].body
    assert "Thinking-partner chat with Robin Example" in text
    assert "Sam Samplebooker" not in text and "sam@booker.example" not in text and "Secret Trust" not in text
    claim, leave = links(messages[0])
    assert claim != leave


def test_no_email_if_the_change_is_rolled_back(world, clock):
    _, offer = world
    booking = book(offer)
    join(offer, "ann@example.org", clock)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.cancel(booking, now=clock())
        raise RuntimeError("the request failed after the cancel")
    assert not WaitlistEmail.objects.exists()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def test_at_most_one_email_a_day_per_person(world, clock):
    _, offer = world
    booking = book(offer)
    join(offer, "ann@example.org", clock)
    services.cancel(booking, now=clock())
    again = book(offer, email="second@booker.example")
    services.cancel(again, now=clock())
    assert WaitlistEmail.objects.count() == 1
    clock.advance(hours=25)
    third = services.place_booking(
        offer=offer,
        start=THURSDAY,
        partner=None,
        booker=BookerDetails(name="T", email="third@booker.example"),
        now=clock(),
        policy=policy_for_site(),
    )
    services.cancel(third, now=clock())
    assert WaitlistEmail.objects.count() == 2


def test_new_free_times_and_a_return_from_pause_tell_people(world, clock):
    partner, offer = world
    AvailabilityRule.objects.filter(partner=partner).delete()
    join(offer, "ann@example.org", clock)
    partner_services.save_weekly_range(
        partner, weekdays=[3], start_time=time(10), end_time=time(10, 30), now=clock()
    )
    assert WaitlistEmail.objects.count() == 1

    partner_services.pause(partner)
    join(offer, "bo@example.org", clock)
    partner_services.resume(partner, now=clock())
    assert [e.entry.email for e in WaitlistEmail.objects.order_by("pk")] == [
        "ann@example.org",
        "bo@example.org",
    ]


def test_booking_the_offer_takes_that_person_off_the_list(world, clock):
    _, offer = world
    join(offer, "ann@example.org", clock)
    join(offer, "bo@example.org", clock)
    book(offer, email="Ann@Example.org")
    assert list(WaitlistEntry.objects.values_list("email", flat=True)) == ["bo@example.org"]


def test_an_email_for_someone_who_left_is_not_sent(world, clock):
    _, offer = world
    booking = book(offer)
    entry = join(offer, "ann@example.org", clock)
    services.cancel(booking, now=clock())
    (row,) = WaitlistEmail.objects.all()
    waitlist.leave(entry)
    assert tasks.deliver_waitlist_email.call(row.pk) == "missing"
    assert sent() == []


# --- the claim and leave links --------------------------------------------------------------


def _emailed(world, clock, email="ann@example.org"):
    _, offer = world
    booking = book(offer)
    entry = join(offer, email, clock)
    services.cancel(booking, now=clock())
    deliver_all()
    return entry, links(sent()[-1])


def test_claim_link_shows_on_get_and_leads_into_the_journey_on_post(world, clock, client, booking_page):
    entry, (claim, _) = _emailed(world, clock)
    claim = path_of(claim)
    response = client.get(claim)
    assert response.status_code == 200 and "See the free times" in response.content.decode()
    leave_link = re.search(r'href="([^"]*/leave/)"', response.content.decode()).group(1)
    assert "Leave the waiting list" in client.get(leave_link).content.decode()  # a working leave link
    assert response["Cache-Control"] == "no-store" and "noindex" in response["X-Robots-Tag"]
    assert WaitlistEntry.objects.filter(pk=entry.pk).exists()

    response = client.post(claim)
    assert response.status_code == 302
    target = response["Location"]
    assert target.startswith(booking_page.url + "time/")
    assert f"offer={entry.offer_id}" in target and "partner=any" in target and "day=2026-05-07" in target
    page = client.get(target)
    assert page.status_code == 200 and "10am" in page.content.decode()


def test_if_the_time_has_gone_the_claimer_is_told_kindly_and_stays(world, clock, client, booking_page):
    entry, (claim, _) = _emailed(world, clock)
    book(entry.offer, email="quicker@example.org")
    response = client.post(path_of(claim))
    assert response.status_code == 200
    html = unescape(response.content.decode())
    assert "Sorry, that time has gone" in html and "still on the waiting list" in html
    assert WaitlistEntry.objects.filter(pk=entry.pk).exists()


def test_leave_link_confirms_on_get_and_leaves_on_post(world, clock, client):
    entry, (claim, leave) = _emailed(world, clock)
    response = client.get(path_of(leave))
    assert response.status_code == 200 and "Leave the waiting list" in response.content.decode()
    assert WaitlistEntry.objects.filter(pk=entry.pk).exists()
    response = client.post(path_of(leave))
    assert response.status_code == 200 and "You have left the waiting list" in response.content.decode()
    assert not WaitlistEntry.objects.exists() and not WaitlistEmail.objects.exists()
    assert client.get(path_of(claim)).status_code == 404  # the entry has gone


def test_links_are_signed_for_one_purpose(world, clock, client):
    _, offer = world
    entry = join(offer, "ann@example.org", clock)
    leave_token = waitlist_links.make(entry, waitlist_links.LEAVE)
    claim_token = waitlist_links.make(entry, waitlist_links.CLAIM)
    assert client.get(reverse("bookings:waitlist_claim", args=[leave_token])).status_code == 404
    assert client.post(reverse("bookings:waitlist_leave", args=[claim_token])).status_code == 404
    assert client.get(reverse("bookings:waitlist_claim", args=[claim_token[:-2] + "xx"])).status_code == 404
    assert client.get(reverse("bookings:waitlist_claim", args=[str(entry.public_id)])).status_code == 404
    assert WaitlistEntry.objects.filter(pk=entry.pk).exists()
    assert signing.loads(claim_token, salt=waitlist_links.CLAIM) == entry.public_id.hex  # nothing else


# --- joining through the booking page --------------------------------------------------------


def test_joining_from_the_time_step_without_javascript(world, clock, client, booking_page):
    _, offer = world
    book(offer)  # nothing free
    time_step = f"{booking_page.url}time/?offer={offer.pk}&partner=any&tz=Europe/London"
    html = unescape(client.get(time_step).content.decode())
    assert "There are no free times in these two weeks" in html
    join_url = re.search(r'href="([^"]*waiting-list/[^"]*)"', html).group(1)
    page = client.get(join_url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'type="checkbox"' in html and "Which days suit you?" in html
    stamp = re.search(r'name="form_stamp" value="([^"]+)"', html).group(1)
    data = {"offer": offer.pk, "partner": "any", "tz": "Europe/London", "form_stamp": stamp}

    response = client.post(join_url, {**data, "name": "Ann Waiting", "email": "ann@example.org"})
    assert response.status_code == 400
    html = unescape(response.content.decode())
    assert "There is a problem" in html and "Choose at least one day of the week" in html
    assert 'value="Ann Waiting"' in html  # nothing typed is lost
    assert not WaitlistEntry.objects.exists()

    response = client.post(
        join_url,
        {
            **data,
            "name": "Ann Waiting",
            "email": "ann@example.org",
            "weekdays": ["3", "4"],
            "parts_of_day": ["morning"],
        },
    )
    assert response.status_code == 200 and "You are on the waiting list" in response.content.decode()
    entry = WaitlistEntry.objects.get()
    assert (entry.partner, entry.weekdays, entry.parts_of_day, entry.time_zone) == (
        None,
        [3, 4],
        ["morning"],
        "Europe/London",
    )
    assert "no-store" in response["Cache-Control"]
    # The form's stamp is spent: sending the same form again is refused, and nothing changes.
    again = client.post(
        join_url,
        {
            **data,
            "name": "Ann Waiting",
            "email": "ann@example.org",
            "weekdays": ["3"],
            "parts_of_day": ["morning"],
        },
    )
    assert again.status_code == 400 and WaitlistEntry.objects.get().weekdays == [3, 4]


def test_a_bot_filling_the_honeypot_is_refused(world, clock, client, booking_page):
    _, offer = world
    url = f"{booking_page.url}waiting-list/?offer={offer.pk}&partner=any"
    stamp = re.search(r'name="form_stamp" value="([^"]+)"', client.get(url).content.decode()).group(1)
    response = client.post(
        url,
        {
            "offer": offer.pk,
            "partner": "any",
            "form_stamp": stamp,
            "website": "spam",
            "name": "B",
            "email": "b@x.org",
        },
    )
    assert response.status_code == 400 and not WaitlistEntry.objects.exists()


# --- expiry, privacy, staff -----------------------------------------------------------------


def test_entries_expire_and_the_purge_deletes_them(world, clock):
    _, offer = world
    join(offer, "ann@example.org", clock)
    assert purge.purge(now=clock(), dry_run=True)["waiting-list entries"] == 0
    later = clock() + timedelta(days=61)
    assert purge.purge(now=later)["waiting-list entries"] == 1
    assert not WaitlistEntry.objects.exists()


def test_export_and_erasure_cover_the_waiting_list(world, clock):
    partner, offer = world
    booking = book(offer)
    join(offer, "ann@example.org", clock, partner=partner)
    services.cancel(booking, now=clock())
    deliver_all()
    found = export.collect("ANN@example.org")
    (row,) = found.sections["waitlist"]
    assert row["email"] == "ann@example.org" and row["offer"] == "Thinking-partner chat"
    assert len(found.sections["waitlist_emails"]) == 1
    assert erasure.plan("ann@example.org", now=clock()).waitlist == 1
    result = erasure.erase_person("ann@example.org", user=None, now=clock())
    assert result.waitlist == 1
    assert not WaitlistEntry.objects.exists() and not WaitlistEmail.objects.exists()
    assert not export.collect("ann@example.org").total


def test_staff_see_the_waiting_list_and_cannot_change_it(world, clock, client):
    _, offer = world
    join(offer, "ann@example.org", clock, name="Annabel Waitingperson")
    sign_in_verified(client, coordinator())
    response = client.get(reverse("waitlistentry:index"))
    assert response.status_code == 200 and "Annabel Waitingperson" in response.content.decode()
    assert client.get(reverse("waitlistentry:add")).status_code in (302, 403)


# --- staff changes tell people too (docs/staff.md) ------------------------------------------


def _partner_form(partner, **changes):
    data = {
        "display_name": partner.display_name,
        "bio": "",
        "email": partner.email,
        "user": "",
        "time_zone": partner.time_zone,
        "meeting_link": "",
        "active": "on",
        "accepting_bookings": "on",
        "max_chats_per_day": partner.max_chats_per_day or "",
        "max_chats_per_week": partner.max_chats_per_week or "",
        "rest_minutes": partner.rest_minutes,
        "nation": partner.nation,
        "payment_declined_reason": "",
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def test_staff_un_pausing_a_partner_in_the_admin_tells_people(world, clock, admin_client):
    partner, offer = world
    partner_services.pause(partner)
    join(offer, "ann@example.org", clock)
    url = reverse("partner:edit", args=[partner.pk])
    # Saving with nothing that opens times (still paused) tells nobody.
    response = admin_client.post(url, _partner_form(partner, accepting_bookings=None, bio="New bio"))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not WaitlistEmail.objects.exists()

    response = admin_client.post(url, _partner_form(partner))
    assert response.status_code == 302, response.content.decode()[:2000]
    partner.refresh_from_db()
    assert partner.accepting_bookings is True
    assert [e.entry.email for e in WaitlistEmail.objects.all()] == ["ann@example.org"]


def _second_partner(offer):
    second = PartnerFactory(display_name="Sky Second", email="sky@example.org")
    AvailabilityRuleFactory(partner=second, recurrence=weekly(3), start_time=time(10), end_time=time(10, 30))
    offer.partners.add(second)
    return second


def test_staff_reassigning_a_chat_frees_the_first_partners_time_for_people_waiting(world, clock, client):
    partner, offer = world
    booking = book(offer, partner=partner)
    second = _second_partner(offer)
    join(offer, "ann@example.org", clock, partner=partner)  # waiting for Robin in particular
    sign_in_verified(client, coordinator())
    response = client.post(reverse("booking:act", args=[booking.pk, "reassign"]), {"partner": second.pk})
    assert response.status_code == 302, response.content.decode()[:2000]
    booking.refresh_from_db()
    assert booking.partner_id == second.pk
    assert [e.entry.email for e in WaitlistEmail.objects.all()] == ["ann@example.org"]
    assert deliver_all() == ["sent"]
    assert "Robin Example" in sent()[0].body


def test_staff_cancelling_from_the_desk_tells_people(world, clock, client):
    _, offer = world
    booking = book(offer)
    join(offer, "ann@example.org", clock)
    sign_in_verified(client, coordinator())
    url = reverse("booking:act", args=[booking.pk, "cancel"])
    response = client.post(url, {"reason": "The partner is unwell."})
    assert response.status_code == 302, response.content.decode()[:2000]
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert [e.entry.email for e in WaitlistEmail.objects.all()] == ["ann@example.org"]


def test_staff_adding_a_free_time_in_the_admin_tells_people(world, clock, admin_client):
    partner, offer = world
    AvailabilityRule.objects.filter(partner=partner).delete()
    join(offer, "ann@example.org", clock)
    data = {
        "partner": partner.pk,
        "recurrence": "RRULE:FREQ=WEEKLY;BYDAY=TH",
        "start_time": "10:00",
        "end_time": "10:30",
        "starts_on": "2026-05-01",
    }
    response = admin_client.post(reverse("availabilityrule:add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert [e.entry.email for e in WaitlistEmail.objects.all()] == ["ann@example.org"]


def test_staff_removing_time_off_in_the_admin_tells_people(world, clock, admin_client):
    partner, offer = world
    off = TimeOff.objects.create(
        partner=partner, start=THURSDAY - timedelta(hours=2), end=THURSDAY + timedelta(hours=2)
    )
    join(offer, "ann@example.org", clock)
    response = admin_client.post(reverse("timeoff:delete", args=[off.pk]))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not TimeOff.objects.exists()
    assert [e.entry.email for e in WaitlistEmail.objects.all()] == ["ann@example.org"]
