"""Double bookings under concurrency (docs/reliability.md, promises 1 and 2)."""

import json
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.db import IntegrityError, connection, transaction

from bookings import services
from bookings.models import Booking, BookingStatus
from tests.support.race import NOW, POLICY, race

from .factories import AvailabilityRuleFactory, BookingFactory, OfferFactory, PartnerFactory

SLOT = datetime(2026, 6, 1, 10, tzinfo=UTC)
THREADS = 200
needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (DATABASE_URL)"
)


@pytest.fixture
def setup(db):
    partner = PartnerFactory()
    AvailabilityRuleFactory(partner=partner)
    return partner, OfferFactory(partners=[partner], buffer_after_minutes=10)


@pytest.mark.postgres
@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_200_threads_same_slot_make_exactly_one_booking(setup):
    partner, offer = setup
    outcomes = race([(offer, SLOT, partner)] * THREADS)
    assert outcomes == {"booked": 1, "conflict": THREADS - 1}
    assert Booking.objects.count() == 1


@pytest.mark.postgres
@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_200_threads_overlapping_slots_of_different_lengths(setup):
    partner, short = setup
    long = OfferFactory(partners=[partner], duration_minutes=60)
    # Every one of these contains 10:40 UTC, so any two overlap.
    choices = [
        (short, SLOT + timedelta(minutes=15), partner),
        (short, SLOT + timedelta(minutes=30), partner),
        (long, SLOT, partner),
        (long, SLOT - timedelta(minutes=15), partner),
        (long, SLOT, None),  # "whoever is free"
    ]
    outcomes = race([choices[i % len(choices)] for i in range(THREADS)])
    assert outcomes == {"booked": 1, "conflict": THREADS - 1}
    assert Booking.objects.count() == 1


@pytest.mark.postgres
@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_double_submitted_form_racing_itself_makes_one_booking(setup):
    partner, offer = setup
    barrier, results = threading.Barrier(20), []

    def submit():
        try:
            barrier.wait(timeout=60)
            booker = services.BookerDetails(name="Sam Example", email="sam@example.org")
            booking = services.place_booking(
                offer=offer,
                start=SLOT,
                partner=partner,
                booker=booker,
                now=NOW,
                policy=POLICY,
                idempotency_key="same-form-token",
            )
            results.append(booking.pk)
        except Exception as exc:  # reported by the assertion below
            results.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1 and isinstance(results[0], int), results
    assert Booking.objects.count() == 1


@pytest.mark.postgres
@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_an_overlapping_insert(setup):
    partner, offer = setup
    BookingFactory(partner=partner, offer=offer, start=SLOT)
    with pytest.raises(IntegrityError), transaction.atomic():
        BookingFactory(partner=partner, offer=offer, start=SLOT + timedelta(minutes=35))  # inside the buffer
    # touching, another partner, or not blocking: all allowed
    BookingFactory(partner=partner, offer=offer, start=SLOT + timedelta(minutes=40))
    BookingFactory(partner=PartnerFactory(), offer=offer, start=SLOT)
    BookingFactory(partner=partner, offer=offer, start=SLOT, status=BookingStatus.CANCELLED)
    BookingFactory(partner=partner, offer=offer, start=SLOT, status=BookingStatus.DECLINED)
    # an update into an overlap (an admin edit or a reschedule that skipped the services)
    late = BookingFactory(partner=partner, offer=offer, start=SLOT + timedelta(hours=3))
    late.set_times(SLOT + timedelta(minutes=20))
    with pytest.raises(IntegrityError), transaction.atomic():
        late.save()
    # reviving a cancelled booking into a taken slot is refused as well
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.filter(status=BookingStatus.CANCELLED).update(status=BookingStatus.PENDING)
    assert Booking.objects.blocking().count() == 4  # first, touching, other partner, late


@pytest.mark.slow
def test_sqlite_file_database_200_threads(tmp_path):
    db_file = tmp_path / "race.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db_file}",
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "tests.support.sqlite_race", str(THREADS)],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    outcomes = json.loads(proc.stdout.strip().splitlines()[-1])
    assert outcomes == {"booked": 1, "conflict": THREADS - 1, "bookings in database": 1}
