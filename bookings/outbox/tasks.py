"""Background jobs. Arguments are ids only: django-tasks-db stores them (and any traceback) in
the database, where names, emails and notes must never end up (docs/reliability.md, promise 13)."""

from datetime import datetime

from django.utils import timezone
from django_tasks import task

from bookings.outbox import account_delivery, caldav, delivery, reinvite, waitlist_delivery
from bookings.task_queue import enqueue_on_commit


@task()
def deliver_notification(notification_id: int) -> str:
    """Send one outbox email. Returns the outcome (a status word, never personal data)."""
    # The edge: the clock is read here, once, and passed down.
    return delivery.deliver(notification_id, now=timezone.now(), schedule=schedule_delivery)


def schedule_delivery(notification_id: int, when: datetime | None = None) -> None:
    """Queue delivery of one email, now or not before `when`, in the caller's transaction."""
    enqueue_on_commit(deliver_notification, notification_id, when=when)


@task()
def deliver_account_email(account_email_id: int) -> str:
    """Send one account email (invitation, password reset, staff notice). Ids only, as above."""
    return account_delivery.deliver(account_email_id, now=timezone.now(), schedule=schedule_account_email)


def schedule_account_email(account_email_id: int, when: datetime | None = None) -> None:
    """Queue delivery of one account email, now or not before `when`, in the caller's transaction."""
    enqueue_on_commit(deliver_account_email, account_email_id, when=when)


@task()
def deliver_waitlist_email(waitlist_email_id: int) -> str:
    """Send one "a time has opened" email to someone on the waiting list. Ids only, as above."""
    return waitlist_delivery.deliver(waitlist_email_id, now=timezone.now(), schedule=schedule_waitlist_email)


def schedule_waitlist_email(waitlist_email_id: int, when: datetime | None = None) -> None:
    """Queue delivery of one waiting-list email, now or not before `when`, in the caller's transaction."""
    enqueue_on_commit(deliver_waitlist_email, waitlist_email_id, when=when)


@task()
def push_to_caldav(push_id: int) -> str:
    """Write one chat version to a partner's CalDAV calendar. Returns a status word only."""
    return caldav.push(push_id, now=timezone.now(), schedule=schedule_push, fallback=_email_instead)


def _email_instead(partner_id: int, *, now: datetime) -> None:
    reinvite.partner_reinvited(partner_id, now=now, schedule=schedule_delivery)


def schedule_push(push_id: int, when: datetime | None = None) -> None:
    enqueue_on_commit(push_to_caldav, push_id, when=when)
