"""Soak: browsing and booking for minutes on end against the production stack on loopback.

    .venv/bin/python bench/soak.py [--minutes 10] [--users 50] [--bookings-per-minute 5] [--workers 4]

bench/stack.py starts what docs/deploy.md runs: gunicorn (several sync workers) on a throwaway
PostgreSQL database, an RQ worker (TASKS_BACKEND=rq) and the scheduler, the Redis cache
(REDIS_URL, database 11 unless SOAK_REDIS_URL says otherwise) with the page cache on, an aiosmtpd
server receiving the emails, under config.settings.production. Data: the demo site plus the 20
bench partners of bench/booking_http_data.py.

Load, from threads in this process, loopback only:
- `--users` simulated people, each waiting `--think` seconds on average between requests:
  the home and For professionals pages (page cache), the offer list, the partner step, the time
  step, then later and earlier weeks, other days and other time zones.
- `--bookings-per-minute` booking attempts, each the whole journey as a browser does it, with a
  person's pace (the real minimum fill time), behind a proxy that names each booker's own address
  (TRUSTED_PROXY_COUNT=1, as docs/deploy.md sets it), so the real rate limit applies per booker.
  Most pick the earliest time of one of three partners, so some lose the slot to another booker;
  the "just taken" answer must offer other times, and the booker takes the first of them.

After a warm-up (at least `--warmup` seconds and `--warmup-requests` answers) the measured window
of `--minutes` starts; when it ends no new request starts, bookings in progress finish, and the
email backlog drains. Printed: requests, p50/p95/p99 latency (all and by kind of page), responses
>= 500, server CPU, booking outcomes, double bookings (overlapping active bookings of one partner,
from the database), the email drain time, RQ's failed jobs and each process's VmRSS at the start,
middle and end of the window. Exits non-zero on any response >= 500, any request with no answer,
any double booking, an error in this script, or an email backlog that does not drain in 5 minutes.
The processes' own output goes to var/soak-PID.log.
"""

import argparse
import html
import http.client
import os
import random
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from booking_http import Session, hidden_fields
from common import percentile
from stack import ROOT, Stack

REDIS_URL = os.environ.get("SOAK_REDIS_URL", "redis://127.0.0.1:6379/11")
HREF = re.compile(r'href="([^"]+)"')
RETIME = re.compile(r'<form method="post" action="([^"]*new-time/)">(.*?)</form>', re.S)
ZONES = ["Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Sydney", "Europe/Berlin", "UTC"]
DRAIN_LIMIT = 300  # seconds the email backlog may take to drain after the load stops

PLAN = """
from bookings.journey.pages import BookingPage
from bookings.models import Offer
from home.models import LadderRung
offer = Offer.objects.filter(requires_acceptance=False, active=True).order_by("pk").first()
print(BookingPage.objects.live().get().url, offer.pk, LadderRung.objects.order_by("pk").first().pk)
"""


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.measuring_from = None  # monotonic time the measured window starts
        self.latency = {True: [], False: []}  # measured window or not: (kind, seconds)
        self.statuses = {True: Counter(), False: Counter()}
        self.errors = {True: Counter(), False: Counter()}  # no answer: exception class
        self.bookings = Counter()
        self.rq_failed = {}
        self.warmup_seconds = 0.0
        self.load_average = []  # the machine's 1-minute load average: window start, load end

    def answered(self) -> int:
        with self.lock:
            return sum(self.statuses[False].values()) + sum(self.statuses[True].values())

    def measured(self, at) -> bool:
        return self.measuring_from is not None and at >= self.measuring_from

    def record(self, kind, started, seconds, status):
        with self.lock:
            window = self.measured(started)
            self.latency[window].append((kind, seconds))
            self.statuses[window][status] += 1

    def fail(self, started, exc):
        with self.lock:
            self.errors[self.measured(started)][type(exc).__name__] += 1


class NoAnswer(Exception):
    """The server closed the connection or timed out instead of answering (counted in Stats)."""


class Browser(Session):
    """A Session that times every request and files it under a kind."""

    def __init__(self, port, stats, headers=None):
        super().__init__(port, headers)
        self.stats = stats

    def go(self, kind, method, url, body=None):
        started = time.monotonic()
        try:
            status, location, text = self.request(method, url, body)
        except (OSError, http.client.HTTPException) as exc:
            self.stats.fail(started, exc)
            raise NoAnswer from exc
        self.stats.record(kind, started, time.monotonic() - started, status)
        return status, location, text


def links(text, part):
    return [html.unescape(h) for h in HREF.findall(text) if part in h]


def pause(stop, seconds):
    """Sleep like a person reading, but wake at once when the run stops; True if it stopped."""
    return stop.wait(seconds)


def browse(port, stats, plan, stop, think, seed):
    """One person looking at free times, again and again, until the run stops."""
    rng = random.Random(seed)
    page_url = plan["page_url"]
    while not stop.is_set():
        b = Browser(port, stats)
        try:
            for url in rng.sample(["/", "/for-professionals/"], rng.randint(0, 2)):
                b.go("cached page", "GET", url)
                if pause(stop, rng.uniform(0.5, 1.5) * think):
                    return
            status, _, text = b.go("offer list", "GET", page_url)
            offers = links(text, "partner/?")
            if status != 200 or not offers or pause(stop, rng.uniform(0.5, 1.5) * think):
                continue
            status, _, text = b.go("partner step", "GET", rng.choice(offers))
            choices = links(text, "time/?")
            if status != 200 or not choices or pause(stop, rng.uniform(0.5, 1.5) * think):
                continue
            url = rng.choice(choices)
            for _ in range(rng.randint(2, 6)):
                status, _, text = b.go("time step", "GET", url)
                if status != 200 or pause(stop, rng.uniform(0.5, 1.5) * think):
                    break
                url = next_time_view(rng, text, url)
        except NoAnswer:
            if pause(stop, think):
                return


def next_time_view(rng, text, current):
    """What a person does next on the time step: another week, another day or another zone."""
    later = [u for u in links(text, "time/?") if "from=" in u and "day=" not in u and "zones=" not in u]
    days = [u for u in links(text, "time/?") if "day=" in u]
    move = rng.choice(["week", "week", "day", "zone"])
    if move == "week" and later:
        return rng.choice(later)  # earlier or later dates
    if move == "day" and days:
        return rng.choice(days)
    form = text[text.find('class="zone-form"') :]
    hidden = hidden_fields(form[: form.find("</form>")])
    if not hidden:
        return current
    hidden["tz"] = rng.choice(ZONES)
    return f"{urlsplit(current).path}?{urlencode(hidden)}"


def book(port, stats, plan, n, rng):
    """One booking attempt, the whole journey at a person's pace; the outcome goes in stats."""
    # Each booker comes through the proxy from an address of their own (TEST-NET-2, a header only).
    b = Browser(port, stats, {"X-Forwarded-For": f"198.51.100.{n % 250 + 1}"})
    page_url = plan["page_url"]
    try:
        status, _, text = b.go("offer list", "GET", page_url)
        query = urlencode({"offer": plan["offer"]})
        status, _, text = b.go("partner step", "GET", f"{page_url}partner/?{query}")
        choices = links(text, "time/?")
        popular = [c for c in choices if "partner=any" not in c][:3]
        time_url = rng.choice(popular) if rng.random() < 0.8 else rng.choice(choices)
        status, _, text = b.go("time step", "GET", time_url)
        times = links(text, "details/?")
        if status != 200 or not times:
            stats.bookings["no free time shown"] += 1
            return
        status, _, text = b.go("booking step", "GET", times[0])
        form = hidden_fields(text)
        form.update(
            name=f"Soak Booker {n}",
            email=f"soak{n}@example.org",
            organisation="Soak NHS Trust",
            role="Nurse",
            project_description="Planning a new peer support group.",
            ladder_rung=str(plan["rung"]),
            format="video",
            access_needs="",
            privacy="on",
            website="",
        )
        time.sleep(rng.uniform(5, 20))  # filling in the form
        status, location, text = b.go("booking step", "POST", f"{page_url}details/", urlencode(form))
        if status != 302:
            stats.bookings[f"details answered {status}"] += 1
            return
        status, _, text = b.go("booking step", "GET", f"{page_url}check/")
        time.sleep(rng.uniform(1, 4))  # reading the answers back
        status, location, text = b.go("confirm", "POST", f"{page_url}check/", urlencode(hidden_fields(text)))
        if status == 302 and "/done/" in location:
            stats.bookings["booked"] += 1
            b.go("booking step", "GET", location)
            return
        if status != 409:
            stats.bookings[f"confirm answered {status}"] += 1
            return
        # Lost the slot to another booker: the answer must offer other times, kindly.
        alternatives = RETIME.findall(text)
        if not alternatives:
            stats.bookings["taken, no other time offered"] += 1
            return
        stats.bookings["lost the slot, offered other times"] += 1
        action, inner = alternatives[0]
        status, location, _ = b.go(
            "booking step", "POST", html.unescape(action), urlencode(hidden_fields(inner))
        )
        status, _, text = b.go("booking step", "GET", f"{page_url}check/")
        status, location, _ = b.go("confirm", "POST", f"{page_url}check/", urlencode(hidden_fields(text)))
        if status == 302 and "/done/" in location:
            stats.bookings["booked another time after losing the slot"] += 1
        else:
            stats.bookings[
                f"second confirm answered {status}" + " (lost that time too)" * (status == 409)
            ] += 1
    except NoAnswer as exc:
        stats.bookings[f"no answer ({type(exc.__cause__).__name__})"] += 1


def children(pid) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def rss_kb(pid) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def cpu_seconds(pid, *, with_children=False) -> float:
    """User + system CPU of a process from /proc/PID/stat (and of its waited-for children)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = sum(int(f) for f in fields[11 : 15 if with_children else 13])  # utime stime [cutime cstime]
    return ticks / os.sysconf("SC_CLK_TCK")


def server_cpu(stack) -> dict:
    return {
        "gunicorn workers": sum(cpu_seconds(p) for p in children(stack.web.pid)),
        # RQ forks a work horse per job; its CPU comes back to the worker as children's time.
        "rqworker (and its work horses)": cpu_seconds(stack.worker.pid, with_children=True),
        "scheduler": cpu_seconds(stack.scheduler.pid),
    }


def snapshot(stack) -> dict:
    """VmRSS (kB) of gunicorn's master and workers, the RQ worker and the scheduler."""
    found = {("gunicorn master", stack.web.pid): rss_kb(stack.web.pid)}
    for i, pid in enumerate(sorted(children(stack.web.pid))):
        found[(f"gunicorn worker {i + 1}", pid)] = rss_kb(pid)
    found[("rqworker", stack.worker.pid)] = rss_kb(stack.worker.pid)
    found[("scheduler", stack.scheduler.pid)] = rss_kb(stack.scheduler.pid)
    return found


def email_counts(stack):
    """(due and not yet sent, sent, failed) in the outbox; reminders that are not due yet wait."""
    row = stack.psql(
        "select count(*) filter (where status in ('queued','sending','retrying') and send_after <= now()),"
        " count(*) filter (where status = 'sent'), count(*) filter (where status = 'failed')"
        " from bookings_emailnotification"
    )
    return tuple(int(x) for x in row.split("|"))


def rq_failed(stack) -> dict:
    """Jobs in RQ's failed registry, by task (a job's description is its path and id arguments)."""

    def redis(*argv):
        out = subprocess.run(["redis-cli", "-u", stack.redis_url, *argv], capture_output=True, text=True)
        return out.stdout.split()

    found = Counter()
    for job in redis("zrange", "rq:failed:default", "0", "-1"):
        description = " ".join(redis("hget", f"rq:job:{job}", "description"))
        found[description.split("(")[0] or "?"] += 1
    return dict(found)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--bookings-per-minute", type=float, default=5)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--think", type=float, default=3.0, help="mean seconds between a user's requests")
    parser.add_argument("--warmup", type=float, default=30, help="least seconds of load before measuring")
    parser.add_argument("--warmup-requests", type=int, default=400, help="least answers before measuring")
    args = parser.parse_args()
    extra = {"PAGE_CACHE_SECONDS": "300", "TRUSTED_PROXY_COUNT": "1", "SCHEDULER_INTERVAL_SECONDS": "60"}
    log_path = ROOT / "var" / f"soak-{os.getpid()}.log"
    log_path.parent.mkdir(exist_ok=True)
    with log_path.open("w") as log, Stack(f"soak_{os.getpid()}", REDIS_URL, extra, log) as stack:
        print(f"server, worker and scheduler output: {log_path.relative_to(ROOT)}")
        return soak(stack, args)


def soak(stack: Stack, args) -> int:
    stack.manage("migrate", "--noinput", "-v0")
    stack.manage("collectstatic", "--noinput", "-v0")
    stack.manage("load_demo_content", "-v0")
    stack.run_script(Path(__file__).with_name("booking_http_data.py"))
    page_url, offer_id, rung_id = stack.manage("shell", "-c", PLAN, capture=True).split()
    plan = {"page_url": page_url, "offer": int(offer_id), "rung": int(rung_id)}
    stack.start_services(workers=args.workers, scheduler_interval="60")
    port = stack.web_port
    print(
        f"gunicorn {args.workers} workers on 127.0.0.1:{port}; {args.users} users, "
        f"{args.bookings_per_minute:g} bookings a minute, {args.warmup:g} s warm-up, "
        f"{args.minutes:g} min measured ({stack.elapsed()})",
        flush=True,
    )
    stats = Stats()
    stop = threading.Event()
    users = [
        threading.Thread(target=browse, args=(port, stats, plan, stop, args.think, i), daemon=True)
        for i in range(args.users)
    ]
    for t in users:
        t.start()
        time.sleep(0.05)
    bookers = ThreadPoolExecutor(max_workers=20)
    rng = random.Random(2026)
    pending = []
    interval = 60 / args.bookings_per_minute
    load_start = time.monotonic()
    # Warm-up: at least --warmup seconds and --warmup-requests answers (every worker has then
    # rendered every kind of page), but no longer than four times --warmup.
    warm_limit = load_start + 4 * args.warmup
    load_end = float("inf")
    rss_start = rss_middle = cpu_start = None
    backlog_peak = 0
    n = measured_attempts = 0
    next_booking = next_sample = load_start
    while time.monotonic() < load_end:
        now = time.monotonic()
        warm = now >= load_start + args.warmup and (
            stats.answered() >= args.warmup_requests or now >= warm_limit
        )
        if rss_start is None and warm:
            rss_start, cpu_start = snapshot(stack), server_cpu(stack)
            stats.load_average.append(os.getloadavg()[0])
            stats.measuring_from = now
            stats.warmup_seconds = now - load_start
            load_end = now + args.minutes * 60
        if rss_middle is None and now >= load_end - args.minutes * 30:
            rss_middle = snapshot(stack)
        if now >= next_booking:
            pending.append(bookers.submit(book, port, stats, plan, n, random.Random(rng.random())))
            n += 1
            measured_attempts += rss_start is not None
            next_booking += interval
        if now >= next_sample:
            backlog_peak = max(backlog_peak, email_counts(stack)[0])
            next_sample += 5
        time.sleep(min(0.5, max(0.0, min(next_booking, load_end) - time.monotonic())))
    stop.set()
    for t in users:
        t.join(timeout=120)
    bookers.shutdown(wait=True)
    for future in pending:
        if future.exception() is not None:
            stats.bookings[f"script error ({future.exception()!r})"] += 1
    stopped = time.monotonic()
    rss_end, cpu_end = snapshot(stack), server_cpu(stack)
    stats.load_average.append(os.getloadavg()[0])
    cpu = {k: cpu_end[k] - cpu_start[k] for k in cpu_end}

    # The email backlog after the load: every due email sent and received by the SMTP server.
    drained = None
    while time.monotonic() - stopped < DRAIN_LIMIT:
        due, sent, failed = email_counts(stack)
        if due == 0 and stack.inbox.count() >= sent:
            drained = time.monotonic() - stopped
            break
        time.sleep(0.25)
    due, sent, failed = email_counts(stack)
    received = stack.inbox.count()
    doubles = int(
        stack.psql(
            "select count(*) from bookings_booking a join bookings_booking b"
            " on a.partner_id = b.partner_id and a.id < b.id"
            ' and a.start < b."end" and b.start < a."end"'
            " where a.status in ('pending', 'confirmed') and b.status in ('pending', 'confirmed')"
        )
    )
    soak_bookings = int(
        stack.psql(
            "select count(*) from bookings_booking"
            " where booker_email like 'soak%' and status in ('pending', 'confirmed')"
        )
    )
    stats.rq_failed = rq_failed(stack)
    return report(
        stats,
        args,
        (rss_start, rss_middle, rss_end),
        cpu,
        n,
        measured_attempts,
        soak_bookings,
        doubles,
        drained,
        (due, sent, failed, received, backlog_peak),
    )


def report(stats, args, rss, cpu, attempts, measured_attempts, soak_bookings, doubles, drained, emails):
    due, sent, failed, received, backlog_peak = emails
    rss_start, rss_middle, rss_end = rss
    lat = stats.latency[True]
    statuses = stats.statuses[True]
    warm = stats.statuses[False]
    every = statuses + warm
    server_errors = sum(c for s, c in every.items() if s >= 500)
    no_answer = stats.errors[True] + stats.errors[False]
    script_errors = sum(c for k, c in stats.bookings.items() if k.startswith("script error"))
    seconds = args.minutes * 60
    print(
        f"\nmeasured window: {args.minutes:g} min after a warm-up of {stats.warmup_seconds:.0f} s "
        f"and {sum(warm.values())} requests (not in the figures below)"
    )
    print(
        f"machine: {os.cpu_count()} cores, 1-minute load average "
        + " at the start, ".join(f"{x:.1f}" for x in stats.load_average)
        + " at the end of the load (this run's load included)"
    )
    print(f"requests: {len(lat)} ({len(lat) / seconds:.1f} per second)")
    print(f"responses: {dict(sorted(statuses.items()))}")
    if lat:
        ms = [s * 1000 for _, s in lat]
        print(
            f"latency ms, all: p50 {percentile(ms, 50):.0f}  p95 {percentile(ms, 95):.0f}  "
            f"p99 {percentile(ms, 99):.0f}  max {max(ms):.0f}"
        )
        for kind in sorted({k for k, _ in lat}):
            kms = [s * 1000 for k, s in lat if k == kind]
            print(
                f"  {kind:14} {len(kms):6} requests  p50 {percentile(kms, 50):6.0f}  "
                f"p95 {percentile(kms, 95):6.0f}  p99 {percentile(kms, 99):6.0f}"
            )
    print(f"responses >= 500 (warm-up included): {server_errors}")
    print(f"requests with no answer (warm-up included): {sum(no_answer.values())} {dict(no_answer)}")
    print(
        "server CPU in the measured window: "
        + ", ".join(f"{k} {v:.1f} s" for k, v in cpu.items())
        + (f"; gunicorn {cpu['gunicorn workers'] * 1000 / len(lat):.1f} CPU ms per request" if lat else "")
    )
    print(f"booking attempts: {attempts} ({measured_attempts} in the measured window); outcomes:")
    for outcome, count in sorted(stats.bookings.items(), key=lambda item: -item[1]):
        print(f"  {count:4}  {outcome}")
    print(f"active soak bookings in the database: {soak_bookings}")
    print(f"double bookings (overlapping pending/confirmed bookings of one partner): {doubles}")
    drain = f"{drained:.1f} s" if drained is not None else f"not drained after {DRAIN_LIMIT} s"
    print(
        f"email backlog drain after the load stopped: {drain}; peak due backlog during the load "
        f"(sampled every 5 s): {backlog_peak}; sent {sent}, received by SMTP {received}, "
        f"failed {failed}, still due {due}"
    )
    print(f"jobs in RQ's failed registry: {sum(stats.rq_failed.values())} {stats.rq_failed}")
    print("RSS (VmRSS MiB): start of the measured window, its middle, end of the load (growth):")
    for (name, pid), start in rss_start.items():
        middle, end = (rss_middle or {}).get((name, pid)), rss_end.get((name, pid))
        if start is None or end is None:
            print(f"  {name:18} pid {pid}: gone or replaced during the run")
            continue
        mid = f"{middle / 1024:6.1f}" if middle else "     -"
        print(
            f"  {name:18} pid {pid}: {start / 1024:6.1f} {mid} {end / 1024:6.1f}  "
            f"({(end - start) / 1024:+.1f})"
        )
    for name, pid in rss_end.keys() - rss_start.keys():
        print(f"  new process {name} pid {pid}: {rss_end[(name, pid)] / 1024:.1f} MiB")
    ok = not (server_errors or no_answer or doubles or script_errors) and drained is not None
    print("soak: OK" if ok else "soak: FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
