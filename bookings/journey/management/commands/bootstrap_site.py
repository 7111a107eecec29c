"""First run in production (docs/deploy.md): groups, home and booking pages, the Site from
SITE_URL and the first superuser from the environment. Idempotent. Demo content is separate
(load_demo_content)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from bookings.journey.first_run import Superuser, bootstrap


class Command(BaseCommand):
    help = "Create what a new site needs (groups, pages, Site, first superuser); safe to run again."

    def handle(self, *args, **options):
        # The settings read the environment (config/settings/base.py); the password is never printed.
        superuser = Superuser(
            username=settings.BOOTSTRAP_SUPERUSER_USERNAME,
            email=settings.BOOTSTRAP_SUPERUSER_EMAIL,
            password=settings.BOOTSTRAP_SUPERUSER_PASSWORD,
        )
        try:
            report = bootstrap(site_url=settings.SITE_URL, superuser=superuser)
        except ValidationError as error:
            raise CommandError("BOOTSTRAP_SUPERUSER_PASSWORD: " + " ".join(error.messages)) from error
        except ValueError as error:
            raise CommandError(str(error)) from error
        if options["verbosity"] > 0:
            for line in report.made:
                self.stdout.write(self.style.SUCCESS(f"  made  {line}"))
            for line in report.kept:
                self.stdout.write(f"  kept  {line}")
            self.stdout.write("Nothing changed." if not report.made else "The site is ready.")
