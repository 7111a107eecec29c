"""Delivering AccountEmail rows: the same claim → send → record cycle, retries and sweeper as
booking emails (bookings/outbox/deliverer.py, bookings/outbox/delivery.py, docs/operations.md),
for email about an account or to staff rather than about a booking version."""

from __future__ import annotations

import logging
from datetime import datetime

from bookings.models import AccountEmail
from bookings.outbox import account_emails
from bookings.outbox.deliverer import EmailOutbox, Schedule
from bookings.outbox.delivery import SweepReport, recover_outbox

logger = logging.getLogger(__name__)


class AccountEmails(EmailOutbox):
    model = AccountEmail
    related = ("user",)
    unwanted = (account_emails.NotWanted,)
    what = "account email"
    logger = logger

    def build(self, row, *, now):
        return account_emails.build_message(row, now=now)


def deliver(account_email_id: int, *, now: datetime, schedule: Schedule) -> str:
    """Send one account email if still due and wanted; record the outcome. Mail errors never
    escape (their text can quote addresses)."""
    return AccountEmails().deliver(account_email_id, now=now, schedule=schedule)


def sweep(*, now: datetime, schedule: Schedule, task_path: str) -> SweepReport:
    """Hand back account emails abandoned mid-send and re-queue due ones whose task was lost
    (the booking sweeper already resets stuck task rows of every kind)."""
    reclaimed, requeued = recover_outbox(AccountEmail, now=now, schedule=schedule, task_path=task_path)
    return SweepReport(tasks_reset=0, emails_reclaimed=reclaimed, tasks_requeued=requeued)
