"""Personal data through its life: subject access, erasure and the retention purge (docs/privacy.md).

The proofs scan every column of every table (tests/support/privacy_scan.py) for the booker's
address, name, phone number and notes, so a table that starts holding them is noticed.
"""

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from django.db.models import Count
from django.db.models.functions import TruncMonth
from django_tasks_db.models import DBTaskResult

from bookings import partner_calendars, services
from bookings.models import (
    AccessAction,
    AccessRecord,
    Booking,
    BookingStatus,
    EmailNotification,
    NotificationStatus,
    PrivacySettings,
)
from bookings.privacy import erasure, export, purge
from bookings.privacy.audit import subject_hash
from bookings.services import BookerDetails
from home.models import LadderRung
from tests.support.outbox import install_clock, run_worker, with_email
from tests.support.privacy_scan import find_everywhere, tables_holding
from tests.support.second_factor import sign_in_verified
from tests.support.smtp_server import SmtpServer, use_smtp

from .factories import BookingFactory

pytestmark = pytest.mark.django_db(transaction=True)

NOW = datetime(2026, 5, 1, 9, tzinfo=UTC)
CHAT = datetime(2026, 6, 2, 10, tzinfo=ZoneInfo("Europe/London"))
EMAIL = "Quentin.Zapata@northshire.example"
NAME = "Quentin Zapata-Privacy"
PHONE = "07700 900731"
NOTES = "PRIVATE-NOTES-7731 about our ward"
PARTNER = "partner@example.org"
NEEDLES = (EMAIL, NAME, PHONE, NOTES)


@pytest.fixture
def clock(monkeypatch):
    return install_clock(monkeypatch, NOW)


@pytest.fixture
def emailable(partner, django_user_model):
    return with_email(partner, django_user_model, PARTNER)


@pytest.fixture
def smtp(settings):
    with SmtpServer() as server:
        use_smtp(settings, server.port)
        yield server


@pytest.fixture
def staff(django_user_model):
    user = django_user_model.objects.create_user("coordinator", password="pw")  # noqa: S106
    user.groups.add(Group.objects.get(name="Staff"))
    return user


def place(offer, partner, policy, now, start=CHAT):
    details = BookerDetails(
        name=NAME,
        email=EMAIL,
        organisation="Northshire Trust",
        role="Ward manager",
        project_description=NOTES,
        access_needs=f"Please phone me on {PHONE}",
    )
    return services.place_booking(
        offer=offer, start=start, partner=partner, booker=details, now=now, policy=policy
    )


def past_chat(partner, offer, start, **kwargs):
    fields = {
        "status": BookingStatus.COMPLETED,
        "booker_name": NAME,
        "booker_email": EMAIL.lower(),
        "organisation": "Northshire Trust",
        "project_description": NOTES,
        "access_needs": f"Phone {PHONE}",
        **kwargs,
    }
    return BookingFactory(partner=partner, offer=offer, start=start, **fields)


def the_rest(now):
    """What else a person leaves behind: a search naming them, and an unfinished booking."""
    AccessRecord.objects.create(
        user_label="coordinator", action=AccessAction.LISTED, at=now, query=f"q={NAME}", rows=1
    )
    draft = SessionStore()
    draft["booking-draft"] = {"answers": {"name": NAME, "email": EMAIL, "project_description": NOTES}}
    draft.create()


def world(offer, partner, policy, clock):
    """A future chat (emails sent by the real worker), a past one, a search and a draft."""
    future = place(offer, partner, policy, clock())
    run_worker()
    past = past_chat(partner, offer, NOW - timedelta(days=5))
    the_rest(clock())
    return future, past


def test_export_finds_the_person_in_every_table_that_holds_them(offer, emailable, policy, clock):
    future, past = world(offer, emailable, policy, clock)
    assert {"bookings_booking", "bookings_accessrecord", "django_session"} <= tables_holding(*NEEDLES)

    found = export.collect(EMAIL.upper())
    counts = found.counts()
    assert counts["bookings"] == 2
    for section in ("booking_history", "emails", "tasks", "access_records", "sessions"):
        assert counts.get(section), section
    assert {row["id"] for row in found.sections["booking_history"]} >= set(
        future.events.values_list("pk", flat=True)
    )
    assert any(row["status"] == "SUCCESSFUL" for row in found.sections["tasks"]), found.sections["tasks"]
    text = json.dumps(found.sections)
    for needle in NEEDLES:
        assert needle in text
    assert NAME in json.dumps(found.sections["access_records"])
    assert NOTES in json.dumps(found.sections["sessions"])


def test_the_staff_screen_downloads_one_zip_and_records_it_without_the_address(
    client, staff, offer, emailable, policy, clock
):
    world(offer, emailable, policy, clock)
    sign_in_verified(client, staff)
    page = client.get("/admin/privacy-requests/")
    assert page.status_code == 200 and b"Download their data" in page.content

    response = client.post("/admin/privacy-requests/", {"email": EMAIL, "export": "1"})
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = set(archive.namelist())
    assert {"data.json", "index.html", "bookings.csv", "sessions.csv", "access_records.csv"} <= names
    assert NOTES in archive.read("data.json").decode()
    assert NAME in archive.read("bookings.csv").decode()
    assert NAME in archive.read("index.html").decode()

    record = AccessRecord.objects.get(action=AccessAction.SUBJECT_ACCESS)
    assert record.user == staff and record.rows > 2
    assert record.query == f"subject {subject_hash(EMAIL)}"
    assert EMAIL.lower() not in str(vars(record)).lower()


def test_nothing_found_is_said_plainly_and_downloads_nothing(client, staff):
    sign_in_verified(client, staff)
    for button in ("export", "erase"):
        response = client.post("/admin/privacy-requests/", {"email": "nobody@example.org", button: "1"})
        assert response.status_code == 200 and b"We hold nothing for that address" in response.content
    assert not AccessRecord.objects.exists()
    bad = client.post("/admin/privacy-requests/", {"email": "not an address", "export": "1"})
    assert b"Enter an email address like" in bad.content


def test_the_screen_needs_the_privacy_permission(client, django_user_model):
    editor = django_user_model.objects.create_user("editor", password="pw")  # noqa: S106
    editor.groups.add(Group.objects.get(name="Editors"))
    sign_in_verified(client, editor)
    # Wagtail turns the refusal into a redirect to the dashboard with a message.
    assert client.get("/admin/privacy-requests/").status_code in (302, 403)
    refused = client.post("/admin/privacy-requests/", {"email": EMAIL, "export": "1"})
    assert refused.status_code in (302, 403) and refused.get("Content-Type") != "application/zip"
    assert b"Privacy requests" not in client.get("/admin/").content
    assert not AccessRecord.objects.exists()


def test_a_partners_own_address_is_exported_too(django_user_model, emailable):
    found = export.collect(PARTNER.upper())
    assert found.counts()["partner"] == 1 and found.counts()["accounts"] == 1
    assert found.sections["partner"][0]["display_name"] == emailable.display_name


def test_erasure_cancels_with_the_normal_emails_then_leaves_only_the_anonymous_shape(
    client, staff, offer, emailable, policy, clock, smtp
):
    token = partner_calendars.create_or_rotate_feed(emailable, now=clock())
    future, past = world(offer, emailable, policy, clock)
    feed = client.get(f"/partners/feed/{token}.ics").content.decode()
    assert past.ical_uid in feed and future.ical_uid in feed

    sign_in_verified(client, staff)
    confirm = client.post("/admin/privacy-requests/", {"email": EMAIL, "erase": "1"})
    assert b"Erase everything about" in confirm.content and b"cancel 1 future chat" in confirm.content
    assert Booking.objects.filter(anonymised_at__isnull=True).count() == 2  # nothing done yet

    done = client.post("/admin/privacy-requests/", {"email": EMAIL, "confirm_erase": "1"})
    assert b"1 future chat cancelled" in done.content
    future.refresh_from_db()
    past.refresh_from_db()
    assert future.status == BookingStatus.CANCELLED and past.anonymised_at is not None
    # The cancellation emails still need the address, so the future chat waits for them.
    assert future.erasure_requested_at is not None and future.booker_email == EMAIL
    assert not any(find_everywhere(NOTES, PHONE).values())  # no email carries these: gone at once

    run_worker()
    cancelled = [m for m in smtp.received if "cancel" in m.message["Subject"].lower()]
    assert sorted(addr.lower() for m in cancelled for addr in m.rcpt_tos) == sorted([EMAIL.lower(), PARTNER])
    call_command("run_scheduler", "--once", verbosity=0)

    leftovers = {needle: places for needle, places in find_everywhere(*NEEDLES).items() if places}
    assert not leftovers
    future.refresh_from_db()
    assert future.anonymised_at is not None and future.booker_name == "Removed"
    assert (future.offer_id, future.partner_id, future.start) == (offer.pk, emailable.pk, CHAT)
    feed = client.get(f"/partners/feed/{token}.ics").content.decode()
    assert past.ical_uid not in feed and future.ical_uid not in feed
    record = AccessRecord.objects.get(action=AccessAction.ERASED)
    assert record.user == staff and record.query == f"subject {subject_hash(EMAIL)}"
    assert not export.collect(EMAIL).sections["bookings"]


def report(qs):
    """What reports count: chats by month, offer, partner, format, status and ladder rung."""
    rows = qs.annotate(month=TruncMonth("start")).values(
        "month", "offer_id", "partner_id", "format", "status", "ladder_rung_id"
    )
    return sorted((tuple(r.values()) for r in rows.annotate(n=Count("pk"))), key=str)


def test_the_purge_removes_what_is_past_retention_and_keeps_the_counts(offer, emailable, policy, clock):
    rung = LadderRung.objects.first() or LadderRung.objects.create(name="Informing")
    old = [
        past_chat(emailable, offer, NOW - timedelta(days=400 + i), ladder_rung=rung, status=status)
        for i, status in enumerate([BookingStatus.COMPLETED, BookingStatus.NO_SHOW, BookingStatus.CANCELLED])
    ]
    EmailNotification.objects.create(
        booking=old[0],
        kind="confirmed",
        recipient="booker",
        sequence=0,
        send_after=NOW,
        status=NotificationStatus.SENT,
    )
    recent = past_chat(
        emailable,
        offer,
        NOW - timedelta(days=30),
        booker_email="recent@example.org",
        booker_name="Recent Person",
        project_description="Recent notes",
        access_needs="",
    )
    AccessRecord.objects.create(
        user_label="x", action=AccessAction.LISTED, at=NOW - timedelta(days=800), query=f"q={NAME}"
    )
    kept_record = AccessRecord.objects.create(
        user_label="x", action=AccessAction.LISTED, at=NOW, query="q=Recent"
    )
    stale = SessionStore()
    stale["booking-draft"] = {"answers": {"email": EMAIL, "project_description": NOTES}}
    stale.create()
    SessionStore().model.objects.filter(session_key=stale.session_key).update(
        expire_date=NOW - timedelta(days=1)
    )
    before = report(Booking.objects.all())

    dry = purge.purge(now=NOW, dry_run=True)
    assert dry == {
        "bookings": 3,
        "pending erasures": 0,
        "task rows": 0,
        "access records": 1,
        "sessions": 1,
        "waiting-list entries": 0,
    }
    assert all(places for places in find_everywhere(EMAIL, NOTES).values())  # dry run changed nothing
    out = io.StringIO()
    call_command("purge_personal_data", "--dry-run", stdout=out)
    assert "bookings: would remove 3" in out.getvalue()
    assert Booking.objects.filter(anonymised_at__isnull=False).count() == 0

    call_command("purge_personal_data", stdout=io.StringIO())
    assert not any(find_everywhere(*NEEDLES).values())
    assert report(Booking.objects.all()) == before
    recent.refresh_from_db()
    assert recent.booker_email == "recent@example.org" and recent.anonymised_at is None
    assert list(AccessRecord.objects.values_list("pk", flat=True)) == [kept_record.pk]
    assert purge.purge(now=NOW) == dict.fromkeys(dry, 0)  # idempotent
    assert report(Booking.objects.all()) == before


def test_retention_follows_the_setting(offer, emailable):
    chat = past_chat(emailable, offer, NOW - timedelta(days=100))
    assert purge.purge(now=NOW)["bookings"] == 0
    settings_row = PrivacySettings.load()
    settings_row.booking_retention_months = 3
    settings_row.save()
    assert purge.purge(now=NOW)["bookings"] == 1
    chat.refresh_from_db()
    assert chat.booker_email == "" and chat.anonymised_at == NOW


def test_purge_removes_the_task_rows_of_purged_bookings(offer, emailable, policy, clock):
    booking = place(offer, emailable, policy, clock())
    run_worker()
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").exists()
    notification_ids = set(booking.notifications.values_list("pk", flat=True))
    later = CHAT + timedelta(days=400)
    services.mark_completed(booking, now=CHAT + timedelta(hours=1))
    counts = purge.purge(now=later)
    assert counts["bookings"] == 1
    left = [
        r.args_kwargs["args"][0]
        for r in DBTaskResult.objects.filter(status="SUCCESSFUL")
        if r.args_kwargs.get("args")
    ]
    assert not notification_ids & set(left)
    assert not any(find_everywhere(*NEEDLES).values())


def test_erasure_plan_changes_nothing(offer, emailable, policy, clock):
    world(offer, emailable, policy, clock)
    before = find_everywhere(*NEEDLES)
    plan = erasure.plan(EMAIL, now=clock())
    assert (plan.bookings, plan.future_chats, plan.sessions, plan.access_records) == (2, 1, 1, 1)
    assert find_everywhere(*NEEDLES) == before
