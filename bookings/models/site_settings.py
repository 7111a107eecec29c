"""Site-wide booking rules editors set in Wagtail (notice, horizon, slot grid, reminders)."""

from datetime import timedelta

from django.core.validators import MaxValueValidator
from django.db import models
from wagtail import blocks
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import StreamField

UNIT_MINUTES = {"hours": 60, "days": 24 * 60}
MAX_REMINDER_MINUTES = 14 * 24 * 60


class ReminderBlock(blocks.StructBlock):
    """One reminder, such as "2 days" or "2 hours" before the chat."""

    amount = blocks.IntegerBlock(min_value=1, max_value=336, help_text="How many hours or days before")
    unit = blocks.ChoiceBlock(choices=[("hours", "hours"), ("days", "days")], default="hours")

    class Meta:
        icon = "time"
        label = "Reminder"
        form_classname = "reminder-block"


def default_reminders():
    return [{"type": "reminder", "value": {"amount": 24, "unit": "hours"}}]


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
    reminders = StreamField(
        [("reminder", ReminderBlock())],
        blank=True,
        default=default_reminders,
        help_text="When both people are reminded of a confirmed chat, for example 2 days and 2 hours "
        "before. Each is sent once; a moved chat is reminded at its new time. Leave empty for none.",
    )

    panels = [
        FieldPanel("minimum_notice_hours"),
        FieldPanel("horizon_days"),
        FieldPanel("slot_step_minutes"),
        FieldPanel("request_waiting_hours"),
        FieldPanel("reminders"),
    ]

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

    @property
    def reminder_leads(self) -> tuple[int, ...]:
        """Minutes before the chat of each reminder, longest first, without repeats."""
        leads = set()
        for block in self.reminders:
            minutes = block.value["amount"] * UNIT_MINUTES.get(block.value["unit"], 60)
            if 0 < minutes <= MAX_REMINDER_MINUTES:
                leads.add(minutes)
        return tuple(sorted(leads, reverse=True))
