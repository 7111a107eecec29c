"""The registry of models that hold personal data (docs/privacy.md).

Each entry says which fields are personal, how a record is found for an email address, and what
erasure and the retention purge do to each field. The export, erasure and purge all read this
table, and `tests/bookings/test_privacy_registry.py` walks every model of every project app: a
field that looks personal (an EmailField, or a text field named like a name, email, phone, notes,
organisation, role or address) must be listed here or in NOT_PERSONAL with the reason.
"""

from dataclasses import dataclass, field
from enum import StrEnum


class Do(StrEnum):
    BLANK = "blanked"
    NEUTRAL = "replaced with a neutral value"
    DELETE_ROW = "the row is deleted"
    KEEP = "kept (see the note)"


@dataclass(frozen=True)
class PersonalField:
    name: str
    erase: Do
    neutral: object = ""


@dataclass(frozen=True)
class Holder:
    """One model holding personal data, as the export, erasure and purge treat it."""

    key: str  # the section name in an export
    model: str  # "app_label.ModelName"
    fields: tuple[PersonalField, ...]
    found_by: str
    erasure: str
    purge: str
    note: str = ""
    covers: frozenset[str] = field(default=frozenset({"export", "erasure", "purge"}))


def _blank(*names: str) -> tuple[PersonalField, ...]:
    return tuple(PersonalField(name, Do.BLANK) for name in names)


BOOKING_FIELDS = (
    PersonalField("booker_name", Do.NEUTRAL, "Removed"),
    *_blank(
        "booker_email",
        "organisation",
        "role",
        "project_description",
        "access_needs",
        "booker_time_zone",
        "cancel_reason",
        "booker_phone",
        "meeting_link",
    ),
    PersonalField("idempotency_key", Do.NEUTRAL, None),
)

HOLDERS: tuple[Holder, ...] = (
    Holder(
        key="bookings",
        model="bookings.Booking",
        fields=BOOKING_FIELDS,
        found_by="booker_email (any case)",
        erasure="future chats are cancelled with the normal emails; once those have left, the fields "
        "are erased, SEQUENCE goes up (old manage links stop working) and the chat leaves feeds",
        purge="the same erasure, for chats that ended more than the retention period ago",
        note="Kept for reports: dates, offer, partner, format, status, ladder rung.",
    ),
    Holder(
        key="booking_history",
        model="bookings.BookingEvent",
        fields=(),
        found_by="booking",
        erasure="kept: history holds who acted (booker, partner, staff) and fixed reason keys only",
        purge="kept, for the same reason",
        note="`details` never holds names, emails or notes (services._record).",
    ),
    Holder(
        key="emails",
        model="bookings.EmailNotification",
        fields=(),
        found_by="booking",
        erasure="kept as an anonymous row; emails still waiting (other than the cancellation) are "
        "marked not needed",
        purge="emails still waiting are marked not needed",
        note="The outbox stores no recipient address and no body: both are rendered from the "
        "booking at send time, so erasing the booking erases them.",
    ),
    Holder(
        key="tasks",
        model="django_tasks_database.DBTaskResult",
        fields=(
            PersonalField("args_kwargs", Do.DELETE_ROW),
            PersonalField("return_value", Do.DELETE_ROW),
            PersonalField("traceback", Do.DELETE_ROW),
        ),
        found_by="delivery tasks whose argument is one of the booking's email ids",
        erasure="finished task rows are deleted",
        purge="finished task rows of purged bookings are deleted",
        note="Arguments are ids and results status words, but the rows belong to the booking.",
    ),
    Holder(
        key="access_records",
        model="bookings.AccessRecord",
        fields=(PersonalField("query", Do.BLANK),),
        found_by="booking, or a search (query) naming the address or the booker's name",
        erasure="the search text is blanked; who looked and when is kept",
        purge="deleted when older than the access-record retention period",
    ),
    Holder(
        key="sessions",
        model="sessions.Session",
        fields=(PersonalField("session_data", Do.DELETE_ROW),),
        found_by="a draft booking in the session that contains the address",
        erasure="the session is deleted (the person is signed out of their draft)",
        purge="expired sessions are deleted",
        note="The session key is a credential and is never exported.",
    ),
    Holder(
        key="waitlist",
        model="bookings.WaitlistEntry",
        fields=(
            PersonalField("name", Do.DELETE_ROW),
            PersonalField("email", Do.DELETE_ROW),
            PersonalField("time_zone", Do.DELETE_ROW),
        ),
        found_by="email (any case)",
        erasure="the entries are deleted, with their emails and those emails' task rows",
        purge="entries are deleted when they expire (WAITLIST_EXPIRY_DAYS after joining)",
        note="The days and times of day chosen are kept only with the entry.",
    ),
    Holder(
        key="waitlist_emails",
        model="bookings.WaitlistEmail",
        fields=(),
        found_by="the person's waiting-list entries",
        erasure="deleted with the entry; their finished task rows are deleted too",
        purge="deleted with the entry",
        note="Stores no address or body: both are made from the entry at send time.",
    ),
    Holder(
        key="partner",
        model="bookings.Partner",
        fields=(
            PersonalField("display_name", Do.KEEP),
            PersonalField("email", Do.KEEP),
            PersonalField("bio", Do.KEEP),
            PersonalField("payment_declined_reason", Do.KEEP),
            PersonalField("meeting_link", Do.KEEP),
        ),
        found_by="email, or the linked account's email",
        erasure="not erased here: a partner who leaves is deactivated and their details edited by staff",
        purge="not purged: partners' details are kept while they work with us",
        note="Partners are covered by subject access (export) only.",
        covers=frozenset({"export"}),
    ),
    Holder(
        key="partner_hand_backs",
        model="bookings.HandBack",
        fields=(PersonalField("note", Do.BLANK),),
        found_by="the partner found by email (their own words to staff)",
        erasure="the note is blanked when the booking it belongs to is erased",
        purge="the note is blanked when the booking it belongs to is purged",
        note="The reason is a fixed key and is kept for the team's records.",
    ),
    Holder(
        key="partner_caldav",
        model="bookings.CalDAVConnection",
        fields=(
            PersonalField("username", Do.KEEP),
            PersonalField("calendar_name", Do.KEEP),
            PersonalField("error_message", Do.KEEP),
        ),
        found_by="the partner found by email",
        erasure="not erased here: the partner disconnects it in their workspace, which deletes it",
        purge="not purged while connected",
        note="The app password is stored only encrypted and is never exported (docs/caldav.md).",
        covers=frozenset({"export"}),
    ),
    Holder(
        key="partner_time_off",
        model="bookings.TimeOff",
        fields=(PersonalField("reason", Do.KEEP),),
        found_by="the partner found by email",
        erasure="not erased here (a partner edits or deletes their own time off)",
        purge="not purged",
        covers=frozenset({"export"}),
    ),
)

IMPACT_HOLDERS: tuple[Holder, ...] = (
    Holder(
        key="feedback",
        model="bookings.Feedback",
        fields=(
            PersonalField("next_steps", Do.BLANK),
            PersonalField("quote", Do.BLANK),
        ),
        found_by="the booking (booker_email, any case)",
        erasure="the free text (what they will do next, their quote) is blanked and the testimonial "
        "made from their quote is deleted with its revisions",
        purge="the same, when the booking is purged",
        note="Kept for reports: usefulness (1–5), ladder rung, and the consent record (choice, "
        "wording, dates).",
    ),
    Holder(
        key="testimonials",
        model="home.Testimonial",
        fields=(
            PersonalField("quote", Do.DELETE_ROW),
            PersonalField("role", Do.DELETE_ROW),
            PersonalField("organisation", Do.DELETE_ROW),
        ),
        found_by="the booker's feedback (testimonials made from a quote they gave)",
        erasure="deleted (unpublished first), with its revisions",
        purge="deleted with the booking's other personal data",
        note="Testimonials editors typed in themselves are public content, not a booker's record.",
    ),
    Holder(
        key="partner_reflections",
        model="bookings.PartnerReflection",
        fields=(PersonalField("note", Do.BLANK),),
        found_by="the partner found by email (their own words, for supervision)",
        erasure="the note is blanked when the booking it belongs to is erased",
        purge="the note is blanked when the booking it belongs to is purged",
        note="Never shown to the booker.",
    ),
    Holder(
        key="partner_payments",
        model="bookings.PaymentLine",
        fields=(PersonalField("reason", Do.KEEP),),
        found_by="the partner found by email",
        erasure="not erased: payment records are kept for the finance retention period",
        purge="not purged by the booking purge",
        note="Dates, offer, amount and status of what the partner earned; no booker details.",
        covers=frozenset({"export"}),
    ),
)

HOLDERS = HOLDERS + IMPACT_HOLDERS

# Fields that look personal but are not, with the reason (checked by the registry test).
NOT_PERSONAL: dict[str, str] = {
    "bookings.EmailNotification.recipient": "which role receives it (booker or partner), not an address",
    "bookings.Partner.time_zone": "the partner's working zone, shown to bookers on purpose",
    "bookings.BookingEvent.actor_label": "a role word: booker, partner, staff or system",
    "bookings.AccessRecord.user_label": "the staff or partner account that looked (accountability)",
    "bookings.Offer.description": "what an offer is, written by editors",
    "bookings.Offer.venue_address": "the organisation's meeting place for in-person chats, written by staff",
    "bookings.Offer.venue_access_notes": "how to reach and enter the venue, written by staff",
    "bookings.ExternalCalendar.error_message": "why reading a partner's calendar failed, in our own words",
    "home.SiteChrome.contact_email": "the organisation's public address, not a person's",
    "home.LadderRung.name": "a rung of the ladder of participation",
    "home.Testimonial.name": "published with consent by editors; public content, not a booker's data",
    "home.NavigationLink.label": "link text",
    "home.FooterLink.label": "link text",
}


def holder(key: str) -> Holder:
    return next(h for h in HOLDERS if h.key == key)


def booking_erasure_values() -> dict[str, object]:
    """Field → value that erasure and the purge write to a booking."""
    return {f.name: (f.neutral if f.erase is Do.NEUTRAL else "") for f in BOOKING_FIELDS}
