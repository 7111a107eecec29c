"""What a chat led to (docs/impact.md): the booker's feedback and the partner's private reflection.

Both hold personal data and are listed in the privacy registry (bookings/privacy/registry.py):
the retention purge keeps the usefulness score and the ladder rung (report data) and removes the
free text.
"""

from django.db import models
from django.db.models import Q

from .booking import Booking
from .partners import Partner


class QuoteConsent(models.TextChoices):
    NAMED = "named", "Yes, with my role and organisation"
    ANONYMOUS = "anonymous", "Yes, anonymously"
    NONE = "none", "No, not at all"


class Feedback(models.Model):
    """The booker's answer to "how did it go?", one per chat (the one-to-one says so)."""

    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="feedback")
    submitted_at = models.DateTimeField()
    usefulness = models.PositiveSmallIntegerField(help_text="1 (not useful) to 5 (very useful)")
    ladder_rung = models.ForeignKey(
        "home.LadderRung", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    next_steps = models.TextField("what they will do next", max_length=1000, blank=True)
    quote = models.TextField(max_length=1500, blank=True)
    consent = models.CharField(max_length=16, choices=QuoteConsent.choices, default=QuoteConsent.NONE)
    # The exact words the person agreed to, kept with the date (docs/impact.md).
    consent_wording = models.TextField(blank=True)
    consent_given_at = models.DateTimeField(null=True, blank=True)
    consent_withdrawn_at = models.DateTimeField(null=True, blank=True)
    testimonial = models.OneToOneField(
        "home.Testimonial", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # When the retention purge or an erasure removed the free text (the scores stay).
    free_text_removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(usefulness__gte=1) & Q(usefulness__lte=5), name="feedback_usefulness_1_to_5"
            )
        ]

    def __str__(self):
        return f"Feedback on {self.booking}"


class PartnerReflection(models.Model):
    """A partner's private note after a chat, for supervision. Never shown to the booker."""

    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="reflection")
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="reflections")
    note = models.TextField(max_length=3000, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-updated_at", "pk"]

    def __str__(self):
        return f"Reflection on {self.booking}"
