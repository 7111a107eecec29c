"""Median and p95 time, CPU and SQL queries per public page, in-process, after warm-up.

    .venv/bin/python bench/pages.py [--runs 100]
    BENCH_REDIS_URL=redis://127.0.0.1:6379/12 .venv/bin/python bench/pages.py  # adds the time step on Redis

First every page rendered (the page cache off), then anonymous pages answered from the page cache
(home/page_cache.py) through Django's WSGI handler, next to a trivial WSGI app returning the same
bytes: the floor a cache hit can approach in this process. Last, the booking journey's time step
(never page-cached) with 20 partners, their weekly rules and 2,000 bookings (tests/support/slot_data.py),
with the locmem cache and with the database cache (the default without REDIS_URL), each with the
slot cache off, hit, at a new minute, after a booking with one partner and after a change to
everything; then the time step over a busy and a quiet day's traffic, every request counted.

Uses a throwaway SQLite file (var/bench.sqlite3) with the demo content and DEBUG off, or
DATABASE_URL if set. Compare the CPU column with the anchor in docs/performance.md: Wagtail's bakerydemo
home page spends about 34 CPU ms per request on this kind of machine.
"""

import argparse
import io
import itertools
import os
import random
import statistics
import time
from datetime import timedelta
from unittest import mock

from common import measure, percentile, setup_django

setup_django()

from django.conf import settings  # noqa: E402
from django.core.cache import caches as django_caches  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from wagtail.models import Page  # noqa: E402

from bookings import slot_cache  # noqa: E402
from bookings.journey.choice import query  # noqa: E402
from bookings.journey.pages import BookingPage  # noqa: E402
from tests.support import slot_data  # noqa: E402

DATABASE_CACHE = {
    "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "cache_table"}
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args()

    call_command("migrate", verbosity=0, interactive=False)
    call_command("load_demo_content", verbosity=0)
    client = Client()
    urls = [p.url for p in Page.objects.live().public().specific() if p.depth > 1 and p.url]
    urls += ["/search/?query=co-production", "/no-such-page/", "/sitemap.xml"]

    header = f"{'page':<44} {'status':>6} {'median ms':>10} {'p95 ms':>8} {'CPU ms':>8} {'queries':>8}"
    print("Rendered (page cache off)")
    print(header)
    with override_settings(PAGE_CACHE_SECONDS=0):
        rendered(client, urls, args.runs)
    print("\nCache hits through Django's WSGI handler, and a trivial WSGI app with the same bytes")
    print(header)
    cache_hits(urls, args.runs)
    print("\nThe time step, 20 partners with weekly rules and 2,000 bookings (page cache off)")
    print(f"{'case':<56}" + header[44:])
    time_step(client, args.runs)


def _environ(url):
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": url,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
    }


def cache_hits(urls, runs):
    django_app = get_wsgi_application()
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, headers

    for url in (u for u in urls if "?" not in u):
        body = b"".join(django_app(_environ(url), start_response))
        status, headers = seen["status"], seen["headers"]

        def trivial(environ, start_response, status=status, headers=headers, body=body):
            start_response(status, headers)
            return [body]

        for name, app in ((url, django_app), ("  trivial WSGI, same bytes", trivial)):

            def get(app=app, url=url):
                b"".join(app(_environ(url), start_response))

            med, p95, cpu, queries = measure(get, runs=runs)
            hit = dict(seen["headers"]).get("X-Page-Cache", "-") if app is django_app else ""
            print(
                f"{name:<44} {seen['status'][:3]:>6} {med:>10.3f} {p95:>8.3f} {cpu:>8.3f} {queries:>8} {hit}"
            )


def rendered(client, urls, runs):
    for url in urls:
        status = client.get(url).status_code

        def get(url=url):
            client.get(url)

        med, p95, cpu, queries = measure(get, runs=runs)
        print(f"{url:<44} {status:>6} {med:>10.2f} {p95:>8.2f} {cpu:>8.2f} {queries:>8}")


def time_step(client, runs, warmup=5):
    """Each case five ways, interleaved request by request in this process (an A/B on the same
    machine state, which drifts more than the difference on a shared machine): the slot cache
    off; answered from it (a repeated request); at a new minute (the clock a minute further on
    for each request of this way: a partner whose first time the notice cut-off has passed is
    computed again); after a booking (one partner's new token before the request, a different
    partner each time: that partner is loaded and computed); and after a change to everything
    (a new epoch token: every partner is). Tokens are set outside the timing
    (bookings/slot_cache.py)."""
    offer = slot_data.build(now=timezone.now())
    page = BookingPage.objects.live().first()
    base = page.url + page.reverse_subpage("time")
    first = offer.partners.order_by("pk").first()
    cases = [
        ("whoever is free, locmem cache", "any", None),
        ("one partner, locmem cache", first.pk, None),
        ("whoever is free, database cache", "any", DATABASE_CACHE),
    ]
    redis = None
    if os.environ.get("BENCH_REDIS_URL"):  # production's cache: a real Redis, emptied after
        redis = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache"}}
        redis["default"]["LOCATION"] = os.environ["BENCH_REDIS_URL"]
        cases.append(("whoever is free, Redis cache", "any", redis))
    ways = [
        ("slot cache off", 0, None),
        ("slot cache hit", 60, None),
        ("slot cache, next minute", 60, "minute"),
        ("slot cache, after a booking", 60, "partner"),
        ("slot cache, after any change", 60, "epoch"),
    ]
    real_now = timezone.now
    partner_ids = itertools.cycle(offer.partners.order_by("pk").values_list("pk", flat=True))
    with override_settings(PAGE_CACHE_SECONDS=0):
        for label, partner, caches in cases:
            url = base + query(offer=offer.pk, partner=partner, tz="Europe/London")
            figures = {way: ([], [], 0) for way, _, _ in ways}
            reference = []
            # From a minute ahead to 55 for each case: run near midnight, the way crosses into a
            # new day (a new fortnight, every partner loaded once; then cold on each of the other
            # ways' epoch renewals, which only its clock is past).
            minutes = itertools.count(1)
            with override_settings(**({"CACHES": caches} if caches else {})):
                for run in range(warmup + runs):
                    for way, seconds, miss in ways:
                        # Set directly, not by override_settings, whose signal would cost more
                        # than it measures; the override around it takes the value away after.
                        settings.SLOT_CACHE_SECONDS = seconds
                        clock = real_now
                        # Outside a transaction a new token is set at once.
                        if miss == "epoch":
                            slot_cache.changed()
                        elif miss == "partner":
                            slot_cache.changed_partners([next(partner_ids)])
                        elif miss == "minute":
                            ahead = timedelta(minutes=next(minutes))
                            clock = lambda ahead=ahead: real_now() + ahead  # noqa: E731
                        reset_queries()  # the log keeps 9,000: a full one counts nothing new
                        with (
                            CaptureQueriesContext(connection) as ctx,
                            mock.patch.object(timezone, "now", clock),
                        ):
                            w0, c0 = time.perf_counter(), time.thread_time()
                            response = client.get(url)
                            c1, w1 = time.thread_time(), time.perf_counter()
                        assert response.status_code == 200 and b"details/?" in response.content, url
                        if run >= warmup:
                            walls, cpus, _ = figures[way]
                            walls.append((w1 - w0) * 1000)
                            cpus.append((c1 - c0) * 1000)
                            figures[way] = (walls, cpus, len(ctx.captured_queries))
                    # The offer step, never cached, in the same loop: the yardstick for this case.
                    c0 = time.thread_time()
                    client.get(page.url)
                    if run >= warmup:
                        reference.append((time.thread_time() - c0) * 1000)
                if caches is not None and "redis" in caches["default"]["BACKEND"]:
                    django_caches["default"].clear()
            for way, (walls, cpus, queries) in figures.items():
                med, p95, cpu = statistics.median(walls), percentile(walls, 95), statistics.median(cpus)
                name = f"{label}, {way}"
                print(f"{name:<56} {200:>6} {med:>10.2f} {p95:>8.2f} {cpu:>8.2f} {queries:>8}")
            name, yardstick = f"{label}, the offer step in the same loop", statistics.median(reference)
            print(f"{name:<56} {'':>6} {'':>10} {'':>8} {yardstick:>8.2f}")
    print("\nThe time step on a day's traffic, slot cache on (locmem), CPU ms per request")
    print(f"{'traffic':<56} {'requests':>8} {'mean':>8} {'median':>8} {'p95':>8} {'queries':>8}")
    for label, per_minute, bookings_per_minute, per_run in MIXES:
        time_step_mix(client, base, offer, label, per_minute, bookings_per_minute, runs * per_run)
    if redis:  # the busy day only: Redis's own expiry does not follow the moved clock
        label, per_minute, bookings_per_minute, per_run = MIXES[0]
        with override_settings(CACHES=redis):
            time_step_mix(
                client, base, offer, "on Redis, " + label, per_minute, bookings_per_minute, runs * per_run
            )
            django_caches["default"].clear()
    slot_data.clear()


# (label, time steps a minute, bookings a minute, requests per --runs): the soak's rate (5,692
# time steps and 53 bookings in ten minutes, bench/soak.py), over five minutes at --runs 50, and a
# small organisation's quieter day, over fifteen hours.
MIXES = [
    ("busy: the soak's 570 time steps and 5 bookings a minute", 570, 5, 57),
    ("quiet: a time step every 90 s, a booking every 30 min", 2 / 3, 1 / 30, 12),
]
ZONES = ["Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Sydney", "Europe/Berlin", "UTC"]


def time_step_mix(client, base, offer, label, per_minute, bookings_per_minute, requests):
    """Time steps as people browse them (bench/soak.py's visitors: a partner choice, mostly one
    of the first three partners, then two to five moves to another fortnight, day or zone),
    with the clock (Django's and the cache's) moving on at `per_minute` and a booking's token
    renewal (one partner's: bookings/slot_cache.py) at `bookings_per_minute`, set outside the
    timing. Every request counts, misses and hits alike: the cost an average time step has."""
    rng = random.Random(2026)
    partner_ids = list(offer.partners.order_by("pk").values_list("pk", flat=True))
    clock = [0.0]
    real_now, real_time = timezone.now, time.time
    cpus, queries, reference, booked = [], [], [], 0.0
    page_url = base.rsplit("time/", 1)[0]
    visitor = []

    def views():
        """The next time-step view: (partner, zone, first day offset in days, day)."""
        if not visitor:
            partner = rng.choice(partner_ids[:3]) if rng.random() < 0.8 else rng.choice(["any", *partner_ids])
            visitor.extend([partner, "Europe/London", 0, None, rng.randint(2, 6)])
            return visitor[:4]
        visitor[4] -= 1
        if visitor[4] == 0:
            visitor.clear()
            return views()
        move = rng.choice(["week", "week", "day", "zone"])
        if move == "week":
            visitor[2] = max(0, visitor[2] + rng.choice([-14, 14]))
        elif move == "day":
            visitor[3] = rng.randint(0, 13)
        else:
            visitor[1] = rng.choice(ZONES)
        return visitor[:4]

    with (
        override_settings(PAGE_CACHE_SECONDS=0, SLOT_CACHE_SECONDS=300),
        mock.patch.object(timezone, "now", lambda: real_now() + timedelta(seconds=clock[0])),
        mock.patch.object(time, "time", lambda: real_time() + clock[0]),
    ):
        slot_cache.changed()
        for _ in range(requests):
            clock[0] += 60 / per_minute
            booked += bookings_per_minute / per_minute
            if booked >= 1:
                booked -= 1
                slot_cache.changed_partners([rng.choice(partner_ids)])  # outside a transaction: at once
            partner, zone, offset, day = views()
            today = timezone.now().date()
            first = today + timedelta(days=offset)
            url = base + query(
                offer=offer.pk,
                partner=partner,
                tz=zone,
                **{"from": first.isoformat() if offset else None},
                day=(first + timedelta(days=day)).isoformat() if day is not None else None,
            )
            reset_queries()
            with CaptureQueriesContext(connection) as ctx:
                c0 = time.thread_time()
                response = client.get(url)
                c1 = time.thread_time()
            assert response.status_code == 200, url
            cpus.append((c1 - c0) * 1000)
            queries.append(len(ctx.captured_queries))
            if len(cpus) % 5 == 0:  # the offer step, never cached, as the yardstick
                c0 = time.thread_time()
                client.get(page_url)
                reference.append((time.thread_time() - c0) * 1000)
    mean, med, p95 = statistics.fmean(cpus), statistics.median(cpus), percentile(cpus, 95)
    print(f"{label:<56} {requests:>8} {mean:>8.2f} {med:>8.2f} {p95:>8.2f} {statistics.fmean(queries):>8.1f}")
    ref_mean, ref_med = statistics.fmean(reference), statistics.median(reference)
    print(f"{'  the offer step in the same loop':<56} {len(reference):>8} {ref_mean:>8.2f} {ref_med:>8.2f}")


if __name__ == "__main__":
    main()
