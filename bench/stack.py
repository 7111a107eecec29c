"""The production stack on loopback, for bench/deploy_recipe.py and bench/soak.py.

A throwaway PostgreSQL database, a Redis database of the caller's, moto's S3 server, an aiosmtpd
server, then gunicorn, an RQ worker and the scheduler under config.settings.production, the way
docs/deploy.md runs them. Every port is a free one on 127.0.0.1, every wait is bounded, and
`close()` stops every process, empties the Redis database and drops the PostgreSQL database.
"""

import base64
import os
import secrets
import socket
import subprocess
import threading
import time
from pathlib import Path

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
PY = str(BIN / "python")
PG = os.environ.get("RECIPE_POSTGRES", "postgres://postgres@127.0.0.1:5432")
BUCKET = "recipe-media"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, what, limit=60):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{what} did not start on port {port}")


class Inbox:
    """aiosmtpd handler: keeps (recipients, message) for every email received."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"

    def count(self) -> int:
        with self.lock:
            return len(self.messages)


class Stack:
    """One production install on loopback. Use as a context manager; see the module docstring."""

    def __init__(self, db_name: str, redis_url: str, extra_env: dict | None = None, log=None):
        """`log`: a file for the processes' output (the RQ worker logs every job), else ours."""
        self.started = time.monotonic()
        self.log = log
        self.db_name = db_name
        self.db_url = f"{PG}/{db_name}"
        self.redis_url = redis_url
        self.procs: list[subprocess.Popen] = []
        self.inbox = Inbox()
        self.smtp = Controller(self.inbox, hostname="127.0.0.1", port=free_port())
        self.s3_port, self.web_port = free_port(), free_port()
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": secrets.token_urlsafe(60),
            "CALDAV_ENCRYPTION_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SITE_URL": f"http://127.0.0.1:{self.web_port}",
            "SECURE_SSL_REDIRECT": "false",  # no TLS proxy on loopback
            "DATABASE_URL": self.db_url,
            "REDIS_URL": redis_url,
            "TASKS_BACKEND": "rq",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(self.smtp.port),
            "BOOKINGS_MAILBOX": "bookings@example.org",
            "AWS_STORAGE_BUCKET_NAME": BUCKET,
            "AWS_S3_ENDPOINT_URL": f"http://127.0.0.1:{self.s3_port}",
            "AWS_S3_REGION_NAME": "us-east-1",
            "AWS_ACCESS_KEY_ID": "recipe",
            "AWS_SECRET_ACCESS_KEY": "recipe-secret",
            "BOOTSTRAP_SUPERUSER_USERNAME": "admin",
            "BOOTSTRAP_SUPERUSER_EMAIL": "admin@example.org",
            "BOOTSTRAP_SUPERUSER_PASSWORD": secrets.token_urlsafe(24),
            "LOG_LEVEL": "WARNING",
            **(extra_env or {}),
        }
        self.web = self.worker = self.scheduler = None

    def __enter__(self):
        subprocess.run(["psql", f"{PG}/postgres", "-qc", f"CREATE DATABASE {self.db_name}"], check=True)
        try:
            self._start_support()
        except BaseException:
            self.close()
            raise
        return self

    def _start_support(self):
        self.smtp.start()
        subprocess.run(["redis-cli", "-u", self.redis_url, "flushdb"], check=True, capture_output=True)
        self.start(str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(self.s3_port))
        wait_port(self.s3_port, "moto")
        subprocess.run(
            [
                PY,
                "-c",
                "import boto3,sys; boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1',"
                " aws_access_key_id='recipe', aws_secret_access_key='recipe-secret')"
                f".create_bucket(Bucket='{BUCKET}')",
                self.env["AWS_S3_ENDPOINT_URL"],
            ],
            check=True,
        )

    def __exit__(self, *exc):
        self.close()

    def elapsed(self) -> str:
        return f"{time.monotonic() - self.started:.0f} s"

    def manage(self, *args, capture=False, quiet=False):
        """Run manage.py; with `capture`, return its last line of output."""
        if not quiet:
            shown = " ".join(a if "\n" not in a else "<script>" for a in args)
            print(f"$ manage.py {shown}  ({self.elapsed()})", flush=True)
        out = subprocess.run(
            [PY, "manage.py", *args], cwd=ROOT, env=self.env, check=True, capture_output=True, text=True
        )
        if not capture and not quiet and out.stdout.strip():
            print(out.stdout.rstrip())
        return out.stdout.strip().splitlines()[-1] if capture else out.stdout

    def run_script(self, path, *args):
        subprocess.run([PY, str(path), *args], cwd=ROOT, env=self.env, check=True)

    def start(self, *argv):
        out = self.log or None
        proc = subprocess.Popen(
            list(argv), cwd=ROOT, env=self.env, stdout=out, stderr=out and subprocess.STDOUT
        )
        self.procs.append(proc)
        return proc

    def start_services(self, workers=2, scheduler_interval="5"):
        """docs/deploy.md "What runs": gunicorn, one RQ worker, the scheduler; waits for gunicorn."""
        self.web = self.start(
            str(BIN / "gunicorn"),
            "config.wsgi:application",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{self.web_port}",
            "--log-level",
            "warning",
        )
        self.worker = self.start(
            PY, "manage.py", "rqworker", "--with-scheduler", "--job-class", "django_tasks_rq.Job", "default"
        )
        self.scheduler = self.start(PY, "manage.py", "run_scheduler", "--interval", scheduler_interval)
        wait_port(self.web_port, "gunicorn")

    def psql(self, sql: str) -> str:
        out = subprocess.run(["psql", self.db_url, "-Atc", sql], check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def close(self):
        for proc in reversed(self.procs):
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.smtp.stop(no_assert=True)
        subprocess.run(["redis-cli", "-u", self.redis_url, "flushdb"], capture_output=True)
        subprocess.run(["psql", f"{PG}/postgres", "-qc", f"DROP DATABASE IF EXISTS {self.db_name}"])
