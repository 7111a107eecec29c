"""The scheduler: the sweeper that makes django-tasks-db safe to lose a worker (see
bookings.outbox.delivery.sweep), queueing reads of partners' own calendars every few minutes,
finishing erasures whose cancellation emails have left, and the daily retention purge
(docs/privacy.md).

Run it next to the worker (`make run` does); `--once` suits cron and tests. Output is counts only.
"""

import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils import timezone

from bookings import accounts
from bookings.calendars import sync as calendar_sync
from bookings.outbox import account_delivery, delivery, tasks, waitlist_delivery
from bookings.privacy import erasure, purge

# Calendar reads are queued at most this often; each calendar is read every 30 minutes.
CALENDAR_EVERY_SECONDS = 300
# The retention purge (which also deletes expired sessions, holding half-finished booking
# answers) runs once a day.
PURGE_EVERY_SECONDS = 24 * 3600
# The staff digest is checked this often; it goes once per UK day from STAFF_DIGEST_HOUR, and the
# database (one row per person per day) makes a second check, or a second scheduler, a no-op.
DIGEST_EVERY_SECONDS = 300


class Command(BaseCommand):
    help = "Reclaim tasks and emails left behind by stopped workers, every few seconds (or once)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Sweep once and exit.")
        parser.add_argument(
            "--interval",
            type=float,
            default=settings.SCHEDULER_INTERVAL_SECONDS,
            help="Seconds between sweeps (default: %(default)s).",
        )

    def handle(self, *, once: bool, interval: float, verbosity: int, **options):
        self.running = True
        if not once:
            signal.signal(signal.SIGTERM, self._stop)
            signal.signal(signal.SIGINT, self._stop)
        calendars_due_at = purge_due_at = digest_due_at = 0.0
        while self.running:
            if not once:  # a long-running loop recycles connections like a request would
                close_old_connections()
            if time.monotonic() >= calendars_due_at:
                queued = calendar_sync.sync_due_calendars(timezone.now())
                calendars_due_at = time.monotonic() + CALENDAR_EVERY_SECONDS
                if verbosity and (once or queued):
                    self.stdout.write(f"calendars: {queued} reads queued")
            if time.monotonic() >= purge_due_at:
                counts = purge.purge(now=timezone.now())
                purge_due_at = time.monotonic() + PURGE_EVERY_SECONDS
                if verbosity and (once or any(counts.values())):
                    self.stdout.write("purge: " + ", ".join(f"{n} {k}" for k, n in counts.items()))
            elif (finished := erasure.finish_pending_erasures(now=timezone.now())) and verbosity:
                self.stdout.write(f"erasure: {finished} bookings erased after their last emails")
            if time.monotonic() >= digest_due_at:
                digests = accounts.queue_daily_digest(timezone.now())
                digest_due_at = time.monotonic() + DIGEST_EVERY_SECONDS
                if verbosity and (once or digests):
                    self.stdout.write(f"digest: {digests} queued")
            accounts_report = account_delivery.sweep(
                now=timezone.now(),
                schedule=tasks.schedule_account_email,
                task_path=tasks.deliver_account_email.module_path,
            )
            if verbosity and (once or any(vars(accounts_report).values())):
                self.stdout.write(
                    f"account emails: {accounts_report.emails_reclaimed} reclaimed, "
                    f"{accounts_report.tasks_requeued} lost emails queued again"
                )
            waitlist_report = waitlist_delivery.sweep(
                now=timezone.now(),
                schedule=tasks.schedule_waitlist_email,
                task_path=tasks.deliver_waitlist_email.module_path,
            )
            if verbosity and any(vars(waitlist_report).values()):
                self.stdout.write(
                    f"waiting-list emails: {waitlist_report.emails_reclaimed} reclaimed, "
                    f"{waitlist_report.tasks_requeued} lost emails queued again"
                )
            report = delivery.sweep(
                now=timezone.now(),
                schedule=tasks.schedule_delivery,
                task_path=tasks.deliver_notification.module_path,
            )
            if verbosity and (once or any(vars(report).values())):
                self.stdout.write(
                    f"sweep: {report.tasks_reset} stuck tasks reset, {report.emails_reclaimed} emails "
                    f"reclaimed, {report.tasks_requeued} lost emails queued again"
                )
            if once:
                return
            close_old_connections()
            self._sleep(interval)

    def _sleep(self, seconds: float) -> None:
        # Short naps, so a stop signal ends the command within a second, not a whole interval.
        deadline = time.monotonic() + seconds
        while self.running and time.monotonic() < deadline:
            time.sleep(min(1.0, deadline - time.monotonic()))

    def _stop(self, signum, frame):
        self.running = False
