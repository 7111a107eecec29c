"""docs/deploy.md, followed step by step on loopback, then one chat booked over HTTP.

    .venv/bin/python bench/deploy_recipe.py

PostgreSQL (127.0.0.1:5432, a throwaway database), Redis (127.0.0.1:6379, database 5), moto's
S3 server, an aiosmtpd server, gunicorn, an RQ worker and the scheduler, all on 127.0.0.1 with
free ports, under config.settings.production. Steps: migrate, collectstatic, bootstrap_site
(twice: the second must change nothing), check --deploy; then a partner and an offer are added
as staff would, a chat is booked through the real form, and the confirmation emails must reach
the SMTP server through the RQ worker. Every wait is bounded; everything is stopped at the end.
"""

import base64
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

from aiosmtpd.controller import Controller
from booking_http import Session, free_port, hidden_fields

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
BIN = ROOT / ".venv" / "bin"
REDIS_URL = os.environ.get("RECIPE_REDIS_URL", "redis://127.0.0.1:6379/5")
PG = os.environ.get("RECIPE_POSTGRES", "postgres://postgres@127.0.0.1:5432")

STAFF_SETUP = """
from datetime import time, timedelta
import recurrence
from django.contrib.auth import get_user_model
from django.utils import timezone
from bookings.models import AvailabilityRule, Offer, Partner
from home.models import LadderRung
user = get_user_model().objects.create_user("recipe-partner", email="partner@example.org")
partner = Partner.objects.create(display_name="Recipe Partner", user=user, max_chats_per_day=None,
                                 max_chats_per_week=None, rest_minutes=0)
AvailabilityRule.objects.create(partner=partner, start_time=time(9), end_time=time(17),
    starts_on=timezone.localdate() - timedelta(days=1),
    recurrence=recurrence.Recurrence(rrules=[recurrence.Rule(recurrence.DAILY)]))
offer = Offer.objects.create(title="A first chat", duration_minutes=30)
offer.partners.add(partner)
rung = LadderRung.objects.create(name="Co-production", explanation="Sharing power as equals.")
print(offer.pk, rung.pk, partner.pk)
"""

PLAN = """
from datetime import timedelta
from django.utils import timezone
from bookings.journey.pages import BookingPage
from bookings.models import Offer
from tests.support.slots import available_slots
offer = Offer.objects.get()
now = timezone.now()
slot = next(iter(available_slots(offer, now, now + timedelta(days=30), now)))
print(BookingPage.objects.live().get().url, slot.start.isoformat().replace("+00:00", "Z"))
"""

COUNT_SENT = """
from bookings.models import EmailNotification
print(EmailNotification.objects.filter(status="sent").count(), EmailNotification.objects.count())
"""


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"


def wait_port(port, what, limit=60):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{what} did not start on port {port}")


def main() -> int:
    started = time.monotonic()
    db_name = f"deploy_recipe_{os.getpid()}"
    subprocess.run(["psql", f"{PG}/postgres", "-qc", f"CREATE DATABASE {db_name}"], check=True)
    procs: list[subprocess.Popen] = []
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    s3_port, web_port = free_port(), free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "CALDAV_ENCRYPTION_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": f"http://127.0.0.1:{web_port}",
        "SECURE_SSL_REDIRECT": "false",  # no TLS proxy on loopback
        "DATABASE_URL": f"{PG}/{db_name}",
        "REDIS_URL": REDIS_URL,
        "TASKS_BACKEND": "rq",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp.port),
        "BOOKINGS_MAILBOX": "bookings@example.org",
        "AWS_STORAGE_BUCKET_NAME": "recipe-media",
        "AWS_S3_ENDPOINT_URL": f"http://127.0.0.1:{s3_port}",
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_ACCESS_KEY_ID": "recipe",
        "AWS_SECRET_ACCESS_KEY": "recipe-secret",
        "BOOTSTRAP_SUPERUSER_USERNAME": "admin",
        "BOOTSTRAP_SUPERUSER_EMAIL": "admin@example.org",
        "BOOTSTRAP_SUPERUSER_PASSWORD": secrets.token_urlsafe(24),
        "BOOKING_MIN_FILL_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
    }

    def manage(*args, capture=False):
        shown = " ".join(a if "\n" not in a else "<script>" for a in args)
        print(f"$ manage.py {shown}  ({time.monotonic() - started:.0f} s)", flush=True)
        out = subprocess.run(
            [PY, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
        )
        if not capture and out.stdout.strip():
            print(out.stdout.rstrip())
        return out.stdout.strip().splitlines()[-1] if capture else out.stdout

    def start(*argv):
        proc = subprocess.Popen(list(argv), cwd=ROOT, env=env)
        procs.append(proc)
        return proc

    try:
        subprocess.run(["redis-cli", "-u", REDIS_URL, "flushdb"], check=True, capture_output=True)
        start(str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(s3_port))
        wait_port(s3_port, "moto")
        subprocess.run(
            [
                PY,
                "-c",
                "import boto3,sys; boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1',"
                " aws_access_key_id='recipe', aws_secret_access_key='recipe-secret')"
                ".create_bucket(Bucket='recipe-media')",
                env["AWS_S3_ENDPOINT_URL"],
            ],
            check=True,
        )
        # docs/deploy.md, "First run", steps 2-5.
        manage("migrate", "--noinput", "-v0")
        manage("collectstatic", "--noinput", "-v0")
        manage("bootstrap_site")
        again = manage("bootstrap_site")
        assert "Nothing changed." in again, again
        manage("check", "--deploy")
        # Step 6: the processes.
        start(
            str(BIN / "gunicorn"),
            "config.wsgi:application",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{web_port}",
            "--log-level",
            "warning",
        )
        start(
            PY, "manage.py", "rqworker", "--with-scheduler", "--job-class", "django_tasks_rq.Job", "default"
        )
        start(PY, "manage.py", "run_scheduler", "--interval", "5")
        wait_port(web_port, "gunicorn")
        # Step 7, as staff would in the admin: a partner who can receive email, an offer, a rung.
        offer_id, rung_id, _ = manage("shell", "-c", STAFF_SETUP, capture=True).split()
        page_url, slot = manage("shell", "-c", PLAN, capture=True).split()

        browser = Session(web_port)
        status, _, html = browser.request("GET", "/")
        assert status == 200, status
        status, _, html = browser.request("GET", page_url)
        assert status == 200, status
        query = urlencode({"offer": offer_id, "partner": "any", "start": slot, "tz": "Europe/London"})
        status, _, html = browser.request("GET", f"{page_url}details/?{query}")
        assert status == 200, (status, html[:300])
        form = hidden_fields(html)
        form.update(
            name="Recipe Booker",
            email="booker@example.org",
            organisation="Example NHS Trust",
            role="Nurse",
            project_description="A first chat.",
            ladder_rung=rung_id,
            format="video",
            access_needs="",
            privacy="on",
            website="",
        )
        status, location, html = browser.request("POST", f"{page_url}details/", urlencode(form))
        assert status == 302 and location.endswith("check/"), (status, location, html[:800])
        status, _, html = browser.request("GET", f"{page_url}check/")
        assert status == 200, status
        status, location, _ = browser.request("POST", f"{page_url}check/", urlencode(hidden_fields(html)))
        assert status == 302 and "/done/" in location, (status, location)
        print(f"booked a chat at {slot} over HTTP ({time.monotonic() - started:.0f} s)")

        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and len(inbox.messages) < 2:
            time.sleep(0.5)
        recipients = sorted(r for rcpts, _ in inbox.messages for r in rcpts)
        assert recipients == ["booker@example.org", "partner@example.org"], recipients
        print("emails received:", recipients, manage("shell", "-c", COUNT_SENT, capture=True).strip())
        print(f"deploy recipe: OK in {time.monotonic() - started:.0f} s")
        return 0
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        smtp.stop()
        subprocess.run(["redis-cli", "-u", REDIS_URL, "flushdb"], capture_output=True)
        subprocess.run(["psql", f"{PG}/postgres", "-qc", f"DROP DATABASE IF EXISTS {db_name}"])


if __name__ == "__main__":
    sys.exit(main())
