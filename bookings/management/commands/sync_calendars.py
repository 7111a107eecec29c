"""Queue reads of partners' own calendars that are due (docs/busy-calendar.md).

    manage.py sync_calendars --once        queue what is due now, then exit (for cron)
    manage.py sync_calendars               keep doing that every --interval seconds

Only queues tasks; a `db_worker` process runs them, so a slow calendar never holds this loop.
"""

import time

from django.core.management.base import BaseCommand
from django.utils import timezone

from bookings.calendars.sync import sync_due_calendars


class Command(BaseCommand):
    help = "Queue a busy-time import for each partner calendar not read in the last 30 minutes."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Queue what is due now and exit.")
        parser.add_argument(
            "--interval", type=float, default=300, help="Seconds between checks when looping (default 300)."
        )

    def handle(self, *args, once=False, interval=300, **options):
        while True:
            queued = sync_due_calendars(timezone.now())
            self.stdout.write(f"Queued {queued} calendar read(s).")
            if once:
                return
            time.sleep(max(interval, 1))
