"""The opening paragraph of the booker's emails, as editors word it in Wagtail (docs/bookings.md,
"Email wording").

Editors write plain text with a few safe placeholders; everything structural (the invite sentence,
the details, the manage link, the footer) stays in the templates. Unknown placeholders are refused
at save with a kind message; the values are filled in as plain text, and escaped for the HTML
part, so nothing an editor or a booker typed can become markup.
"""

import string

from django.core.exceptions import ValidationError
from django.db import models
from django.template.loader import render_to_string
from django.utils.html import escape, linebreaks
from django.utils.safestring import SafeString, mark_safe
from wagtail.admin.panels import FieldPanel
from wagtail.models import PreviewableMixin

PLACEHOLDERS = ("first_name", "offer", "date")
_KNOWN = "You can use {first_name}, {offer} and {date}."


class WordedKind(models.TextChoices):
    REQUEST_SENT = "request_sent", "Request sent"
    CONFIRMED = "confirmed", "Confirmed"
    RESCHEDULED = "rescheduled", "Moved"
    CANCELLED = "cancelled", "Cancelled"
    DECLINED = "declined", "Declined"
    REMINDER = "reminder", "Reminder"


def placeholder_problem(text: str) -> str:
    """A kind sentence saying what is wrong with the placeholders in `text`, or "" if nothing."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        return "Check the curly brackets: each { needs a closing }. To show a bracket itself, write {{ or }}."
    for _literal, field, spec, conversion in parsed:
        if field is None:
            continue
        if field not in PLACEHOLDERS or spec or conversion:
            shown = (
                "{" + field + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            )
            return f"We do not know the placeholder {shown}. {_KNOWN}"
    return ""


def validate_placeholders(text: str) -> None:
    if problem := placeholder_problem(text):
        raise ValidationError(problem)


def opening_text(template: str, values: dict[str, str]) -> str:
    """The plain-text paragraph. `template` has passed `validate_placeholders`."""
    return template.format_map({name: values.get(name, "") for name in PLACEHOLDERS}).strip()


def opening_html(template: str, values: dict[str, str]) -> SafeString:
    """The HTML paragraph(s): the editor's text and every value escaped, then line breaks kept."""
    escaped = escape(template).format_map({name: escape(values.get(name, "")) for name in PLACEHOLDERS})
    return mark_safe(linebreaks(escaped.strip()))  # noqa: S308 - every piece was escaped above


class EmailOpening(PreviewableMixin, models.Model):
    """One email kind's opening paragraph, as the booker reads it."""

    kind = models.CharField(max_length=32, choices=WordedKind.choices, unique=True)
    text = models.TextField(
        "opening paragraph",
        max_length=1000,
        validators=[validate_placeholders],
        help_text="Plain text, no HTML. You can use {first_name}, {offer} and {date}; they are filled in "
        "for each person. What follows (the time, how to join, links) is added for you.",
    )

    panels = [FieldPanel("kind"), FieldPanel("text")]

    class Meta:
        ordering = ["kind"]
        verbose_name = "email opening"

    def __str__(self):
        return f"{self.get_kind_display()} email"

    # -- Wagtail preview: the sample email's plain-text and HTML parts side by side ---------------

    def get_preview_template(self, request, mode_name):
        return "bookings/email/preview.html"

    def get_preview_context(self, request, mode_name):
        context = super().get_preview_context(request, mode_name)
        sample = sample_email_context(self.kind or WordedKind.CONFIRMED)
        problem = placeholder_problem(self.text or "")
        if self.text and not problem:
            sample["opening_text"] = opening_text(self.text, SAMPLE_VALUES)
            sample["opening_html"] = opening_html(self.text, SAMPLE_VALUES)
        kind = sample["kind"]
        context.update(
            problem=problem,
            text_part=render_to_string(f"bookings/email/{kind}.txt", sample),
            html_part=render_to_string(f"bookings/email/{kind}.html", sample),
        )
        return context


SAMPLE_VALUES = {"first_name": "Sam", "offer": "Thinking-partner chat", "date": "Tuesday 2 June 2026"}


def sample_email_context(kind: str) -> dict:
    """What the email templates need, for a made-up booking (the preview never reads real data)."""
    return {
        "kind": kind,
        "to_booker": True,
        "site_name": "Preview",
        "site_url": "https://example.org",
        "booker_name": "Sam Example",
        "partner_name": "Alex Partner",
        "offer_title": SAMPLE_VALUES["offer"],
        "format": "Video call",
        "joining": None,
        "phone": "",
        "times": {"uk": "Tuesday 2 June 2026, 10am to 10:30am", "other": "", "other_zone": ""},
        "has_invite": kind in {"confirmed", "rescheduled", "cancelled"},
        "in_feed": False,
        "manage_url": "https://example.org/bookings/manage/sample/",
        "rebook_url": "https://example.org/book/",
        "cancel_reason": "",
    }
