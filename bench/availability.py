"""Time and queries to compute every bookable slot (bookings/slots.py + bookings/availability.py).

    .venv/bin/python bench/availability.py [--runs 30]

Builds a throwaway SQLite file (var/bench-availability.sqlite3) unless DATABASE_URL is set,
with tests/support/slot_data.py: 20 partners with two free periods every weekday, time off,
one 30-minute offer with a 10-minute buffer, and 2,000 existing bookings (1,200 inside the
12 weeks measured, 800 in the past). Prints median and p95 wall time, CPU time and SQL
queries, then a partners x weeks table. Figures only: nothing here passes or fails on time.
"""

import argparse
import statistics
import sys
import time as clock
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import setup_django

setup_django(fresh_sqlite="bench-availability.sqlite3")

from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bookings.availability import compute_slots
from bookings.models import Booking, Offer
from bookings.slots import load_snapshot, policy_for_site
from tests.support import slot_data
from tests.support.slots import available_slots

NOW = datetime(2026, 5, 1, 8, tzinfo=UTC)


def build(partners: int = 20, in_range: int = 1200, past: int = 800) -> Offer:
    return slot_data.build(partners, in_range, past, now=NOW)


def measure(fn, runs: int):
    for _ in range(3):
        fn()
    walls, cpus = [], []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as ctx:
            w0, c0 = clock.perf_counter(), clock.thread_time()
            result = fn()
            cpus.append((clock.thread_time() - c0) * 1000)
            walls.append((clock.perf_counter() - w0) * 1000)
    walls.sort()
    p95 = walls[min(len(walls) - 1, round(0.95 * (len(walls) - 1)))]
    return statistics.median(walls), p95, statistics.median(cpus), len(ctx.captured_queries), result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    call_command("migrate", verbosity=0, interactive=False)
    print(f"database: {connection.vendor}, runs: {args.runs} after 3 warm-up runs\n")

    offer = build()
    end = NOW + timedelta(weeks=12)
    policy = policy_for_site()
    print(f"20 partners x 12 weeks, {Booking.objects.count()} existing bookings")
    print("slots = distinct start times offered; partner-slots counts each partner who can take one")
    head = f"{'median ms':>10} {'p95 ms':>8} {'CPU ms':>8} {'queries':>8}"
    print(f"{'what':<38} {head} {'slots':>6} {'partner-slots':>14}")
    spec_snap = load_snapshot(offer, NOW, end)
    cases = [
        ("available_slots (incl. site settings)", lambda: available_slots(offer, NOW, end, NOW)),
        ("  load_snapshot only", lambda: load_snapshot(offer, NOW, end)),
        (
            "  compute_slots only (pure)",
            lambda: compute_slots(spec_snap[1], spec_snap[0], policy, NOW, end, NOW),
        ),
    ]
    for label, fn in cases:
        med, p95, cpu, queries, result = measure(fn, args.runs)
        count = len(result) if isinstance(result, list) else "-"
        pairs = sum(len(s.partner_ids) for s in result) if isinstance(result, list) else "-"
        print(f"{label:<38} {med:>10.1f} {p95:>8.1f} {cpu:>8.1f} {queries:>8} {count:>6} {pairs:>14}")

    print("\nScaling (available_slots, same density: 5 bookings per partner-week in range, 40 past each)")
    print(f"{'partners':>8} {'weeks':>6} {head} {'partner-slots':>14}")
    for partners in (5, 10, 20, 40):
        offer = build(partners, in_range=partners * 5 * 12, past=partners * 40)
        for weeks in (2, 6, 12):
            med, p95, cpu, queries, result = measure(
                lambda o=offer, w=weeks: available_slots(
                    o, NOW, NOW + timedelta(weeks=w), NOW, policy=policy
                ),
                max(5, args.runs // 3),
            )
            pairs = sum(len(s.partner_ids) for s in result)
            print(f"{partners:>8} {weeks:>6} {med:>10.1f} {p95:>8.1f} {cpu:>8.1f} {queries:>8} {pairs:>14}")

    print("\nHistory does not count (20 partners x 12 weeks, growing past bookings)")
    print(f"{'past bookings':>14} {'median ms':>10} {'CPU ms':>8} {'queries':>8}")
    for past in (0, 2000, 20000):
        offer = build(20, in_range=1200, past=past)
        med, _p95, cpu, queries, _ = measure(
            lambda o=offer: available_slots(o, NOW, end, NOW, policy=policy), 10
        )
        print(f"{past:>14} {med:>10.1f} {cpu:>8.1f} {queries:>8}")


if __name__ == "__main__":
    main()
