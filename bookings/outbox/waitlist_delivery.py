"""Delivering WaitlistEmail rows: the same claim → send → record cycle, retries and sweeper as
account emails (bookings/outbox/account_delivery.py, docs/operations.md), sharing the booking
outbox's error sorting and back-off."""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction

from bookings.models import NotificationStatus, WaitlistEmail
from bookings.outbox import waitlist_emails
from bookings.outbox.delivery import WAITING, Schedule, SweepReport, classify, recover_outbox, retry_delay

logger = logging.getLogger(__name__)
N = NotificationStatus


def deliver(waitlist_email_id: int, *, now: datetime, schedule: Schedule) -> str:
    """Send one waiting-list email if still due and wanted; record the outcome. Mail errors never
    escape (their text can quote addresses)."""
    row = _claim(waitlist_email_id, now, schedule)
    if not isinstance(row, WaitlistEmail):
        return row
    try:
        message = waitlist_emails.build_message(row, now=now)
    except waitlist_emails.NotWanted as exc:
        _finish(row, N.OBSOLETE, str(exc), now)
        return N.OBSOLETE
    except Exception as exc:  # a bug or bad data: retrying will not help
        logger.error("Building waiting-list email %s failed: %s", row.pk, type(exc).__name__)
        _finish(row, N.FAILED, type(exc).__name__, now)
        return N.FAILED
    try:
        with get_connection(timeout=settings.EMAIL_TIMEOUT) as connection:
            connection.send_messages([message])
    except Exception as exc:
        failure = classify(exc)
        if not failure.temporary or row.attempts >= settings.EMAIL_MAX_ATTEMPTS:
            _finish(row, N.FAILED, failure.label, now)
            return N.FAILED
        retry_at = now + retry_delay(row.attempts)
        with transaction.atomic():
            if _mine(row).update(status=N.RETRYING, send_after=retry_at, last_error=failure.label[:200]):
                schedule(row.pk, retry_at)
        return N.RETRYING
    WaitlistEmail.objects.filter(pk=row.pk, status__in=(N.SENDING, *WAITING)).update(
        status=N.SENT, sent_at=now, last_error="", updated_at=now
    )
    return N.SENT


def _claim(pk: int, now: datetime, schedule: Schedule) -> WaitlistEmail | str:
    with transaction.atomic():
        row = (
            WaitlistEmail.objects.select_for_update(of=("self",))
            .select_related("entry__offer", "entry__partner")
            .filter(pk=pk)
            .first()
        )
        if row is None:
            return "missing"  # the person left or booked: their entry and its emails are gone
        if row.status not in WAITING:
            return row.status
        if row.send_after > now:
            schedule(row.pk, row.send_after)
            return "not due"
        row.status, row.claimed_at, row.attempts = N.SENDING, now, row.attempts + 1
        row.save(update_fields=["status", "claimed_at", "attempts", "updated_at"])
    return row


def _mine(row: WaitlistEmail):
    return WaitlistEmail.objects.filter(pk=row.pk, status=N.SENDING, claimed_at=row.claimed_at)


def _finish(row: WaitlistEmail, status: str, reason: str, now: datetime) -> None:
    _mine(row).update(status=status, last_error=reason[:200], updated_at=now)


def sweep(*, now: datetime, schedule: Schedule, task_path: str) -> SweepReport:
    """Hand back waiting-list emails abandoned mid-send and re-queue due ones whose task was lost."""
    reclaimed, requeued = recover_outbox(WaitlistEmail, now=now, schedule=schedule, task_path=task_path)
    return SweepReport(tasks_reset=0, emails_reclaimed=reclaimed, tasks_requeued=requeued)
