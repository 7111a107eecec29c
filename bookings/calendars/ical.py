"""The one iCalendar builder: emailed invites (iTIP REQUEST / CANCEL) and partners' subscribable feeds.

Pure on purpose: no ORM, no settings, no clock. The caller adapts a booking into ``EventData`` and
passes ``dtstamp`` in, so the same input always gives the same bytes (see docs/calendar.md).

Invariants every output keeps (each is a test in tests/bookings/test_ical.py):

* UTF-8 without BOM, CRLF line endings, lines of at most 75 octets, folds between whole characters;
* one ``VERSION:2.0`` and one ``PRODID``; invites carry ``METHOD``, feeds never do;
* DTSTART / DTEND / DTSTAMP are written in UTC with ``Z``: no TZID, no VTIMEZONE, no floating times,
  because the VTIMEZONE icalendar generates for Europe/London is misread by ical.js and vobject;
* text never adds a property, parameter, attendee or component: ``clean_text`` removes control
  characters and line breaks that do not belong, ``_text`` escapes the rest, and addresses, UIDs and
  URLs that would need escaping are refused with ``ValueError`` rather than repaired;
* feeds are bearer secrets and carry no ORGANIZER or ATTENDEE, so no email address leaks through them.

What goes into SUMMARY, DESCRIPTION and LOCATION is the caller's duty: a short, neutral text. Never
project notes, access needs or anything the booker typed about themselves.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

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


# RFC 5545 DURATION for FEED_REFRESH (a test keeps the two in step).
_FEED_REFRESH_ICAL = "PT1H"
# A physical line carries at most 74 octets after any leading fold space: exactly what icalendar
# 7.3 writes, so the output stays byte-identical to it (tests/bookings/test_ical.py proves that).
_FOLD_OCTETS = 74


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
    ``STATUS:CANCELLED`` with the same UID and ORGANIZER (the caller raises SEQUENCE).
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
    lines = _calendar_head(prodid)
    lines.append(f"METHOD:{method}")
    lines += _vevent(event, dtstamp=_stamp(_utc(dtstamp, "dtstamp")), status=status, with_people=True)
    return _serialise(lines)


def feed(events: Iterable[EventData], *, name: str, dtstamp: datetime, prodid: str = DEFAULT_PRODID) -> bytes:
    """Build a subscribable feed (RFC 7986): no METHOD, refreshed hourly.

    Invariant: UIDs are unique (duplicates raise ``ValueError``) and no VEVENT carries ORGANIZER or
    ATTENDEE, because a feed URL is a bearer secret and must not reveal anyone's email address.
    Choosing which bookings appear (window, cancelled ones left out) is the caller's job.
    """
    lines = _calendar_head(prodid)
    calendar_name = _text(clean_text(name))
    lines.append(f"NAME:{calendar_name}")
    lines.append(f"X-WR-CALNAME:{calendar_name}")
    # RFC 7986 requires VALUE=DURATION (icalendar's refresh_interval helper leaves it out).
    lines.append(f"REFRESH-INTERVAL;VALUE=DURATION:{_FEED_REFRESH_ICAL}")
    lines.append(f"X-PUBLISHED-TTL:{_FEED_REFRESH_ICAL}")
    stamp = _stamp(_utc(dtstamp, "dtstamp"))  # once: it is the same on every VEVENT
    seen: set[str] = set()
    for event in events:
        if event.uid in seen:
            raise ValueError(f"duplicate UID in feed: {event.uid!r}")
        seen.add(event.uid)
        lines += _vevent(event, dtstamp=stamp, status=event.status, with_people=False)
    return _serialise(lines)


# -- writing -------------------------------------------------------------------------------------
# Lines are written in icalendar 7.3's order and form (VCALENDAR: VERSION, PRODID, CALSCALE, METHOD,
# NAME, X-WR-CALNAME, then the rest alphabetically; VEVENT: SUMMARY, DTSTART, DTEND, DTSTAMP, UID,
# SEQUENCE, then alphabetically; parameters sorted), so files did not change when we stopped
# building icalendar objects, which cost ~40 us a line and made a 4,500-event feed take a second.


def _calendar_head(prodid: str) -> list[str]:
    return ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{_text(clean_text(prodid))}", "CALSCALE:GREGORIAN"]


def _serialise(lines: list[str]) -> bytes:
    lines.append("END:VCALENDAR")
    return ("\r\n".join(map(_fold, lines)) + "\r\n").encode("utf-8")


def _vevent(event: EventData, *, dtstamp: str, status: str, with_people: bool) -> list[str]:
    if status not in STATUSES:
        raise ValueError(f"status must be one of {sorted(STATUSES)}, not {status!r}")
    if isinstance(event.sequence, bool) or not isinstance(event.sequence, int) or event.sequence < 0:
        raise ValueError(f"sequence must be a non-negative int, not {event.sequence!r}")
    if not event.uid or _URI_UNSAFE.search(event.uid):
        raise ValueError(f"UID must be non-empty with no spaces or control characters: {event.uid!r}")
    start, end = _utc(event.start, "start"), _utc(event.end, "end")
    if end <= start:
        raise ValueError("end must be after start")
    lines = [
        "BEGIN:VEVENT",
        f"SUMMARY:{_text(clean_text(event.summary))}",
        f"DTSTART:{_stamp(start)}",
        f"DTEND:{_stamp(end)}",
        f"DTSTAMP:{dtstamp}",
        f"UID:{_text(event.uid)}",  # TEXT: a UID may hold ; or , (no \ : _URI_UNSAFE refuses it)
        f"SEQUENCE:{event.sequence}",
    ]
    if with_people:
        for person in event.attendees:
            lines.append(f"ATTENDEE{_address(person, organizer=False)}")
    if description := clean_text(event.description, multiline=True):
        lines.append(f"DESCRIPTION:{_text(description)}")
    if location := clean_text(event.location):
        lines.append(f"LOCATION:{_text(location)}")
    if with_people and event.organizer is not None:
        lines.append(f"ORGANIZER{_address(event.organizer, organizer=True)}")
    lines.append(f"STATUS:{status}")
    if event.url:
        lines.append(f"URL:{_url(event.url)}")
    lines.append("END:VEVENT")
    return lines


def _text(value: str) -> str:
    """TEXT escaped exactly as RFC 5545 3.3.11 says.

    Unlike icalendar 7.3.2, a literal ``\\N`` stays text (icalendar turns it into a line break, so
    ``C:\\New`` would come back split in two). The value has been through ``clean_text`` (or is a
    checked UID), so LF is the only line break left to escape.
    """
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _stamp(value: datetime) -> str:
    """A UTC DATE-TIME (``value`` has been through ``_utc``)."""
    return f"{value.year:04}{value.month:02}{value.day:02}T{value.hour:02}{value.minute:02}{value.second:02}Z"


def _fold(line: str) -> str:
    """Fold at 74 octets of content per physical line, never inside a UTF-8 character.

    As icalendar 7.3 does, a ``\\`` or ``^`` that would end a physical line moves to the next one,
    so no parser sees an escape pair split by a fold.
    """
    if line.isascii():  # one character is one octet: slice instead of counting
        if len(line) <= _FOLD_OCTETS:
            return line
        parts, start, size = [], 0, len(line)
        while size - start > _FOLD_OCTETS:
            cut = start + _FOLD_OCTETS
            if line[cut - 1] in "\\^":
                cut -= 1
            parts.append(line[start:cut])
            start = cut
        parts.append(line[start:])
        return "\r\n ".join(parts)
    if len(line.encode("utf-8")) <= _FOLD_OCTETS:
        return line
    parts, current, octets = [], [], 0
    for char in line:
        width = len(char.encode("utf-8"))
        if current and octets + width > _FOLD_OCTETS:
            if len(current) > 1 and current[-1] in "\\^":
                carried = current.pop()
                parts.append("".join(current))
                current, octets = [carried], 1
            else:
                parts.append("".join(current))
                current, octets = [], 0
        current.append(char)
        octets += width
    parts.append("".join(current))
    return "\r\n ".join(parts)


def _utc(value: datetime, field: str) -> datetime:
    """Aware -> UTC, whole seconds (iCalendar DATE-TIME cannot carry fractions of a second)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{field} must be timezone-aware, got {value!r}")
    return value.astimezone(UTC).replace(microsecond=0)


def _url(value: str) -> str:
    if _URI_UNSAFE.search(value) or not value.lower().startswith(("https://", "http://")):
        raise ValueError(f"url must be an http(s) URL with no spaces or control characters: {value!r}")
    return value


def _address(person: Person, *, organizer: bool) -> str:
    """``;params:mailto:address`` for ORGANIZER / ATTENDEE, parameters in sorted order.

    Every CN is quoted, as Outlook and Google write it, and RFC 6868-encoded (``^`` -> ``^^``,
    ``"`` -> ``^'``; a clean single-line name has no line break for ``^n``).
    """
    if not is_plain_email(person.email):
        raise ValueError(f"not a plain email address: {person.email!r}")
    params = []
    # RFC 5545 gives a backslash no meaning inside a parameter, yet icalendar and ical.js each
    # unescape some backslash pairs there (differently), so a name keeps no backslashes at all.
    if name := clean_text(person.name.replace("\\", "")):
        params.append('CN="' + name.replace("^", "^^").replace('"', "^'") + '"')
    if not organizer:
        if person.role not in ROLES:
            raise ValueError(f"role must be one of {sorted(ROLES)}, not {person.role!r}")
        if person.partstat not in PARTSTATS:
            raise ValueError(f"partstat must be one of {sorted(PARTSTATS)}, not {person.partstat!r}")
        params.append(f"PARTSTAT={person.partstat}")
        params.append(f"ROLE={person.role}")
        if person.rsvp:
            params.append("RSVP=TRUE")
    return "".join(f";{p}" for p in params) + f":mailto:{person.email}"
