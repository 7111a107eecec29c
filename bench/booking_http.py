"""Bookings through the real HTTP form on PostgreSQL with gunicorn, and a 200-way race for one slot.

    .venv/bin/python bench/booking_http.py [--bookings 300] [--clients 8] [--race 200] [--workers 4]

Creates a throwaway PostgreSQL database (default postgres://postgres@127.0.0.1:5432), loads the
demo site plus 20 bench partners, starts gunicorn on a free loopback port and drives the booking
journey exactly as a browser does: GET the details step, POST the details, POST "check your
answers". Loopback only; every loop is bounded and the server is stopped at the end.

Phase 1: distinct slots, N bookings by C concurrent clients: bookings per second.
Phase 2: R sessions each prepared for the same slot, then all R "confirm" POSTs at once:
bookings created, "just taken" answers (409), responses >= 500.
"""

import argparse
import http.client
import itertools
import os
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from stack import free_port, wait_port

ROOT = Path(__file__).resolve().parent.parent
HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*>')
ATTR = re.compile(r'(name|value)="([^"]*)"')


class Session:
    """One browser: a cookie jar, and a new connection to the loopback server per request.

    `headers` go with every request (bench/soak.py names each booker's address in
    X-Forwarded-For, as the proxy in front of production does, docs/deploy.md)."""

    def __init__(self, port, headers=None, *, ports=None):
        self.port = port
        self.cookies = {}
        self.extra = dict(headers or {})
        # Behind a load balancer: each request to the next app server in turn, under one Host.
        self.ports = itertools.cycle(ports or [port])

    def request(self, method, url, body=None):
        conn = http.client.HTTPConnection("127.0.0.1", next(self.ports), timeout=60)
        headers = {
            "Host": f"127.0.0.1:{self.port}",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            **self.extra,
        }
        if body is not None:
            # Behind a TLS proxy (X-Forwarded-Proto: https) the browser's page was https.
            scheme = "https" if self.extra.get("X-Forwarded-Proto") == "https" else "http"
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"{scheme}://127.0.0.1:{self.port}{url}"
            headers["Origin"] = f"{scheme}://127.0.0.1:{self.port}"
        conn.request(method, url, body=body, headers=headers)
        resp = conn.getresponse()
        text = resp.read().decode("utf-8", "replace")
        for value in resp.headers.get_all("Set-Cookie") or []:
            for key, morsel in SimpleCookie(value).items():
                self.cookies[key] = morsel.value
        conn.close()
        return resp.status, resp.headers.get("Location", ""), text


def hidden_fields(html: str) -> dict:
    fields = {}
    for tag in HIDDEN.findall(html):
        attrs = dict(ATTR.findall(tag))
        if "name" in attrs:
            fields[attrs["name"]] = attrs.get("value", "")
    return fields


def prepare(port, page_url, slot, offer_id, rung_id, n):
    """Steps 4 and the GET of step 5 for one session; returns the session, ready to confirm."""
    s = Session(port)
    query = urlencode({"offer": offer_id, "partner": slot[0], "start": slot[1], "tz": "Europe/London"})
    status, _, html = s.request("GET", f"{page_url}details/?{query}")
    assert status == 200, (status, html[:300])
    form = hidden_fields(html)
    form.update(
        name=f"Bench Booker {n}",
        email=f"bench{n}@example.org",
        organisation="Bench NHS Trust",
        role="Nurse",
        project_description="Planning a new peer support group.",
        ladder_rung=str(rung_id),
        format="video",
        access_needs="",
        privacy="on",
        website="",
    )
    status, location, html = s.request("POST", f"{page_url}details/", urlencode(form))
    assert status == 302 and location.endswith("check/"), (status, location, html[:500])
    status, _, html = s.request("GET", f"{page_url}check/")
    assert status == 200, status
    return s, hidden_fields(html)


def confirm(session, page_url, fields):
    status, location, _ = session.request("POST", f"{page_url}check/", urlencode(fields))
    return status, location


def setup_database(db_url):
    env = {**os.environ, **bench_env(db_url)}
    name = urlsplit(db_url).path.lstrip("/")
    base = db_url.rsplit("/", 1)[0] + "/postgres"
    subprocess.run(["psql", base, "-qc", f"DROP DATABASE IF EXISTS {name}"], check=True)
    subprocess.run(["psql", base, "-qc", f"CREATE DATABASE {name}"], check=True)
    py = str(ROOT / ".venv" / "bin" / "python")
    subprocess.run([py, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([py, "manage.py", "createcachetable"], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [py, "manage.py", "load_demo_content", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run([py, str(Path(__file__).with_name("booking_http_data.py"))], cwd=ROOT, env=env, check=True)


def bench_env(db_url):
    return {
        "DATABASE_URL": db_url,
        "DJANGO_SETTINGS_MODULE": "config.settings.bench",
        "BOOKING_MIN_FILL_SECONDS": "0",
        "BOOKING_RATE_LIMIT": "1000000",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
    }


def load_plan(db_url):
    """Ask the app (in a subprocess, so this process stays Django-free) for slots to book."""
    env = {**os.environ, **bench_env(db_url)}
    out = subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "python"),
            str(Path(__file__).with_name("booking_http_data.py")),
            "--plan",
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\n")
    page_url, offer_id, rung_id = out[0].split()
    slots = [tuple(line.split()) for line in out[1:] if line.strip()]
    return page_url, int(offer_id), int(rung_id), slots


def count_bookings(db_url, partner_id, start):
    out = subprocess.run(
        [
            "psql",
            db_url,
            "-Atc",
            f"select count(*) from bookings_booking where partner_id = {int(partner_id)} "  # noqa: S608
            f"and start = '{start}' and status in ('pending','confirmed')",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(out.stdout.strip())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/bench_booking_http")
    parser.add_argument("--bookings", type=int, default=300)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--race", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    setup_database(args.database_url)
    page_url, offer_id, rung_id, slots = load_plan(args.database_url)
    assert len(slots) > args.bookings, f"only {len(slots)} distinct slots"
    port = free_port()
    env = {**os.environ, **bench_env(args.database_url)}
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "config.wsgi:application",
            "-w",
            str(args.workers),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--timeout",
            "120",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_port(port, "gunicorn", limit=20)
        Session(port).request("GET", page_url)  # warm every worker a little

        # Phase 1: distinct slots.
        statuses = []
        started = time.perf_counter()

        def book(i):
            session, fields = prepare(port, page_url, slots[i], offer_id, rung_id, i)
            statuses.append(confirm(session, page_url, fields)[0])

        with ThreadPoolExecutor(args.clients) as pool:
            list(pool.map(book, range(args.bookings)))
        elapsed = time.perf_counter() - started
        booked = statuses.count(302)
        print(
            f"phase 1: {booked} bookings of {args.bookings} attempted, {args.clients} clients, "
            f"{args.workers} gunicorn workers, {elapsed:.1f} s"
        )
        print(f"  bookings per second (whole journey: 4 requests each): {booked / elapsed:.1f}")
        print(f"  responses: { {s: statuses.count(s) for s in sorted(set(statuses))} }")

        # Phase 2: R sessions for one slot, confirmed at the same instant.
        race_slot = slots[args.bookings]
        prepared = [
            prepare(port, page_url, race_slot, offer_id, rung_id, 10_000 + i) for i in range(args.race)
        ]
        barrier = threading.Barrier(args.race)
        results = []

        def fire(item):
            session, fields = item
            barrier.wait()
            try:
                results.append(confirm(session, page_url, fields)[0])
            except OSError as exc:
                results.append(type(exc).__name__)

        threads = [threading.Thread(target=fire, args=(item,)) for item in prepared]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        created = count_bookings(args.database_url, race_slot[0], race_slot[1])
        errors = sum(1 for r in results if isinstance(r, int) and r >= 500)
        print(f"phase 2: {args.race} concurrent confirms for one slot")
        print(
            f"  bookings created: {created}; redirects to confirmation: {results.count(302)}; "
            f"'just taken' (409): {results.count(409)}; responses >= 500: {errors}; "
            f"other: { {r: results.count(r) for r in set(results) if r not in (302, 409)} }"
        )
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
