"""What a partner's calendar feed holds, and the invite-or-feed policy (docs/feeds.md).

The HTTP side (token look-up, conditional requests, caching) is the workspace's
`bookings/workspace/feed.py`; this module only chooses the chats and renders them with
`bookings/calendars/ical.py`.
"""

from datetime import UTC, datetime, time, timedelta

from django.conf import settings

from bookings.calendars.ical import EventData, feed
from bookings.models import Booking, BookingStatus, Format, PartnerFeed

# 30 days back, 12 months ahead, counted from the start of today (UTC): the window moves once a
# day, so within a day the same rows always give the same bytes.
WINDOW_BACK = timedelta(days=30)
WINDOW_AHEAD = timedelta(days=365)
# Bump when what the feed writes changes shape, so every client fetches it afresh.
FORMAT_VERSION = "1"

# Cancelled and declined chats leave the feed (the client then deletes them). Completed and
# missed chats stay in the past part of the window as they were planned: the partner's diary
# shows that the time was used.
FEED_STATUS = {
    BookingStatus.CONFIRMED: "CONFIRMED",
    BookingStatus.PENDING: "TENTATIVE",
    BookingStatus.COMPLETED: "CONFIRMED",
    BookingStatus.NO_SHOW: "CONFIRMED",
}
_FORMAT_WORDS = {value: label.lower() for value, label in Format.choices}


def feed_window(now: datetime) -> tuple[datetime, datetime]:
    today = datetime.combine(now.astimezone(UTC).date(), time(), UTC)
    return today - WINDOW_BACK, today + WINDOW_AHEAD


def feed_bookings(partner_id: int, feed_created_at: datetime, window: tuple[datetime, datetime]):
    """All of the partner's bookings the feed answers for, in any status.

    Only bookings made since the feed was turned on: older ones reached the partner as emailed
    invites, and carrying them here too would put them in two calendars (docs/calendar.md, item 12).
    Erased and purged chats are left out: what remains of them is anonymous (docs/privacy.md).
    """
    start, end = window
    return Booking.objects.filter(
        partner_id=partner_id,
        start__lt=end,
        end__gt=start,
        created_at__gte=feed_created_at,
        anonymised_at__isnull=True,
    )


# --- The invite-or-feed policy (docs/calendar.md, item 12) ------------------------------------------


def booking_in_partner_feed(booking: Booking) -> bool:
    """True if this chat reaches its partner through their feed, so the partner's emails about
    it must carry no calendar invite. Fixed per booking: a chat booked before the feed was
    turned on keeps getting invites (it is already in the partner's own calendar), a chat booked
    after it is only in the feed. Each chat is in exactly one of the partner's calendars."""
    return PartnerFeed.objects.filter(
        partner_id=booking.partner_id, created_at__lte=booking.created_at
    ).exists()


# --- Building -------------------------------------------------------------------------------


def event_from_row(uid: str, sequence: int, start, end, status: str, fmt: str, title: str) -> EventData:
    """One booking as the feed shows it: offer and format only, never who booked or why."""
    words = _FORMAT_WORDS.get(fmt, "")
    summary = f"{title} ({words})" if words else title
    if status == BookingStatus.PENDING:
        summary = f"Request: {summary}"
    return EventData(
        uid=uid,
        sequence=sequence,
        start=start,
        end=end,
        summary=summary,
        description="Details are in your partner workspace.",
        status=FEED_STATUS[status],
    )


def render_feed(partner_id: int, feed_created_at: datetime, window, dtstamp: datetime) -> bytes:
    rows = (
        feed_bookings(partner_id, feed_created_at, window)
        .filter(status__in=list(FEED_STATUS))
        .order_by("start", "pk")
        .values_list("ical_uid", "sequence", "start", "end", "status", "format", "offer__title")
    )
    events = [event_from_row(*row) for row in rows]
    return feed(events, name=f"{settings.WAGTAIL_SITE_NAME}: your chats", dtstamp=dtstamp)
