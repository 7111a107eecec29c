"""A partner's CalDAV calendar that the site writes their chats into, and the push outbox
(docs/caldav.md). Holds partner data: the server address, user name and the app password,
which is stored only encrypted (Fernet, key from CALDAV_ENCRYPTION_KEY) and never shown again."""

from django.db import models

from .booking import Booking
from .outbox import NotificationStatus
from .partners import Partner


class CalDAVState(models.TextChoices):
    CHOOSING = "choosing", "Choose a calendar"
    ACTIVE = "active", "Connected"
    FAILED = "failed", "Not working (chats go by email)"


class CalDAVConnection(models.Model):
    """One partner's CalDAV account and chosen calendar. Personal data: server URL, user name and
    the encrypted app password (bookings/calendars/caldav_secrets.py)."""

    partner = models.OneToOneField(Partner, on_delete=models.CASCADE, related_name="caldav")
    server_url = models.URLField(max_length=2000)
    username = models.CharField(max_length=200)
    password_encrypted = models.TextField(help_text="Fernet token; the password itself is never stored")
    calendar_url = models.URLField(max_length=2000, blank=True)
    calendar_name = models.CharField(max_length=200, blank=True)
    state = models.CharField(max_length=16, choices=CalDAVState.choices, default=CalDAVState.CHOOSING)
    error_message = models.CharField(max_length=300, blank=True, help_text="Plain words, never the password")
    created_at = models.DateTimeField()
    failed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"CalDAV calendar of {self.partner}"


class CalDAVEvent(models.Model):
    """Where a chat lives in the partner's CalDAV calendar, and the ETag the server last gave."""

    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="caldav_event")
    href = models.CharField(max_length=2000)
    etag = models.CharField(max_length=200, blank=True)

    def __str__(self):
        return f"CalDAV copy of booking {self.booking_id}"


class CalDAVPush(models.Model):
    """One write of one version of a chat to the partner's CalDAV calendar: the outbox row, like
    EmailNotification (same states, back-off and failure visibility). Ids and status only."""

    # Records of what happened, never content: Wagtail's reference index would queue a task from
    # post_save inside our transaction (docs/operations.md, "RQ").
    wagtail_reference_index_ignore = True

    PUT, DELETE = "put", "delete"

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="caldav_pushes")
    version = models.CharField(max_length=40, help_text="The booking's sequence and status it writes")
    action = models.CharField(max_length=8, choices=[(PUT, "Write"), (DELETE, "Delete")])
    status = models.CharField(
        max_length=16, choices=NotificationStatus.choices, default=NotificationStatus.QUEUED
    )
    send_after = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True, help_text="HTTP status or error class only")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["booking", "version", "action"], name="one_caldav_push_per_version"
            )
        ]

    def __str__(self):
        return f"CalDAV {self.action} ({self.version}): {self.get_status_display()}"
