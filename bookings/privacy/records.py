"""Finding what we hold about one email address, table by table (docs/privacy.md).

One function per kind of record in the registry. Sessions and task rows cannot be searched in
SQL (the session is signed and encoded, a task's arguments are JSON ids), so they are read in
Python; both tables stay small because the purge keeps them short.
"""

import json

from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db.models import Q
from django_tasks_db.models import DBTaskResult

from bookings.models import (
    AccessRecord,
    Booking,
    BookingEvent,
    CalDAVConnection,
    EmailNotification,
    Feedback,
    HandBack,
    Partner,
    PartnerReflection,
    PaymentLine,
    TimeOff,
    WaitlistEmail,
    WaitlistEntry,
)
from bookings.outbox.tasks import deliver_notification, deliver_waitlist_email
from home.models import Testimonial

FINISHED_TASK_STATUSES = ("SUCCESSFUL", "FAILED")
# A booker's name shorter than this is not searched for in access-record queries: "Al" would
# match half the searches ever made.
MIN_NAME_LENGTH = 4


def normalise(address: str) -> str:
    return address.strip().lower()


def bookings_for(address: str):
    return Booking.objects.filter(booker_email__iexact=normalise(address)).select_related("offer", "partner")


def history_for(booking_ids):
    return BookingEvent.objects.filter(booking_id__in=booking_ids)


def emails_for(booking_ids):
    return EmailNotification.objects.filter(booking_id__in=booking_ids)


def waitlist_for(address: str):
    return WaitlistEntry.objects.filter(email__iexact=normalise(address)).select_related("offer", "partner")


def waitlist_emails_for(entry_ids):
    return WaitlistEmail.objects.filter(entry_id__in=entry_ids)


def task_rows_for(
    notification_ids, *, finished_only: bool = False, task_path: str = deliver_notification.module_path
):
    """Delivery task rows whose argument is one of these email ids (booking emails by default)."""
    wanted = set(notification_ids)
    if not wanted:
        return DBTaskResult.objects.none()
    rows = DBTaskResult.objects.filter(task_path=task_path)
    if finished_only:
        rows = rows.filter(status__in=FINISHED_TASK_STATUSES)
    ids = [
        pk
        for pk, stored in rows.values_list("pk", "args_kwargs").iterator()
        if isinstance(stored, dict) and stored.get("args") and stored["args"][0] in wanted
    ]
    return DBTaskResult.objects.filter(pk__in=ids)


def access_records_for(address: str, booking_ids, names=()):
    """Records about these bookings, or whose search text names the address or a booker's name."""
    condition = Q(booking_id__in=booking_ids) | Q(query__icontains=normalise(address))
    for name in {n.strip() for n in names if len(n.strip()) >= MIN_NAME_LENGTH}:
        condition |= Q(query__icontains=name)
    return AccessRecord.objects.filter(condition)


def access_records_naming(address: str, names=()):
    """Only the records whose search text names the person (the ones erasure must blank)."""
    condition = Q(query__icontains=normalise(address))
    for name in {n.strip() for n in names if len(n.strip()) >= MIN_NAME_LENGTH}:
        condition |= Q(query__icontains=name)
    return AccessRecord.objects.filter(condition).exclude(query="")


def sessions_for(address: str) -> list[tuple[Session, dict]]:
    """Sessions (with their decoded data) that mention the address, e.g. a draft booking."""
    needle = normalise(address)
    store = SessionStore()
    found = []
    for session in Session.objects.iterator():
        data = store.decode(session.session_data)
        if data and needle in json.dumps(data, default=str).lower():
            found.append((session, data))
    return found


def partners_for(address: str):
    needle = normalise(address)
    return Partner.objects.filter(Q(email__iexact=needle) | Q(user__email__iexact=needle))


def hand_backs_for(partner_ids):
    return HandBack.objects.filter(partner_id__in=list(partner_ids)).order_by("at", "pk")


def caldav_for(partner_ids):
    return CalDAVConnection.objects.filter(partner_id__in=list(partner_ids)).order_by("pk")


def time_off_for(partner_ids):
    return TimeOff.objects.filter(partner_id__in=partner_ids)


def accounts_for(address: str):
    return get_user_model().objects.filter(email__iexact=normalise(address))


def waitlist_task_rows_for(waitlist_email_ids, *, finished_only: bool = False):
    return task_rows_for(
        waitlist_email_ids, finished_only=finished_only, task_path=deliver_waitlist_email.module_path
    )


def feedback_for(booking_ids):
    return Feedback.objects.filter(booking_id__in=list(booking_ids)).order_by("pk")


def testimonials_for(booking_ids):
    ids = feedback_for(booking_ids).exclude(testimonial=None).values_list("testimonial_id", flat=True)
    return Testimonial.objects.filter(pk__in=list(ids)).order_by("pk")


def reflections_for(partner_ids):
    return PartnerReflection.objects.filter(partner_id__in=list(partner_ids)).order_by("pk")


def payment_lines_for(partner_ids):
    return PaymentLine.objects.filter(partner_id__in=list(partner_ids)).order_by("pk")
