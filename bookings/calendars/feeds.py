"""What a partner's calendar feed holds, and which channel brings each chat to the partner
(docs/feeds.md, "Channels").

The HTTP side (token look-up, conditional requests, caching) is the workspace's
`bookings/workspace/feed.py`; this module chooses the chats and joins their stored VEVENTs, each
written once per version by `bookings/calendars/ical.py` (icalendar).
"""

import hashlib
from datetime import UTC, datetime, time, timedelta

from django.conf import settings

from bookings.calendars.ical import EventData, feed_from_vevents, feed_vevent
from bookings.joining import VIDEO_LABEL, JoiningDetails, details_from_values
from bookings.models import Booking, BookingStatus, Format, PartnerFeed

# 30 days back, 12 months ahead, counted from the start of today (UTC): the window moves once a
# day, so within a day the same rows always give the same bytes.
WINDOW_BACK = timedelta(days=30)
WINDOW_AHEAD = timedelta(days=365)
# Bump when what the feed writes changes shape, so every client fetches it afresh and every stored
# VEVENT is written again.
FORMAT_VERSION = "3"

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
DESCRIPTION = "Details are in your partner workspace."


def feed_window(now: datetime) -> tuple[datetime, datetime]:
    today = datetime.combine(now.astimezone(UTC).date(), time(), UTC)
    return today - WINDOW_BACK, today + WINDOW_AHEAD


def feed_bookings(partner_id: int, window: tuple[datetime, datetime]):
    """All of the partner's bookings the feed answers for, in any status.

    Every chat in the window, whenever it was booked: a partner who turns the feed on sees all
    their upcoming chats at once (no silent gaps). Chats that also reached them as invites are
    then in two calendars; the workspace tells them so once (docs/feeds.md, "Channels"). Erased and
    purged chats are left out: what remains of them is anonymous (docs/privacy.md).
    """
    start, end = window
    return Booking.objects.filter(
        partner_id=partner_id, start__lt=end, end__gt=start, anonymised_at__isnull=True
    )


# --- Channels (docs/feeds.md) ---------------------------------------------------------------------


def booking_in_partner_feed(booking: Booking, partner_id: int | None = None) -> bool:
    """True if this chat reaches its partner through their feed only, so the partner's emails
    about it carry no calendar invite. A chat booked before the feed was turned on keeps getting
    invites (its first invite is in the partner's own calendar and its updates must reach that
    copy); it also appears in the feed, which the partner was told. A chat booked after is in the
    feed only. Turning the feed off re-invites the partner to every upcoming chat
    (partner_calendars.disable_feed), so no chat is left in no calendar. `partner_id` asks about
    another partner's feed (a former partner's, after a reassign)."""
    return PartnerFeed.objects.filter(
        partner_id=partner_id or booking.partner_id, created_at__lte=booking.created_at
    ).exists()


# --- Building -------------------------------------------------------------------------------


def event_from_row(
    uid: str,
    sequence: int,
    start,
    end,
    status: str,
    fmt: str,
    title: str,
    joining: JoiningDetails | None = None,
) -> EventData:
    """One booking as the feed shows it: offer and format only, never who booked or why. With
    `joining` (the partner opted in, docs/feeds.md) the video link or address too; never a phone
    number, which JoiningDetails does not hold."""
    words = _FORMAT_WORDS.get(fmt, "")
    summary = f"{title} ({words})" if words else title
    if status == BookingStatus.PENDING:
        summary = f"Request: {summary}"
    extra = {"description": DESCRIPTION}
    if joining is not None and (joining.link or joining.address):
        extra = {
            "location": joining.location(),
            "conference": joining.link,
            "conference_label": VIDEO_LABEL if joining.link else "",
            "description": f"{joining.description()}\n{DESCRIPTION}",
        }
    return EventData(
        uid=uid,
        sequence=sequence,
        start=start,
        end=end,
        summary=summary,
        status=FEED_STATUS[status],
        **extra,
    )


def vevent_key(
    sequence: int, status: str, fmt: str, title: str, joining: JoiningDetails | None = None
) -> str:
    """Names the version a stored VEVENT was written for: a new sequence, status, format or offer
    title (staff may edit it), or new joining details shown in it, means the event is written again."""
    shown = joining.fingerprint() if joining is not None else "-"
    basis = f"{FORMAT_VERSION}|{fmt}|{title}|{shown}"
    return f"{sequence}:{status}:" + hashlib.sha256(basis.encode()).hexdigest()[:16]


_ROW_FIELDS = (
    "pk", "ical_uid", "sequence", "start", "end", "status", "format", "offer__title", "updated_at",
    "feed_vevent", "feed_vevent_key",
    # Joining details, used only when the partner opted in (docs/feeds.md). No phone number here.
    "partner__feed_shows_joining_details", "meeting_link", "partner__meeting_link",
    "offer__venue_address", "offer__venue_access_notes",
)  # fmt: skip


def _stored(row) -> tuple[str, bytes, Booking | None]:
    """(uid, VEVENT bytes, booking to save or None) for one row of _ROW_FIELDS."""
    pk, uid, sequence, start, end, status, fmt, title, updated_at, stored, key, *more = row
    opted_in, booking_link, partner_link, address, access_notes = more
    joining = None
    if opted_in:
        joining = details_from_values(
            fmt,
            booking_link=booking_link,
            partner_link=partner_link,
            address=address,
            access_notes=access_notes,
        )
    wanted = vevent_key(sequence, status, fmt, title, joining)
    if stored and key == wanted:
        return uid, stored.encode("utf-8"), None
    # DTSTAMP is when this version was made (its updated_at), so the bytes never depend on the
    # moment they happened to be written.
    event = event_from_row(uid, sequence, start, end, status, fmt, title, joining)
    data = feed_vevent(event, dtstamp=updated_at)
    return uid, data, Booking(pk=pk, feed_vevent=data.decode("utf-8"), feed_vevent_key=wanted)


def _attribute(booking: Booking, path: str):
    value = booking
    for part in path.split("__"):
        value = getattr(value, part)
    return value


def stored_vevent(booking: Booking) -> bytes:
    """The booking's VEVENT for its current version, written and saved if it is not yet stored.
    Used by the CalDAV push, so a feed and a CalDAV calendar hold the same bytes."""
    row = tuple(_attribute(booking, f) for f in _ROW_FIELDS)
    _uid, data, fresh = _stored(row)
    if fresh is not None:
        Booking.objects.bulk_update([fresh], ["feed_vevent", "feed_vevent_key"])  # leaves updated_at
    return data


def render_feed(partner_id: int, window) -> bytes:
    """The feed from stored VEVENTs; any missing or out of date are written and stored first.

    Saving uses bulk_update, which leaves `updated_at` alone, so storing never moves the ETag.
    """
    rows = (
        feed_bookings(partner_id, window)
        .filter(status__in=list(FEED_STATUS))
        .order_by("start", "pk")
        .values_list(*_ROW_FIELDS)
    )
    events, fresh = [], []
    for row in rows:
        uid, data, to_save = _stored(row)
        events.append((uid, data))
        if to_save is not None:
            fresh.append(to_save)
    if fresh:
        Booking.objects.bulk_update(fresh, ["feed_vevent", "feed_vevent_key"], batch_size=500)
    return feed_from_vevents(events, name=f"{settings.WAGTAIL_SITE_NAME}: your chats")
