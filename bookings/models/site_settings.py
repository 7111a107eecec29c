"""Site-wide booking rules editors set in Wagtail (notice, horizon, slot grid)."""

from datetime import timedelta

from django.core.validators import MaxValueValidator
from django.db import models
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting

# Manage links expire a while after this (bookings/manage_links.py), so it is bounded.
MAX_HORIZON_DAYS = 365


@register_setting(icon="date")
class BookingSettings(BaseSiteSetting):
    minimum_notice_hours = models.PositiveSmallIntegerField(
        default=48, help_text="How long before a chat it can still be booked."
    )
    horizon_days = models.PositiveSmallIntegerField(
        default=84,
        validators=[MaxValueValidator(MAX_HORIZON_DAYS)],
        help_text=f"How far ahead people can book (at most {MAX_HORIZON_DAYS} days).",
    )
    slot_step_minutes = models.PositiveSmallIntegerField(
        default=15, help_text="Chats start on this grid, counted from the start of each free period."
    )
    request_waiting_hours = models.PositiveSmallIntegerField(
        "requests waiting too long after (hours)",
        default=24,
        help_text="A request still waiting for its partner after this long is highlighted for staff.",
    )

    class Meta:
        verbose_name = "booking settings"

    @property
    def notice(self) -> timedelta:
        return timedelta(hours=self.minimum_notice_hours)

    @property
    def horizon(self) -> timedelta:
        return timedelta(days=self.horizon_days)

    @property
    def request_waiting_limit(self) -> timedelta:
        return timedelta(hours=self.request_waiting_hours)
