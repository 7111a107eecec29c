"""Background import of busy times from partners' own calendars (docs/busy-calendar.md).

`sync_partner_calendar` (a django-tasks task, taking only an id) reads one partner's calendar
address, turns it into busy intervals in a killable child process, and replaces that partner's
BusyInterval rows in one transaction. `sync_due_calendars` queues it for every calendar not
checked recently; `manage.py sync_calendars` calls that once or in a loop.

Failures are recorded on the ExternalCalendar row as a code and a plain-English message and
never raised out of the task: the old busy times keep applying until the calendar goes stale
(the slot loader closes a stale partner's slots), and no other partner is affected.
The address is a secret: it is never logged, never put into a message, never a task argument.
"""

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from bookings.calendars.busy import busy_intervals_isolated
from bookings.calendars.fetch import CalendarFetchError, fetch_calendar
from bookings.models import DEFAULT_TIME_ZONE, BusyInterval, ExternalCalendar
from bookings.slots import policy_for_site
from bookings.task_queue import enqueue_on_commit

logger = logging.getLogger(__name__)

DUE_AFTER = timedelta(minutes=30)  # how often each calendar is read
# A queued duplicate (a worker backlog, a double click on "Try again now") finding the calendar
# read this recently does nothing, so piled-up tasks cost a query each, not a download each.
RECENTLY = timedelta(minutes=2)
PAST = timedelta(days=1)  # busy time is read from a day back, so today's chats stay covered
INTERNAL_ERROR = "internal_error"
INTERNAL_MESSAGE = "We could not read your calendar because of a problem on our side. We will try again soon."


def _window(now: datetime) -> tuple[datetime, datetime]:
    return now - PAST, now + policy_for_site().horizon


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):  # validated on save, but never let a bad row stop the import
        return ZoneInfo(DEFAULT_TIME_ZONE)


def sync_partner(partner_id: int, *, now: datetime, force: bool = False) -> str:
    """Read one partner's calendar and store its busy times. Returns a short outcome code.

    Invariant: either every BusyInterval of the partner is replaced by the intervals of one
    successful read (with last_success_at = now), or none of them changes and the error is
    recorded; rows are only written if the address is still the one that was read. Never raises.
    """
    try:
        calendar = ExternalCalendar.objects.select_related("partner").filter(partner_id=partner_id).first()
        if calendar is None:
            return "no_calendar"
        if not force and calendar.last_checked_at and now - calendar.last_checked_at < RECENTLY:
            return "skipped"
        window_start, window_end = _window(now)
        try:
            body = fetch_calendar(
                calendar.url,
                timeout=settings.BUSY_CALENDAR_TIMEOUT,
                max_bytes=settings.BUSY_CALENDAR_MAX_BYTES,
                allow_private=settings.BUSY_CALENDAR_ALLOW_PRIVATE,
            )
            intervals = busy_intervals_isolated(
                body,
                window_start=window_start,
                window_end=window_end,
                default_tz=_zone(calendar.partner.time_zone),
            )
        except CalendarFetchError as exc:
            _record_failure(calendar, now, exc.code.value, exc.message)
            return exc.code.value
        _store(calendar, intervals, now)
        return "ok"
    except Exception:
        # Anything unexpected is ours, not the partner's: log it (no address in the text) and
        # record a general message, so the partner is told and the next run tries again.
        logger.exception("Busy calendar import failed for partner %s", partner_id)
        try:
            ExternalCalendar.objects.filter(partner_id=partner_id).update(
                last_checked_at=now, error_code=INTERNAL_ERROR, error_message=INTERNAL_MESSAGE
            )
        except Exception:
            logger.exception("Could not record the failed import for partner %s", partner_id)
        return INTERNAL_ERROR


def _still_current(calendar: ExternalCalendar):
    # The partner may have changed or removed the address while we were reading the old one.
    return ExternalCalendar.objects.filter(pk=calendar.pk, url=calendar.url, saved_at=calendar.saved_at)


def _store(calendar: ExternalCalendar, intervals, now: datetime) -> None:
    with transaction.atomic():
        current = _still_current(calendar).select_for_update().first()
        if current is None:
            return
        BusyInterval.objects.filter(partner_id=calendar.partner_id).delete()
        BusyInterval.objects.bulk_create(
            [BusyInterval(partner_id=calendar.partner_id, start=start, end=end) for start, end in intervals],
            batch_size=500,
        )
        current.last_checked_at = current.last_success_at = now
        current.error_code = current.error_message = ""
        current.save(update_fields=["last_checked_at", "last_success_at", "error_code", "error_message"])


def _record_failure(calendar: ExternalCalendar, now: datetime, code: str, message: str) -> None:
    # Busy intervals are left as they are: the last good read keeps applying until it is stale.
    with transaction.atomic():
        _still_current(calendar).update(
            last_checked_at=now, error_code=code[:32], error_message=message[:300]
        )


@task()
def sync_partner_calendar(partner_id: int, force: bool = False) -> str:
    """The task: ids only in its arguments, the clock read here at the edge."""
    return sync_partner(partner_id, now=timezone.now(), force=force)


def sync_due_calendars(now: datetime) -> int:
    """Queue a sync for every calendar not checked in the last DUE_AFTER; returns how many."""
    due = ExternalCalendar.objects.filter(
        Q(last_checked_at__isnull=True) | Q(last_checked_at__lte=now - DUE_AFTER)
    ).values_list("partner_id", flat=True)
    count = 0
    for partner_id in due:
        enqueue_on_commit(sync_partner_calendar, partner_id)
        count += 1
    return count
