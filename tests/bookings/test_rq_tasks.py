"""Tasks on Redis with RQ (TASKS_BACKEND=rq, docs/operations.md "RQ"): a real Redis, a real
`rqworker` process, a real SMTP server. The booking's emails leave when its transaction commits
and never when it rolls back, and a temporary SMTP failure is retried with back-off through RQ's
scheduler. The sweep sees RQ's queue, and on both backends (a real `rqworker` or `db_worker`) a
worker killed mid-send is recovered by one sweep and its email sent exactly once
(docs/reliability.md, promise 6).

The worker is another process, so it must open the same database: PostgreSQL (CI's PostgreSQL
run). SQLite's in-memory test database cannot be shared, so there the module is skipped.
"""

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from datetime import time as clock_time
from io import StringIO
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
import redis
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

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


WORKER_COMMANDS = {
    "rq": ["rqworker", "--job-class", "django_tasks_rq.Job", "--with-scheduler", "default"],
    # django-tasks-db's own worker, polling often so the test does not wait on it.
    "database": ["db_worker", "--queue-name", "*", "--interval", "0.2", "--no-startup-delay", "--no-reload"],
}


@pytest.fixture
def start_worker(smtp):
    procs = []

    def start(backend: str = "rq", **overrides: str):
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DATABASE_URL": database_url(),
            "REDIS_URL": REDIS_URL,
            "TASKS_BACKEND": backend,
            "SITE_URL": "http://testserver",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp.port),
            "EMAIL_TIMEOUT": "5",
            "EMAIL_RETRY_BASE_SECONDS": "1",
            "EMAIL_RETRY_MAX_SECONDS": "2",
            "LOG_LEVEL": "WARNING",
            **overrides,
        }
        proc = subprocess.Popen(
            [sys.executable, "manage.py", *WORKER_COMMANDS[backend]],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            # Its own process group, so a test can kill the worker with every process it forked
            # (RQ runs each job in a forked "work horse"), as a deploy or the OOM killer would.
            start_new_session=True,
        )
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        proc.terminate()  # a warm shutdown: finish the current job, then stop
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
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


def sweep() -> str:
    """One pass of the real scheduler (`run_scheduler --once`), in this process."""
    out = StringIO()
    call_command("run_scheduler", "--once", stdout=out)
    return out.getvalue()


@pytest.fixture(params=["database", "rq"])
def backend(request, settings):
    """Each backend in turn: django-tasks-db's task table, or RQ on this test's Redis database."""
    if request.param == "rq":
        request.getfixturevalue("rq_backend")
    else:
        settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    return request.param


def test_a_worker_killed_mid_send_is_recovered_by_one_sweep_and_the_email_sent_once(
    backend, smtp, start_worker, offer, partner, policy, django_user_model, settings
):
    with_email(partner, django_user_model)
    smtp.stall_next("sam@example.org")  # the mail relay holds the booker's confirmation
    # A long timeout, so the held message keeps the worker in mid-send until it is killed.
    first = start_worker(backend, EMAIL_TIMEOUT="60")
    booking = place(offer, partner, policy, timezone.now())
    row = EmailNotification.objects.get(booking=booking, kind="confirmed", recipient="booker")
    wait_for(lambda: smtp.stalled == ["sam@example.org"], "the held message", first)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (S.SENDING, 1)  # the claim committed before SMTP began

    os.killpg(first.pid, signal.SIGKILL)  # the worker and its work horse, mid-conversation
    first.wait()
    assert not smtp.to("sam@example.org")  # the held message was never accepted

    # Within the sending-stuck limit the sweep leaves the email alone: its worker may be slow.
    assert "0 emails reclaimed" in sweep()
    row.refresh_from_db()
    assert row.status == S.SENDING
    # Past the limit (shortened here, read by this process's sweep), one sweep hands it back
    # with a new task: no waiting for TASK_STUCK_SECONDS (database) or RQ's own clean-up.
    settings.EMAIL_SENDING_STUCK_SECONDS = 1
    wait_for(lambda: timezone.now() - row.claimed_at > timedelta(seconds=1.5), "the limit to pass")
    assert "0 stuck tasks reset, 1 emails reclaimed, 0 lost emails queued again" in sweep()
    row.refresh_from_db()
    assert (row.status, row.last_error) == (S.RETRYING, "worker stopped while sending")

    second = start_worker(backend)
    confirmations = EmailNotification.objects.filter(booking=booking, kind="confirmed")
    wait_for(lambda: confirmations.filter(status=S.SENT).count() == 2, "both confirmations", second)
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (S.SENT, 2, "")
    if backend == "database":
        # The killed worker's task is still RUNNING; once reset it runs again, and does nothing.
        mine = DBTaskResult.objects.filter(
            task_path=tasks.deliver_notification.module_path, args_kwargs__args__0=row.pk
        )
        assert sorted(mine.values_list("status", flat=True)) == ["RUNNING", "SUCCESSFUL"]
        settings.TASK_STUCK_SECONDS = 0
        assert "1 stuck tasks reset" in sweep()
        wait_for(lambda: set(mine.values_list("status", flat=True)) == {"SUCCESSFUL"}, "the old task", second)
    assert "0 emails reclaimed, 0 lost emails queued again" in sweep()
    second.terminate()  # a warm shutdown: whatever it had in hand is finished first
    second.wait(timeout=30)
    assert len(smtp.to("sam@example.org")) == 1  # exactly once
    assert len(smtp.to("partner@example.org")) == 1
    assert EmailNotification.objects.get(pk=row.pk).status == S.SENT


def test_the_sweep_sees_rq_s_queue_and_queues_only_jobs_that_were_lost(
    rq_backend, smtp, start_worker, offer, partner, policy, django_user_model, settings
):
    with_email(partner, django_user_model)
    settings.EMAIL_LOST_TASK_GRACE_SECONDS = 0  # every due email is overdue at once
    booking = place(offer, partner, policy, timezone.now())  # no worker yet: a backlog
    assert rq_backend.llen("rq:queue:default") == 2  # the two confirmations (reminders: scheduled)
    # Each overdue email's job is still in RQ's queue: nothing is lost, nothing queued twice.
    assert "0 lost emails queued again" in sweep()
    assert rq_backend.llen("rq:queue:default") == 2

    rq_backend.delete("rq:queue:default")  # say, Redis restarted without its data
    assert "2 lost emails queued again" in sweep()
    assert rq_backend.llen("rq:queue:default") == 2
    assert "0 lost emails queued again" in sweep()  # the new jobs count as live

    worker = start_worker()
    sent = EmailNotification.objects.filter(booking=booking, status=S.SENT)
    wait_for(lambda: sent.count() == 2, "both confirmations", worker)
    worker.terminate()
    worker.wait(timeout=30)
    assert sorted(r.rcpt_tos[0] for r in smtp.received) == ["partner@example.org", "sam@example.org"]
