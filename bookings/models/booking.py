"""Booked chats and their history."""

import uuid
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from phonenumber_field.modelfields import PhoneNumberField

from ..slot_cache import SlotDataModel, SlotDataQuerySet
from .joining import validate_meeting_link
from .partners import Format, Offer, Partner

# The UID's domain part: fixed at creation, so a later change of site address never renames chats.
ICAL_DOMAIN = urlsplit(settings.SITE_URL).hostname or "localhost"


class BookingStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the partner"
    CONFIRMED = "confirmed", "Confirmed"
    DECLINED = "declined", "Declined"
    CANCELLED = "cancelled", "Cancelled"
    COMPLETED = "completed", "Completed"
    NO_SHOW = "no_show", "Did not attend"


# Pending requests hold their time too, or two people could be "waiting" for the same hour.
BLOCKING_STATUSES = (BookingStatus.PENDING, BookingStatus.CONFIRMED)


class BookingQuerySet(SlotDataQuerySet):
    def blocking(self):
        return self.filter(status__in=BLOCKING_STATUSES)

    def overlapping(self, start, end):
        return self.filter(blocked_start__lt=end, blocked_end__gt=start)


class Booking(SlotDataModel, models.Model):
    # Records of what happened, never content: Wagtail's reference index would queue a task from
    # post_save inside our transaction (docs/operations.md, "RQ").
    wagtail_reference_index_ignore = True

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="bookings")
    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="bookings")
    start = models.DateTimeField()
    end = models.DateTimeField()
    # The chat plus the offer's buffers, copied at booking time so later offer edits never
    # change what an existing chat blocks. The exclusion constraint works on these.
    blocked_start = models.DateTimeField(editable=False)
    blocked_end = models.DateTimeField(editable=False)
    status = models.CharField(max_length=16, choices=BookingStatus.choices, default=BookingStatus.PENDING)

    booker_name = models.CharField(max_length=120)
    booker_email = models.EmailField()
    organisation = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=200, blank=True)
    project_description = models.TextField(max_length=2000, blank=True)
    ladder_rung = models.ForeignKey("home.LadderRung", null=True, blank=True, on_delete=models.SET_NULL)
    format = models.CharField(max_length=16, choices=Format.choices, default=Format.VIDEO)
    access_needs = models.TextField(max_length=1000, blank=True)
    # Joining details (docs/bookings.md). The phone number the booker gave for a phone chat, stored
    # E.164: shown to the partner (workspace, their email) and never in a calendar file, feed,
    # task argument or log. The video link a partner gave when accepting, if the offer asks for
    # one per chat; otherwise the partner's standing link is used.
    booker_phone = PhoneNumberField(blank=True)
    meeting_link = models.URLField(max_length=500, blank=True, validators=[validate_meeting_link])
    # The zone the booker chose on the booking page; emails show their times in it too.
    booker_time_zone = models.CharField(max_length=64, blank=True)
    # What staff told the booker when they cancelled (docs/staff.md): shown in the booker's
    # cancellation email only. Kept here, not in the history, so it is erased with the booking.
    cancel_reason = models.TextField(max_length=500, blank=True)

    ical_uid = models.CharField("iCalendar UID", max_length=255, unique=True, editable=False)
    sequence = models.PositiveIntegerField(default=0, editable=False)
    # A double-submitted form carries the same key and gets the same booking back.
    idempotency_key = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The chat's VEVENT as feeds and CalDAV calendars carry it, written once per version by
    # icalendar (bookings/calendars/feeds.py). Neutral text only: offer, format, times, UID,
    # SEQUENCE and status, nothing about the booker (docs/feeds.md), so it holds no personal data
    # beyond what the feed already shows. `feed_vevent_key` names the version it was written for.
    feed_vevent = models.TextField(blank=True, editable=False)
    feed_vevent_key = models.CharField(max_length=64, blank=True, editable=False)
    # Privacy (docs/privacy.md): when the personal fields were erased or purged (the row then keeps
    # only its anonymous shape and leaves partners' feeds), and when an erasure was asked for but
    # waits for the booking's last emails (the cancellation) to leave first.
    anonymised_at = models.DateTimeField(null=True, blank=True, editable=False)
    erasure_requested_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = BookingQuerySet.as_manager()
    # Written as feeds are read (bookings/calendars/feeds.py); no slot snapshot holds them.
    slot_cache_ignores = frozenset({"feed_vevent", "feed_vevent_key"})

    class Meta:
        ordering = ["-start", "pk"]
        # Range look-ups filter on blocked_end > start of range: history is skipped by the index.
        indexes = [models.Index(fields=["partner", "blocked_end"], name="booking_partner_blocked_end")]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="booking_ends_after_start"),
            models.CheckConstraint(
                condition=Q(blocked_start__lte=models.F("start")) & Q(blocked_end__gte=models.F("end")),
                name="booking_blocked_covers_chat",
            ),
        ]

    def __str__(self):
        return f"{self.offer} with {self.partner}, {timezone.localtime(self.start):%d %b %Y %H:%M}"

    def save(self, *args, **kwargs):
        # Rows made outside the services (fixtures, the shell) still get a blocked interval.
        if self.blocked_start is None or self.blocked_end is None:
            self.set_times(self.start)
        if not self.ical_uid:
            self.ical_uid = f"{self.public_id}@{ICAL_DOMAIN}"
        super().save(*args, **kwargs)

    @property
    def public_reference(self) -> str:
        """The reference the booker is shown, on the confirmation page and in every email: the
        public id's first eight characters (staff search by it, docs/staff.md)."""
        return str(self.public_id)[:8].upper()

    @property
    def is_blocking(self) -> bool:
        return self.status in BLOCKING_STATUSES

    def set_times(self, start, offer=None) -> None:
        """Set start, end and the blocked interval from an offer (the booking's own by default)."""
        offer = offer or self.offer
        self.start = start
        self.end = start + offer.duration
        self.blocked_start = start - timedelta(minutes=offer.buffer_before_minutes)
        self.blocked_end = self.end + timedelta(minutes=offer.buffer_after_minutes)


class BookingEvent(models.Model):
    """One line of a booking's history. Details never hold personal data (they outlive a purge)."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=40, help_text="booker, partner, staff or system")
    action = models.CharField(max_length=40)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.action} at {self.at:%Y-%m-%d %H:%M} by {self.actor_label}"
