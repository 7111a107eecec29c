"""Thinking-partner bookings: who offers chats, when they are free, and the chats booked.

Times are stored in UTC. Availability rules are wall-clock times in the partner's own zone and
are expanded at query time (availability.py), never stored as UTC instants.

The overlap guard lives in the database: on PostgreSQL an exclusion constraint over
(partner, [blocked_start, blocked_end)) for pending and confirmed bookings, added by migration
0002 because Django's ExclusionConstraint cannot be declared on a model that must also migrate on
SQLite. On SQLite the services' IMMEDIATE transaction plus re-check does the same job.
"""

import uuid
import zoneinfo
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from recurrence.fields import RecurrenceField
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting

DEFAULT_TIME_ZONE = "Europe/London"
# The UID's domain part: fixed at creation, so a later change of site address never renames chats.
ICAL_DOMAIN = urlsplit(settings.SITE_URL).hostname or "localhost"


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"“{value}” is not a time zone name such as Europe/London.") from exc


class Format(models.TextChoices):
    VIDEO = "video", "Video call"
    PHONE = "phone", "Phone call"
    IN_PERSON = "in_person", "In person"


class Partner(models.Model):
    """A lived-experience thinking partner whom professionals can book."""

    display_name = models.CharField(max_length=120)
    bio = models.TextField("short bio", max_length=800, blank=True)
    photo = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Optional until the partner workspace exists; then it is how a partner signs in.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="bookings_partner",
    )
    email = models.EmailField(
        blank=True, help_text="Where invites and requests go. If empty, the linked account's email is used."
    )
    time_zone = models.CharField(max_length=64, default=DEFAULT_TIME_ZONE, validators=[validate_time_zone])
    active = models.BooleanField(default=True)
    accepting_bookings = models.BooleanField(
        default=True, help_text="Untick to pause new bookings without hiding the partner."
    )
    # Wellbeing limits. Empty means no limit.
    max_chats_per_day = models.PositiveSmallIntegerField(default=3, null=True, blank=True)
    max_chats_per_week = models.PositiveSmallIntegerField(default=8, null=True, blank=True)
    rest_minutes = models.PositiveSmallIntegerField(
        "rest after each chat (minutes)", default=15, help_text="No chat starts sooner after another ends."
    )

    class Meta:
        ordering = ["display_name", "pk"]

    def __str__(self):
        return self.display_name

    @property
    def is_bookable(self) -> bool:
        return self.active and self.accepting_bookings


class Offer(models.Model):
    """Something a professional can book, such as a 30-minute chat."""

    title = models.CharField(max_length=120)
    description = models.TextField(max_length=1500, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(default=30)
    buffer_before_minutes = models.PositiveSmallIntegerField(default=0)
    buffer_after_minutes = models.PositiveSmallIntegerField(default=10)
    offers_video = models.BooleanField("video call", default=True)
    offers_phone = models.BooleanField("phone call", default=True)
    offers_in_person = models.BooleanField("in person", default=False)
    requires_acceptance = models.BooleanField(
        "partner must accept first",
        default=False,
        help_text="If ticked, requests stay pending (still holding the time) until the partner accepts.",
    )
    active = models.BooleanField(default=True)
    partners = models.ManyToManyField(Partner, related_name="offers", blank=True)

    class Meta:
        ordering = ["title", "pk"]
        constraints = [models.CheckConstraint(condition=Q(duration_minutes__gt=0), name="offer_has_duration")]

    def __str__(self):
        return self.title

    @property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.duration_minutes)

    @property
    def formats(self) -> list[str]:
        flags = {Format.VIDEO: self.offers_video, Format.PHONE: self.offers_phone}
        flags[Format.IN_PERSON] = self.offers_in_person
        return [fmt for fmt, on in flags.items() if on]


class AvailabilityRule(models.Model):
    """A weekly pattern of free time, as wall-clock times in the partner's zone."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="availability_rules")
    # include_dtstart=False: we pass our own local start at query time (INTEROP.md), and it
    # must not count as an occurrence itself.
    recurrence = RecurrenceField(include_dtstart=False, verbose_name="days")
    start_time = models.TimeField()
    end_time = models.TimeField()
    starts_on = models.DateField(
        default=timezone.localdate, help_text="First day this pattern applies (anchors ‘every other week’)."
    )

    class Meta:
        ordering = ["partner", "start_time", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=models.F("start_time")), name="rule_ends_after_start"
            )
        ]

    def __str__(self):
        return f"{self.partner}: {self.start_time:%H:%M}–{self.end_time:%H:%M}"


class TimeOff(models.Model):
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="time_off")
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.CharField("private reason", max_length=200, blank=True)

    class Meta:
        ordering = ["start", "pk"]
        verbose_name_plural = "time off"
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="time_off_ends_after_start")
        ]

    def __str__(self):
        return f"{self.partner}: time off from {timezone.localtime(self.start):%d %b %Y %H:%M}"


@register_setting(icon="date")
class BookingSettings(BaseSiteSetting):
    minimum_notice_hours = models.PositiveSmallIntegerField(
        default=48, help_text="How long before a chat it can still be booked."
    )
    horizon_days = models.PositiveSmallIntegerField(default=84, help_text="How far ahead people can book.")
    slot_step_minutes = models.PositiveSmallIntegerField(
        default=15, help_text="Chats start on this grid, counted from the start of each free period."
    )

    class Meta:
        verbose_name = "booking settings"

    @property
    def notice(self) -> timedelta:
        return timedelta(hours=self.minimum_notice_hours)

    @property
    def horizon(self) -> timedelta:
        return timedelta(days=self.horizon_days)


class BookingStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the partner"
    CONFIRMED = "confirmed", "Confirmed"
    DECLINED = "declined", "Declined"
    CANCELLED = "cancelled", "Cancelled"
    COMPLETED = "completed", "Completed"
    NO_SHOW = "no_show", "Did not attend"


# Pending requests hold their time too, or two people could be "waiting" for the same hour.
BLOCKING_STATUSES = (BookingStatus.PENDING, BookingStatus.CONFIRMED)


class BookingQuerySet(models.QuerySet):
    def blocking(self):
        return self.filter(status__in=BLOCKING_STATUSES)

    def overlapping(self, start, end):
        return self.filter(blocked_start__lt=end, blocked_end__gt=start)


class Booking(models.Model):
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
    # The zone the booker chose on the booking page; emails show their times in it too.
    booker_time_zone = models.CharField(max_length=64, blank=True)

    ical_uid = models.CharField("iCalendar UID", max_length=255, unique=True, editable=False)
    sequence = models.PositiveIntegerField(default=0, editable=False)
    # A double-submitted form carries the same key and gets the same booking back.
    idempotency_key = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = BookingQuerySet.as_manager()

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


class NotificationStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to send"
    SENDING = "sending", "Sending now"
    RETRYING = "retrying", "Will retry"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed (needs a person)"
    OBSOLETE = "obsolete", "Not needed any more"


class Recipient(models.TextChoices):
    BOOKER = "booker", "Booker"
    PARTNER = "partner", "Partner"


class EmailNotification(models.Model):
    """One email to one person about one version of a booking: the outbox row.

    Created in the same transaction as the change it reports, so it exists exactly when the
    change does. The unique constraint makes a second attempt to queue the same message a no-op.
    Delivery claims a row (queued/retrying → sending) before talking to SMTP, so two workers never
    send it at once; a worker killed mid-send leaves it "sending" until the sweeper hands it back
    (at-least-once: see docs/operations.md). Holds no personal data of its own: the address is
    read from the booking at send time, and errors are stored as class and SMTP code only.
    """

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32)
    recipient = models.CharField(max_length=16, choices=Recipient.choices)
    sequence = models.PositiveIntegerField(help_text="The booking's version this message describes")
    status = models.CharField(
        max_length=16, choices=NotificationStatus.choices, default=NotificationStatus.QUEUED
    )
    send_after = models.DateTimeField(
        help_text="Not before this moment: reminders wait for their time, retries for their back-off"
    )
    attempts = models.PositiveIntegerField(default=0)
    claimed_at = models.DateTimeField(
        null=True, blank=True, help_text="When a worker last started sending it"
    )
    last_error = models.CharField(
        max_length=200, blank=True, help_text="Error class and SMTP code, or why it was not needed"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["booking", "kind", "recipient", "sequence"], name="one_notification_per_version"
            )
        ]
        indexes = [models.Index(fields=["status", "send_after"], name="notification_due")]

    def __str__(self):
        return f"{self.kind} to {self.recipient} (v{self.sequence}): {self.get_status_display()}"


from .pages import BookingPage  # noqa: E402,F401
from .partner_calendars import BusyInterval, ExternalCalendar, PartnerFeed  # noqa: E402,F401
