"""Delivering WaitlistEmail rows: the same claim → send → record cycle, retries and sweeper as
account emails (bookings/outbox/deliverer.py, bookings/outbox/account_delivery.py,
docs/operations.md)."""

from __future__ import annotations

import logging
from datetime import datetime

from bookings.models import WaitlistEmail
from bookings.outbox import waitlist_emails
from bookings.outbox.deliverer import EmailOutbox, Schedule
from bookings.outbox.delivery import SweepReport, recover_outbox

logger = logging.getLogger(__name__)


class WaitlistEmails(EmailOutbox):
    model = WaitlistEmail
    related = ("entry__offer", "entry__partner")  # a missing row: the person left or booked
    unwanted = (waitlist_emails.NotWanted,)
    what = "waiting-list email"
    logger = logger

    def build(self, row, *, now):
        return waitlist_emails.build_message(row, now=now)

    def out_of_attempts(self, label: str, attempts: int) -> str:
        return label  # recorded as the last failure alone, as staff have always seen it here


def deliver(waitlist_email_id: int, *, now: datetime, schedule: Schedule) -> str:
    """Send one waiting-list email if still due and wanted; record the outcome. Mail errors never
    escape (their text can quote addresses)."""
    return WaitlistEmails().deliver(waitlist_email_id, now=now, schedule=schedule)


def sweep(*, now: datetime, schedule: Schedule, task_path: str) -> SweepReport:
    """Hand back waiting-list emails abandoned mid-send and re-queue due ones whose task was lost."""
    reclaimed, requeued = recover_outbox(WaitlistEmail, now=now, schedule=schedule, task_path=task_path)
    return SweepReport(tasks_reset=0, emails_reclaimed=reclaimed, tasks_requeued=requeued)
