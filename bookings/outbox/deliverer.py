"""One claim → send → record cycle for every outbox: booking emails (delivery.py), account emails
(account_delivery.py), waiting-list emails (waitlist_delivery.py) and CalDAV pushes (caldav.py).

    queued ──claim──▶ sending ──▶ sent
    retrying ◀──temporary failure──┘ └──▶ failed (permanent, or out of attempts)
    a waiting row that should no longer go ──▶ obsolete

Each outbox says what its rows need (`Outbox`: the model, what to load with a row, why a row is no
longer wanted, how it is sent, what giving up means); the cycle, the statuses, the attempts (counted
at the claim, so a killed worker's attempt still counts), the back-off and the error recording are
the same for all (docs/operations.md, "The sweeper"; docs/caldav.md).

The send happens outside any database transaction (the claim commits first), so a slow server never
holds SQLite's write lock. Only the worker holding the claim may finish a row ("mine": still
sending, with its claim time where the model records one); "sent" is recorded even if the sweeper
handed the row back meanwhile, which stops a second task from sending it again.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction

from bookings.models import NotificationStatus

N = NotificationStatus
WAITING = (N.QUEUED, N.RETRYING)
# schedule(row_id, when) enqueues a delivery task in the caller's transaction.
Schedule = Callable[[int, "datetime | None"], None]


@dataclass(frozen=True)
class Failure:
    temporary: bool
    label: str  # class name and SMTP code only, e.g. "SMTPRecipientsRefused 550"


def classify(exc: BaseException) -> Failure:
    """Temporary: nothing listening, timeouts, dropped connections, SMTP 4xx. Permanent: 5xx."""
    name = type(exc).__name__
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _ in exc.recipients.values()})
        label = f"{name} {'/'.join(str(c) for c in codes)}".strip()
        return Failure(temporary=bool(codes) and all(400 <= c < 500 for c in codes), label=label)
    if isinstance(exc, smtplib.SMTPResponseException):
        return Failure(temporary=400 <= exc.smtp_code < 500, label=f"{name} {exc.smtp_code}")
    # SMTPServerDisconnected, other SMTPExceptions, ConnectionRefusedError, TimeoutError and
    # the rest of OSError: the server may well be back in a minute.
    if isinstance(exc, smtplib.SMTPException | OSError):
        return Failure(temporary=True, label="TimeoutError" if _timed_out(exc) else name)
    return Failure(temporary=False, label=name)


def _timed_out(exc: BaseException | None) -> bool:
    # smtplib turns a read timeout into SMTPServerDisconnected("... timed out"); the timeout is
    # still there as the exception's context, and it is what staff need to see.
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, TimeoutError):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def retry_delay(attempts: int) -> timedelta:
    """Exponential back-off: base·2^(attempts-1) seconds, capped."""
    base, cap = settings.EMAIL_RETRY_BASE_SECONDS, settings.EMAIL_RETRY_MAX_SECONDS
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


class Unwanted(Exception):
    """Raised by `Outbox.send`: the row should no longer go (recorded as obsolete, with why)."""


class Failed(Exception):
    """Raised by `Outbox.send`: a permanent failure; its text is the label recorded (no personal data)."""


class Retry(Exception):
    """Raised by `Outbox.send`: a temporary failure, retried with back-off until out of attempts."""


class Outbox:
    """What one outbox's rows need; `deliver` runs the shared cycle. Subclasses set `model` and
    `send`, and override the hooks where their rows differ."""

    model: type  # an outbox model: status, send_after, attempts, last_error, updated_at
    related: tuple[str, ...] = ()  # select_related when claiming
    max_attempts_setting = "EMAIL_MAX_ATTEMPTS"
    # A row claimed before its send_after is put back to wait (a clock step, an old duplicate task).
    waits_until_due = True
    # The model has claimed_at (set at the claim, part of "mine") and sent_at.
    records_times = True

    def check(self, row, now: datetime) -> tuple[str, object]:
        """At the claim, in its transaction: (why the row should no longer go, or "", what `send`
        needs besides the row)."""
        return "", None

    def send(self, row, context, *, now: datetime) -> None:
        """Send the row, outside any transaction. Raise Unwanted, Failed or Retry for the outcomes
        other than sent; any other exception escapes (a database error: the task fails, and the
        sweeper recovers the row)."""
        raise NotImplementedError

    def out_of_attempts(self, label: str, attempts: int) -> str:
        return f"{label} (gave up after {attempts} attempts)"

    def given_up(self, row, context, label: str, *, now: datetime) -> None:
        """Called in the transaction that marks the row failed."""

    def will_retry(self, row, context, label: str) -> None:
        """Called after a retry has been queued."""

    # -- the cycle ---------------------------------------------------------------------------------

    def deliver(self, pk: int, *, now: datetime, schedule: Schedule) -> str:
        """Send one row if it is still due and wanted; record the outcome; return it as a word.

        `now` is read once by the caller (the task) and stands for the whole attempt: the claim, the
        retry time and "sent at" (docs/conventions.md, one clock)."""
        claimed = self._claim(pk, now, schedule)
        if isinstance(claimed, str):
            return claimed
        row, context = claimed
        try:
            self.send(row, context, now=now)
        except Unwanted as exc:
            self._finish(row, N.OBSOLETE, str(exc), now)
            return N.OBSOLETE
        except Failed as exc:
            self._fail(row, context, str(exc), now)
            return N.FAILED
        except Retry as exc:
            return self._retry(row, context, str(exc), now, schedule)
        self._record_sent(row, now)
        return N.SENT

    def _claim(self, pk: int, now: datetime, schedule: Schedule):
        with transaction.atomic():
            rows = self.model.objects.select_for_update(of=("self",))
            if self.related:
                rows = rows.select_related(*self.related)
            row = rows.filter(pk=pk).first()
            if row is None:
                return "missing"
            if row.status not in WAITING:
                return row.status  # sent, failed or another worker has it: a duplicate task
            if self.waits_until_due and row.send_after > now:
                schedule(row.pk, row.send_after)  # try again when it is due
                return "not due"
            reason, context = self.check(row, now)
            if reason:
                row.status, row.last_error = N.OBSOLETE, reason
                row.save(update_fields=["status", "last_error", "updated_at"])
                return N.OBSOLETE
            row.status, row.attempts = N.SENDING, row.attempts + 1
            fields = ["status", "attempts", "updated_at"]
            if self.records_times:
                row.claimed_at = now
                fields.append("claimed_at")
            row.save(update_fields=fields)
        return row, context

    def _mine(self, row):
        """The row, if it is still this worker's claim."""
        rows = self.model.objects.filter(pk=row.pk, status=N.SENDING)
        return rows.filter(claimed_at=row.claimed_at) if self.records_times else rows

    def _finish(self, row, status: str, reason: str, now: datetime) -> int:
        return self._mine(row).update(status=status, last_error=reason[:200], updated_at=now)

    def _fail(self, row, context, label: str, now: datetime) -> None:
        with transaction.atomic():
            self._finish(row, N.FAILED, label, now)
            self.given_up(row, context, label, now=now)

    def _retry(self, row, context, label: str, now: datetime, schedule: Schedule) -> str:
        if row.attempts >= getattr(settings, self.max_attempts_setting):
            self._fail(row, context, self.out_of_attempts(label, row.attempts), now)
            return N.FAILED
        retry_at = now + retry_delay(row.attempts)
        with transaction.atomic():
            # The retry task is queued in the same transaction as the status, so neither exists alone.
            updated = self._mine(row).update(
                status=N.RETRYING, send_after=retry_at, last_error=label[:200], updated_at=now
            )
            if updated:
                schedule(row.pk, retry_at)
        self.will_retry(row, context, label)
        return N.RETRYING

    def _record_sent(self, row, now: datetime) -> None:
        # Not conditional on our claim: if the sweeper handed the row back meanwhile, marking it sent
        # stops the second task from sending a duplicate.
        done = {"sent_at": now} if self.records_times else {}
        self.model.objects.filter(pk=row.pk, status__in=(N.SENDING, *WAITING)).update(
            status=N.SENT, last_error="", updated_at=now, **done
        )


class EmailOutbox(Outbox):
    """An outbox of emails: build the message, send it over SMTP, sort any failure (`classify`).

    Mail errors never escape (their text can quote addresses, and a task backend would store the
    traceback); nothing personal is recorded: an exception class and SMTP code only."""

    unwanted: tuple[type[Exception], ...] = ()  # raised by `build` when the email should not go
    what = "email"  # in the log line when building fails
    logger = logging.getLogger(__name__)

    def build(self, row, *, now: datetime):
        raise NotImplementedError

    def unwanted_reason(self, exc: Exception) -> str:
        return str(exc)

    def send(self, row, context, *, now: datetime) -> None:
        try:
            message = self.build(row, now=now)
        except self.unwanted as exc:
            raise Unwanted(self.unwanted_reason(exc)) from None
        except Exception as exc:  # a bug or bad data: retrying will not help
            self.logger.error("Building %s %s failed: %s", self.what, row.pk, type(exc).__name__)
            raise Failed(type(exc).__name__) from None
        try:
            with get_connection(timeout=settings.EMAIL_TIMEOUT) as connection:
                connection.send_messages([message])
        except Exception as exc:
            failure = classify(exc)
            raise (Retry if failure.temporary else Failed)(failure.label) from None
