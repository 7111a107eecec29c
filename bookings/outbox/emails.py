"""Render one outbox row (EmailNotification) into the email that goes out.

Layout (docs/calendar.md, checklist item 9): ``multipart/mixed`` → ``multipart/alternative`` (text/plain,
text/html and, for invites, ``text/calendar; method=…; charset=UTF-8``) plus an ``invite.ics``
attachment carrying the same iTIP object. Plain text is always there.

What stays out, on purpose:

* project notes and access needs never go into any email or calendar file (they may be special
  category data; the partner reads them when signed in);
* nothing the booker typed goes into a header: subjects are built from staff-entered text only,
  cleaned to one line, and the booker is addressed by bare email address;
* the manage link is a bearer secret, so it goes only in the booker's own email body, never in a
  calendar file (calendars get synced and shared).
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from datetime import datetime
from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from wagtail.models import Page

from bookings import feedback
from bookings.calendars import ical
from bookings.calendars.feeds import booking_in_partner_feed
from bookings.joining import VIDEO_LABEL, joining_details, partner_phone
from bookings.manage_links import make_token
from bookings.models import (
    DEFAULT_TIME_ZONE,
    ICAL_DOMAIN,
    Booking,
    BookingEntryPage,
    EmailNotification,
    EmailOpening,
    Recipient,
    WordedKind,
)
from bookings.models.email_wording import opening_html, opening_text, placeholder_problem
from bookings.outbox.caldav import booking_in_partner_caldav
from bookings.zones import format_day, format_time, local, resolve_zone, zone_label

# Which kinds carry a calendar invite, and with which iTIP method.
# "calendar_copy" re-invites a partner to an upcoming chat when a calendar channel (their feed)
# is turned off, so no chat is left in no calendar (docs/feeds.md, "Channels").
INVITE_METHOD = {
    "confirmed": "REQUEST",
    "rescheduled": "REQUEST",
    "reassigned": "REQUEST",
    "cancelled": "CANCEL",
    "reassigned_away": "CANCEL",
    "calendar_copy": "REQUEST",
    "details_updated": "REQUEST",
}
KINDS = frozenset(
    {*INVITE_METHOD, "request_sent", "request_to_accept", "declined", "reminder", "feedback_request"}
)
# Booker emails that include the manage link: those sent while the booking can still change.
_WITH_MANAGE_LINK = frozenset(
    {"request_sent", "confirmed", "rescheduled", "reassigned", "reminder", "details_updated"}
)
# Emails about a chat that will not happen (with this partner): no phone number in them.
_CLOSING_KINDS = frozenset({"cancelled", "declined", "reassigned_away"})
_SUBJECTS = {
    "request_sent": "We have sent your chat request",
    "request_to_accept": "New chat request: please accept or decline",
    "confirmed": "Confirmed: {offer}, {when}",
    "rescheduled": "Moved: {offer}, now {when}",
    "reassigned": "New partner for your chat: {offer}, {when}",
    "declined": "Your chat request could not go ahead",
    "cancelled": "Cancelled: {offer}, {when}",
    "reminder": "Reminder: {offer}, {when}",
    "reassigned_away": "No longer yours: {offer}, {when}",
    "calendar_copy": "For your calendar: {offer}, {when}",
    "feedback_request": "How did your chat go? {offer}, {when}",
    "details_updated": "New joining details: {offer}, {when}",
}


class NoAddress(Exception):
    """The recipient has no email address on record, so this message cannot be sent."""


@dataclass(frozen=True)
class Times:
    """A chat's time as people read it: always UK time, plus the reader's zone if different."""

    uk: str
    other: str = ""
    other_zone: str = ""


def addressed_partner(notification: EmailNotification):
    """The partner an email is for: the one it names (a former partner), else the booking's."""
    return notification.partner if notification.partner_id else notification.booking.partner


def partner_email(booking: Booking, partner=None) -> str:
    """The partner's address: their own contact email, else their linked account's, if any."""
    partner = partner or booking.partner
    if partner.email:
        return partner.email
    return (partner.user.email or "") if partner.user is not None else ""


def recipient_address(notification: EmailNotification) -> str:
    booking = notification.booking
    if notification.recipient == Recipient.BOOKER:
        return booking.booker_email
    return partner_email(booking, addressed_partner(notification))


def manage_url(booking: Booking) -> str:
    """Absolute manage link for the booking's current version (a bearer secret: booker only)."""
    token = make_token(booking)
    try:
        path = reverse("bookings:manage", args=[token])
    except NoReverseMatch:  # a deployment without the bookings URLs
        path = f"/bookings/manage/{token}/"
    return settings.SITE_URL.rstrip("/") + path


def feedback_url(booking: Booking) -> str:
    """Absolute link to the feedback form (a bearer secret: the booker's own email only)."""
    token = feedback.make_token(booking)
    try:
        path = reverse("bookings:feedback", args=[token])
    except NoReverseMatch:  # a deployment without the bookings URLs
        path = f"/bookings/feedback/{token}/"
    return settings.SITE_URL.rstrip("/") + path


def booking_page_url() -> str:
    """Where to choose another time: the live booking page, else the home page.

    Built on SITE_URL, like the manage link, rather than on the Wagtail Site's hostname and port,
    so a Site left at Wagtail's default (localhost:80) cannot put http://localhost/ into an email.
    """
    page = Page.objects.live().public().type(BookingEntryPage).order_by("path").first()
    parts = page.get_url_parts() if page is not None else None
    path = parts[2] if parts else "/"
    return settings.SITE_URL.rstrip("/") + path


def chat_times(booking: Booking, reader_zone: str = "") -> Times:
    uk = _span(booking, DEFAULT_TIME_ZONE)
    zone, rejected = resolve_zone(reader_zone)
    if rejected or zone == DEFAULT_TIME_ZONE or _same_clock(booking, zone):
        return Times(uk=uk)
    return Times(uk=uk, other=_span(booking, zone), other_zone=zone_label(zone))


def _span(booking: Booking, zone: str) -> str:
    start, end = local(booking.start, zone), local(booking.end, zone)
    day = format_day(start.date())
    if start.date() == end.date():
        return f"{day}, {format_time(booking.start, zone)} to {format_time(booking.end, zone)}"
    until = f"{format_day(end.date())}, {format_time(booking.end, zone)}"
    return f"{day}, {format_time(booking.start, zone)} to {until}"


def _same_clock(booking: Booking, zone: str) -> bool:
    london = zoneinfo.ZoneInfo(DEFAULT_TIME_ZONE)
    other = zoneinfo.ZoneInfo(zone)
    moments = (booking.start, booking.end)
    return all(t.astimezone(london).utcoffset() == t.astimezone(other).utcoffset() for t in moments)


_CALENDAR_NOTES = {
    "": "To change or cancel, use the links in the email that came with this invite.",
    "cancelled": "This chat has been cancelled.",
    "reassigned_away": "This chat has moved to another partner, so it is no longer in your calendar.",
}


def event_data(booking: Booking, partner=None, *, kind: str = "") -> ical.EventData:
    """The booking as a calendar sees it: neutral text, no notes, no manage link. `partner` is the
    attendee partner (a former partner's CANCEL names them, not the new one). The summary is the
    offer's own title (which already names the chat). A CANCEL's description (`kind` cancelled
    or reassigned_away) says why the chat left the calendar rather than pointing at links that no
    longer work."""
    partner = partner or booking.partner
    attendees = [ical.Person(email=booking.booker_email, name=booking.booker_name, rsvp=True)]
    if address := partner_email(booking, partner):
        attendees.append(ical.Person(email=address, name=partner.display_name, partstat="ACCEPTED"))
    # Joining details (docs/bookings.md): the link or address, never the booker's phone number.
    joining = joining_details(booking)
    return ical.EventData(
        uid=booking.ical_uid,
        sequence=booking.sequence,
        start=booking.start,
        end=booking.end,
        summary=booking.offer.title,
        # A CANCEL carries no joining details and no pointer at links that no longer work.
        description=(
            f"{joining.format_label}." if kind and kind in _CALENDAR_NOTES else joining.description()
        )
        + "\n"
        + _CALENDAR_NOTES.get(kind, _CALENDAR_NOTES[""]),
        location=joining.location(),
        conference=joining.link,
        conference_label=VIDEO_LABEL if joining.link else "",
        status="CONFIRMED",
        organizer=ical.Person(email=settings.BOOKINGS_MAILBOX, name=settings.WAGTAIL_SITE_NAME),
        attendees=tuple(attendees),
    )


def subject(notification: EmailNotification) -> str:
    booking = notification.booking
    when = f"{format_day(local(booking.start, DEFAULT_TIME_ZONE).date())} at "
    when += f"{format_time(booking.start, DEFAULT_TIME_ZONE)} UK time"
    text = _SUBJECTS[notification.kind].format(offer=booking.offer.title, when=when)
    # One line, whatever staff typed into the offer title: no header can be added through it.
    return ical.clean_text(text)[:180]


def context(notification: EmailNotification) -> dict:
    booking = notification.booking
    to_booker = notification.recipient == Recipient.BOOKER
    partner = addressed_partner(notification)
    reader_zone = booking.booker_time_zone if to_booker else partner.time_zone
    kind = notification.kind
    # A partner whose subscribed feed already shows this chat gets no invite, so the chat is
    # never twice in their calendars (docs/feeds.md). One query, asked once per email.
    # The same for a chat their CalDAV calendar receives (CalDAV over the feed, docs/caldav.md).
    # A former partner (reassigned_away) is asked about their own feed, not the new partner's.
    in_feed = (
        not to_booker
        and kind in INVITE_METHOD
        and (
            (partner.pk == booking.partner_id and booking_in_partner_caldav(booking))
            or booking_in_partner_feed(booking, partner.pk)
        )
    )
    return {
        "kind": notification.kind,
        "to_booker": to_booker,
        "site_name": settings.WAGTAIL_SITE_NAME,
        "site_url": settings.SITE_URL,
        # Names are shown as one line of plain text; HTML templates autoescape them.
        "booker_name": ical.clean_text(booking.booker_name),
        "organisation": ical.clean_text(booking.organisation),
        "role": ical.clean_text(booking.role),
        "partner_name": ical.clean_text(partner.display_name),
        # Typed by staff for the booker (docs/staff.md); never sent to the partner.
        "cancel_reason": booking.cancel_reason if to_booker and kind == "cancelled" else "",
        "offer_title": ical.clean_text(booking.offer.title),
        "reference": booking.public_reference,
        "format": booking.get_format_display(),
        "joining": joining_details(booking),
        # The booker's number goes to the partner only, in the body (never a header or the invite),
        # and only while they may still need to call it.
        "phone": "" if to_booker or kind in _CLOSING_KINDS else partner_phone(booking),
        "times": chat_times(booking, reader_zone),
        "has_invite": kind in INVITE_METHOD and not in_feed,
        "in_feed": in_feed,
        "manage_url": manage_url(booking) if to_booker and kind in _WITH_MANAGE_LINK else "",
        "rebook_url": booking_page_url() if to_booker and kind in {"declined", "cancelled"} else "",
        "feedback_url": feedback_url(booking) if to_booker and kind == "feedback_request" else "",
        **(opening(booking, kind, reader_zone) if to_booker else {"opening_text": "", "opening_html": ""}),
    }


def opening(booking: Booking, kind: str, reader_zone: str) -> dict:
    """The editor's opening paragraph for a booker email of `kind`, filled in, as plain text and
    HTML; empty (the template's own wording) if there is none or it no longer checks out."""
    if kind not in WordedKind.values:
        return {"opening_text": "", "opening_html": ""}
    row = EmailOpening.objects.filter(kind=kind).only("text").first()
    if row is None or not row.text.strip() or placeholder_problem(row.text):
        return {"opening_text": "", "opening_html": ""}
    zone = resolve_zone(reader_zone)[0]
    values = {
        # One line of plain text each; the HTML part escapes them (models/email_wording.py).
        "first_name": ical.clean_text(booking.booker_name).split(" ")[0],
        "offer": ical.clean_text(booking.offer.title),
        "date": format_day(local(booking.start, zone).date()),
    }
    return {"opening_text": opening_text(row.text, values), "opening_html": opening_html(row.text, values)}


def build_message(notification: EmailNotification, *, now: datetime) -> EmailMultiAlternatives:
    """The complete email for one outbox row. Raises NoAddress if the recipient has none."""
    if notification.kind not in KINDS:
        raise ValueError(f"unknown email kind {notification.kind!r}")
    to = recipient_address(notification)
    if not to:
        raise NoAddress()
    ctx = context(notification)
    template = f"bookings/email/{notification.kind}"
    message = EmailMultiAlternatives(
        subject=subject(notification),
        body=_tidy(render_to_string(f"{template}.txt", ctx)),
        from_email=formataddr((settings.WAGTAIL_SITE_NAME, settings.BOOKINGS_MAILBOX)),
        to=[to],
        headers={
            # Derived from the row, so a rare duplicate (at-least-once delivery) is recognisable.
            "Message-ID": f"<notification-{notification.pk}@{ICAL_DOMAIN}>",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(render_to_string(f"{template}.html", ctx), "text/html")
    if (method := INVITE_METHOD.get(notification.kind)) and ctx["has_invite"]:
        calendar = ical.invite(
            event_data(notification.booking, addressed_partner(notification), kind=notification.kind),
            method=method,
            dtstamp=now,
        )
        # Django adds "charset=utf-8" to every text part itself; naming it here would repeat it.
        message.attach_alternative(calendar.decode("utf-8"), f"text/calendar; method={method}")
        message.attach("invite.ics", calendar, "application/ics")
    return message


def _tidy(text: str) -> str:
    """Template tags leave runs of blank lines behind; plain text reads better with one."""
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
