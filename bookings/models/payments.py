"""Involvement payments to partners (docs/impact.md).

A rule per offer says what a chat earns, from a date on; a line records what one chat earned,
copying the amount, so a later rate change never rewrites history. Lines are never edited: a
mistake is corrected by a reversing line. A month approved by staff is locked.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from .booking import Booking
from .partners import Offer, Partner

MONEY = {"max_digits": 8, "decimal_places": 2}


class PaymentBasis(models.TextChoices):
    PER_CHAT = "per_chat", "Per chat"
    PER_HOUR = "per_hour", "Per hour"


class PaymentRule(models.Model):
    """What partners are paid for one offer's chats, for chats on or after `effective_from` (UK
    date) until the next rule of the same offer. Add a new rule to change a rate."""

    # Never referenced by content: Wagtail's reference index would queue a task from post_save
    # inside our transaction (docs/operations.md, "RQ").
    wagtail_reference_index_ignore = True

    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="payment_rules")
    effective_from = models.DateField(help_text="Chats on or after this day (UK time) are paid by this rule.")
    basis = models.CharField(max_length=16, choices=PaymentBasis.choices, default=PaymentBasis.PER_CHAT)
    amount = models.DecimalField(help_text="£ per chat or per hour", **MONEY)
    late_cancel_amount = models.DecimalField(
        "late cancellation or no-show amount (£)",
        default=0,
        help_text="Paid when the booker does not come, or cancels within the window below.",
        **MONEY,
    )
    late_cancel_window_hours = models.PositiveSmallIntegerField(
        "late cancellation window (hours)",
        default=24,
        help_text="Cancellations closer to the chat than this.",
    )

    class Meta:
        ordering = ["offer", "-effective_from", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["offer", "effective_from"], name="one_payment_rule_per_day"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="payment_rule_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(late_cancel_amount__gte=0), name="payment_rule_late_amount_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.offer}: £{self.amount} {self.get_basis_display().lower()} from {self.effective_from}"

    def clean(self):
        super().clean()
        # History is never rewritten: a rule that has paid lines keeps its amounts.
        if self.pk and PaymentLine.objects.filter(rule_id=self.pk).exists():
            old = PaymentRule.objects.get(pk=self.pk)
            fields = ("offer_id", "effective_from", "basis", "amount", "late_cancel_amount")
            if any(getattr(old, f) != getattr(self, f) for f in fields + ("late_cancel_window_hours",)):
                raise ValidationError(
                    "Chats have already been paid by this rule, so it cannot change. "
                    "To change the rate, add a new rule with the day it starts."
                )


class PaymentMonth(models.Model):
    """One calendar month of payment lines: open until staff approve it, then locked."""

    month = models.DateField(unique=True, help_text="The first day of the month")
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-month"]

    def __str__(self):
        return f"{self.month:%B %Y}"

    @property
    def is_approved(self) -> bool:
        return self.approved_at is not None


class PaymentKind(models.TextChoices):
    COMPLETED = "completed", "Chat completed"
    LATE_CANCEL = "late_cancel", "Late cancellation"
    NO_SHOW = "no_show", "Booker did not attend"
    REVERSAL = "reversal", "Reversal"


class PaymentStatus(models.TextChoices):
    OPEN = "open", "Not yet approved"
    APPROVED = "approved", "Approved"


class PaymentLine(models.Model):
    """What one chat earned its partner (or the reversal of that). Never edited once saved."""

    # Records of what happened, never content: Wagtail's reference index would queue a task from
    # post_save inside our transaction (docs/operations.md, "RQ").
    wagtail_reference_index_ignore = True

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="payment_lines")
    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="payment_lines")
    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="+")
    rule = models.ForeignKey(PaymentRule, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=PaymentKind.choices)
    chat_date = models.DateField(help_text="The chat's day, UK time")
    month = models.DateField(help_text="The month this line is paid in (first day)", db_index=True)
    amount = models.DecimalField(**MONEY)
    status = models.CharField(max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.OPEN)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    # Why the amount is zero (the partner declined payment) or why a line was reversed.
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["month", "chat_date", "pk"]
        constraints = [
            # One accrual per chat: the statuses it follows (completed, missed, cancelled) are final.
            models.UniqueConstraint(
                fields=["booking"], condition=Q(reverses__isnull=True), name="one_payment_per_chat"
            ),
        ]

    def __str__(self):
        return f"{self.partner}: £{self.amount} ({self.get_kind_display()}, {self.chat_date})"

    def save(self, *args, **kwargs):
        # Corrections are reversing lines (bookings/payments.py); only approval changes a status.
        if not self._state.adding:
            raise ValidationError("Payment lines are never edited. Reverse the line instead.")
        super().save(*args, **kwargs)
