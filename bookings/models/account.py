"""Account emails (invitations, password resets, staff notices) and partners' hand-backs.

AccountEmail is the outbox row for email about a person's account or for staff, not about one
version of a booking (those are EmailNotification rows). It follows the same rules
(docs/operations.md, "Account emails"): a row plus a delivery task carrying only its id; the
address is read from the user at send time, and a set-password link is made only when the email
is built, so no token is ever stored in a row or a task.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from .booking import Booking
from .outbox import NotificationStatus
from .partners import Partner


class AccountEmailKind(models.TextChoices):
    INVITATION = "invitation", "Invitation to set a password"
    PASSWORD_RESET = "password_reset", "Password reset"
    DIGEST = "digest", "Daily digest for staff"
    HANDED_BACK = "handed_back", "A partner handed back a chat (to staff)"


class AccountEmail(models.Model):
    # Records of what happened, never content: Wagtail's reference index would queue a task from
    # post_save inside our transaction (docs/operations.md, "RQ").
    wagtail_reference_index_ignore = True

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32, choices=AccountEmailKind.choices)
    # For a staff notice about one chat (a hand-back); never shown to anyone but staff.
    booking = models.ForeignKey(Booking, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    # The digest's day (UK date): one digest per person per day, enforced by the constraint.
    day = models.DateField(null=True, blank=True)
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
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "day"],
                condition=Q(day__isnull=False),
                name="one_account_email_per_day",
            )
        ]
        indexes = [
            models.Index(fields=["status", "send_after"], name="account_email_due"),
            models.Index(fields=["user", "kind", "created_at"], name="account_email_recent"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.get_status_display()}"


class HandBackReason(models.TextChoices):
    ILL = "ill", "I am unwell"
    EMERGENCY = "emergency", "A personal emergency"
    CONFLICT = "conflict", "Something else clashes with it"
    OTHER = "other", "Another reason"


class HandBack(models.Model):
    """A partner giving a confirmed chat back to staff (docs/staff-operations.md, "Handing back").

    Open while the chat is still with that partner and still pending or confirmed: staff close it
    by reassigning or cancelling the chat, so there is no separate "resolved" flag to forget.
    The note is the partner's own words for staff; it never reaches the booker or an email.
    """

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="hand_backs")
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="hand_backs")
    at = models.DateTimeField()
    reason = models.CharField(max_length=16, choices=HandBackReason.choices)
    note = models.CharField("note for staff", max_length=500, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["booking", "partner"], name="one_hand_back_per_partner")
        ]

    def __str__(self):
        return f"{self.partner} handed back a chat ({self.get_reason_display()})"
