"""Delivering booking emails (EmailNotification rows), and the sweeper for every email outbox.
The claim → send → record cycle, retries and back-off are shared by all outboxes
(bookings/outbox/deliverer.py); this module says what a booking email needs.

`django-tasks-db` runs a task once and never retries it, and leaves a task RUNNING for ever if its
worker is killed (docs/reliability.md, promise 5); RQ moves a killed worker's job to its failed
registry (docs/operations.md, "RQ"). So the retry and recovery logic lives in the outbox, around
the EmailNotification row, which is the single source of truth about an email:

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
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from bookings import task_queue
from bookings.models import BookingStatus, EmailNotification, Feedback, NotificationStatus
from bookings.outbox import emails
from bookings.outbox.deliverer import WAITING, EmailOutbox, Schedule

logger = logging.getLogger(__name__)

N = NotificationStatus


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


class BookingEmails(EmailOutbox):
    model = EmailNotification
    related = ("booking__partner__user", "booking__offer")
    unwanted = (emails.NoAddress,)
    logger = logger

    def check(self, row, now):
        return why_obsolete(row, now), None

    def build(self, row, *, now):
        return emails.build_message(row, now=now)

    def unwanted_reason(self, exc):
        return "no email address for this recipient"


def deliver(notification_id: int, *, now: datetime, schedule: Schedule) -> str:
    """Send one outbox row if it is still due and wanted; record the outcome (bookings/outbox/
    deliverer.py).

    `now` is read once by the caller (the task) and stands for the whole attempt: the claim, the
    invite's DTSTAMP, the retry time and "sent at" (docs/conventions.md, one clock).

    Mail errors never escape (their text can quote addresses). A database error does: the task
    is then marked failed with a traceback free of personal data, and the sweeper re-queues the
    row, which is still waiting (or "sending", handed back after EMAIL_SENDING_STUCK_SECONDS).
    """
    return BookingEmails().deliver(notification_id, now=now, schedule=schedule)


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
