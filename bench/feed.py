"""Time and queries to serve a partner's calendar feed (bookings/calendars/feeds.py).

    .venv/bin/python bench/feed.py [--runs 30] [--chats 5000]

Builds a throwaway SQLite file (var/bench-feed.sqlite3) unless DATABASE_URL is set: one partner
with --chats chats inside the feed's window (30 days back to 12 months ahead), plus 2,000 chats
of other partners, through django.test.Client (the whole middleware stack, DEBUG off).
Prints median and p95 wall time, CPU time and SQL queries for: a full render (render cache
emptied and every stored VEVENT cleared before each request, so icalendar writes all of them and
they are saved), a render from the stored VEVENTs (render cache emptied), a repeat served from the
render cache, and a conditional request answered 304. Figures only: nothing here passes or fails on time.
"""

import argparse
import statistics
import sys
import uuid
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from time import perf_counter, thread_time

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import setup_django

setup_django(fresh_sqlite="bench-feed.sqlite3")

from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.common import measure, percentile
from bookings import partner_services
from bookings.models import Booking, BookingStatus, Offer, Partner, PartnerFeed


def build(chats: int, others: int = 2000) -> str:
    """The partner's feed token; chats are 30 minutes every 90 minutes from 25 days ago."""
    offer = Offer.objects.create(title="Thinking-partner chat", duration_minutes=30, buffer_after_minutes=10)
    partner, other = Partner.objects.bulk_create(
        [Partner(display_name="Bench"), Partner(display_name="Other")]
    )
    offer.partners.set([partner, other])
    PartnerFeed.objects.filter(partner=partner).delete()
    token = partner_services.create_or_rotate_feed(partner, now=timezone.now())
    first = datetime.combine(timezone.now().date() - timedelta(days=25), time(8), UTC)
    statuses = [BookingStatus.CONFIRMED] * 8 + [BookingStatus.PENDING, BookingStatus.CANCELLED]
    rows = []
    for i in range(chats + others):
        who, step = (partner, i) if i < chats else (other, i - chats)
        b = Booking(
            partner=who,
            offer=offer,
            booker_name="Bench",
            booker_email="bench@example.org",
            status=statuses[i % len(statuses)] if i < chats else BookingStatus.CONFIRMED,
            public_id=uuid.uuid4(),
        )
        b.set_times(first + timedelta(minutes=90 * step), offer)
        b.ical_uid = f"{b.public_id}@bench"
        rows.append(b)
    Booking.objects.bulk_create(rows, batch_size=500)
    return token


def measure_with_setup(fn, setup, *, runs):
    """bench.common.measure, with `setup` run untimed before each run (one warm-up)."""
    walls, cpus, queries = [], [], 0
    for n in range(runs + 1):
        setup()
        with CaptureQueriesContext(connection) as ctx:
            w0, c0 = perf_counter(), thread_time()
            fn()
            c1, w1 = thread_time(), perf_counter()
        if n:
            walls.append((w1 - w0) * 1000)
            cpus.append((c1 - c0) * 1000)
            queries = len(ctx.captured_queries)
    return statistics.median(walls), percentile(walls, 95), statistics.median(cpus), queries


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--chats", type=int, default=5000)
    args = parser.parse_args()
    call_command("migrate", verbosity=0, interactive=False)
    token = build(args.chats)
    url = f"/partners/feed/{token}.ics"
    client = Client()
    first = client.get(url)
    assert first.status_code == 200, first.status_code
    events = first.content.count(b"BEGIN:VEVENT")
    print(f"database: {connection.vendor}, runs: {args.runs} after 5 warm-up runs")
    print(
        f"feed: {events} events ({args.chats} chats in the window, cancelled ones left out), "
        f"{len(first.content) / 1024:.0f} KiB\n"
    )

    def forget():  # before each full render, outside the timing
        cache.clear()
        Booking.objects.update(feed_vevent="", feed_vevent_key="")

    def full():
        assert client.get(url).status_code == 200

    def stored():
        cache.clear()
        assert client.get(url).status_code == 200

    def cached():
        assert client.get(url).status_code == 200

    def not_modified():
        assert client.get(url, headers={"if-none-match": first["ETag"]}).status_code == 304

    head = f"{'median ms':>10} {'p95 ms':>8} {'CPU ms':>8} {'queries':>8}"
    print(f"{'what':<36} {head}")
    med, p95, cpu, queries = measure_with_setup(full, forget, runs=max(3, args.runs // 3))
    print(f"{'full render (nothing stored)':<36} {med:>10.1f} {p95:>8.1f} {cpu:>8.1f} {queries:>8}")
    for label, fn in [
        ("from stored events (cache empty)", stored),
        ("repeat, from the render cache", cached),
        ("If-None-Match -> 304", not_modified),
    ]:
        med, p95, cpu, queries = measure(fn, runs=args.runs)
        print(f"{label:<36} {med:>10.1f} {p95:>8.1f} {cpu:>8.1f} {queries:>8}")


if __name__ == "__main__":
    main()
