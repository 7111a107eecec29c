"""Account emails: queueing them through the outbox, the rate limit, and set-password links.

Invitations and password resets go through AccountEmail rows and a task with the row's id only
(docs/operations.md, "Account emails"). The one-time link is made when the email is built, at
send time, from Django's token generators: the token hashes the user's password and last sign-in,
so it dies as soon as a password is set (single use) and after its timeout (expiry).
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.db import IntegrityError, transaction
from django.utils import timezone

from bookings import attention
from bookings.models import DEFAULT_TIME_ZONE, AccountEmail, AccountEmailKind
from bookings.outbox.tasks import schedule_account_email


def staff_recipients():
    """Active members of the Staff group who have an email address."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=settings.STAFF_GROUP)
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )


def over_limit(user, kind: str, now: datetime) -> bool:
    """True once this person, or anyone with the same address, had ACCOUNT_EMAILS_PER_HOUR
    emails of this kind in the last hour."""
    since = now - timedelta(hours=1)
    recent = AccountEmail.objects.filter(kind=kind, created_at__gte=since)
    limit = settings.ACCOUNT_EMAILS_PER_HOUR
    if recent.filter(user=user).count() >= limit:
        return True
    return bool(user.email) and recent.filter(user__email__iexact=user.email).count() >= limit


def queue(
    user, kind: str, *, now: datetime, booking=None, day=None, limited: bool = True
) -> AccountEmail | None:
    """Write one AccountEmail row and its delivery task in the caller's transaction.

    Returns None when the rate limit holds it back (limited kinds only); callers answer the
    same way either way, so nobody learns whether an address has an account.
    """
    with transaction.atomic():
        if limited and over_limit(user, kind, now):
            return None
        row = AccountEmail.objects.create(
            user=user, kind=kind, booking=booking, day=day, send_after=now, created_at=now
        )
        schedule_account_email(row.pk)
    return row


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's password-reset form, sending through the outbox: the email is queued, never sent
    inside the request, and rate-limited per person and per address. The page that follows is the
    same whatever happened."""

    def save(self, *args, **kwargs):
        now = timezone.now()  # the edge: PasswordResetView calls save() from the request
        for user in self.get_users(self.cleaned_data["email"]):
            queue(user, AccountEmailKind.PASSWORD_RESET, now=now)


def digest_day(now: datetime):
    """The UK date a digest belongs to."""
    return timezone.localtime(now, ZoneInfo(DEFAULT_TIME_ZONE)).date()


def queue_daily_digest(now: datetime) -> int:
    """Queue today's digest for each staff member, once per day, from STAFF_DIGEST_HOUR (UK).

    Safe to call as often as the scheduler likes: the (user, kind, day) constraint makes a second
    call the same day a no-op, even from a second scheduler. Nothing is queued on a day with
    nothing to report. Returns how many digests were queued now.
    """
    uk_now = timezone.localtime(now, ZoneInfo(DEFAULT_TIME_ZONE))
    if uk_now.hour < settings.STAFF_DIGEST_HOUR or not attention.attention(now).anything:
        return 0
    day, queued = uk_now.date(), 0
    for user in staff_recipients():
        with transaction.atomic():
            if AccountEmail.objects.filter(user=user, kind=AccountEmailKind.DIGEST, day=day).exists():
                continue
            try:
                with transaction.atomic():
                    queue(user, AccountEmailKind.DIGEST, now=now, day=day, limited=False)
            except IntegrityError:  # another scheduler queued it a moment ago
                continue
        queued += 1
    return queued


def tell_staff_handed_back(booking, *, now: datetime) -> int:
    """An immediate email to every staff member about one handed-back chat (in the caller's
    transaction)."""
    users = list(staff_recipients())
    for user in users:
        queue(user, AccountEmailKind.HANDED_BACK, now=now, booking=booking, limited=False)
    return len(users)
