"""Erasing one person's data now, on request (docs/privacy.md).

Order matters, because the cancellation emails must still reach the booker and the partner but
the outbox renders each email from the booking at send time (it stores no address or body):

1. Future chats are cancelled through `services.cancel`, which queues the normal emails.
2. Everything else about the person goes at once: their sessions, the search text naming them in
   access records, emails still waiting that are no longer wanted (reminders, older versions).
3. A booking with no cancellation email still waiting is anonymised now. One whose cancellation
   is still waiting loses its notes and access needs (no email carries them) and is marked
   `erasure_requested_at`; the scheduler's `finish_pending_erasures`
   anonymises it as soon as the email has been sent (or has failed for good), and at the latest
   after PRIVACY_ERASURE_MAX_WAIT_HOURS. So the booker's address lives on for minutes, not months.

Anonymising keeps the anonymous shape (dates, offer, partner, format, status, ladder rung, history)
and bumps SEQUENCE, so old manage links stop working; the chat leaves partners' feeds.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from wagtail.models import ModelLogEntry

from bookings import services
from bookings.errors import InvalidTransition
from bookings.models import (
    AccessAction,
    Booking,
    EmailNotification,
    Feedback,
    HandBack,
    NotificationStatus,
    PartnerReflection,
)
from home.models import Testimonial

from . import records
from .audit import record_request
from .registry import booking_erasure_values

N = NotificationStatus
STILL_TO_SEND = (N.QUEUED, N.RETRYING, N.SENDING)
UNWANTED = (N.QUEUED, N.RETRYING)


@dataclass(frozen=True)
class Plan:
    """What erasing an address would do (the confirmation step shows it)."""

    bookings: int
    future_chats: int
    history: int
    emails: int
    task_rows: int
    access_records: int
    sessions: int
    waitlist: int = 0

    @property
    def total(self) -> int:
        return self.bookings + self.access_records + self.sessions + self.waitlist


def plan(address: str, *, now: datetime) -> Plan:
    bookings = list(records.bookings_for(address).filter(anonymised_at__isnull=True))
    ids = [b.pk for b in bookings]
    notification_ids = list(records.emails_for(ids).values_list("pk", flat=True))
    return Plan(
        bookings=len(bookings),
        future_chats=sum(1 for b in bookings if b.is_blocking and b.start > now),
        history=records.history_for(ids).count(),
        emails=len(notification_ids),
        task_rows=records.task_rows_for(notification_ids).count(),
        access_records=records.access_records_naming(address, [b.booker_name for b in bookings]).count(),
        sessions=len(records.sessions_for(address)),
        waitlist=records.waitlist_for(address).count(),
    )


def _cancellation_waiting(booking: Booking) -> bool:
    return EmailNotification.objects.filter(
        booking=booking, kind="cancelled", sequence=booking.sequence, status__in=STILL_TO_SEND
    ).exists()


def anonymise_booking(booking: Booking, *, now: datetime) -> None:
    """Replace a booking's personal fields by neutral values and drop what belongs to it.

    Idempotent. Called inside the caller's transaction (erasure or the purge)."""
    records.access_records_naming(booking.booker_email, [booking.booker_name]).update(query="")
    HandBack.objects.filter(booking=booking).update(note="")
    PartnerReflection.objects.filter(booking=booking).update(note="")
    _erase_feedback(booking, now)
    notifications = EmailNotification.objects.filter(booking=booking)
    notifications.filter(status__in=UNWANTED).update(
        status=N.OBSOLETE, last_error="personal data erased", updated_at=now
    )
    done = notifications.exclude(status=N.SENDING).values_list("pk", flat=True)
    records.task_rows_for(list(done)).exclude(status="RUNNING").delete()
    Booking.objects.filter(pk=booking.pk).update(
        **booking_erasure_values(),
        sequence=booking.sequence + 1,
        anonymised_at=now,
        erasure_requested_at=None,
        updated_at=now,
    )


def _erase_feedback(booking: Booking, now: datetime) -> None:
    """Feedback keeps its scores (usefulness, ladder rung) for reports; its free text goes, and a
    testimonial made from the quote is unpublished and deleted with its revisions."""
    for feedback in Feedback.objects.filter(booking=booking).select_related("testimonial"):
        testimonial = feedback.testimonial
        Feedback.objects.filter(pk=feedback.pk).update(
            next_steps="", quote="", testimonial=None, free_text_removed_at=now
        )
        if testimonial is not None:
            if testimonial.live:
                testimonial.unpublish(log_action=False)
            # Wagtail's history of the snippet names it by its excerpt and attribution.
            ModelLogEntry.objects.filter(
                content_type=ContentType.objects.get_for_model(Testimonial), object_id=str(testimonial.pk)
            ).delete()
            testimonial.delete()


@dataclass(frozen=True)
class Result:
    cancelled: int
    anonymised: int
    waiting_for_emails: int
    access_records: int
    sessions: int
    waitlist: int = 0


def erase_person(address: str, *, user, now: datetime) -> Result:
    """Erase everything the registry lists for this address (see the module docstring)."""
    bookings = list(records.bookings_for(address).filter(anonymised_at__isnull=True))
    cancelled = 0
    for booking in bookings:
        if booking.is_blocking and booking.start > now:
            try:
                services.cancel(booking, now=now, actor=user, actor_label="staff")
                cancelled += 1
            except InvalidTransition:
                pass  # changed meanwhile (already cancelled or declined): nothing to tell anyone
    anonymised = waiting = 0
    with transaction.atomic():
        names = [b.booker_name for b in bookings]
        blanked = records.access_records_naming(address, names).update(query="")
        sessions = records.sessions_for(address)
        for session, _data in sessions:
            session.delete()
        # Waiting-list entries go whole, with their emails and those emails' finished tasks.
        entries = records.waitlist_for(address)
        entry_ids = list(entries.values_list("pk", flat=True))
        email_ids = list(records.waitlist_emails_for(entry_ids).values_list("pk", flat=True))
        records.waitlist_task_rows_for(email_ids, finished_only=True).delete()
        entries.delete()
        for booking in Booking.objects.filter(pk__in=[b.pk for b in bookings]).select_for_update():
            EmailNotification.objects.filter(booking=booking, status__in=UNWANTED).exclude(
                kind="cancelled", sequence=booking.sequence
            ).update(status=N.OBSOLETE, last_error="personal data erased", updated_at=now)
            if _cancellation_waiting(booking):
                # Notes, access needs and the phone number are in no cancellation email (promise
                # 16), so they go now; the name and address wait for the cancellation emails.
                Booking.objects.filter(pk=booking.pk).update(
                    erasure_requested_at=now,
                    project_description="",
                    access_needs="",
                    booker_phone="",
                    updated_at=now,
                )
                waiting += 1
            else:
                anonymise_booking(booking, now=now)
                anonymised += 1
        record_request(
            AccessAction.ERASED,
            address,
            user=user,
            now=now,
            rows=len(bookings) + blanked + len(sessions) + len(entry_ids),
            shown=f"bookings {len(bookings)}, cancelled {cancelled}, access records {blanked}, "
            f"sessions {len(sessions)}, waiting lists {len(entry_ids)}",
        )
    return Result(cancelled, anonymised, waiting, blanked, len(sessions), len(entry_ids))


def finish_pending_erasures(*, now: datetime, dry_run: bool = False) -> int:
    """Anonymise bookings whose erasure waited for their cancellation emails. Run by the scheduler."""
    give_up_before = now - timedelta(hours=settings.PRIVACY_ERASURE_MAX_WAIT_HOURS)
    finished = 0
    pending = Booking.objects.filter(erasure_requested_at__isnull=False, anonymised_at__isnull=True)
    for booking in pending:
        if _cancellation_waiting(booking) and booking.erasure_requested_at > give_up_before:
            continue
        finished += 1
        if not dry_run:
            with transaction.atomic():
                anonymise_booking(booking, now=now)
    return finished
