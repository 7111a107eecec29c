"""The waiting list: people who found no time they could make for an offer (docs/bookings.md#waiting-list).

A row is a person still waiting; leaving, booking the offer or expiry deletes it (nothing about
them is kept). WaitlistEmail is its outbox row, like EmailNotification for bookings: created in
the transaction that opened the time, with one delivery task carrying only its id; the address
and the links are read and made at send time (bookings/outbox/waitlist_emails.py).
"""

import uuid

from django.db import models

from .outbox import NotificationStatus
from .partners import Offer, Partner


class PartOfDay(models.TextChoices):
    MORNING = "morning", "Mornings (before 12 noon)"
    AFTERNOON = "afternoon", "Afternoons (12 noon to 5pm)"
    EVENING = "evening", "Evenings (after 5pm)"


class WaitlistEntry(models.Model):
    # Records of what happened, never content: Wagtail's reference index would queue a task from
    # post_save inside our transaction (docs/operations.md, "RQ").
    wagtail_reference_index_ignore = True

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="waitlist")
    # The partner they chose, or empty for whoever is free.
    partner = models.ForeignKey(
        Partner, null=True, blank=True, on_delete=models.CASCADE, related_name="waitlist"
    )
    name = models.CharField(max_length=120)
    email = models.EmailField()
    # Monday = 0 ... Sunday = 6, and PartOfDay values, both read in `time_zone`.
    weekdays = models.JSONField(default=list)
    parts_of_day = models.JSONField(default=list)
    time_zone = models.CharField(max_length=64)
    joined_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["joined_at", "pk"]
        verbose_name = "waiting-list entry"
        verbose_name_plural = "waiting list"
        indexes = [models.Index(fields=["offer", "expires_at"], name="waitlist_offer_expires")]

    def __str__(self):
        return f"{self.offer}: waiting since {self.joined_at:%d %b %Y}"


class WaitlistEmail(models.Model):
    """One "a time has opened" email to one waiting person (same life cycle as the booking outbox)."""

    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="emails")
    status = models.CharField(
        max_length=16, choices=NotificationStatus.choices, default=NotificationStatus.QUEUED
    )
    send_after = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["status", "send_after"], name="waitlist_email_due")]

    def __str__(self):
        return f"Waiting-list email: {self.get_status_display()}"
