"""Many threads, each with its own database connection, try to book at once.

Used by the PostgreSQL tests in-process and, for SQLite, by sqlite_race.py in a subprocess.
"""

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

from django.db import OperationalError, connection

from bookings import services
from bookings.availability import Policy
from bookings.errors import SlotUnavailable

NOW = datetime(2026, 5, 1, 9, tzinfo=UTC)
POLICY = Policy(notice=timedelta(hours=1), horizon=timedelta(days=365), step=timedelta(minutes=15))


def race(attempts):
    """attempts: list of (offer, start, partner) tuples, one thread each. Returns outcome counts."""
    barrier = threading.Barrier(len(attempts))
    outcomes = Counter()
    lock = threading.Lock()

    def attempt(i, offer, start, partner):
        booker = services.BookerDetails(name=f"Racer {i}", email=f"racer{i}@example.org")
        try:
            barrier.wait(timeout=60)
            services.place_booking(
                offer=offer, start=start, partner=partner, booker=booker, now=NOW, policy=POLICY
            )
            result = "booked"
        except SlotUnavailable:
            result = "conflict"
        except OperationalError as exc:
            result = "database is locked" if "locked" in str(exc) else f"error: {exc}"
        except Exception as exc:  # noqa: BLE001 - every other failure is counted and reported
            result = f"error: {type(exc).__name__}: {exc}"
        finally:
            connection.close()
        with lock:
            outcomes[result] += 1

    threads = [threading.Thread(target=attempt, args=(i, *a)) for i, a in enumerate(attempts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes
