"""The one iCalendar writer: emailed invites (iTIP REQUEST / CANCEL), partners' subscribable feeds
and the objects pushed to their CalDAV calendars. Every byte is written by the icalendar library.

Pure on purpose: no ORM, no settings, no clock. The caller adapts a booking into ``EventData`` and
passes ``dtstamp`` in, so the same input always gives the same bytes (see docs/calendar.md).

Invariants every output keeps (each is a test in tests/bookings/test_ical.py):

* UTF-8 without BOM, CRLF line endings, lines of at most 75 octets, folds between whole characters;
* one ``VERSION:2.0`` and one ``PRODID``; invites carry ``METHOD``, feeds never do;
* DTSTART / DTEND / DTSTAMP are written in UTC with ``Z``: no TZID, no VTIMEZONE, no floating times,
  because the VTIMEZONE icalendar generates for Europe/London is misread by ical.js and vobject;
* text never adds a property, parameter, attendee or component: ``clean_text`` removes control
  characters and line breaks that do not belong, icalendar escapes the rest (``_Text``), and
  addresses, UIDs and URLs that would need escaping are refused with ``ValueError``;
* feeds are bearer secrets and carry no ORGANIZER or ATTENDEE, so no email address leaks through them.

What goes into SUMMARY, DESCRIPTION and LOCATION is the caller's duty: a short, neutral text. Never
project notes, access needs or anything the booker typed about themselves.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event, Parameters, vCalAddress, vDuration, vText, vUri

DEFAULT_PRODID = "-//coproduction-site//bookings//EN"
METHODS = frozenset({"REQUEST", "CANCEL"})
STATUSES = frozenset({"CONFIRMED", "TENTATIVE", "CANCELLED"})
ROLES = frozenset({"CHAIR", "REQ-PARTICIPANT", "OPT-PARTICIPANT", "NON-PARTICIPANT"})
PARTSTATS = frozenset({"NEEDS-ACTION", "ACCEPTED", "DECLINED", "TENTATIVE", "DELEGATED"})
# RFC 7986 REFRESH-INTERVAL and the older X-PUBLISHED-TTL that Outlook reads.
FEED_REFRESH = timedelta(hours=1)

# Everything some parser treats as the end of a line: CR, LF, VT, FF, FS, GS, RS, NEL and the Unicode
# line / paragraph separators (Python's str.splitlines() honours all of them).
_LINE_BREAKS = re.compile("\r\n|[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
# Remaining C0 controls, DEL, C1 controls and lone surrogates (which cannot be encoded as UTF-8).
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1b\x1f\x7f-\x9f\ud800-\udfff]")
# A mailto address needs no escaping inside a CAL-ADDRESS: refuse anything that would.
# (Apostrophes stay allowed: O'Brien's address is a real address.)
_ADDR_PART = '[^\\s\x00-\x1f\x7f-\x9f@"(),:;<>\\[\\]\\\\\u2028\u2029\ud800-\udfff]+'
_EMAIL = re.compile(f"{_ADDR_PART}@{_ADDR_PART}")


def is_plain_email(address: str) -> bool:
    """Whether an address can go into ORGANIZER/ATTENDEE as it is (forms check this too)."""
    return bool(_EMAIL.fullmatch(address))


_URI_UNSAFE = re.compile('[\x00-\x20\x7f-\x9f"<>\\\\^`{|}\u2028\u2029\ud800-\udfff]')


@dataclass(frozen=True)
class Person:
    """An organizer or attendee. ``email`` is a bare address (no ``mailto:``)."""

    email: str
    name: str = ""
    rsvp: bool = False
    role: str = "REQ-PARTICIPANT"
    partstat: str = "NEEDS-ACTION"


@dataclass(frozen=True)
class EventData:
    """One booking as a calendar sees it.

    ``uid`` is ``"<uuid>@<site domain>"``, fixed for the booking's life; ``sequence`` comes from the
    booking and rises on every reschedule and on cancel. ``start``/``end`` must be aware.
    ``summary``, ``description`` and ``location`` must be short and neutral: never project notes,
    access needs or other personal details (they end up in mailboxes and shared feeds).
    """

    uid: str
    sequence: int
    start: datetime
    end: datetime
    summary: str
    description: str = ""
    location: str = ""
    url: str = ""
    # RFC 7986 CONFERENCE: the video link, written VALUE=URI;FEATURE=VIDEO;LABEL=...
    conference: str = ""
    conference_label: str = ""
    status: str = "CONFIRMED"
    organizer: Person | None = None
    attendees: tuple[Person, ...] = ()


def clean_text(value: str, *, multiline: bool = False) -> str:
    """Return ``value`` with nothing a parser could read as structure.

    Every line-break form becomes ``\\n`` (so no CR survives), tabs become spaces, other control
    characters and lone surrogates are dropped. Single-line text (names, summaries) then has all
    whitespace runs collapsed to one space; multiline text keeps its ``\\n`` and loses trailing
    spaces on each line. ``\\ ; ,`` and newlines are escaped later, when the TEXT is written.
    """
    text = _LINE_BREAKS.sub("\n", str(value)).replace("\t", " ")
    text = _CONTROLS.sub("", text)
    if not multiline:
        return " ".join(text.split())
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


def invite(event: EventData, *, method: str, dtstamp: datetime, prodid: str = DEFAULT_PRODID) -> bytes:
    """Build one iTIP object for email: ``METHOD:REQUEST`` or ``METHOD:CANCEL``.

    Invariant: exactly one VEVENT, with the ORGANIZER and every ATTENDEE; CANCEL always writes
    ``STATUS:CANCELLED`` with the same UID and ORGANIZER (the caller raises SEQUENCE) and asks
    nobody to reply: there is nothing left to accept or decline, so no ``RSVP=TRUE``.
    """
    method = method.upper()
    if method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}, not {method!r}")
    if event.organizer is None:
        raise ValueError("an invite needs an organizer (the bookings mailbox)")
    if not event.attendees:
        raise ValueError("an invite needs at least one attendee")
    if method == "REQUEST" and event.status == "CANCELLED":
        raise ValueError("send a cancelled booking with method='CANCEL'")
    status = "CANCELLED" if method == "CANCEL" else event.status
    cal = _calendar(prodid)
    cal.add("method", method)
    vevent = _vevent(event, dtstamp=dtstamp, status=status, with_people=True, ask_replies=method == "REQUEST")
    cal.add_component(vevent)
    return cal.to_ical()


def feed_vevent(event: EventData, *, dtstamp: datetime) -> bytes:
    """One VEVENT as a feed and a CalDAV calendar carry it: no ORGANIZER, no ATTENDEE.

    This is what the site stores per (booking, sequence) and joins into feeds (docs/feeds.md), so
    a feed is a concatenation of bytes icalendar wrote, not a fresh serialisation per request.
    """
    return _vevent(event, dtstamp=dtstamp, status=event.status, with_people=False).to_ical()


def feed(events: Iterable[EventData], *, name: str, dtstamp: datetime, prodid: str = DEFAULT_PRODID) -> bytes:
    """Build a subscribable feed (RFC 7986) from events: every VEVENT rendered now, with one DTSTAMP."""
    return feed_from_vevents(
        ((event.uid, feed_vevent(event, dtstamp=dtstamp)) for event in events), name=name, prodid=prodid
    )


def feed_from_vevents(
    vevents: Iterable[tuple[str, bytes]], *, name: str, prodid: str = DEFAULT_PRODID
) -> bytes:
    """Join stored VEVENTs (``(uid, bytes)`` pairs from ``feed_vevent``) into a feed.

    No METHOD; refreshed hourly. Invariant: UIDs are unique (duplicates raise ``ValueError``) and
    no VEVENT carries ORGANIZER or ATTENDEE (``feed_vevent`` never writes them), because a feed URL
    is a bearer secret. The calendar's head is icalendar's own serialisation of the VCALENDAR
    without components; the events are spliced in before its ``END:VCALENDAR``.
    """
    cal = _calendar(prodid)
    calendar_name = _Text(clean_text(name))
    cal.add("name", calendar_name)
    cal.add("x-wr-calname", calendar_name)
    # RFC 7986 requires VALUE=DURATION (icalendar's refresh_interval helper leaves it out).
    cal.add("refresh-interval", vDuration(FEED_REFRESH, params={"VALUE": "DURATION"}))
    cal.add("x-published-ttl", vDuration(FEED_REFRESH))
    head = cal.to_ical()
    if not head.endswith(_END):
        raise AssertionError("icalendar no longer ends a calendar with END:VCALENDAR")
    parts = [head[: -len(_END)]]
    seen: set[str] = set()
    for uid, vevent in vevents:
        if uid in seen:
            raise ValueError(f"duplicate UID in feed: {uid!r}")
        seen.add(uid)
        parts.append(vevent)
    parts.append(_END)
    return b"".join(parts)


def calendar_object(vevent: bytes, *, prodid: str = DEFAULT_PRODID) -> bytes:
    """A CalDAV calendar object resource (RFC 4791 4.1): one stored VEVENT in a VCALENDAR, no METHOD."""
    head = _calendar(prodid).to_ical()
    return head[: -len(_END)] + vevent + _END


# -- writing: icalendar objects ------------------------------------------------------------------

_END = b"END:VCALENDAR\r\n"


class _QuotedCN(Parameters):
    """Every CN quoted, as Outlook and Google write it (icalendar RFC 6868-encodes ^ and ")."""

    always_quoted = (*Parameters.always_quoted, "CN")


class _Text(vText):
    """RFC 5545 3.3.11 TEXT escaping. icalendar 7.3.2's vText turns a literal ``\\N`` into a line
    break (so ``C:\\New`` would come back split in two); this keeps it text. The value has been
    through ``clean_text`` (or is a checked UID), so LF is the only line break left to escape."""

    def to_ical(self) -> bytes:
        text = str(self).replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
        return text.replace("\n", "\\n").encode("utf-8")


def _calendar(prodid: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", _Text(clean_text(prodid)))
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    return cal


def _vevent(
    event: EventData, *, dtstamp: datetime, status: str, with_people: bool, ask_replies: bool = True
) -> Event:
    if status not in STATUSES:
        raise ValueError(f"status must be one of {sorted(STATUSES)}, not {status!r}")
    if isinstance(event.sequence, bool) or not isinstance(event.sequence, int) or event.sequence < 0:
        raise ValueError(f"sequence must be a non-negative int, not {event.sequence!r}")
    if not event.uid or _URI_UNSAFE.search(event.uid):
        raise ValueError(f"UID must be non-empty with no spaces or control characters: {event.uid!r}")
    start, end = _utc(event.start, "start"), _utc(event.end, "end")
    if end <= start:
        raise ValueError("end must be after start")
    vevent = Event()
    vevent.add("uid", _Text(event.uid))  # TEXT: a UID may hold ; or , (no \ : _URI_UNSAFE refuses it)
    vevent.add("sequence", event.sequence)
    vevent.add("dtstamp", _utc(dtstamp, "dtstamp"))
    vevent.add("dtstart", start)
    vevent.add("dtend", end)
    vevent.add("summary", _Text(clean_text(event.summary)))
    if description := clean_text(event.description, multiline=True):
        vevent.add("description", _Text(description))
    if location := clean_text(event.location):
        vevent.add("location", _Text(location))
    if event.url:
        vevent.add("url", _url(event.url))
    if event.conference:
        params = {"VALUE": "URI", "FEATURE": "VIDEO"}
        if label := clean_text(event.conference_label).replace('"', ""):
            params["LABEL"] = label
        vevent.add("conference", vUri(uri_value(_url(event.conference)), params=params))
    vevent.add("status", status)
    if with_people:
        if event.organizer is not None:
            vevent.add("organizer", _address(event.organizer, organizer=True))
        for person in event.attendees:
            vevent.add("attendee", _address(person, organizer=False, ask_reply=ask_replies))
    return vevent


def _utc(value: datetime, field: str) -> datetime:
    """Aware -> UTC, whole seconds (iCalendar DATE-TIME cannot carry fractions of a second)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{field} must be timezone-aware, got {value!r}")
    return value.astimezone(UTC).replace(microsecond=0)


def _url(value: str) -> str:
    if _URI_UNSAFE.search(value) or not value.lower().startswith(("https://", "http://")):
        raise ValueError(f"url must be an http(s) URL with no spaces or control characters: {value!r}")
    return value


def uri_value(url: str) -> str:
    """A URL as a URI-valued property carries it. vobject splits such values at "," and ";" (it
    treats them as lists), so those two are percent-encoded, which RFC 3986 lets any URI do for a
    sub-delimiter inside a query or path; every other character is checked by `_url` already."""
    return url.replace(",", "%2C").replace(";", "%3B")


def _address(person: Person, *, organizer: bool, ask_reply: bool = True) -> vCalAddress:
    """ORGANIZER / ATTENDEE as ``mailto:``; a CN that icalendar quotes and RFC 6868-encodes."""
    if not is_plain_email(person.email):
        raise ValueError(f"not a plain email address: {person.email!r}")
    params = _QuotedCN()
    # RFC 5545 gives a backslash no meaning inside a parameter, yet icalendar and ical.js each
    # unescape some backslash pairs there (differently), so a name keeps no backslashes at all.
    if name := clean_text(person.name.replace("\\", "")):
        params["CN"] = name
    if not organizer:
        if person.role not in ROLES:
            raise ValueError(f"role must be one of {sorted(ROLES)}, not {person.role!r}")
        if person.partstat not in PARTSTATS:
            raise ValueError(f"partstat must be one of {sorted(PARTSTATS)}, not {person.partstat!r}")
        params["ROLE"], params["PARTSTAT"] = person.role, person.partstat
        if person.rsvp and ask_reply:
            params["RSVP"] = "TRUE"
    value = vCalAddress(f"mailto:{person.email}")
    value.params = params
    return value
