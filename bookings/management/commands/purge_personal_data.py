"""Remove personal data past its retention period (docs/privacy.md). The scheduler runs the same
purge daily; `--dry-run` prints what it would remove, per kind of record, and changes nothing."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from bookings.privacy import purge


class Command(BaseCommand):
    help = "Remove personal data past its retention period (counts only; --dry-run changes nothing)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count what would go; change nothing.")

    def handle(self, *, dry_run: bool, **options):
        counts = purge.purge(now=timezone.now(), dry_run=dry_run)
        verb = "would remove" if dry_run else "removed"
        for kind, count in counts.items():
            self.stdout.write(f"{kind}: {verb} {count}")
