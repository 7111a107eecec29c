"""Helpers for the email and background-work tests: a settable clock, the real worker in batch
mode, and reading the MIME parts of a received message."""

from __future__ import annotations

import io
import signal
from datetime import datetime, timedelta
from email.message import EmailMessage

from django.core.management import call_command
from django.utils import timezone

from bookings.models import Partner


class Clock:
    """Stands in for django.utils.timezone.now, which the services' callers, our delivery code
    and django-tasks-db's "is this task ready?" query all read. Advancing it is how a test lets
    a back-off or a reminder's waiting time pass without sleeping."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


def install_clock(monkeypatch, start: datetime) -> Clock:
    clock = Clock(start)
    monkeypatch.setattr(timezone, "now", clock)
    return clock


def run_worker() -> str:
    """Run django-tasks-db's own worker until no task is ready, as `make run` does, then stop.

    The worker installs SIGINT/SIGTERM handlers; they are put back afterwards so Ctrl-C still
    stops pytest.
    """
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    out = io.StringIO()
    try:
        call_command(
            "db_worker",
            "--batch",
            "--queue-name",
            "*",
            "--no-startup-delay",
            "--no-reload",
            "--interval",
            "0",
            verbosity=0,
            stdout=out,
        )
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
    return out.getvalue()


def with_email(partner: Partner, django_user_model, address: str = "partner@example.org") -> Partner:
    partner.user = django_user_model.objects.create(username=address, email=address)
    partner.save()
    return partner


def calendar_parts(message: EmailMessage) -> tuple[EmailMessage | None, EmailMessage | None]:
    """(the text/calendar alternative, the invite.ics attachment) of a received message."""
    alternative = next((p for p in message.walk() if p.get_content_type() == "text/calendar"), None)
    attachment = next((p for p in message.walk() if p.get_filename() == "invite.ics"), None)
    return alternative, attachment


def calendar_bytes(message: EmailMessage) -> bytes:
    """The invite.ics attachment's exact bytes (base64 keeps its CRLFs intact)."""
    _, attachment = calendar_parts(message)
    assert attachment is not None, "no invite.ics attachment"
    return attachment.get_payload(decode=True)


def body(message: EmailMessage, subtype: str) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == f"text/{subtype}")
    return part.get_content()
