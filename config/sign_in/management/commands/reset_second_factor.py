"""Break glass: remove a person's second factor so they set it up again (docs/staff-operations.md).

    manage.py reset_second_factor <username> --by "<your name>"

Logs who asked, for whom and when; never a key or a code.
"""

import logging

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from config.sign_in import devices

log = logging.getLogger("config.sign_in")


class Command(BaseCommand):
    help = "Remove every second-factor device (app and recovery codes) of one person, so they enrol again."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--by", required=True, help="Who is doing this, for the log.")

    def handle(self, *args, username, by, **options):
        now = timezone.now()  # the edge
        by = by.strip()
        if not by:
            raise CommandError("Say who you are with --by, for the log.")
        try:
            user = get_user_model().objects.get_by_natural_key(username)
        except get_user_model().DoesNotExist as missing:
            raise CommandError(f"No account with the username {username!r}.") from missing
        removed = devices.remove_all(user)
        log.warning(
            "second factor reset: user id %s (%s), %s device(s) removed, by %s at %s",
            user.pk, user.get_username(), removed, by, now.isoformat(),
        )  # fmt: skip
        self.stdout.write(
            f"Removed {removed} second-factor device(s) for {user.get_username()}. "
            "They will be asked to set up a new app when they next sign in."
        )
