"""bookings/calendars/ical.py writes through icalendar; over a large varied corpus (hostile text,
emoji, escapes and ^ at every fold offset, clock changes, optional fields) every invite and feed
keeps the file-format invariants of docs/calendar.md (checklist items 1, 2, 3, 8 and 11)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, vDuration

from bookings.calendars import ical
from bookings.calendars.ical import EventData, Person, clean_text, feed, invite
from tests.bookings.test_ical import (
    HOSTILE,
    LONDON,
    LONG_NAME,
    STAMP,
    clock_change_events,
    make_event,
)

_UTC_LINE = re.compile(rb"^(DTSTART|DTEND|DTSTAMP):\d{8}T\d{6}Z$")


def varied_corpus() -> list[EventData]:
    """Hostile text, emoji, escapes and ^ at every fold offset, clock changes, optional fields."""
    texts = [*HOSTILE, "", "   ", LONG_NAME, "Ŝħåŕę 😀\n" * 40, "\\N \\n ^n ^' ;,:\"", "’curly’ quote"]
    # A \ or ^ (or an escape pair) landing on each octet either side of every fold boundary.
    for pad in range(0, 80):
        for tail in ("\\", "^", ";", ",", "\n", "é", "😀", '"'):
            texts.append("x" * pad + tail * 3 + "y" * 90)
            texts.append("é" * pad + tail + "😀" * 30)
    events = [event for event, _ in clock_change_events()]
    roles, partstats = sorted(ical.ROLES), sorted(ical.PARTSTATS)
    for n, text in enumerate(texts):
        other = texts[(n * 7 + 3) % len(texts)]
        start = datetime(2026, 1, 1, 8, tzinfo=LONDON) + timedelta(hours=37 * n, minutes=n % 60)
        events.append(
            make_event(
                uid=f"{n};v,{n}@example.org" if n % 5 == 0 else f"{n:04}-{'u' * (n % 90)}@example.org",
                sequence=n % 4 * 1000,
                start=start,
                end=start + timedelta(minutes=15 + n % 120, microseconds=n),
                summary=text,
                description=other if n % 3 else "",
                location=text[: n % 50],
                url="" if n % 4 == 0 else f"https://example.org/m/{'a' * (n % 100)}?x=1&y=2#{n}",
                status=("CONFIRMED", "TENTATIVE")[n % 2],
                organizer=Person("bookings@example.org", other if n % 2 else ""),
                attendees=tuple(
                    Person(f"g{n}.{k}@example.com", text if k == 0 else other[: k * 11], k == 0, *rp)
                    for k, rp in enumerate(zip(roles[: 1 + n % 4], partstats, strict=False))
                ),
            )
        )
    return events


def check_bytes(data: bytes) -> None:
    """CRLF only, no BOM, every physical line at most 75 octets and whole UTF-8 characters."""
    assert not data.startswith(b"\xef\xbb\xbf") and data.endswith(b"\r\n")
    assert b"\r" not in data.replace(b"\r\n", b"") and b"\n" not in data.replace(b"\r\n", b"")
    for line in data[:-2].split(b"\r\n"):
        assert len(line) <= 75, line
        line.decode("utf-8")  # a fold inside a character would leave half of it here
    unfolded = data.replace(b"\r\n ", b"")
    for line in unfolded.split(b"\r\n"):
        if line.split(b":", 1)[0].split(b";", 1)[0] in (b"DTSTART", b"DTEND", b"DTSTAMP"):
            assert _UTC_LINE.match(line), line
    assert b"TZID" not in unfolded and b"VTIMEZONE" not in unfolded


def check_event(component, event: EventData, *, with_people: bool) -> None:
    """The VEVENT holds exactly the properties the event asked for: text never added one."""
    names = [name for name, _ in component.property_items(recursive=False)][1:-1]  # BEGIN, END
    expected = {"UID", "SEQUENCE", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "STATUS"}
    if clean_text(event.description, multiline=True):
        expected.add("DESCRIPTION")
    if clean_text(event.location):
        expected.add("LOCATION")
    if event.url:
        expected.add("URL")
    if with_people:
        expected |= {"ORGANIZER", "ATTENDEE"}
    assert set(names) == expected
    assert names.count("ATTENDEE") == (len(event.attendees) if with_people else 0)
    assert len(names) == len(expected) + max(0, names.count("ATTENDEE") - 1)
    assert str(component["UID"]) == event.uid
    assert str(component["SUMMARY"]) == clean_text(event.summary)
    assert component.decoded("DTSTART") == event.start.astimezone(UTC).replace(microsecond=0)


def test_every_invite_keeps_the_invariants():
    corpus = varied_corpus()
    assert len(corpus) > 1000
    for event in corpus:
        for method in ("REQUEST", "CANCEL"):
            data = invite(event, method=method, dtstamp=STAMP)
            check_bytes(data)
            cal = Calendar.from_ical(data)
            assert [str(cal["METHOD"])] == [method]
            (vevent,) = cal.walk("VEVENT")
            assert len(cal.subcomponents) == 1
            check_event(vevent, event, with_people=True)
            expected = "CANCELLED" if method == "CANCEL" else event.status
            assert str(vevent["STATUS"]) == expected


def test_every_feed_keeps_the_invariants():
    corpus = varied_corpus()
    for name in ("Alex's chats", HOSTILE[0], HOSTILE[5], LONG_NAME, "é" * 100):
        data = feed(corpus, name=name, dtstamp=STAMP)
        check_bytes(data)
        lines = data.replace(b"\r\n ", b"").split(b"\r\n")
        assert not [line for line in lines if line.startswith((b"ORGANIZER", b"ATTENDEE"))]
        cal = Calendar.from_ical(data)
        assert "METHOD" not in cal and "X-WR-CALNAME" in cal and "NAME" in cal
        events = cal.walk("VEVENT")
        assert len(events) == len(corpus) == len(cal.subcomponents)
        for component, event in zip(events, corpus, strict=True):
            check_event(component, event, with_people=False)


def test_stored_vevents_join_into_the_same_feed():
    corpus = varied_corpus()[:200]
    stored = [(e.uid, ical.feed_vevent(e, dtstamp=STAMP)) for e in corpus]
    assert ical.feed_from_vevents(stored, name="x") == feed(corpus, name="x", dtstamp=STAMP)
    obj = ical.calendar_object(stored[0][1])
    check_bytes(obj)
    assert len(Calendar.from_ical(obj).walk("VEVENT")) == 1 and b"METHOD" not in obj


def test_feed_refresh_is_written_as_an_rfc7986_duration():
    data = feed([], name="x", dtstamp=STAMP)
    assert b"\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in data
    assert b"\r\nX-PUBLISHED-TTL:PT1H\r\n" in data
    assert vDuration(ical.FEED_REFRESH).to_ical() == b"PT1H"
