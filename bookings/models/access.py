"""Who looked at a booker's personal details, and who exported them (docs/privacy.md).

One row per look: a staff member opening a booking's page, a partner viewing a booker's details
in the workspace, a listing or export of bookings. The row says who, when, which booking (or
which filter, for listings and exports), how many rows and which fields were shown. It holds
personal data itself (the filter may name a person), so it joins the export, erasure and purge.
"""

from django.conf import settings
from django.db import models

from .booking import Booking


class AccessAction(models.TextChoices):
    VIEWED_BOOKING = "viewed_booking", "Opened a booking"
    VIEWED_DETAILS = "viewed_details", "Viewed a booker's details"
    LISTED = "listed", "Listed bookings"
    EXPORTED = "exported", "Exported bookings"
    # A privacy request about one person: the query holds a keyed hash of the address, never the
    # address itself (bookings/privacy/audit.py).
    SUBJECT_ACCESS = "subject_access", "Exported one person's data"
    ERASED = "erased", "Erased one person's data"


class AccessRecord(models.Model):
    # Records of what happened, never content: Wagtail's reference index would queue a task from
    # post_save inside our transaction (docs/operations.md, "RQ").
    wagtail_reference_index_ignore = True

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept when the user account is later deleted, so the record still says who it was.
    user_label = models.CharField(max_length=150, blank=True)
    booking = models.ForeignKey(
        Booking, null=True, blank=True, on_delete=models.SET_NULL, related_name="access_records"
    )
    action = models.CharField(max_length=32, choices=AccessAction.choices)
    at = models.DateTimeField(db_index=True)
    query = models.CharField(max_length=500, blank=True, help_text="The search and filters, for listings")
    rows = models.PositiveIntegerField(null=True, blank=True)
    shown = models.CharField(max_length=300, blank=True, help_text="Which fields were shown or exported")

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["user", "at"], name="access_user_at")]
        permissions = [("handle_privacy_requests", "Can export or erase one person's data")]

    def __str__(self):
        return f"{self.user_label or 'someone'}: {self.get_action_display()} at {self.at:%Y-%m-%d %H:%M}"
