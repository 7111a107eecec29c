"""Real SMTP servers on loopback for the email tests: a controllable aiosmtpd server and a
"hanging" server that accepts TCP connections and never says a word.

`SmtpServer.mode` decides what the server answers to each recipient:
"accept" (250), "temporary" (451, try later) or "permanent" (550, no such mailbox).
`SmtpServer.stall_next(address)` holds the next message to that address at the end of DATA, as
a wedged relay would, and never accepts it: the client is left waiting for the server's answer.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import socket
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage

from aiosmtpd.controller import Controller

# aiosmtpd logs every SMTP command at INFO; failures are what a test report needs.
logging.getLogger("mail.log").setLevel(logging.WARNING)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def use_smtp(settings, port: int, *, timeout: int = 5) -> None:
    """Point Django's real SMTP backend at a loopback port (pytest-django `settings` fixture)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = timeout


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.raw, policy=email.policy.default)


class _Handler:
    def __init__(self):
        self.mode = "accept"
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.stall_for: set[str] = set()
        self.stalled: list[str] = []
        self.release = threading.Event()
        self.stall_seconds = 60.0  # a safety net: a held message is dropped after this

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.mode == "temporary":
            return "451 4.3.0 Mailbox busy, try again later"
        if self.mode == "permanent":
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            held = [a for a in envelope.rcpt_tos if a in self.stall_for]
            self.stall_for.difference_update(held)
            self.stalled.extend(held)
        if held:
            deadline = time.monotonic() + self.stall_seconds
            while not self.release.is_set() and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            return "421 4.3.0 Closing, try again later"  # never accepted
        with self.lock:
            raw = envelope.original_content or envelope.content
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), raw))
        return "250 Message accepted"


class SmtpServer:
    """aiosmtpd on 127.0.0.1:`port` (a free one by default); use as a context manager."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.handler = _Handler()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def mode(self) -> str:
        return self.handler.mode

    @mode.setter
    def mode(self, value: str) -> None:
        assert value in {"accept", "temporary", "permanent"}
        self.handler.mode = value

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    def stall_next(self, address: str) -> None:
        """Hold the next message to `address` without answering its DATA (see the module doc)."""
        with self.handler.lock:
            self.handler.stall_for.add(address)

    @property
    def stalled(self) -> list[str]:
        """Addresses whose message was held, in order."""
        with self.handler.lock:
            return list(self.handler.stalled)

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if r.rcpt_tos == [address]]

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.handler.release.set()
        self.controller.stop()


class HangingServer:
    """Accepts connections and never answers, like a wedged mail relay.

    As a safety net it drops each connection after `hold_seconds`, so a client with no timeout
    sees "server disconnected" (and the test fails on that) instead of hanging the suite.
    """

    def __init__(self, port: int | None = None, *, hold_seconds: float = 30):
        self.port = port or free_port()
        self.hold_seconds = hold_seconds
        self.accepted = 0
        self._sock = socket.create_server(("127.0.0.1", self.port))
        self._sock.settimeout(0.1)
        self._open: list[tuple[socket.socket, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
                self.accepted += 1
                self._open.append((conn, time.monotonic()))
            except TimeoutError:
                pass
            keep = []
            for conn, since in self._open:
                if time.monotonic() - since > self.hold_seconds:
                    conn.close()
                else:
                    keep.append((conn, since))
            self._open = keep

    def __enter__(self) -> HangingServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        for conn, _ in self._open:
            conn.close()
        self._sock.close()
