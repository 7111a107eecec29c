"""The partner workspace: access, chats, free times, time off, pause, limits, calendar links."""

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from bookings import partner_services, weekly_ranges
from bookings.demo.logins import PARTNER_GROUP, ensure_demo_partner_login
from bookings.models import (
    AccountEmail,
    AvailabilityRule,
    Booking,
    BookingEvent,
    BookingStatus,
    ExternalCalendar,
    Partner,
    PartnerFeed,
    TimeOff,
    hash_token,
)
from bookings.outbox import tasks
from tests.support.second_factor import password_sign_in, sign_in_verified
from tests.support.workspace_people import editor, owner_world, partner_with_login

from .factories import AvailabilityRuleFactory, BookingFactory, weekly

pytestmark = pytest.mark.django_db
S = BookingStatus


@pytest.fixture
def world():
    return owner_world()


@pytest.fixture
def owner_client(client, world):
    client.force_login(world["owner"].user)
    return client


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


# --- access -------------------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_sign_in(client, world):
    response = client.get("/partners/availability/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/partners/availability/"
    assert "no-store" in response["Cache-Control"]


def test_editor_without_a_partner_is_refused_with_an_explanation(client, world):
    sign_in_verified(client, editor())
    response = client.get("/partners/")
    assert response.status_code == 403
    assert b"This area is for thinking partners" in response.content
    assert b"Ophelia" not in response.content


def test_partner_marked_inactive_is_refused(client, world):
    Partner.objects.filter(pk=world["owner"].pk).update(active=False)
    client.force_login(world["owner"].user)
    assert client.get("/partners/").status_code == 403


def test_home_lists_own_chats_only_and_is_never_cached(owner_client, world):
    other = partner_with_login("other", "Other Partner")
    BookingFactory(partner=other, booker_name="Someone Else Entirely")
    response = owner_client.get("/partners/")
    assert response.status_code == 200
    body = response.content.decode()
    assert list(response.context["pending"]) == [world["pending"]]
    assert list(response.context["to_mark"]) == [world["past"]]
    assert "Bartholomew Bookerperson" in body
    assert "Someone Else Entirely" not in body
    assert "no-store" in response["Cache-Control"]
    assert "Content-Security-Policy" in response
    assert body.count("<h1") == 1


def test_partner_account_gets_no_admin_access(client, world):
    client.force_login(world["owner"].user)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


# --- chats --------------------------------------------------------------------------------------


def test_booking_detail_shows_what_the_partner_needs_to_prepare(owner_client, world):
    booking = world["pending"]
    Booking.objects.filter(pk=booking.pk).update(role="Ward manager", access_needs="Captions, please")
    response = owner_client.get(f"/partners/chats/{booking.public_id}/")
    body = response.content.decode()
    for text in (
        "Bartholomew Bookerperson",
        "Northfield Secret Trust",
        "Ward manager",
        "zebrafish",
        "Captions",
    ):
        assert text in body
    assert "bart@bookers.example" not in body  # the partner does not need the booker's email


def test_accepting_a_request_confirms_it_and_records_the_partner(owner_client, world):
    booking = world["pending"]
    response = owner_client.post(f"/partners/chats/{booking.public_id}/accept/", follow=True)
    booking.refresh_from_db()
    assert booking.status == S.CONFIRMED
    event = booking.events.get(action="confirmed")
    assert (event.actor, event.actor_label) == (world["owner"].user, "partner")
    assert "You accepted this chat" in " ".join(messages_of(response))


def test_accept_is_post_only_and_get_changes_nothing(owner_client, world):
    booking = world["pending"]
    assert owner_client.get(f"/partners/chats/{booking.public_id}/accept/").status_code == 405
    booking.refresh_from_db()
    assert booking.status == S.PENDING


def test_declining_needs_a_reason_and_stores_only_its_key(owner_client, world):
    booking = world["pending"]
    response = owner_client.post(f"/partners/chats/{booking.public_id}/decline/", {"reason": ""})
    assert response.status_code == 200
    assert b"There is a problem" in response.content
    assert b"Error:" in response.content
    booking.refresh_from_db()
    assert booking.status == S.PENDING

    owner_client.post(f"/partners/chats/{booking.public_id}/decline/", {"reason": "not_my_area"})
    booking.refresh_from_db()
    assert booking.status == S.DECLINED
    assert booking.events.get(action="declined").details == {"reason": "not_my_area"}


def test_an_impossible_action_is_a_message_not_an_error_page(owner_client, world):
    booking = world["pending"]  # in the future and not confirmed
    response = owner_client.post(f"/partners/chats/{booking.public_id}/completed/", follow=True)
    assert response.status_code == 200
    assert any("cannot be marked as completed" in m for m in messages_of(response))
    booking.refresh_from_db()
    assert booking.status == S.PENDING


@pytest.mark.parametrize(("route", "status"), [("completed", S.COMPLETED), ("missed", S.NO_SHOW)])
def test_marking_a_chat_that_has_started(owner_client, world, route, status):
    booking = world["past"]
    owner_client.post(f"/partners/chats/{booking.public_id}/{route}/")
    booking.refresh_from_db()
    assert booking.status == status


def test_service_refuses_another_partners_booking(world):
    other = partner_with_login("other", "Other Partner")
    with pytest.raises(Booking.DoesNotExist):
        partner_services.act_on_booking(other, world["pending"].public_id, "accept", now=timezone.now())
    world["pending"].refresh_from_db()
    assert world["pending"].status == S.PENDING


# --- free times ---------------------------------------------------------------------------------


def test_adding_a_range_on_two_days_makes_one_plain_weekly_rule_per_day(owner_client, world):
    response = owner_client.post(
        "/partners/availability/", {"weekdays": ["1", "3"], "start_time": "13:00", "end_time": "15:30"}
    )
    assert response.status_code == 302
    new = AvailabilityRule.objects.filter(partner=world["owner"], start_time=time(13))
    assert sorted(weekly_ranges.plain_weekly_days(r.recurrence) for r in new) == [(1,), (3,)]
    assert {r.end_time for r in new} == {time(15, 30)}
    page = owner_client.get("/partners/availability/").content.decode()
    assert "1pm to 3:30pm every Tuesday" in page and "1pm to 3:30pm every Thursday" in page


def test_overlapping_ranges_on_the_same_day_are_refused_but_touching_is_fine(owner_client, world):
    # The owner already has Mondays 9am to 5pm.
    response = owner_client.post(
        "/partners/availability/", {"weekdays": ["0"], "start_time": "16:00", "end_time": "18:00"}
    )
    assert response.status_code == 200
    assert "overlaps your 9am to 5pm range on Monday" in response.content.decode()
    assert AvailabilityRule.objects.filter(partner=world["owner"]).count() == 1

    owner_client.post(
        "/partners/availability/", {"weekdays": ["0"], "start_time": "17:00", "end_time": "18:00"}
    )
    assert AvailabilityRule.objects.filter(partner=world["owner"]).count() == 2


def test_end_before_start_is_explained(owner_client, world):
    response = owner_client.post(
        "/partners/availability/", {"weekdays": ["2"], "start_time": "12:00", "end_time": "09:00"}
    )
    assert "The end time must be later than the start time." in response.content.decode()
    assert 'href="#id_end_time"' in response.content.decode()


def test_changing_a_range(owner_client, world):
    rule = world["rule"]
    url = f"/partners/availability/{rule.pk}/change/"
    assert owner_client.get(url).status_code == 200
    owner_client.post(url, {"weekdays": ["4"], "start_time": "10:00", "end_time": "11:00"})
    rule.refresh_from_db()
    assert weekly_ranges.plain_weekly_days(rule.recurrence) == (4,)
    assert (rule.start_time, rule.end_time) == (time(10), time(11))


def test_a_range_may_keep_its_own_times_when_changed(world):
    rule = world["rule"]
    partner_services.save_weekly_range(
        world["owner"], weekdays=[0], start_time=time(9), end_time=time(12), rule=rule.pk
    )
    rule.refresh_from_db()
    assert rule.end_time == time(12)


def test_removing_a_range(owner_client, world):
    owner_client.post(f"/partners/availability/{world['rule'].pk}/remove/")
    assert not AvailabilityRule.objects.filter(pk=world["rule"].pk).exists()


def test_services_refuse_another_partners_rule(world):
    other = partner_with_login("other", "Other Partner")
    with pytest.raises(AvailabilityRule.DoesNotExist):
        partner_services.remove_rule(other, world["rule"].pk)
    with pytest.raises(AvailabilityRule.DoesNotExist):
        partner_services.save_weekly_range(
            other, weekdays=[1], start_time=time(9), end_time=time(10), rule=world["rule"].pk
        )
    assert AvailabilityRule.objects.get(pk=world["rule"].pk).partner == world["owner"]


def test_team_made_patterns_are_listed_but_not_editable_and_still_block_overlaps(owner_client, world):
    fortnightly = weekly(2)
    fortnightly.rrules[0].interval = 2
    rule = AvailabilityRuleFactory(partner=world["owner"], recurrence=fortnightly, start_time=time(9))
    page = owner_client.get("/partners/availability/").content.decode()
    assert "Other patterns set up by the team" in page
    assert owner_client.get(f"/partners/availability/{rule.pk}/change/").status_code == 404
    response = owner_client.post(
        "/partners/availability/", {"weekdays": ["2"], "start_time": "10:00", "end_time": "11:00"}
    )
    assert "overlaps" in response.content.decode()


def test_weekly_range_helpers():
    assert weekly_ranges.plain_weekly_days(weekly(4, 0)) == (0, 4)
    every_other = weekly(0)
    every_other.rrules[0].interval = 2
    assert weekly_ranges.plain_weekly_days(every_other) is None
    assert weekly_ranges.weekdays_of(every_other) == {0}
    assert weekly_ranges.overlaps(time(9), time(12), time(11), time(13))
    assert not weekly_ranges.overlaps(time(9), time(12), time(12), time(13))
    assert weekly_ranges.day_list([4, 0, 2]) == "Monday, Wednesday and Friday"


# --- time off -----------------------------------------------------------------------------------


def test_whole_days_off_are_stored_in_utc_from_the_partners_zone(owner_client, world):
    year = timezone.now().year + 1
    response = owner_client.post(
        "/partners/time-off/",
        {"start_date": f"{year}-07-14", "end_date": f"{year}-07-15", "reason": "Holiday"},
    )
    assert response.status_code == 302
    entry = TimeOff.objects.filter(partner=world["owner"], reason="Holiday").get()
    # British Summer Time: local midnight is 23:00 UTC the day before; the last day is included.
    assert entry.start == datetime(year, 7, 13, 23, tzinfo=UTC)
    assert entry.end == datetime(year, 7, 15, 23, tzinfo=UTC)


def test_time_off_lists_clashing_chats_and_can_be_removed(owner_client, world):
    pending = world["pending"]
    entry = partner_services.add_time_off(
        world["owner"], start=pending.start - timedelta(hours=1), end=pending.end, now=timezone.now()
    )
    page = owner_client.get("/partners/time-off/").content.decode()
    assert "1 chat already booked in this time" in page
    owner_client.post(f"/partners/time-off/{entry.pk}/remove/")
    assert not TimeOff.objects.filter(pk=entry.pk).exists()


def test_time_off_that_ends_before_it_starts_is_refused(owner_client, world):
    response = owner_client.post(
        "/partners/time-off/",
        {"start_date": "2030-07-15", "start_time": "12:00", "end_date": "2030-07-15", "end_time": "09:00"},
    )
    assert "must be later than its start" in response.content.decode()
    assert TimeOff.objects.filter(partner=world["owner"]).count() == 1


def test_time_off_already_over_is_refused(world):
    now = timezone.now()
    with pytest.raises(partner_services.errors.InvalidInput):
        partner_services.add_time_off(
            world["owner"], start=now - timedelta(days=2), end=now - timedelta(days=1), now=now
        )


# --- pause and limits ---------------------------------------------------------------------------


def test_pause_and_resume(owner_client, world):
    owner_client.post("/partners/pause/", {"action": "pause"})
    world["owner"].refresh_from_db()
    assert world["owner"].accepting_bookings is False
    assert b"You are paused" in owner_client.get("/partners/").content
    response = owner_client.post("/partners/pause/", {"action": "resume", "next": "https://evil.example/"})
    assert response["Location"] == reverse("workspace:home")
    world["owner"].refresh_from_db()
    assert world["owner"].accepting_bookings is True


def test_limits_are_saved_and_checked(owner_client, world):
    owner_client.post(
        "/partners/limits/", {"max_chats_per_day": "2", "max_chats_per_week": "", "rest_minutes": "30"}
    )
    world["owner"].refresh_from_db()
    assert (world["owner"].max_chats_per_day, world["owner"].max_chats_per_week) == (2, None)
    assert world["owner"].rest_minutes == 30

    response = owner_client.post(
        "/partners/limits/", {"max_chats_per_day": "5", "max_chats_per_week": "3", "rest_minutes": "30"}
    )
    assert "Chats in a day cannot be more than chats in a week." in response.content.decode()
    world["owner"].refresh_from_db()
    assert world["owner"].max_chats_per_day == 2


# --- calendar -----------------------------------------------------------------------------------


def test_calendar_link_is_shown_once_and_rotating_kills_the_old_one(owner_client, world):
    response = owner_client.post("/partners/calendar/link/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    link = response.context["new_link"]
    token = link.rsplit("/", 1)[1].removesuffix(".ics")
    assert PartnerFeed.objects.get(partner=world["owner"]).token_hash == hash_token(token)
    assert owner_client.get(f"/partners/feed/{token}.ics").status_code == 200

    later = owner_client.get("/partners/calendar/").content.decode()
    assert token not in later
    assert "Make a new link" in later

    owner_client.post("/partners/calendar/link/")
    assert owner_client.get(f"/partners/feed/{token}.ics").status_code == 404

    owner_client.post("/partners/calendar/link/off/")
    assert not PartnerFeed.objects.filter(partner=world["owner"]).exists()


def test_turning_on_the_feed_in_the_workspace_with_3_upcoming_chats_shows_3_events(client):
    """The issue's "Done when", end to end: the link the page shows once carries every upcoming
    chat, including those booked before the feed existed."""
    partner = partner_with_login("trio", "Tia Three")
    first = BookingFactory(partner=partner, start=timezone.now() + timedelta(days=2))
    for days in (3, 4):
        BookingFactory(partner=partner, offer=first.offer, start=timezone.now() + timedelta(days=days))
    client.force_login(partner.user)
    link = client.post("/partners/calendar/link/").context["new_link"]
    feed = client.get(link.split("testserver", 1)[1])
    assert feed.status_code == 200
    assert feed.content.count(b"BEGIN:VEVENT") == 3
    uids = set(partner.bookings.values_list("ical_uid", flat=True))
    assert all(uid.encode() in feed.content for uid in uids) and len(uids) == 3


def test_own_calendar_address_is_saved_shown_masked_and_removed(owner_client, world):
    secret = "https://calendar.example.org/private-abc123/basic.ics"
    owner_client.post("/partners/calendar/own/", {"url": secret})
    assert ExternalCalendar.objects.get(partner=world["owner"]).url == secret
    page = owner_client.get("/partners/calendar/").content.decode()
    assert "calendar.example.org" in page
    assert "private-abc123" not in page
    owner_client.post("/partners/calendar/own/remove/")
    assert not ExternalCalendar.objects.filter(partner=world["owner"]).exists()


def test_unusable_calendar_address_is_explained(owner_client, world):
    response = owner_client.post("/partners/calendar/own/", {"url": "ftp://calendar.example.org/x.ics"})
    assert response.status_code == 200
    assert b"There is a problem" in response.content
    assert not ExternalCalendar.objects.filter(partner=world["owner"]).exists()


# --- sign in and demo ---------------------------------------------------------------------------


def test_sign_in_page_and_landing_in_the_workspace(client, world, django_user_model):
    assert b"<h1>Sign in</h1>" in client.get("/accounts/login/").content
    user = world["owner"].user
    user.set_password("a long enough password")
    user.save()
    response = client.post(
        "/accounts/login/", {"username": "owner", "password": "a long enough password", "next": "/partners/"}
    )
    assert response["Location"] == "/partners/"
    response = client.post("/accounts/logout/")
    assert b"You are signed out" in response.content


def test_password_reset_pages_use_the_site_templates(client):
    assert b"Reset your password" in client.get("/accounts/password_reset/").content


def test_demo_partner_login_is_idempotent_and_powerless(world, client):
    first = ensure_demo_partner_login(world["owner"])
    second = ensure_demo_partner_login(world["owner"])
    assert first.pk == second.pk
    assert not (second.is_staff or second.is_superuser)
    assert list(second.groups.values_list("name", flat=True)) == [PARTNER_GROUP]
    assert not Group.objects.get(name=PARTNER_GROUP).permissions.exists()
    assert password_sign_in(client, "partner", "partner-demo-2026")
    assert client.get("/partners/").status_code == 200


def test_history_never_holds_free_text(world):
    partner_services.act_on_booking(
        world["owner"], world["pending"].public_id, "decline", now=timezone.now(), reason="too_much_on"
    )
    for event in BookingEvent.objects.all():
        assert set(event.details) <= {"reason", "from_start", "to_start"}


def test_home_query_count_does_not_grow_with_chats(owner_client, world, django_assert_max_num_queries):
    for day in range(1, 11):
        BookingFactory(
            partner=world["owner"],
            offer=world["pending"].offer,
            start=timezone.now() + timedelta(days=40 + day),
        )
    with django_assert_max_num_queries(12):
        assert owner_client.get("/partners/").status_code == 200


def test_settings_changes_appear_in_the_partners_admin_history(owner_client, world):
    owner_client.post("/partners/pause/", {"action": "pause"})
    owner_client.post(
        "/partners/time-off/", {"start_date": "2031-03-03", "end_date": "2031-03-04", "reason": "Dentist"}
    )
    entries = ModelLogEntry.objects.filter(object_id=str(world["owner"].pk))
    assert [e.data for e in entries.order_by("pk")] == [
        {"workspace": "paused"},
        {"workspace": "time_off_added"},
    ]
    assert {e.user for e in entries} == {world["owner"].user}
    assert "Dentist" not in str([e.data for e in entries])


def test_password_reset_email_links_to_the_site(client, world, mailoutbox):
    client.post("/accounts/password_reset/", {"email": "owner@example.org"})
    assert mailoutbox == []  # queued in the account outbox, never sent inside the request
    for pk in AccountEmail.objects.values_list("pk", flat=True):
        tasks.deliver_account_email.call(pk)
    assert len(mailoutbox) == 1
    assert "/accounts/reset/" in mailoutbox[0].body
    assert "\n" not in mailoutbox[0].subject


def test_time_off_far_in_the_future_is_a_form_error_not_a_crash(owner_client, world):
    response = owner_client.post(
        "/partners/time-off/", {"start_date": "9999-12-31", "end_date": "9999-12-31"}
    )
    assert response.status_code in {200, 400}
    assert "between the years 2000 and 2100" in response.content.decode()


def test_time_off_page_query_count_does_not_grow_with_entries(owner_client, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert owner_client.get("/partners/time-off/").status_code == 200
        return len(ctx.captured_queries)

    start = timezone.now() + timedelta(days=60)
    TimeOff.objects.create(partner=world["owner"], start=start, end=start + timedelta(hours=1))
    queries()  # the first request also saves the session
    few = queries()
    for day in range(1, 9):
        TimeOff.objects.create(
            partner=world["owner"],
            start=start + timedelta(days=day),
            end=start + timedelta(days=day, hours=2),
        )
    assert queries() == few


# --- wording the partner reads ------------------------------------------------------------------


def test_each_weekly_range_is_listed_once_with_all_its_days_in_the_public_sites_time_style(
    owner_client, world
):
    AvailabilityRuleFactory(
        partner=world["owner"], recurrence=weekly(1, 2, 3), start_time=time(9, 30), end_time=time(12)
    )
    page = owner_client.get("/partners/availability/").content.decode()
    assert "(also on" not in page
    assert "<strong>9:30am to 12pm</strong> every Tuesday, Wednesday and Thursday" in page
    assert page.count("<strong>9:30am to 12pm</strong>") == 1  # once, not under every day
    assert 'Change<span class="visually-hidden"> 9:30am to 12pm every Tuesday, Wednesday and Thursday' in page
    assert "<strong>9am to 5pm</strong> every Monday" in page
    assert "No free time on Friday, Saturday and Sunday." in page
    assert "09:00" not in page and "17:00" not in page


def test_a_whole_day_off_reads_all_day(owner_client, world):
    TimeOff.objects.all().delete()
    london = ZoneInfo("Europe/London")
    TimeOff.objects.create(
        partner=world["owner"],
        start=datetime(2026, 12, 7, tzinfo=london),
        end=datetime(2026, 12, 8, tzinfo=london),
    )
    TimeOff.objects.create(
        partner=world["owner"],
        start=datetime(2026, 12, 14, 9, 30, tzinfo=london),
        end=datetime(2026, 12, 14, 13, tzinfo=london),
    )
    page = owner_client.get("/partners/time-off/").content.decode()
    assert "Monday 7 December 2026, all day" in page
    assert "00:00" not in page and "Tuesday 8 December 2026" not in page
    assert "Monday 14 December 2026, 9:30am to 1pm" in page


def test_a_request_waits_for_you_on_your_own_page_and_sign_out_is_at_the_top(owner_client, world):
    home = owner_client.get("/partners/").content.decode()
    detail = owner_client.get(f"/partners/chats/{world['pending'].public_id}/").content.decode()
    for page in (home, detail):
        assert "Waiting for you to accept" in page
        assert "Waiting for the partner" not in page
    signouts = [m.start() for m in re.finditer(r'action="/accounts/logout/"', home)]
    assert len(signouts) == 2 and signouts[0] < home.index('class="ws-nav"')
