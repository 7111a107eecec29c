"""How long personal data is kept: the retention periods staff set in Wagtail (docs/privacy.md)."""

from django.db import models
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting


@register_setting(icon="lock")
class PrivacySettings(BaseGenericSetting):
    booking_retention_months = models.PositiveSmallIntegerField(
        default=12,
        help_text="Months after a chat before the booker's details are removed. "
        "Dates, offer, partner, format, status and ladder rung are kept for reports.",
    )
    access_record_retention_months = models.PositiveSmallIntegerField(
        default=24, help_text="Months to keep the record of who looked at or exported bookers' details."
    )

    class Meta:
        verbose_name = "privacy settings"
