"""Reminders at the offsets editors set in Wagtail (Settings → Booking settings), each sent once per
chat, recipient and version, re-planned on a move and dropped on a cancel (docs/operations.md)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from wagtail.models import Site

from bookings import services
from bookings.models import BookingSettings, EmailNotification, Format, NotificationStatus, Recipient
from bookings.outbox import tasks
from bookings.outbox.delivery import WAITING
from bookings.services import BookerDetails
from tests.support.outbox import install_clock, with_email

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 5, 1, 9, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")
CHAT = datetime(2026, 6, 2, 10, tzinfo=LONDON)
LINK = "https://meet.example.org/room-7"


@pytest.fixture
def clock(monkeypatch):
    return install_clock(monkeypatch, NOW)


@pytest.fixture
def emailable(partner, django_user_model):
    partner = with_email(partner, django_user_model)
    partner.meeting_link = LINK
    partner.save(update_fields=["meeting_link"])
    return partner


def set_reminders(*offsets: tuple[int, str]) -> None:
    row = BookingSettings.for_site(Site.objects.get(is_default_site=True))
    row.reminders = [("reminder", {"amount": amount, "unit": unit}) for amount, unit in offsets]
    row.save()


def place(offer, partner, policy, start=CHAT, now=NOW):
    booker = BookerDetails(name="Sam Example", email="sam@example.org", format=Format.VIDEO)
    return services.place_booking(
        offer=offer, start=start, partner=partner, booker=booker, now=now, policy=policy
    )


def deliver_due(at):
    due = EmailNotification.objects.filter(status__in=WAITING, send_after__lte=at).order_by("pk")
    return [tasks.deliver_notification.call(pk) for pk in due.values_list("pk", flat=True)]


def reminders_sent():
    return [m for m in mail.outbox if m.subject.startswith("Reminder")]


def planned(booking):
    rows = EmailNotification.objects.filter(booking=booking, kind="reminder", sequence=booking.sequence)
    return sorted((r.lead_minutes, r.recipient, r.send_after) for r in rows)


def test_the_default_is_one_reminder_a_day_before():
    assert BookingSettings().reminder_leads == (24 * 60,)


def test_offsets_are_read_in_hours_and_days_longest_first_without_repeats():
    set_reminders((2, "hours"), (2, "days"), (48, "hours"))
    assert BookingSettings.for_site(Site.objects.get(is_default_site=True)).reminder_leads == (2880, 120)


def test_each_offset_is_sent_once_to_each_person_at_its_time(offer, emailable, policy, clock):
    set_reminders((2, "days"), (2, "hours"))
    booking = place(offer, emailable, policy)
    two_days, two_hours = CHAT - timedelta(days=2), CHAT - timedelta(hours=2)
    assert planned(booking) == sorted(
        [(120, r, two_hours) for r in (Recipient.BOOKER, Recipient.PARTNER)]
        + [(2880, r, two_days) for r in (Recipient.BOOKER, Recipient.PARTNER)]
    )
    deliver_due(NOW)
    clock.now = two_days - timedelta(minutes=1)
    deliver_due(clock.now)
    assert reminders_sent() == []
    clock.now = two_days + timedelta(seconds=1)
    deliver_due(clock.now)
    deliver_due(clock.now)  # running again sends nothing twice
    assert len(reminders_sent()) == 2
    clock.now = two_hours + timedelta(seconds=1)
    deliver_due(clock.now)
    deliver_due(clock.now)
    sent = reminders_sent()
    assert len(sent) == 4
    assert sorted(m.to[0] for m in sent) == ["partner@example.org"] * 2 + ["sam@example.org"] * 2
    # Each reminder carries the joining details.
    assert all(f"Join the video call: {LINK}" in m.body for m in sent)


def test_a_move_replans_the_reminders_and_the_old_ones_never_go(offer, emailable, policy, clock):
    set_reminders((2, "days"), (2, "hours"))
    booking = place(offer, emailable, policy)
    deliver_due(NOW)
    later = CHAT + timedelta(days=3)
    moved = services.reschedule(booking, later, now=NOW, policy=policy)
    assert [lead for lead, *_ in planned(moved)] == [120, 120, 2880, 2880]
    assert {at for *_, at in planned(moved)} == {later - timedelta(days=2), later - timedelta(hours=2)}
    # The old version's times come and go: nothing is sent for them.
    for moment in (CHAT - timedelta(days=2), CHAT - timedelta(hours=2)):
        clock.now = moment + timedelta(seconds=1)
        deliver_due(clock.now)
    assert reminders_sent() == []
    old = EmailNotification.objects.filter(booking=booking, kind="reminder", sequence=0)
    assert set(old.values_list("status", flat=True)) == {NotificationStatus.OBSOLETE}
    for moment in (later - timedelta(days=2), later - timedelta(hours=2)):
        clock.now = moment + timedelta(seconds=1)
        deliver_due(clock.now)
        deliver_due(clock.now)
    sent = reminders_sent()
    assert len(sent) == 4 and all("Friday 5 June 2026" in m.body for m in sent)


def test_a_cancel_drops_every_reminder(offer, emailable, policy, clock):
    set_reminders((2, "days"), (2, "hours"))
    booking = place(offer, emailable, policy)
    services.cancel(booking, now=NOW)
    clock.now = CHAT - timedelta(minutes=5)
    deliver_due(clock.now)
    assert reminders_sent() == []
    statuses = EmailNotification.objects.filter(booking=booking, kind="reminder").values_list(
        "status", flat=True
    )
    assert set(statuses) == {NotificationStatus.OBSOLETE}


def test_edited_offsets_apply_to_new_bookings_and_to_a_chat_when_it_next_changes(offer, emailable, policy):
    set_reminders((2, "days"))
    first = place(offer, emailable, policy)
    set_reminders((3, "hours"))
    second = place(offer, emailable, policy, start=CHAT + timedelta(hours=4))
    assert {lead for lead, *_ in planned(first)} == {2880}
    assert {lead for lead, *_ in planned(second)} == {180}
    moved = services.reschedule(first, CHAT + timedelta(days=1), now=NOW, policy=policy)
    assert {lead for lead, *_ in planned(moved)} == {180}


def test_a_reminder_whose_time_has_passed_is_not_planned(offer, emailable, policy):
    set_reminders((2, "days"), (2, "hours"))
    booking = place(offer, emailable, policy, now=CHAT - timedelta(hours=30))
    assert {lead for lead, *_ in planned(booking)} == {120}


def test_no_reminders_when_editors_set_none(offer, emailable, policy):
    set_reminders()
    booking = place(offer, emailable, policy)
    assert planned(booking) == []
