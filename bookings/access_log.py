"""Writing access records: who looked at or exported bookers' personal data (docs/staff.md).

Called by the edge that shows the data (a staff view), with the clock it read, after the data was
loaded, so a page that fails to render still leaves its record of the look.
"""

from datetime import datetime

from bookings.models import AccessAction, AccessRecord, Booking


def record_access(
    user,
    action: AccessAction,
    *,
    now: datetime,
    booking: Booking | None = None,
    query: str = "",
    rows: int | None = None,
    shown: str = "",
) -> AccessRecord:
    """One row per look. `query` is the search and filters as typed (it may name a person, so the
    record itself is personal data and is kept no longer than the bookings it describes)."""
    return AccessRecord.objects.create(
        user=user if getattr(user, "pk", None) else None,
        user_label=(user.get_username() if getattr(user, "pk", None) else "")[:150],
        booking=booking,
        action=action,
        at=now,
        query=query[:500],
        rows=rows,
        shown=shown[:300],
    )
