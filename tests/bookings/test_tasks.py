"""The outbox and its background work, run by django-tasks-db's real worker (`db_worker --batch`):
one task per email queued in the booking's transaction, ids only, reminders, and the sweeper
that recovers from killed workers and lost tasks (docs/reliability.md, promises 4-6)."""

import smtplib
from datetime import UTC, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from bookings import services
from bookings.models import Booking, EmailNotification, NotificationStatus, Recipient
from bookings.outbox import deliverer, tasks
from bookings.services import BookerDetails
from tests.support.outbox import install_clock, run_worker, with_email

pytestmark = pytest.mark.django_db(transaction=True)

NOW = datetime(2026, 5, 1, 9, tzinfo=UTC)
CHAT = datetime(2026, 6, 2, 10, tzinfo=ZoneInfo("Europe/London"))
S = NotificationStatus


@pytest.fixture
def clock(monkeypatch):
    return install_clock(monkeypatch, NOW)


@pytest.fixture
def emailable(partner, django_user_model):
    return with_email(partner, django_user_model)


def place(offer, partner, policy, clock, start=CHAT, **booker):
    details = BookerDetails(**{"name": "Sam Example", "email": "sam@example.org", **booker})
    return services.place_booking(
        offer=offer, start=start, partner=partner, booker=details, now=clock(), policy=policy
    )


def email_tasks():
    # Wagtail queues its own tasks (search index, references) in the same table.
    return DBTaskResult.objects.filter(task_path=tasks.deliver_notification.module_path)


def kinds_sent() -> list[tuple[str, str]]:
    return sorted((n.kind, n.recipient) for n in EmailNotification.objects.filter(status=S.SENT))


def sweep() -> str:
    out = StringIO()
    call_command("run_scheduler", "--once", stdout=out)
    return out.getvalue()


def test_an_error_after_placing_leaves_no_booking_email_or_task(offer, emailable, policy, clock):
    tasks_before = DBTaskResult.objects.count()  # fixtures' own tasks (Wagtail queues some)
    with pytest.raises(RuntimeError, match="after the insert"), transaction.atomic():
        place(offer, emailable, policy, clock)
        # Two confirmations and two reminders, each with its task, inside the transaction...
        assert EmailNotification.objects.count() == 4 and email_tasks().count() == 4
        raise RuntimeError("after the insert")
    # ...and none of them outside it.
    assert Booking.objects.count() == EmailNotification.objects.count() == 0
    assert DBTaskResult.objects.count() == tasks_before


def test_tasks_carry_only_the_email_row_id(offer, emailable, policy, clock):
    place(
        offer,
        emailable,
        policy,
        clock,
        name="Eve Hostile",
        email="eve@example.org",
        project_description="notes",
    )
    ids = set(EmailNotification.objects.values_list("pk", flat=True))
    rows = list(email_tasks())
    assert len(rows) == len(ids) == 4
    for row in rows:
        assert row.task_path == "bookings.outbox.tasks.deliver_notification"
        assert row.args_kwargs["kwargs"] == {}
        (arg,) = row.args_kwargs["args"]
        assert type(arg) is int and arg in ids
    assert {row.args_kwargs["args"][0] for row in rows} == ids


def test_the_worker_sends_each_email_once_however_often_it_runs(offer, emailable, policy, clock):
    place(offer, emailable, policy, clock)
    run_worker()
    assert len(mail.outbox) == 2
    assert kinds_sent() == [("confirmed", Recipient.BOOKER), ("confirmed", Recipient.PARTNER)]
    # A second run, and a stray duplicate task for an email already sent, send nothing more.
    run_worker()
    tasks.schedule_delivery(EmailNotification.objects.filter(status=S.SENT).first().pk)
    run_worker()
    assert len(mail.outbox) == 2
    assert not DBTaskResult.objects.failed().exists()
    assert sorted(m.to[0] for m in mail.outbox) == ["partner@example.org", "sam@example.org"]


def test_exactly_one_reminder_each_at_the_configured_time(offer, emailable, policy, clock):
    booking = place(offer, emailable, policy, clock)
    run_worker()
    reminder_at = booking.start - timedelta(hours=24)  # the default setting: one reminder a day before
    clock.now = reminder_at - timedelta(minutes=1)
    run_worker()
    assert [k for k, _ in kinds_sent()].count("reminder") == 0
    clock.now = reminder_at + timedelta(seconds=1)
    run_worker()
    run_worker()
    assert kinds_sent().count(("reminder", Recipient.BOOKER)) == 1
    assert kinds_sent().count(("reminder", Recipient.PARTNER)) == 1
    reminders = [m for m in mail.outbox if m.subject.startswith("Reminder")]
    assert len(reminders) == 2 and "Tuesday 2 June 2026" in reminders[0].body


def test_no_reminder_for_a_cancelled_chat(offer, emailable, policy, clock):
    booking = place(offer, emailable, policy, clock)
    services.cancel(booking, now=clock())
    clock.now = booking.start - timedelta(minutes=5)
    run_worker()
    assert not [m for m in mail.outbox if m.subject.startswith("Reminder")]
    assert set(EmailNotification.objects.filter(kind="reminder").values_list("status", flat=True)) == {
        S.OBSOLETE
    }
    assert [m.subject.split(":")[0] for m in mail.outbox].count("Cancelled") == 2


def test_a_moved_chat_is_reminded_once_at_its_new_time(offer, emailable, policy, clock):
    booking = place(offer, emailable, policy, clock)
    new_start = CHAT + timedelta(days=3)
    services.reschedule(booking, new_start, now=clock(), policy=policy)
    clock.now = CHAT - timedelta(hours=1)  # past the old reminder time
    run_worker()
    assert not [m for m in mail.outbox if m.subject.startswith("Reminder")]
    clock.now = new_start - timedelta(hours=1)
    run_worker()
    reminders = [m for m in mail.outbox if m.subject.startswith("Reminder")]
    assert len(reminders) == 2 and all("Friday 5 June 2026" in m.body for m in reminders)
    old, new = (EmailNotification.objects.filter(kind="reminder", sequence=s) for s in (0, 1))
    assert {n.status for n in old} == {S.OBSOLETE} and {n.status for n in new} == {S.SENT}


def test_a_task_left_running_by_a_killed_worker_is_reclaimed_and_sent_once(offer, emailable, policy, clock):
    place(offer, emailable, policy, clock)
    for row in email_tasks().ready():  # a worker takes both tasks, then is killed
        row.claim("killed-worker")
    run_worker()
    assert mail.outbox == []
    assert "0 stuck tasks reset" in sweep()  # not stuck for long enough yet
    clock.advance(seconds=settings.TASK_STUCK_SECONDS + 1)
    assert "2 stuck tasks reset" in sweep()
    run_worker()
    run_worker()
    assert len(mail.outbox) == 2
    assert len({m.extra_headers["Message-ID"] for m in mail.outbox}) == 2


def test_an_email_abandoned_mid_send_is_handed_back_and_sent(offer, emailable, policy, clock):
    place(offer, emailable, policy, clock)
    pending = EmailNotification.objects.filter(kind="confirmed")
    for row in email_tasks().ready():
        row.claim("killed-worker")
    # The killed worker had claimed the emails and was talking to SMTP when it died.
    pending.update(status=S.SENDING, claimed_at=clock(), attempts=1)
    clock.advance(seconds=max(settings.TASK_STUCK_SECONDS, settings.EMAIL_SENDING_STUCK_SECONDS) + 1)
    assert "2 stuck tasks reset, 2 emails reclaimed, 0 lost emails queued again" in sweep()
    run_worker()
    assert len(mail.outbox) == 2
    assert {(n.status, n.attempts) for n in pending.all()} == {(S.SENT, 2)}


def test_an_abandoned_email_leaves_after_the_sending_limit_and_one_sweep_not_the_task_limit(
    offer, emailable, policy, clock
):
    place(offer, emailable, policy, clock)
    pending = EmailNotification.objects.filter(kind="confirmed")
    for row in email_tasks().ready():
        row.claim("killed-worker")
    pending.update(status=S.SENDING, claimed_at=clock(), attempts=1)
    assert settings.EMAIL_SENDING_STUCK_SECONDS < settings.TASK_STUCK_SECONDS
    clock.advance(seconds=settings.EMAIL_SENDING_STUCK_SECONDS + 1)
    # The killed worker's task rows stay RUNNING; the hand-back queues each email a new task.
    assert "0 stuck tasks reset, 2 emails reclaimed, 0 lost emails queued again" in sweep()
    run_worker()
    assert len(mail.outbox) == 2
    assert {(n.status, n.attempts) for n in pending.all()} == {(S.SENT, 2)}
    assert email_tasks().running().count() == 2  # still the dead worker's, until TASK_STUCK_SECONDS
    clock.advance(seconds=settings.TASK_STUCK_SECONDS)
    assert "2 stuck tasks reset" in sweep()
    run_worker()
    assert len(mail.outbox) == 2  # the old tasks ran and sent nothing more


def test_a_lost_task_is_queued_again_by_the_sweeper_but_a_waiting_one_is_not(offer, emailable, policy, clock):
    place(offer, emailable, policy, clock)
    clock.advance(seconds=settings.EMAIL_LOST_TASK_GRACE_SECONDS + 1)
    assert "0 lost emails queued again" in sweep()  # every due email still has its task
    email_tasks().delete()  # say, a careless prune of the task table
    clock.advance(seconds=1)
    assert "2 lost emails queued again" in sweep()  # the reminders are not due yet
    run_worker()
    assert len(mail.outbox) == 2
    assert "0 lost emails queued again" in sweep()


def test_temporary_failures_back_off_then_give_up_visibly(
    offer, emailable, policy, clock, settings, monkeypatch
):
    settings.EMAIL_MAX_ATTEMPTS = 3

    def refuse(self, messages):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    booking = place(offer, emailable, policy, clock)
    row = EmailNotification.objects.get(booking=booking, kind="confirmed", recipient=Recipient.BOOKER)
    gaps = []
    for _ in range(3):
        before = clock()
        run_worker()
        row.refresh_from_db()
        gaps.append(row.send_after - before)
        clock.now = row.send_after
    assert (row.status, row.attempts) == (S.FAILED, 3)
    assert row.last_error == "ConnectionRefusedError (gave up after 3 attempts)"
    assert gaps[:2] == [timedelta(seconds=30), timedelta(seconds=60)]
    assert not DBTaskResult.objects.failed().exists()  # the task itself never raised


@pytest.mark.parametrize(
    ("error", "temporary", "label"),
    [
        (ConnectionRefusedError(111, "refused"), True, "ConnectionRefusedError"),
        (TimeoutError("timed out"), True, "TimeoutError"),
        (smtplib.SMTPServerDisconnected("gone"), True, "SMTPServerDisconnected"),
        (smtplib.SMTPResponseException(421, b"closing"), True, "SMTPResponseException 421"),
        (smtplib.SMTPSenderRefused(451, b"later", "a@b.c"), True, "SMTPSenderRefused 451"),
        (smtplib.SMTPDataError(554, b"rejected"), False, "SMTPDataError 554"),
        (smtplib.SMTPRecipientsRefused({"x@example.org": (450, b"busy")}), True, "SMTPRecipientsRefused 450"),
        (smtplib.SMTPRecipientsRefused({"x@example.org": (550, b"no")}), False, "SMTPRecipientsRefused 550"),
        (ValueError("bug"), False, "ValueError"),
    ],
)
def test_errors_are_sorted_into_temporary_and_permanent_without_addresses(error, temporary, label):
    failure = deliverer.classify(error)
    assert (failure.temporary, failure.label) == (temporary, label)
    assert "@" not in failure.label


def test_back_off_doubles_and_is_capped(settings):
    settings.EMAIL_RETRY_BASE_SECONDS, settings.EMAIL_RETRY_MAX_SECONDS = 30, 3600
    delays = [deliverer.retry_delay(n).total_seconds() for n in range(1, 10)]
    assert delays == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_a_double_submitted_booking_queues_one_set_of_emails(offer, emailable, policy, clock):
    details = BookerDetails(name="Sam Example", email="sam@example.org")
    for _ in range(2):
        services.place_booking(
            offer=offer,
            start=CHAT,
            partner=emailable,
            booker=details,
            now=clock(),
            policy=policy,
            idempotency_key="k1",
        )
    assert EmailNotification.objects.count() == email_tasks().count() == 4
    run_worker()
    assert len(mail.outbox) == 2
