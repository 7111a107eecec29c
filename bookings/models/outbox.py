"""The email outbox: one row per email a booking change must send (docs/operations.md)."""

from django.db import models

from .booking import Booking
from .partners import Partner


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

    # Records of what happened, never content: Wagtail's reference index would queue a task from
    # post_save inside our transaction (docs/operations.md, "RQ").
    wagtail_reference_index_ignore = True

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32)
    recipient = models.CharField(max_length=16, choices=Recipient.choices)
    # Set only when the email is for a partner the booking no longer has (a chat reassigned away
    # from them, docs/staff.md); otherwise the booking's own partner is the recipient.
    partner = models.ForeignKey(Partner, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    sequence = models.PositiveIntegerField(help_text="The booking's version this message describes")
    # Reminders only: how long before the chat this one goes (one row per offset and version,
    # docs/operations.md, "Reminders"); 0 for every other kind.
    lead_minutes = models.PositiveIntegerField(default=0)
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
                fields=["booking", "kind", "recipient", "sequence", "lead_minutes"],
                name="one_notification_per_version_and_lead",
            )
        ]
        indexes = [models.Index(fields=["status", "send_after"], name="notification_due")]

    def __str__(self):
        return f"{self.kind} to {self.recipient} (v{self.sequence}): {self.get_status_display()}"
