"""Signed links in waiting-list emails: each holds nothing but the entry's public id, signed with
its purpose, so a claim link cannot leave and a leave link cannot claim. Scanner-safe: the pages
behind them show on GET and act only on POST (bookings/journey/waitlist_views.py)."""

import uuid

from django.conf import settings
from django.core import signing

CLAIM, LEAVE = "bookings.waitlist-claim", "bookings.waitlist-leave"


def make(entry, purpose: str) -> str:
    return signing.dumps(entry.public_id.hex, salt=purpose)


def read(token: str, purpose: str) -> uuid.UUID | None:
    """The entry's public id, or None for a link that is forged, of the other kind or too old."""
    try:
        value = signing.loads(token, salt=purpose, max_age=settings.WAITLIST_LINK_MAX_AGE_DAYS * 86400)
        return uuid.UUID(hex=value)
    except (signing.BadSignature, ValueError, TypeError):
        return None
