"""Links that let a booker see, cancel or move their booking without an account.

A token is signed (HMAC with SECRET_KEY) and names one booking and its current version (the
iCalendar SEQUENCE). Every change that sends the booker a new email bumps the sequence, so older
links stop working. Tampered, superseded, used (cancelled) and unknown tokens all look the same
to the caller: `None`, which views turn into the one not-found page.

A link is for one chat: once the chat has ended the manage page says so and offers nothing
(bookings/journey/manage_views.py). As a backstop, the signature itself expires after MAX_AGE:
a link is issued when a booking is made or moved, the chat starts at most the booking horizon
later, and no chat lasts a fortnight, so any link older than that names a chat long over
(docs/privacy.md, "Manage links").
"""

import uuid
from datetime import timedelta

from django.core import signing

from bookings.models import BLOCKING_STATUSES, Booking
from bookings.models.site_settings import MAX_HORIZON_DAYS

SALT = "bookings.manage-link"
MAX_AGE = timedelta(days=MAX_HORIZON_DAYS + 14)


def make_token(booking: Booking) -> str:
    return signing.dumps([booking.public_id.hex, booking.sequence], salt=SALT, compress=False)


def booking_for_token(token: str, *, for_update: bool = False) -> Booking | None:
    """The active booking a token names, or None whatever went wrong."""
    try:
        public_hex, sequence = signing.loads(token, salt=SALT, max_age=MAX_AGE)
        public_id = uuid.UUID(hex=public_hex)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    bookings = Booking.objects.select_related("partner", "offer")
    if for_update:
        bookings = bookings.select_for_update(of=("self",))
    booking = bookings.filter(public_id=public_id, sequence=sequence, status__in=BLOCKING_STATUSES).first()
    return booking
