"""Delivering AccountEmail rows: the same claim → send → record cycle, retries and sweeper as
booking emails (bookings/outbox/delivery.py, docs/operations.md), sharing its error sorting and
back-off, for email about an account or to staff rather than about a booking version."""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction

from bookings.models import AccountEmail, NotificationStatus
from bookings.outbox import account_emails
from bookings.outbox.delivery import (
    WAITING,
    Failure,
    Schedule,
    SweepReport,
    classify,
    recover_outbox,
    retry_delay,
)

logger = logging.getLogger(__name__)
N = NotificationStatus


def deliver(account_email_id: int, *, now: datetime, schedule: Schedule) -> str:
    """Send one account email if still due and wanted; record the outcome. Mail errors never
    escape (their text can quote addresses)."""
    claimed = _claim(account_email_id, now, schedule)
    if not isinstance(claimed, AccountEmail):
        return claimed
    try:
        message = account_emails.build_message(claimed, now=now)
    except account_emails.NotWanted as exc:
        _finish(claimed, N.OBSOLETE, str(exc), now)
        return N.OBSOLETE
    except Exception as exc:  # a bug or bad data: retrying will not help
        logger.error("Building account email %s failed: %s", claimed.pk, type(exc).__name__)
        _finish(claimed, N.FAILED, type(exc).__name__, now)
        return N.FAILED
    try:
        with get_connection(timeout=settings.EMAIL_TIMEOUT) as connection:
            connection.send_messages([message])
    except Exception as exc:
        return _record_failure(claimed, classify(exc), now, schedule)
    AccountEmail.objects.filter(pk=claimed.pk, status__in=(N.SENDING, *WAITING)).update(
        status=N.SENT, sent_at=now, last_error="", updated_at=now
    )
    return N.SENT


def _claim(pk: int, now: datetime, schedule: Schedule) -> AccountEmail | str:
    with transaction.atomic():
        row = (
            AccountEmail.objects.select_for_update(of=("self",)).select_related("user").filter(pk=pk).first()
        )
        if row is None:
            return "missing"
        if row.status not in WAITING:
            return row.status
        if row.send_after > now:
            schedule(row.pk, row.send_after)
            return "not due"
        row.status, row.claimed_at, row.attempts = N.SENDING, now, row.attempts + 1
        row.save(update_fields=["status", "claimed_at", "attempts", "updated_at"])
    return row


def _finish(row: AccountEmail, status: str, reason: str, now: datetime) -> None:
    AccountEmail.objects.filter(pk=row.pk, status=N.SENDING, claimed_at=row.claimed_at).update(
        status=status, last_error=reason[:200], updated_at=now
    )


def _record_failure(row: AccountEmail, failure: Failure, now: datetime, schedule: Schedule) -> str:
    if not failure.temporary:
        _finish(row, N.FAILED, failure.label, now)
        return N.FAILED
    if row.attempts >= settings.EMAIL_MAX_ATTEMPTS:
        _finish(row, N.FAILED, f"{failure.label} (gave up after {row.attempts} attempts)", now)
        return N.FAILED
    retry_at = now + retry_delay(row.attempts)
    with transaction.atomic():
        updated = AccountEmail.objects.filter(pk=row.pk, status=N.SENDING, claimed_at=row.claimed_at).update(
            status=N.RETRYING, send_after=retry_at, last_error=failure.label[:200], updated_at=now
        )
        if updated:
            schedule(row.pk, retry_at)
    return N.RETRYING


def sweep(*, now: datetime, schedule: Schedule, task_path: str) -> SweepReport:
    """Hand back account emails abandoned mid-send and re-queue due ones whose task was lost
    (the booking sweeper already resets stuck task rows of every kind)."""
    reclaimed, requeued = recover_outbox(AccountEmail, now=now, schedule=schedule, task_path=task_path)
    return SweepReport(tasks_reset=0, emails_reclaimed=reclaimed, tasks_requeued=requeued)
