"""The retention purge: personal data leaves once its retention period is over (docs/privacy.md).

Run once a day by the scheduler and by `manage.py purge_personal_data` (`--dry-run` counts only).
Idempotent: a second run finds nothing. It logs counts, never contents. What reports need stays:
a purged booking keeps its dates, offer, partner, format, status and ladder rung.
"""

import logging
from datetime import datetime

from dateutil.relativedelta import relativedelta
from django.contrib.sessions.models import Session
from django.db import transaction

from bookings import waitlist
from bookings.models import AccessRecord, Booking, EmailNotification, PrivacySettings

from . import records
from .erasure import anonymise_booking, finish_pending_erasures

logger = logging.getLogger(__name__)


def booking_cutoff(now: datetime, months: int) -> datetime:
    return now - relativedelta(months=months)


def purge(*, now: datetime, dry_run: bool = False) -> dict[str, int]:
    """Remove what is past retention; return counts per kind of record."""
    limits = PrivacySettings.load()
    due = Booking.objects.filter(
        anonymised_at__isnull=True, end__lt=booking_cutoff(now, limits.booking_retention_months)
    )
    old_access = AccessRecord.objects.filter(
        at__lt=booking_cutoff(now, limits.access_record_retention_months)
    )
    expired_sessions = Session.objects.filter(expire_date__lt=now)
    # Task rows of bookings anonymised earlier whose emails had not finished then.
    done_emails = EmailNotification.objects.filter(booking__anonymised_at__isnull=False).exclude(
        status__in=("queued", "retrying", "sending")
    )
    leftover_tasks = records.task_rows_for(list(done_emails.values_list("pk", flat=True)), finished_only=True)
    counts = {
        "bookings": due.count(),
        "pending erasures": finish_pending_erasures(now=now, dry_run=True),
        "task rows": leftover_tasks.count(),
        "access records": old_access.count(),
        "sessions": expired_sessions.count(),
        "waiting-list entries": waitlist.purge_expired(now=now, dry_run=True),
    }
    if dry_run:
        return counts
    for booking in list(due):
        with transaction.atomic():
            anonymise_booking(booking, now=now)
    counts["pending erasures"] = finish_pending_erasures(now=now)
    records.task_rows_for(list(done_emails.values_list("pk", flat=True)), finished_only=True).delete()
    old_access.delete()
    expired_sessions.delete()
    counts["waiting-list entries"] = waitlist.purge_expired(now=now)
    logger.info("privacy purge: %s", ", ".join(f"{k} {n}" for k, n in counts.items()))
    return counts
