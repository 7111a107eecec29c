"""What needs a coordinator's attention: requests waiting too long, handed-back chats, failed
emails. One definition, read by the "This week" calendar and the daily digest
(docs/staff-operations.md). A fixed number of queries, whatever the number of bookings."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import F
from wagtail.models import Site

from bookings.models import (
    BLOCKING_STATUSES,
    AccountEmail,
    Booking,
    BookingSettings,
    BookingStatus,
    EmailNotification,
    HandBack,
    NotificationStatus,
)

# Failed emails older than this are assumed dealt with and drop out of the digest.
FAILED_LOOKBACK = timedelta(days=7)


def waiting_limit(site: Site | None = None) -> timedelta:
    """How long a request may wait for its partner before staff are told (Booking settings)."""
    site = site or Site.objects.filter(is_default_site=True).first()
    settings = BookingSettings.for_site(site) if site is not None else BookingSettings()
    return settings.request_waiting_limit


def open_hand_backs(now: datetime):
    """Hand-backs whose chat is still with the partner who gave it back, and still to come."""
    return (
        HandBack.objects.filter(
            booking__partner=F("partner"), booking__status__in=BLOCKING_STATUSES, booking__end__gt=now
        )
        .select_related("booking__offer", "partner")
        .order_by("booking__start", "pk")
    )


def waiting_requests(now: datetime, limit: timedelta):
    """Requests (pending) asked for more than `limit` ago, for chats still to come."""
    return (
        Booking.objects.filter(status=BookingStatus.PENDING, created_at__lte=now - limit, start__gt=now)
        .select_related("offer", "partner")
        .order_by("created_at", "pk")
    )


@dataclass(frozen=True)
class Attention:
    waiting: list
    hand_backs: list
    failed_booking_emails: int
    failed_account_emails: int

    @property
    def anything(self) -> bool:
        return bool(
            self.waiting or self.hand_backs or self.failed_booking_emails or self.failed_account_emails
        )


def attention(now: datetime, limit: timedelta | None = None) -> Attention:
    limit = waiting_limit() if limit is None else limit
    since = now - FAILED_LOOKBACK
    failed = NotificationStatus.FAILED
    return Attention(
        waiting=list(waiting_requests(now, limit)),
        hand_backs=list(open_hand_backs(now)),
        failed_booking_emails=EmailNotification.objects.filter(status=failed, updated_at__gte=since).count(),
        failed_account_emails=AccountEmail.objects.filter(status=failed, updated_at__gte=since).count(),
    )
