"""The booking journey through Django's test client: steps, errors, races, bots, query budgets."""

import re
import uuid
from datetime import UTC, datetime, timedelta
from html import unescape
from urllib.parse import parse_qs, urlencode, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.models import PageViewRestriction

from bookings import slot_cache
from bookings.demo import content as demo
from bookings.journey import bot_guard
from bookings.journey.pages import BookingPage
from bookings.models import (
    Booking,
    BookingStatus,
    EmailNotification,
    Offer,
    Partner,
    Recipient,
)
from bookings.outbox.emails import build_message
from bookings.privacy.purge import purge
from bookings.zones import format_moment, format_time, iso_utc, parse_iso_utc, resolve_zone, zone_label
from tests.home.factories import ContentPageFactory, LadderRungFactory
from tests.support import slot_data
from tests.support.slots import available_slots

from .factories import AvailabilityRuleFactory, BookingFactory, OfferFactory, PartnerFactory

QUERY_BUDGET = 12


@pytest.fixture(autouse=True)
def _people_fill_forms_instantly(settings):
    # The cache (rate limit, ladder) is cleared for every test by tests/conftest.py.
    settings.BOOKING_MIN_FILL_SECONDS = 0


@pytest.fixture
def partner(db):
    partner = PartnerFactory(display_name="Robin Example")
    AvailabilityRuleFactory(partner=partner)  # every day 09:00-17:00 UK time
    return partner


@pytest.fixture
def offer(partner):
    return OfferFactory(title="Thinking-partner chat", partners=[partner], offers_phone=True)


@pytest.fixture
def rungs(db):
    return [LadderRungFactory(name=name) for name in ("Informing", "Consultation", "Co-production")]


def first_slot(offer, partner=None, *, index=0):
    now = timezone.now()
    slots = available_slots(offer, now, now + timedelta(days=14), now, partner=partner)
    return slots[index].start


def step(page, name, **params):
    return page.url + page.reverse_subpage(name) + ("?" + urlencode(params) if params else "")


def answers(rungs=(), **overrides):
    data = {
        "name": "Alex Example",
        "email": "alex@example.org",
        "organisation": "Example NHS Trust",
        "role": "Ward manager",
        "project_description": "Redesigning discharge planning with the people it affects.",
        "format": "video",
        "access_needs": "",
        "privacy": "on",
        bot_guard.HONEYPOT_FIELD: "",
    }
    if rungs:
        data["ladder_rung"] = str(rungs[-1].pk)
    data.update(overrides)
    return data


def session_stamp(client, now=None) -> str:
    """A form stamp as the details page would have issued it to this client's session."""
    session = client.session
    stamp = bot_guard.issue_stamp(now or timezone.now(), session)
    session.save()
    return stamp


def submit_details(client, page, offer, start, partner=None, rungs=(), tz="Europe/London", **overrides):
    overrides.setdefault("form_stamp", session_stamp(client))
    choice = {
        "offer": offer.pk,
        "partner": partner.pk if partner else "any",
        "tz": tz,
        "start": iso_utc(start),
    }
    return client.post(step(page, "details"), {**choice, **answers(rungs, **overrides)})


def param(url: str, name: str) -> str:
    return parse_qs(urlsplit(url).query)[name][0]


def body(response) -> str:
    return response.content.decode()


def links(html: str, fragment: str) -> list[str]:
    return [unescape(href) for href in re.findall(rf'href="([^"]*{re.escape(fragment)}[^"]*)"', html)]


# --- Steps 1-4 render, within the query budget --------------------------------------------


def test_no_booking_step_is_served_from_the_page_cache(client, booking_page, offer, partner, rungs, settings):
    # home/page_cache.py: the steps say `no-cache` (and later ones carry a query string).
    settings.PAGE_CACHE_SECONDS = 300
    url = booking_page.url
    for _ in range(3):
        responses = [client.get(url), client.get(url)]
        assert [r.get("X-Page-Cache") for r in responses] == [None, None], url
        url = (links(body(responses[1]), "partner/?") or links(body(responses[1]), "time/?"))[-1]


def test_each_step_renders_within_the_query_budget(
    client, booking_page, offer, partner, rungs, django_assert_max_num_queries
):
    with django_assert_max_num_queries(QUERY_BUDGET):
        first = client.get(booking_page.url)
    assert first.status_code == 200
    assert "Talk to someone who has been there." in body(first)
    [partner_link] = links(body(first), "partner/?")

    with django_assert_max_num_queries(QUERY_BUDGET):
        second = client.get(partner_link)
    assert "Whoever is free" in body(second)
    assert "Robin Example" in body(second)
    time_links = links(body(second), "time/?")
    assert len(time_links) == 2  # whoever is free, and Robin

    with django_assert_max_num_queries(QUERY_BUDGET):
        third = client.get(time_links[1])
    html = body(third)
    assert "Times shown in UK time (Europe/London)." in html
    detail_links = links(html, "details/?")
    assert detail_links, "no times offered"

    with django_assert_max_num_queries(QUERY_BUDGET):
        fourth = client.get(detail_links[0])
    html = body(fourth)
    assert fourth.status_code == 200
    assert 'name="website"' in html and 'tabindex="-1"' in html and 'autocomplete="off"' in html
    assert "Leave this field empty" in html
    assert "Co-production" in html and "What Co-production looks like in practice." in html
    assert 'href="https://example.org/privacy"' in html


def _time_step_queries(client, page, offer) -> int:
    url = step(page, "time", offer=offer.pk, partner="any", tz="Europe/London")
    client.get(url)  # warm the shared cache (navigation, site root paths), as on a live site
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_time_step_query_count_does_not_grow_with_partners_or_bookings(client, booking_page, offer, partner):
    small = _time_step_queries(client, booking_page, offer)
    start = first_slot(offer)
    for n in range(6):
        other = PartnerFactory()
        AvailabilityRuleFactory(partner=other)
        offer.partners.add(other)
        for day in range(5):
            BookingFactory(partner=other, offer=offer, start=start + timedelta(days=day, hours=n % 3))
    cache.clear()
    large = _time_step_queries(client, booking_page, offer)
    assert small == large
    assert large <= QUERY_BUDGET


def test_times_are_shown_in_the_chosen_zone_and_labelled(client, booking_page, offer, partner):
    start = first_slot(offer, partner)
    response = client.get(step(booking_page, "time", offer=offer.pk, partner=partner.pk, tz="Asia/Kolkata"))
    html = body(response)
    assert "Times shown in Asia/Kolkata." in html
    assert '<option value="Asia/Kolkata" selected>' in html
    local = start.astimezone(ZoneInfo("Asia/Kolkata"))  # India is 5h30 ahead of UTC all year
    minutes = f":{local.minute:02d}" if local.minute else ""
    expected = f"{local.hour % 12 or 12}{minutes}{'am' if local.hour < 12 else 'pm'}"
    assert f">{expected}<span" in html
    assert iso_utc(start) in [param(link, "start") for link in links(html, "details/?")]


def test_time_labels_follow_the_zone_and_summer_time():
    summer = datetime(2026, 6, 2, 8, 0, tzinfo=UTC)
    winter = datetime(2026, 12, 1, 9, 15, tzinfo=UTC)
    assert format_time(summer, "Europe/London") == "9am"  # British Summer Time
    assert format_time(winter, "Europe/London") == "9:15am"
    assert format_time(summer, "Asia/Kolkata") == "1:30pm"
    assert format_moment(winter, "America/New_York") == "Tuesday 1 December 2026 at 4:15am"
    assert zone_label("Europe/London") == "UK time (Europe/London)"
    assert resolve_zone("Mars/Olympus") == ("Europe/London", True)
    assert resolve_zone("GB") == ("Europe/London", True)  # legacy aliases are not offered
    assert parse_iso_utc("2026-06-02T08:00:00Z") == summer
    assert parse_iso_utc("2026-06-02T08:00:00") is None  # no zone: ambiguous, refused
    assert parse_iso_utc("<script>") is None


def test_unknown_ids_give_404_and_a_strange_zone_falls_back_to_uk_time(client, booking_page, offer, partner):
    for params in (
        {"offer": 9999},
        {"offer": "abc"},
        {"offer": offer.pk, "partner": 9999},
        {"offer": offer.pk, "partner": "x;drop"},
    ):
        assert client.get(step(booking_page, "time", **params)).status_code == 404, params
    assert client.get(step(booking_page, "partner", offer="nope")).status_code == 404

    strange = client.get(step(booking_page, "time", offer=offer.pk, partner="any", tz="Mars/Olympus"))
    assert strange.status_code == 200
    assert "We did not recognise that time zone" in body(strange)
    assert "Times shown in UK time (Europe/London)." in body(strange)

    no_start = client.get(step(booking_page, "details", offer=offer.pk, partner="any", start="yesterday"))
    assert no_start.status_code == 302 and "/time/" in no_start["Location"]


# --- Step 4 errors ------------------------------------------------------------------------


def test_validation_errors_follow_the_govuk_pattern_and_keep_input(
    client, booking_page, offer, partner, rungs
):
    start = first_slot(offer, partner)
    response = submit_details(
        client, booking_page, offer, start, partner, rungs, name="", email="not-an-email", privacy=""
    )
    html = body(response)
    assert response.status_code == 400
    assert re.search(r"<title>Error: ", html)
    assert 'role="alert"' in html and "There is a problem" in html
    assert '<a href="#id_name">Enter your full name</a>' in html
    assert '<a href="#id_email">Enter an email address in the correct format' in html
    assert '<a href="#id_privacy">Confirm that you have read the privacy notice</a>' in html
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="id_email-hint id_email-error"' in html
    assert 'value="not-an-email"' in html  # input kept
    assert 'value="Example NHS Trust"' in html
    assert "Redesigning discharge planning" in html
    assert Booking.objects.count() == 0


def test_missing_ladder_answer_links_to_the_first_radio(client, booking_page, offer, partner, rungs):
    start = first_slot(offer, partner)
    response = submit_details(client, booking_page, offer, start, partner, rungs, ladder_rung="")
    assert '<a href="#id_ladder_rung_0">Select where your project sits on the ladder</a>' in body(response)
    assert 'id="id_ladder_rung_0"' in body(response)


# --- Steps 5 and 6 -----------------------------------------------------------------------


def test_happy_path_creates_one_booking_and_shows_confirmation(
    client, booking_page, offer, partner, rungs, django_assert_max_num_queries
):
    start = first_slot(offer, partner)
    response = submit_details(client, booking_page, offer, start, partner, rungs, tz="Europe/Paris")
    assert response.status_code == 302
    assert response["Location"].endswith("/check/")
    assert "alex@example.org" not in response["Location"]

    with django_assert_max_num_queries(QUERY_BUDGET):
        check = client.get(response["Location"])
    html = body(check)
    assert "Check your answers" in html and "Alex Example" in html and "Co-production" in html
    assert "Confirm booking" in html
    assert len(re.findall(r">Change<span", html)) >= 9
    assert check["Cache-Control"] == "private, no-store"

    placed = client.post(response["Location"])
    assert placed.status_code == 302 and "/done/" in placed["Location"]
    booking = Booking.objects.get()
    assert booking.start == start and booking.partner == partner
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.booker_time_zone == "Europe/Paris"
    assert booking.ladder_rung == rungs[-1]
    draft = client.session[f"bookings.draft.{booking_page.pk}"]
    assert draft.keys() == {"placed", "key", "saved_at"}  # the answers have left the session
    assert (draft["placed"], draft["key"]) == (booking.public_id.hex, booking.idempotency_key)

    with django_assert_max_num_queries(QUERY_BUDGET):
        done = client.get(placed["Location"])
    html = body(done)
    assert done.status_code == 200
    assert "Booking confirmed" in html and "We will email you the details." in html
    assert "Europe/Paris" in html
    assert "Redesigning discharge planning" not in html  # no project notes on the confirmation


def test_confirmation_is_only_for_the_session_that_booked(client, booking_page, offer, partner, rungs):
    start = first_slot(offer, partner)
    submit_details(client, booking_page, offer, start, partner, rungs)
    done_url = client.post(step(booking_page, "check"))["Location"]
    assert Client().get(done_url).status_code == 404
    other = step(booking_page, "check").replace("check/", f"done/{'0' * 32}/")
    assert client.get(other).status_code == 404


def test_double_submit_makes_one_booking(client, booking_page, offer, partner, rungs):
    start = first_slot(offer, partner)
    submit_details(client, booking_page, offer, start, partner, rungs)
    key = f"bookings.draft.{booking_page.pk}"
    draft = client.session[key]

    first = client.post(step(booking_page, "check"))
    again = client.post(step(booking_page, "check"))  # the browser resends the same form
    assert again["Location"] == first["Location"]

    # A twin request that raced the first and still carried the answers in its session.
    session = client.session
    session[key] = draft
    session.save()
    twin = client.post(step(booking_page, "check"))
    assert twin["Location"] == first["Location"]
    assert Booking.objects.count() == 1


def test_change_link_returns_to_a_prefilled_form(client, booking_page, offer, partner, rungs):
    start = first_slot(offer, partner)
    submit_details(client, booking_page, offer, start, partner, rungs)
    response = client.get(step(booking_page, "details"))
    html = body(response)
    assert 'value="Alex Example"' in html
    assert "checked" in html
    assert 'value="Ward manager"' in html


def test_taken_slot_offers_nearest_times_and_keeps_answers(client, booking_page, offer, partner, rungs):
    start = first_slot(offer, partner)
    submit_details(client, booking_page, offer, start, partner, rungs)
    BookingFactory(partner=partner, offer=offer, start=start)  # someone else got there first

    response = client.post(step(booking_page, "check"))
    html = body(response)
    assert response.status_code == 409
    assert "that time has just been taken" in html
    alternatives = re.findall(r'name="start" value="([^"]+)"', html)
    assert 1 <= len(alternatives) <= 6
    assert iso_utc(start) not in alternatives
    assert Booking.objects.count() == 1

    moved = client.post(step(booking_page, "retime"), {"start": alternatives[0]})
    assert moved.status_code == 302 and moved["Location"].endswith("/check/")
    assert "Alex Example" in body(client.get(moved["Location"]))
    placed = client.post(moved["Location"])
    assert placed.status_code == 302
    mine = Booking.objects.get(booker_email="alex@example.org")
    assert iso_utc(mine.start) == alternatives[0]


def test_offer_needing_acceptance_says_request_sent(client, booking_page, partner, rungs):
    offer = OfferFactory(title="Planning session", partners=[partner], requires_acceptance=True)
    start = first_slot(offer, partner)
    submit_details(client, booking_page, offer, start, None, rungs)
    assert "Send booking request" in body(client.get(step(booking_page, "check")))
    done = client.get(client.post(step(booking_page, "check"))["Location"])
    assert "Request sent" in body(done)
    assert Booking.objects.get().status == BookingStatus.PENDING


def test_invalid_booking_shows_a_clear_message(client, booking_page, offer, partner, rungs):
    start = first_slot(offer, partner)
    submit_details(client, booking_page, offer, start, partner, rungs, format="phone", phone="07911 123456")
    offer.offers_phone = False
    offer.save()
    response = client.post(step(booking_page, "check"))
    assert response.status_code == 400
    assert "not offered in that format" in body(response)
    assert Booking.objects.count() == 0


# --- Bots -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {bot_guard.HONEYPOT_FIELD: "http://spam.example"},
        {"form_stamp": "forged"},
        {"form_stamp": ""},
    ],
    ids=["honeypot", "forged-stamp", "no-stamp"],
)
def test_bot_submissions_create_nothing(client, booking_page, offer, partner, rungs, overrides):
    start = first_slot(offer, partner)
    response = submit_details(client, booking_page, offer, start, partner, rungs, **overrides)
    assert response.status_code == 400
    assert "we could not accept the form" in body(response)
    assert f"bookings.draft.{booking_page.pk}" not in client.session
    assert client.post(step(booking_page, "check")).status_code == 302  # nothing to book: back to step 1
    assert Booking.objects.count() == 0


def test_too_fast_submission_keeps_the_answers_and_lets_a_human_speed_retry_through(
    client, booking_page, offer, partner, rungs, settings, monkeypatch
):
    # Autofill fills the whole form at once: faster than the minimum fill time.
    settings.BOOKING_MIN_FILL_SECONDS = 3
    start = first_slot(offer, partner)
    email = "alex.long.address@example.org"
    response = submit_details(client, booking_page, offer, start, partner, rungs, email=email)
    html = body(response)
    assert response.status_code == 200
    assert "we could not accept the form" not in html
    assert "Nothing has been lost" in html
    assert 'value="alex.long.address@example.org"' in html  # every answer comes back
    assert 'value="Ward manager"' in html
    assert "Redesigning discharge planning" in html
    assert re.search(r'value="video"\s+checked', html)
    assert re.search(r'id="id_privacy"[^>]* checked', html)
    assert f"bookings.draft.{booking_page.pk}" not in client.session  # nothing kept yet
    fresh = re.search(r'name="form_stamp" value="([^"]+)"', html).group(1)

    # Sent again at once with the new stamp: still too fast, still kept, still no refusal.
    again = submit_details(client, booking_page, offer, start, partner, rungs, email=email, form_stamp=fresh)
    assert again.status_code == 200
    assert "Nothing has been lost" in body(again)

    # Sent again a few seconds after the form came back: a person's pace, so it goes through.
    later = timezone.now() + timedelta(seconds=5)
    monkeypatch.setattr(timezone, "now", lambda: later)
    ok = submit_details(client, booking_page, offer, start, partner, rungs, email=email, form_stamp=fresh)
    assert ok.status_code == 302
    assert client.session[f"bookings.draft.{booking_page.pk}"]["answers"]["email"] == email
    monkeypatch.undo()
    # Someone who already passed once and comes back to change one answer may be quick.
    changed = submit_details(client, booking_page, offer, start, partner, rungs, name="Alex Changed")
    assert changed.status_code == 302
    assert client.session[f"bookings.draft.{booking_page.pk}"]["answers"]["name"] == "Alex Changed"


def test_rate_limit_holds_and_creates_nothing_more(client, booking_page, offer, partner, rungs, settings):
    settings.BOOKING_RATE_LIMIT = 1
    submit_details(client, booking_page, offer, first_slot(offer, partner), partner, rungs)
    assert client.post(step(booking_page, "check")).status_code == 302
    submit_details(client, booking_page, offer, first_slot(offer, partner, index=8), partner, rungs)
    refused = client.post(step(booking_page, "check"))
    assert refused.status_code == 429
    assert "too many attempts" in body(refused)
    assert Booking.objects.count() == 1


def test_demo_content_is_idempotent_and_bookable(client, booking_page, django_assert_max_num_queries):
    parent = booking_page.get_parent()
    page = demo.build(parent)
    assert demo.build(parent).pk == page.pk
    assert (Partner.objects.count(), Offer.objects.count(), BookingPage.objects.count()) == (3, 2, 2)
    with django_assert_max_num_queries(QUERY_BUDGET):
        response = client.get(page.url)
    assert response.status_code == 200
    offer = Offer.objects.get(requires_acceptance=False)
    now = timezone.now()
    assert available_slots(offer, now, now + timedelta(days=14), now)  # weekday rules give times


@pytest.mark.parametrize(
    "params",
    [
        {"partner": "any", "start": "9999-12-31T23:59:59-05:00"},
        {"partner": "any", "start": "0001-01-01T00:00:00+05:00"},
        {"partner": "any", "start": "9999-12-31T23:59:59Z", "tz": "Pacific/Kiritimati"},
        {"partner": "any", "start": "2026-12-01T10:00:00.5Z"},
        {"partner": "²"},
        {"partner": "99999999999999999999999"},
    ],
)
def test_strange_values_in_the_address_never_give_a_500(client, booking_page, offer, params):
    for name in ("partner", "time", "details"):
        response = client.get(step(booking_page, name, offer=offer.pk, **params))
        assert response.status_code in {200, 302, 404}, (name, params, response.status_code)
    assert client.get(step(booking_page, "partner", offer="²")).status_code == 404


def test_an_address_a_calendar_invite_cannot_carry_is_refused_kindly(client, booking_page, offer, rungs):
    response = submit_details(
        client, booking_page, offer, first_slot(offer), rungs=rungs, email="a@[127.0.0.1]"
    )
    assert response.status_code == 400
    assert "Enter an email address in the correct format" in body(response)
    assert 'value="a@[127.0.0.1]"' in body(response)  # the input is kept


# --- Phone chats (docs/bookings.md, "Joining details") ------------------------------------


def test_a_phone_chat_asks_for_a_number_and_keeps_it_as_e164(client, booking_page, offer, partner, rungs):
    start = first_slot(offer, partner)
    missing = submit_details(client, booking_page, offer, start, partner, rungs, format="phone")
    assert missing.status_code == 400
    assert "Enter the phone number the partner should call you on" in body(missing)
    wrong = submit_details(client, booking_page, offer, start, partner, rungs, format="phone", phone="12")
    assert wrong.status_code == 400 and "Enter a phone number, like" in body(wrong)
    typed = submit_details(
        client, booking_page, offer, start, partner, rungs, format="phone", phone="07911 123456"
    )
    assert typed.status_code == 302
    check = client.get(step(booking_page, "check"))
    assert "07911 123456" in body(check)
    client.post(step(booking_page, "check"))
    assert str(Booking.objects.get().booker_phone) == "+447911123456"


def test_a_number_given_for_a_video_chat_is_not_kept(client, booking_page, offer, partner, rungs):
    start = first_slot(offer, partner)
    response = submit_details(client, booking_page, offer, start, partner, rungs, phone="07911 123456")
    assert response.status_code == 302
    client.post(step(booking_page, "check"))
    booking = Booking.objects.get()
    assert booking.format == "video" and str(booking.booker_phone) == ""


@pytest.mark.parametrize("needs_acceptance", [False, True], ids=["confirmed", "request"])
def test_confirmation_page_says_once_what_was_emailed_and_the_reference_is_in_the_email(
    client, booking_page, needs_acceptance
):
    page = demo.build(booking_page.get_parent())  # the demo's editor wording, as people see it
    offer = Offer.objects.get(requires_acceptance=needs_acceptance)
    start = first_slot(offer)
    submit_details(client, page, offer, start)
    html = body(client.get(client.post(step(page, "check"))["Location"]))
    booking = Booking.objects.get()
    reference = re.search(r'id="booking-reference">([0-9A-F]{8})<', html).group(1)
    assert reference == booking.public_reference
    assert html.count("We have sent") == 1
    assert "We will email you" not in html
    if needs_acceptance:
        assert "Request sent" in html and "Nothing is booked yet" in html
        assert 'class="panel panel--neutral"' in html  # not the green "done" panel
    else:
        assert "Booking confirmed" in html and 'class="panel"' in html
    kind = "request_sent" if needs_acceptance else "confirmed"
    notification = EmailNotification.objects.get(booking=booking, recipient=Recipient.BOOKER, kind=kind)
    message = build_message(notification, now=timezone.now())
    assert f"Reference: {reference}" in message.body
    assert reference in message.alternatives[0][0]


def test_time_step_offers_likely_zones_first_and_every_zone_one_step_away(
    client, booking_page, offer, partner
):
    short = client.get(step(booking_page, "time", offer=offer.pk, partner=partner.pk, tz="Asia/Tokyo"))
    html = body(short)
    options = re.findall(r'<option value="([^"]+)"', html)
    assert options[0] == "Europe/London" and "Asia/Tokyo" in options  # UK, the zone in use
    assert len(options) <= 12
    assert len(short.content) < 25_000, f"{len(short.content)} bytes"  # was 48 KB, 47 KB of it zones
    (more,) = links(html, "zones=all")
    assert more.endswith("#id_tz") and "tz=Asia%2FTokyo" in more

    full = client.get(more.split("#")[0])
    every = re.findall(r'<option value="([^"]+)"', body(full))
    assert len(every) > 400 and "Pacific/Kiritimati" in every
    assert '<option value="Asia/Tokyo" selected>' in body(full)
    assert not links(body(full), "zones=all")


# --- Form stamps: bound to the session, spent by the booking (docs/privacy.md) ---------------


def harvested_stamp(client, page, offer, partner, start) -> str:
    """The stamp a visitor (or a scraper) finds in the details form's HTML."""
    choice = {"offer": offer.pk, "partner": partner.pk, "tz": "Europe/London", "start": iso_utc(start)}
    html = body(client.get(step(page, "details", **choice)))
    return unescape(re.search(r'name="form_stamp" value="([^"]+)"', html).group(1))


def book_with(client, page, offer, start, partner, rungs, stamp):
    client.post(
        step(page, "details"),
        {"offer": offer.pk, "partner": partner.pk, "tz": "Europe/London", "start": iso_utc(start)}
        | answers(rungs, form_stamp=stamp),
    )
    return client.post(step(page, "check"))


def test_one_harvested_stamp_replayed_from_fresh_sessions_makes_at_most_one_booking(
    client, booking_page, offer, partner, rungs
):
    now = timezone.now()
    starts = [s.start for s in available_slots(offer, now, now + timedelta(days=14), now, partner=partner)]
    assert len(starts) > 61
    stamp = harvested_stamp(client, booking_page, offer, partner, starts[0])
    assert book_with(client, booking_page, offer, starts[0], partner, rungs, stamp).status_code == 302
    for start in starts[1:61]:
        book_with(Client(), booking_page, offer, start, partner, rungs, stamp)
    assert Booking.objects.count() == 1


def test_a_stamp_from_another_session_is_refused_kindly_with_the_answers_kept(
    client, booking_page, offer, partner, rungs
):
    start = first_slot(offer, partner)
    stamp = harvested_stamp(Client(), booking_page, offer, partner, start)
    response = submit_details(client, booking_page, offer, start, partner, rungs, form_stamp=stamp)
    html = body(response)
    assert response.status_code == 400
    assert "Please check your details and send them again" in html
    assert 'value="Alex Example"' in html and "Redesigning discharge planning" in html
    assert f"bookings.draft.{booking_page.pk}" not in client.session
    # The form shown again carries a stamp of this session's own, so sending it works.
    fresh = unescape(re.search(r'name="form_stamp" value="([^"]+)"', html).group(1))
    assert fresh != stamp
    assert (
        submit_details(client, booking_page, offer, start, partner, rungs, form_stamp=fresh).status_code
        == 302
    )
    assert client.post(step(booking_page, "check")).status_code == 302
    assert Booking.objects.count() == 1


def test_a_used_stamp_cannot_book_again_from_the_same_session(client, booking_page, offer, partner, rungs):
    first, second = first_slot(offer, partner), first_slot(offer, partner, index=8)
    stamp = harvested_stamp(client, booking_page, offer, partner, first)
    assert book_with(client, booking_page, offer, first, partner, rungs, stamp).status_code == 302
    again = submit_details(client, booking_page, offer, second, partner, rungs, form_stamp=stamp)
    assert again.status_code == 400
    assert "Please check your details and send them again" in body(again)
    assert 'value="Alex Example"' in body(again)
    assert Booking.objects.count() == 1


def test_two_drafts_racing_on_one_stamp_make_one_booking(client, booking_page, offer, partner, rungs):
    first, second = first_slot(offer, partner), first_slot(offer, partner, index=8)
    stamp = harvested_stamp(client, booking_page, offer, partner, first)
    key = f"bookings.draft.{booking_page.pk}"
    submit_details(client, booking_page, offer, second, partner, rungs, form_stamp=stamp)
    # A request that raced the booking below with a draft of its own (another idempotency key).
    racing = {**client.session[key], "key": uuid.uuid4().hex}
    assert book_with(client, booking_page, offer, first, partner, rungs, stamp).status_code == 302
    session = client.session
    session[key] = racing
    session.save()
    refused = client.post(step(booking_page, "check"))
    assert refused.status_code == 409
    assert "already been used to book a chat" in body(refused)
    assert client.session[key]["answers"]["name"] == "Alex Example"  # nothing lost
    assert Booking.objects.count() == 1


# --- Drafts leave the session (docs/privacy.md, "Booking drafts") ---------------------------


def test_an_abandoned_draft_is_dropped_after_three_hours(client, booking_page, offer, partner, rungs):
    submit_details(client, booking_page, offer, first_slot(offer, partner), partner, rungs)
    key = f"bookings.draft.{booking_page.pk}"
    session = client.session
    session[key] = {**session[key], "saved_at": session[key]["saved_at"] - 3 * 3600 - 1}
    session.save()
    assert client.get(step(booking_page, "check")).status_code == 302  # back to the start
    assert key not in client.session
    assert Booking.objects.count() == 0


def test_a_recent_draft_is_kept(client, booking_page, offer, partner, rungs):
    submit_details(client, booking_page, offer, first_slot(offer, partner), partner, rungs)
    key = f"bookings.draft.{booking_page.pk}"
    session = client.session
    session[key] = {**session[key], "saved_at": session[key]["saved_at"] - 2 * 3600}
    session.save()
    assert client.get(step(booking_page, "check")).status_code == 200
    assert client.session[key]["answers"]["email"] == "alex@example.org"


def test_sessions_last_hours_and_the_purge_removes_them(client, booking_page, offer, partner, rungs):
    submit_details(client, booking_page, offer, first_slot(offer, partner), partner, rungs)
    row = Session.objects.get(session_key=client.session.session_key)
    assert row.expire_date - timezone.now() <= timedelta(hours=12)
    assert purge(now=row.expire_date + timedelta(seconds=1))["sessions"] >= 1
    assert not Session.objects.filter(session_key=row.session_key).exists()


DATABASE_CACHE = {
    "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "cache_table"}
}


@pytest.mark.parametrize("who", ["any", "first"])
def test_time_step_for_twenty_partners_stays_within_budget_on_the_database_cache(
    client, booking_page, settings, who, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    # The production default without REDIS_URL, where every cache read is a query too: 20
    # partners with weekly rules, time off and 2,000 bookings (docs/performance.md, "Time step").
    settings.CACHES = DATABASE_CACHE
    offer = slot_data.build(now=timezone.now())
    partner = "any" if who == "any" else offer.partners.order_by("pk").first().pk
    url = step(booking_page, "time", offer=offer.pk, partner=partner, tz="Europe/London")
    client.get(url)  # fill the site cache (navigation, footer), as on every request but the first
    with django_assert_max_num_queries(QUERY_BUDGET) as off:
        response = client.get(url)
    assert response.status_code == 200
    assert links(body(response), "details/?"), "no times offered"

    # With the slot cache (bookings/slot_cache.py; off in the test settings and, by default,
    # without Redis), a repeated request reads the roster and every partner's piece in two
    # queries instead of the loader's two. After a booking with one partner, that partner alone
    # is loaded (the loader's two) and their piece stored: the database cache's set is a count,
    # a look-up and an insert (in a savepoint here, as tests run in a transaction):
    # docs/performance.md, "The time step".
    settings.SLOT_CACHE_SECONDS = 60
    client.get(url)  # the first ever read also makes the tokens and stores every piece
    with django_assert_max_num_queries(QUERY_BUDGET) as hit:
        assert body(client.get(url)) == body(response)
    assert len(hit.captured_queries) == len(off.captured_queries)
    booked = offer.partners.order_by("pk").first()
    with django_capture_on_commit_callbacks(execute=True):
        slot_cache.changed_partners([booked.pk])
    with CaptureQueriesContext(connection) as miss:
        assert body(client.get(url)) == body(response)
    assert len(miss.captured_queries) == len(off.captured_queries) + 2 + 5
    loaded = [q["sql"] for q in miss.captured_queries if "bookings_availabilityrule" in q["sql"]]
    assert len(loaded) == 1 and f"IN ({booked.pk})" in loaded[0], loaded


def test_time_step_keeps_a_restricted_parent_page_private(client, booking_page):
    # View restrictions are read from the pages routing passed through (home/route_trail.py).
    section = ContentPageFactory(parent=booking_page.get_parent(), slug="professionals")
    page = BookingPage(title="Book", slug="book-here", privacy_notice_url="https://example.org/p")
    section.add_child(instance=page)
    page.save_revision().publish()
    offer = OfferFactory(partners=[PartnerFactory()])
    url = step(page, "time", offer=offer.pk, partner="any", tz="Europe/London")
    assert client.get(url).status_code == 200
    PageViewRestriction.objects.create(page=section, restriction_type=PageViewRestriction.LOGIN)
    response = client.get(url)
    assert response.status_code == 302 and "/login/" in response["Location"]
