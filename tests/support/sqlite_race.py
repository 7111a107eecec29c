"""Race N threads for one slot on a SQLite *file* database and print the outcome as JSON.

Django's SQLite test database is in-memory (shared cache), which cannot show file locking, so
test_concurrency.py runs this in a subprocess:

    DATABASE_URL=sqlite:////tmp/race.sqlite3 python -m tests.support.sqlite_race 200
"""

import json
import os
import sys

import django


def main(n: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    django.setup()
    # Imported only once Django is set up: this module is a script entry point.
    from datetime import UTC, datetime

    from django.core.management import call_command
    from django.db import connection

    from bookings.models import Booking
    from tests.bookings.factories import AvailabilityRuleFactory, OfferFactory, PartnerFactory
    from tests.support.race import race

    call_command("migrate", verbosity=0)
    partner = PartnerFactory()
    AvailabilityRuleFactory(partner=partner)
    offer = OfferFactory(partners=[partner])
    connection.close()
    outcomes = race([(offer, datetime(2026, 6, 1, 10, tzinfo=UTC), partner)] * n)
    outcomes["bookings in database"] = Booking.objects.count()
    print(json.dumps(outcomes))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
