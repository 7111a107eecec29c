"""Tasks on Redis with RQ (TASKS_BACKEND=rq, docs/operations.md "RQ"): a real Redis, a real
`rqworker` process, a real SMTP server. The booking's emails leave when its transaction commits
and never when it rolls back, and a temporary SMTP failure is retried with back-off through RQ's
scheduler.

The worker is another process, so it must open the same database: PostgreSQL (CI's PostgreSQL
run). SQLite's in-memory test database cannot be shared, so there the module is skipped.
"""

import os
import subprocess
import sys
import time
from datetime import datetime, timedelta
from datetime import time as clock_time
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
import redis
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from bookings import services
from bookings.models import EmailNotification, NotificationStatus
from bookings.outbox import tasks
from bookings.services import BookerDetails
from tests.support.outbox import with_email
from tests.support.smtp_server import SmtpServer

REDIS_URL = os.environ.get("RQ_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
S = NotificationStatus
LONDON = ZoneInfo("Europe/London")


def _redis_available() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except redis.RedisError:
        return False


pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.slow,
    pytest.mark.skipif(not _redis_available(), reason=f"needs Redis at {REDIS_URL} (CI starts it)"),
]


@pytest.fixture(autouse=True)
def needs_shared_database():
    if connection.vendor != "postgresql":
        pytest.skip("the RQ worker is a second process: it needs PostgreSQL (CI's PostgreSQL run)")


@pytest.fixture
def rq_backend(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.RQ_QUEUES = {"default": {"URL": REDIS_URL}}
    store = redis.Redis.from_url(REDIS_URL)
    store.flushdb()  # this test's own Redis database
    yield store
    store.flushdb()


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


def database_url() -> str:
    db = connection.settings_dict
    auth = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def start_worker(smtp):
    procs = []

    def start():
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DATABASE_URL": database_url(),
            "REDIS_URL": REDIS_URL,
            "TASKS_BACKEND": "rq",
            "SITE_URL": "http://testserver",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp.port),
            "EMAIL_TIMEOUT": "5",
            "EMAIL_RETRY_BASE_SECONDS": "1",
            "EMAIL_RETRY_MAX_SECONDS": "2",
            "LOG_LEVEL": "WARNING",
        }
        proc = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "rqworker",
                "--job-class",
                "django_tasks_rq.Job",
                "--with-scheduler",
            ]
            + ["default"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        proc.terminate()  # RQ's warm shutdown: finish the current job, then stop
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()


def wait_for(predicate, what: str, proc=None, limit: float = 90):
    """Poll until `predicate()` holds; the limit only stops a broken run from hanging."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"the RQ worker stopped: {proc.stdout.read()}")
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def place(offer, partner, policy, now, days=10, email="sam@example.org"):
    day = (now.astimezone(LONDON) + timedelta(days=days)).date()
    start = datetime.combine(day, clock_time(10), tzinfo=LONDON)
    details = BookerDetails(name="Sam Example", email=email)
    return services.place_booking(
        offer=offer, start=start, partner=partner, booker=details, now=now, policy=policy
    )


def queued_jobs(store) -> int:
    return sum(1 for _ in store.scan_iter("rq:job:*"))


def test_a_booking_s_emails_are_queued_on_commit_and_delivered_by_an_rq_worker(
    rq_backend, smtp, start_worker, offer, partner, policy, django_user_model
):
    with_email(partner, django_user_model)
    now = timezone.now()  # the edge: this test stands in for the booking view

    with pytest.raises(RuntimeError), transaction.atomic():
        place(offer, partner, policy, now, email="rolled-back@example.org")
        raise RuntimeError("the request failed after the booking was written")
    assert queued_jobs(rq_backend) == 0  # a rolled-back booking queued nothing
    assert not EmailNotification.objects.exists()

    with transaction.atomic():
        booking = place(offer, partner, policy, now)
        assert queued_jobs(rq_backend) == 0  # not before the commit
    kinds = sorted(EmailNotification.objects.filter(booking=booking).values_list("kind", flat=True))
    assert kinds == ["confirmed", "confirmed", "reminder", "reminder"]
    assert queued_jobs(rq_backend) == 4
    # The reminders wait in RQ's scheduled registry until their time (run_after).
    assert rq_backend.zcard("rq:scheduled:default") == 2
    # Ids only in the job: nothing personal goes to Redis.
    for key in rq_backend.scan_iter("rq:job:*"):
        blob = b"".join(v for v in rq_backend.hgetall(key).values())
        assert b"sam@example.org" not in blob and b"Sam Example" not in blob

    worker = start_worker()
    sent = EmailNotification.objects.filter(status=S.SENT)
    wait_for(lambda: sent.count() == 2, "both confirmations", worker)
    assert set(sent.values_list("kind", flat=True)) == {"confirmed"}
    assert sorted(r.rcpt_tos[0] for r in smtp.received) == ["partner@example.org", "sam@example.org"]
    assert not any("rolled-back@example.org" in r.rcpt_tos for r in smtp.received)
    assert tasks.deliver_notification.get_backend().__class__.__name__ == "RQBackend"


def test_a_temporary_smtp_failure_is_retried_with_back_off(
    rq_backend, smtp, start_worker, offer, partner, policy, django_user_model
):
    with_email(partner, django_user_model)
    smtp.mode = "temporary"
    worker = start_worker()
    booking = place(offer, partner, policy, timezone.now())
    rows = EmailNotification.objects.filter(booking=booking, kind="confirmed")
    wait_for(lambda: all(n.status == S.RETRYING and n.attempts >= 1 for n in rows.all()), "a retry", worker)
    first = {n.pk: n for n in rows.all()}
    assert all(n.last_error.startswith("SMTPRecipientsRefused 451") for n in first.values())
    assert all(n.send_after > n.updated_at - timedelta(seconds=1) for n in first.values())
    assert not smtp.received

    smtp.mode = "accept"  # the relay is back: the retry RQ's scheduler queued now gets through
    wait_for(lambda: rows.filter(status=S.SENT).count() == 2, "the retried emails", worker)
    assert all(n.attempts >= 2 for n in rows.all())
    assert len(smtp.received) == 2
