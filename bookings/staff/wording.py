"""Words for what the core stores as names: a booking's history lines and its emails, as
coordinators read them on a booking's page and in the email outbox (docs/staff.md, "A booking's
page"). The core keeps its short names (`placed`, `request_sent`), which reports and tests rely
on; only the staff room turns them into plain English. A name without words here (one added
later) is still shown readably, "some_name" as "Some name", never as a blank.
"""

from bookings.models import BookingStatus, HandBackReason
from bookings.partner_services import DECLINE_REASONS

# What happened, one line of the history each (bookings/services.py records them).
EVENTS = {
    "placed": "Booked",
    "confirmed": "Accepted",
    "declined": "Declined",
    "cancelled": "Cancelled",
    "rescheduled": "Moved to another time",
    "completed": "Marked as completed",
    "no_show": "Marked as missed",
    "reassigned": "Passed to another partner",
    "resent": "Invite sent again",
    "handed_back": "Handed back by the partner",
    "details_changed": "Joining details changed",
}

# Which email it was (bookings/outbox/emails.py names them; the recipient has its own column).
EMAILS = {
    "request_sent": "Request received",
    "request_to_accept": "Request to accept or decline",
    "confirmed": "Confirmation with invite",
    "rescheduled": "Chat moved",
    "reassigned": "New partner",
    "reassigned_away": "No longer their chat",
    "declined": "Request declined",
    "cancelled": "Cancellation",
    "reminder": "Reminder",
    "calendar_copy": "Copy for their calendar",
    "feedback_request": "Feedback request",
    "details_updated": "New joining details",
}

SENT_TO = {"booker": "the booker", "partner": "the partner"}


def readable(name: str) -> str:
    """A stored name with no words of its own, made readable: "some_name" → "Some name"."""
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def event_label(action: str) -> str:
    return EVENTS.get(action) or readable(action)


def email_label(kind: str) -> str:
    return EMAILS.get(kind) or readable(kind)


def status_label(status: str) -> str:
    """A booking status in words ("pending" → "Waiting for the partner"); "" stays ""."""
    if not status:
        return ""
    try:
        return BookingStatus(status).label
    except ValueError:
        return readable(status)


def _reason_label(action: str, reason: str) -> str:
    if action == "handed_back":
        try:
            return HandBackReason(reason).label
        except ValueError:
            return readable(reason)
    return DECLINE_REASONS.get(reason) or readable(reason)


def event_notes(event) -> list[str]:
    """The history line's details as sentences. Details hold no personal data (models/booking.py)."""
    details = event.details or {}
    notes = []
    if details.get("inside_change_window"):
        notes.append("Inside the change window.")
    if details.get("on_behalf"):
        notes.append("Booked on the booker's behalf.")
    if details.get("with_reason"):
        notes.append("With a message to the booker.")
    if details.get("reason"):
        notes.append(f"Reason: “{_reason_label(event.action, details['reason'])}”.")
    if details.get("to"):
        notes.append(f"Sent to {SENT_TO.get(details['to'], details['to'])}.")
    if details.get("what"):
        notes.append(f"What changed: the {details['what']}.")
    return notes


def history_rows(events) -> list[dict]:
    """One dict per history line, every name in words, for the booking page's table."""
    return [
        {
            "at": event.at,
            "what": event_label(event.action),
            "who": readable(event.actor_label),
            "username": event.actor.get_username() if event.actor else "",
            "from_status": status_label(event.from_status),
            "to_status": status_label(event.to_status),
            "notes": " ".join(event_notes(event)),
        }
        for event in events
    ]
