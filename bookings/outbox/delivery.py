"""Delivering outbox rows: claim, send, record; retries with back-off; the sweeper.

`django-tasks-db` runs a task once and never retries it, and leaves a task RUNNING for ever if its
worker is killed (docs/reliability.md, promise 5); RQ moves a killed worker's job to its failed
registry (docs/operations.md, "RQ"). So the retry and recovery logic lives here, around the
EmailNotification row, which is the single source of truth about an email:

    queued ──claim──▶ sending ──▶ sent
    retrying ◀──temporary failure──┘ └──▶ failed (permanent, or out of attempts)
    any waiting row whose booking has moved on ──▶ obsolete

The SMTP conversation happens outside any database transaction (claim commits first), so a slow
mail server never holds SQLite's write lock. Delivery is at-least-once: a worker killed after the
server accepted a message but before "sent" was recorded sends it again once the sweeper hands
the row back. Both copies carry the same Message-ID, derived from the row (docs/operations.md).

Nothing personal is stored about failures: `last_error` is an exception class and SMTP code,
never the server's text (which often quotes the address). Mail exceptions never escape the
task, because django-tasks-db would store their traceback.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from bookings import task_queue
from bookings.models import BookingStatus, EmailNotification, Feedback, NotificationStatus
from bookings.outbox import emails

logger = logging.getLogger(__name__)

N = NotificationStatus
WAITING = (N.QUEUED, N.RETRYING)
# schedule(notification_id, when) enqueues a delivery task in the caller's transaction.
Schedule = Callable[[int, "datetime | None"], None]


@dataclass(frozen=True)
class Failure:
    temporary: bool
    label: str  # class name and SMTP code only, e.g. "SMTPRecipientsRefused 550"


def classify(exc: BaseException) -> Failure:
    """Temporary: nothing listening, timeouts, dropped connections, SMTP 4xx. Permanent: 5xx."""
    name = type(exc).__name__
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _ in exc.recipients.values()})
        label = f"{name} {'/'.join(str(c) for c in codes)}".strip()
        return Failure(temporary=bool(codes) and all(400 <= c < 500 for c in codes), label=label)
    if isinstance(exc, smtplib.SMTPResponseException):
        return Failure(temporary=400 <= exc.smtp_code < 500, label=f"{name} {exc.smtp_code}")
    # SMTPServerDisconnected, other SMTPExceptions, ConnectionRefusedError, TimeoutError and
    # the rest of OSError: the server may well be back in a minute.
    if isinstance(exc, smtplib.SMTPException | OSError):
        return Failure(temporary=True, label="TimeoutError" if _timed_out(exc) else name)
    return Failure(temporary=False, label=name)


def _timed_out(exc: BaseException | None) -> bool:
    # smtplib turns a read timeout into SMTPServerDisconnected("... timed out"); the timeout is
    # still there as the exception's context, and it is what staff need to see.
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, TimeoutError):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def retry_delay(attempts: int) -> timedelta:
    """Exponential back-off: base·2^(attempts-1) seconds, capped."""
    base, cap = settings.EMAIL_RETRY_BASE_SECONDS, settings.EMAIL_RETRY_MAX_SECONDS
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def why_obsolete(notification: EmailNotification, now: datetime) -> str:
    """Why a waiting row should no longer be sent ("" if it still should).

    Decided at send time, so a reminder for a chat that was moved or cancelled, or an invite that a
    newer version replaced before it left, is dropped instead of sent.
    """
    booking = notification.booking
    if booking.sequence != notification.sequence:
        return "booking changed since"
    if notification.kind == "feedback_request":
        if booking.status != BookingStatus.COMPLETED or booking.anonymised_at is not None:
            return "chat not completed"
        if Feedback.objects.filter(booking_id=booking.pk).exists():
            return "feedback already given"
    if notification.kind in ("reminder", "calendar_copy"):
        if booking.status != BookingStatus.CONFIRMED:
            return "chat not confirmed"
        if booking.start <= now:
            return "chat already started"
    return ""


def deliver(notification_id: int, *, now: datetime, schedule: Schedule) -> str:
    """Send one outbox row if it is still due and wanted; record the outcome.

    `now` is read once by the caller (the task) and stands for the whole attempt: the claim, the
    invite's DTSTAMP, the retry time and "sent at" (docs/conventions.md, one clock).

    Mail errors never escape (their text can quote addresses). A database error does: the task
    is then marked failed with a traceback free of personal data, and the sweeper re-queues the
    row, which is still waiting (or "sending", handed back after EMAIL_SENDING_STUCK_SECONDS).
    """
    claimed = _claim(notification_id, now, schedule)
    if not isinstance(claimed, EmailNotification):
        return claimed
    try:
        message = emails.build_message(claimed, now=now)
    except emails.NoAddress:
        _finish(claimed, N.OBSOLETE, "no email address for this recipient", now)
        return N.OBSOLETE
    except Exception as exc:  # a bug or bad data: retrying will not help
        logger.error("Building email %s failed: %s", claimed.pk, type(exc).__name__)
        _finish(claimed, N.FAILED, type(exc).__name__, now)
        return N.FAILED
    try:
        with get_connection(timeout=settings.EMAIL_TIMEOUT) as connection:
            connection.send_messages([message])
    except Exception as exc:
        return _record_failure(claimed, classify(exc), now, schedule)
    _record_sent(claimed, now)
    return N.SENT


def _claim(notification_id: int, now: datetime, schedule: Schedule) -> EmailNotification | str:
    with transaction.atomic():
        notification = (
            EmailNotification.objects.select_for_update(of=("self",))
            .select_related("booking__partner__user", "booking__offer")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None:
            return "missing"
        if notification.status not in WAITING:
            return notification.status  # sent, failed or another worker has it: a duplicate task
        if notification.send_after > now:
            # Ran early (a clock step, or an old duplicate task): try again when it is due.
            schedule(notification.pk, notification.send_after)
            return "not due"
        if reason := why_obsolete(notification, now):
            notification.status, notification.last_error = N.OBSOLETE, reason
            notification.save(update_fields=["status", "last_error", "updated_at"])
            return N.OBSOLETE
        notification.status = N.SENDING
        notification.claimed_at = now
        notification.attempts += 1  # counted at claim, so a worker killed mid-send still counts
        notification.save(update_fields=["status", "claimed_at", "attempts", "updated_at"])
    return notification


def _record_sent(notification: EmailNotification, now: datetime) -> None:
    # Not conditional on our claim: if the sweeper handed the row back meanwhile, marking it sent
    # stops the second task from sending a duplicate.
    EmailNotification.objects.filter(pk=notification.pk, status__in=(N.SENDING, *WAITING)).update(
        status=N.SENT, sent_at=now, last_error="", updated_at=now
    )


def _finish(notification: EmailNotification, status: str, reason: str, now: datetime) -> None:
    EmailNotification.objects.filter(
        pk=notification.pk, status=N.SENDING, claimed_at=notification.claimed_at
    ).update(status=status, last_error=reason[:200], updated_at=now)


def _record_failure(
    notification: EmailNotification, failure: Failure, now: datetime, schedule: Schedule
) -> str:
    if not failure.temporary:
        _finish(notification, N.FAILED, failure.label, now)
        return N.FAILED
    if notification.attempts >= settings.EMAIL_MAX_ATTEMPTS:
        reason = f"{failure.label} (gave up after {notification.attempts} attempts)"
        _finish(notification, N.FAILED, reason, now)
        return N.FAILED
    retry_at = now + retry_delay(notification.attempts)
    with transaction.atomic():
        # The retry task is queued in the same transaction as the status, so neither exists alone.
        updated = EmailNotification.objects.filter(
            pk=notification.pk, status=N.SENDING, claimed_at=notification.claimed_at
        ).update(status=N.RETRYING, send_after=retry_at, last_error=failure.label[:200], updated_at=now)
        if updated:
            schedule(notification.pk, retry_at)
    return N.RETRYING


# -- the sweeper ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepReport:
    tasks_reset: int
    emails_reclaimed: int
    tasks_requeued: int


def sweep(*, now: datetime, schedule: Schedule, task_path: str) -> SweepReport:
    """Undo what a killed worker or a lost task row left behind. Safe to run at any time.

    1. Task rows RUNNING longer than TASK_STUCK_SECONDS go back to READY (tasks are idempotent:
       a delivery task whose email is already sent or being sent does nothing).
    2. Emails "sending" for longer than EMAIL_SENDING_STUCK_SECONDS go back to "retrying", each
       with a new delivery task.
    3. Any waiting email due more than EMAIL_LOST_TASK_GRACE_SECONDS ago with no delivery task
       waiting or running (in the database, or in RQ's queue and registries) gets a new one.

    Step 1 is for the database backend; with RQ the task table holds nothing of ours.
    """
    stuck_before = now - timedelta(seconds=settings.TASK_STUCK_SECONDS)
    with transaction.atomic():
        tasks_reset = (
            DBTaskResult.objects.running()
            .filter(started_at__lt=stuck_before)
            .update(status="READY", started_at=None)
        )
    reclaimed, requeued = recover_outbox(EmailNotification, now=now, schedule=schedule, task_path=task_path)
    return SweepReport(tasks_reset=tasks_reset, emails_reclaimed=reclaimed, tasks_requeued=requeued)


def recover_outbox(model, *, now: datetime, schedule: Schedule, task_path: str) -> tuple[int, int]:
    """Steps 2 and 3 of the sweep for any outbox model (booking, account or waiting-list emails):
    hand back rows "sending" too long, each with a new task, and give waiting rows whose task was
    lost a new one. (reclaimed, requeued)

    The hand-back queues its task at once, in its own transaction, on either backend: the task
    that claimed the row belongs to a worker presumed dead, whose task row (database backend) stays
    RUNNING until TASK_STUCK_SECONDS and whose RQ job is only moved to RQ's failed registry. So an
    abandoned email leaves within EMAIL_SENDING_STUCK_SECONDS plus one sweep (docs/reliability.md,
    promise 6). Which tasks are still live is asked of the backend that holds them
    (task_queue.live_task_ids), so a job waiting behind an RQ backlog is not queued twice."""
    sending_before = now - timedelta(seconds=settings.EMAIL_SENDING_STUCK_SECONDS)
    with transaction.atomic():
        stuck = sorted(
            model.objects.select_for_update()
            .filter(status=N.SENDING, claimed_at__lt=sending_before)
            .values_list("pk", flat=True)
        )
        reclaimed = model.objects.filter(pk__in=stuck, status=N.SENDING).update(
            status=N.RETRYING, send_after=now, last_error="worker stopped while sending", updated_at=now
        )
        for pk in stuck:
            schedule(pk, None)
    due_before = now - timedelta(seconds=settings.EMAIL_LOST_TASK_GRACE_SECONDS)
    requeued = 0
    with transaction.atomic():
        waiting = set(
            model.objects.filter(status__in=WAITING, send_after__lt=due_before).values_list("pk", flat=True)
        )
        if waiting:
            covered = task_queue.live_task_ids(task_path, now=now)
            for pk in sorted(waiting - covered):
                schedule(pk, None)
                requeued += 1
    return reclaimed, requeued
