"""Median and p95 time, CPU and SQL queries per public page, in-process, after warm-up.

    .venv/bin/python bench/pages.py [--runs 100]

First every page rendered (the page cache off), then anonymous pages answered from the page cache
(home/page_cache.py) through Django's WSGI handler, next to a trivial WSGI app returning the same
bytes: the floor a cache hit can approach in this process. Last, the booking journey's time step
(never page-cached) with 20 partners, their weekly rules and 2,000 bookings (tests/support/slot_data.py),
with the locmem cache and with the database cache (the default without REDIS_URL), each with the
slot cache off, hit, at a new minute (snapshot cached, the minute's slots not) and missed.

Uses a throwaway SQLite file (var/bench.sqlite3) with the demo content and DEBUG off, or
DATABASE_URL if set. Compare the CPU column with the anchor in docs/performance.md: Wagtail's bakerydemo
home page spends about 34 CPU ms per request on this kind of machine.
"""

import argparse
import io
import itertools
import statistics
import time
from datetime import timedelta
from unittest import mock

from common import measure, percentile, setup_django

setup_django()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import connection  # noqa: E402
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
    """Each case four ways, interleaved request by request in this process (an A/B on the same
    machine state, which drifts more than the difference on a shared machine): the slot cache
    off, answered from it (a repeated request), at a new minute (the clock a minute further on
    for each request of this way: the snapshot is read from the cache, the slots computed), and
    missing it (a new token before the request, as after any booking or change; set outside the
    timing: bookings/slot_cache.py)."""
    offer = slot_data.build(now=timezone.now())
    page = BookingPage.objects.live().first()
    base = page.url + page.reverse_subpage("time")
    first = offer.partners.order_by("pk").first()
    cases = [
        ("whoever is free, locmem cache", "any", None),
        ("one partner, locmem cache", first.pk, None),
        ("whoever is free, database cache", "any", DATABASE_CACHE),
    ]
    # "next minute": the snapshot is cached but the minute's computed slots are not yet (the
    # clock moved on a minute since the last request of this way), as at each new minute.
    ways = [
        ("slot cache off", 0, None),
        ("slot cache hit", 60, None),
        ("slot cache, next minute", 60, "minute"),
        ("slot cache miss", 60, "token"),
    ]
    real_now, minutes = timezone.now, itertools.count(1)
    with override_settings(PAGE_CACHE_SECONDS=0):
        for label, partner, caches in cases:
            url = base + query(offer=offer.pk, partner=partner, tz="Europe/London")
            figures = {way: ([], [], 0) for way, _, _ in ways}
            with override_settings(**({"CACHES": caches} if caches else {})):
                for run in range(warmup + runs):
                    for way, seconds, miss in ways:
                        # Set directly, not by override_settings, whose signal would cost more
                        # than it measures; the override around it takes the value away after.
                        settings.SLOT_CACHE_SECONDS = seconds
                        clock = real_now
                        if miss == "token":
                            slot_cache.changed()  # outside a transaction: a new token at once
                        elif miss == "minute":
                            ahead = timedelta(minutes=next(minutes))
                            clock = lambda ahead=ahead: real_now() + ahead  # noqa: E731
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
            for way, (walls, cpus, queries) in figures.items():
                med, p95, cpu = statistics.median(walls), percentile(walls, 95), statistics.median(cpus)
                name = f"{label}, {way}"
                print(f"{name:<56} {200:>6} {med:>10.2f} {p95:>8.2f} {cpu:>8.2f} {queries:>8}")
    slot_data.clear()


if __name__ == "__main__":
    main()
