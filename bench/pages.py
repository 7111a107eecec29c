"""Median and p95 time, CPU and SQL queries per public page, in-process, after warm-up.

    .venv/bin/python bench/pages.py [--runs 100]

Uses a throwaway SQLite file (var/bench.sqlite3) with the demo content and DEBUG off, or
DATABASE_URL if set. Compare the CPU column with the anchor in docs/performance.md: Wagtail's bakerydemo
home page spends about 34 CPU ms per request on this kind of machine.
"""

import argparse

from common import measure, setup_django

setup_django()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from wagtail.models import Page  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args()

    call_command("migrate", verbosity=0, interactive=False)
    call_command("load_demo_content", verbosity=0)
    client = Client()
    urls = [p.url for p in Page.objects.live().public().specific() if p.depth > 1 and p.url]
    urls += ["/search/?query=co-production", "/no-such-page/", "/sitemap.xml"]

    print(f"{'page':<44} {'status':>6} {'median ms':>10} {'p95 ms':>8} {'CPU ms':>8} {'queries':>8}")
    for url in urls:
        status = client.get(url).status_code

        def get(url=url):
            client.get(url)

        med, p95, cpu, queries = measure(get, runs=args.runs)
        print(f"{url:<44} {status:>6} {med:>10.2f} {p95:>8.2f} {cpu:>8.2f} {queries:>8}")


if __name__ == "__main__":
    main()
