"""Checks for joining details shared by the models (docs/bookings.md, "Joining details")."""

import re

from django.core.exceptions import ValidationError

# Only plain http(s) links: no spaces, quotes or angle brackets, nothing a calendar file or an email
# would have to escape (bookings/calendars/ical.py refuses the same characters).
_LINK = re.compile(r"https?://[^\s\"<>\\^`{|}\x00-\x1f\x7f-\x9f]+", re.IGNORECASE)


def is_meeting_link(value: str) -> bool:
    return bool(_LINK.fullmatch(value or "")) and len(value) <= 500


def validate_meeting_link(value: str) -> None:
    if value and not is_meeting_link(value):
        raise ValidationError("Enter a link that starts with https:// (or http://), with no spaces.")
