"""Thinking-partner bookings: who offers chats, when they are free, and the chats booked.

Times are stored in UTC. Availability rules are wall-clock times in the partner's own zone and
are expanded at query time (availability.py), never stored as UTC instants.

The overlap guard lives in the database: on PostgreSQL an exclusion constraint over
(partner, [blocked_start, blocked_end)) for pending and confirmed bookings, added by migration
0002 because Django's ExclusionConstraint cannot be declared on a model that must also migrate on
SQLite. On SQLite the services' IMMEDIATE transaction plus re-check does the same job.
"""

import zoneinfo
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from recurrence.fields import RecurrenceField

from ..bank_holidays import ENGLAND, NATIONS
from ..slot_cache import SlotDataModel, SlotDataQuerySet
from ..zones import DEFAULT_TIME_ZONE
from .joining import validate_meeting_link


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"“{value}” is not a time zone name such as Europe/London.") from exc


class Format(models.TextChoices):
    VIDEO = "video", "Video call"
    PHONE = "phone", "Phone call"
    IN_PERSON = "in_person", "In person"


class Partner(SlotDataModel, models.Model):
    """A lived-experience thinking partner whom professionals can book."""

    # Never referenced by content: Wagtail's reference index would queue a task from post_save
    # inside our transaction (docs/operations.md, "RQ").
    wagtail_reference_index_ignore = True

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
    # Bank holidays of this nation close the partner's free times unless they opt in
    # (docs/bookings.md#bank-holidays).
    nation = models.CharField(
        max_length=3,
        choices=NATIONS,
        default=ENGLAND,
        help_text="Whose bank holidays apply: they differ in Scotland and Northern Ireland.",
    )
    works_bank_holidays = models.BooleanField(
        "works on bank holidays",
        default=False,
        help_text="If ticked, free times stay open on bank holidays.",
    )
    # Some partners may not or do not want to be paid (benefits, employer rules): their chats
    # still get a payment line, for £0 with this reason (docs/impact.md).
    declines_payment = models.BooleanField(default=False)
    payment_declined_reason = models.CharField(max_length=200, blank=True)
    # Joining details (docs/bookings.md, "Joining details"): the partner's standing video link,
    # sent to both people for every video chat that has no link of its own.
    meeting_link = models.URLField(
        "standing video meeting link",
        max_length=500,
        blank=True,
        validators=[validate_meeting_link],
        help_text="A Teams, Zoom, Google Meet or Jitsi link that starts with https://. "
        "It goes into the invite and both emails for every video chat.",
    )
    feed_shows_joining_details = models.BooleanField(
        "show joining details in my calendar feed",
        default=False,
        help_text="The video link or address in the feed's events. Phone numbers never go into a feed.",
    )

    # Bulk writes renew slot-cache tokens too (bookings/slot_cache.py): the partner's own, and
    # the roster's (who is active and taking bookings).
    objects = SlotDataQuerySet.as_manager()
    slot_cache_partner = "id"
    slot_cache_roster = True

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
    video_link_on_accept = models.BooleanField(
        "the partner sends the video link when they accept",
        default=False,
        help_text="Instead of their standing link, the partner gives a link for each chat when "
        "they accept it. Needs ‘partner must accept first’.",
    )
    venue_address = models.TextField(
        "address (in-person chats)",
        max_length=500,
        blank=True,
        help_text="Where in-person chats happen. Goes into the invite and both emails.",
    )
    venue_access_notes = models.TextField(
        "how to find us and access (in-person chats)",
        max_length=1000,
        blank=True,
        help_text="For example: step-free entrance on Mill Lane, ask at reception for the library room.",
    )

    # Bulk writes renew the slot cache's roster token too (bookings/slot_cache.py); its length
    # and buffers are part of every cached piece's key.
    objects = SlotDataQuerySet.as_manager()
    slot_cache_roster = True

    class Meta:
        ordering = ["title", "pk"]
        constraints = [models.CheckConstraint(condition=Q(duration_minutes__gt=0), name="offer_has_duration")]

    def __str__(self):
        return self.title

    def clean(self):
        super().clean()
        if self.video_link_on_accept and not self.requires_acceptance:
            raise ValidationError(
                {"video_link_on_accept": "Tick ‘partner must accept first’ too: the link is asked for then."}
            )
        if self.offers_in_person and not self.venue_address.strip():
            raise ValidationError({"venue_address": "Give the address for in-person chats."})

    @property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.duration_minutes)

    @property
    def formats(self) -> list[str]:
        flags = {Format.VIDEO: self.offers_video, Format.PHONE: self.offers_phone}
        flags[Format.IN_PERSON] = self.offers_in_person
        return [fmt for fmt, on in flags.items() if on]


class AvailabilityRule(SlotDataModel, models.Model):
    """A weekly pattern of free time, as wall-clock times in the partner's zone."""

    # Never referenced by content: Wagtail's reference index would queue a task from post_save
    # inside our transaction (docs/operations.md, "RQ").
    wagtail_reference_index_ignore = True

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="availability_rules")
    # include_dtstart=False: we pass our own local start at query time (docs/calendar.md), and it
    # must not count as an occurrence itself.
    recurrence = RecurrenceField(include_dtstart=False, verbose_name="days")
    start_time = models.TimeField()
    end_time = models.TimeField()
    starts_on = models.DateField(
        default=timezone.localdate, help_text="First day this pattern applies (anchors ‘every other week’)."
    )

    # Bulk writes renew the partner's slot-cache token too (bookings/slot_cache.py).
    objects = SlotDataQuerySet.as_manager()

    class Meta:
        ordering = ["partner", "start_time", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=models.F("start_time")), name="rule_ends_after_start"
            )
        ]

    def __str__(self):
        return f"{self.partner}: {self.start_time:%H:%M}–{self.end_time:%H:%M}"


class TimeOff(SlotDataModel, models.Model):
    # Never referenced by content: Wagtail's reference index would queue a task from post_save
    # inside our transaction (docs/operations.md, "RQ").
    wagtail_reference_index_ignore = True

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="time_off")
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.CharField("private reason", max_length=200, blank=True)

    # Bulk writes renew the partner's slot-cache token too (bookings/slot_cache.py).
    objects = SlotDataQuerySet.as_manager()

    class Meta:
        ordering = ["start", "pk"]
        verbose_name_plural = "time off"
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="time_off_ends_after_start")
        ]

    def __str__(self):
        return f"{self.partner}: time off from {timezone.localtime(self.start):%d %b %Y %H:%M}"
