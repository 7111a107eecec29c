"""Time and queries of each staff report (docs/impact.md, "Reports") at 10,000 bookings.

    .venv/bin/python bench/reports.py [--runs 20] [--bookings 10000]

Builds a throwaway SQLite file (var/bench-reports.sqlite3) unless DATABASE_URL is set, with the
rows the report tests use (tests/support/report_data.py: every status, history events, feedback,
payment lines). For each report prints median and p95 wall time, median CPU time and SQL queries
of: the whole page through django.test.Client as a signed-in, verified member of the Staff group
(Wagtail admin chrome included), and the chart (the report's queries plus pygal drawing the SVG).
Figures only: nothing here passes or fails on time.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import setup_django

setup_django(fresh_sqlite="bench-reports.sqlite3")

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from bench.common import measure
from bookings.staff.reports import REPORTS
from tests.support import report_data
from tests.support.second_factor import sign_in_verified


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--bookings", type=int, default=10000)
    args = parser.parse_args()
    call_command("migrate", verbosity=0, interactive=False)
    report_data.build(args.bookings)
    user = get_user_model().objects.create_user("bench-staff", password="bench")  # noqa: S106
    user.groups.add(Group.objects.get(name="Staff"))
    client = sign_in_verified(Client(), user)
    print(
        f"database: {connection.vendor}, bookings: {args.bookings}, runs: {args.runs} after 5 warm-up runs\n"
    )
    head = f"{'median ms':>10} {'p95 ms':>8} {'CPU ms':>8} {'queries':>8}"
    print(f"{'report':<16} {'what':<6} {head}")
    for report in REPORTS:
        for what, name in (("page", "staff_ops:report"), ("chart", "staff_ops:report_chart")):
            url = reverse(name, args=[report.slug])

            def get(url=url):
                response = client.get(url)
                assert response.status_code == 200, response.status_code

            med, p95, cpu, queries = measure(get, runs=args.runs)
            print(f"{report.slug:<16} {what:<6} {med:>10.1f} {p95:>8.1f} {cpu:>8.1f} {queries:>8}")


if __name__ == "__main__":
    main()
