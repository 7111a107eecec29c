"""bookings.ical writes content lines itself; these tests prove every byte equal to what the
icalendar library's own objects wrote, over a large varied corpus (invites and feeds)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event, Parameters, vCalAddress, vDuration, vText

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

# -- byte-identical to the icalendar 7.3 objects it replaced -------------------------------------
# bookings.ical writes lines directly because building icalendar objects cost about a second for a
# 4,500-event feed. This oracle is the former icalendar-based builder (test-only, never imported by
# the site): it proves the direct writer kept every byte, escape, parameter order and fold.


class QuotedCN(Parameters):
    always_quoted = (*Parameters.always_quoted, "CN")


class Text(vText):  # RFC 5545 escaping without icalendar's \N -> line break
    def to_ical(self) -> bytes:
        text = str(self).replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
        return text.replace("\n", "\\n").encode("utf-8")


def _oracle_vevent(event: EventData, *, dtstamp: datetime, status: str, with_people: bool) -> Event:
    def address(person: Person, organizer: bool) -> vCalAddress:
        params = QuotedCN()
        if name := clean_text(person.name.replace("\\", "")):
            params["CN"] = name
        if not organizer:
            params["ROLE"], params["PARTSTAT"] = person.role, person.partstat
            if person.rsvp:
                params["RSVP"] = "TRUE"
        value = vCalAddress(f"mailto:{person.email}")
        value.params = params
        return value

    def utc(value: datetime) -> datetime:
        return value.astimezone(UTC).replace(microsecond=0)

    vevent = Event()
    vevent.add("uid", event.uid)
    vevent.add("sequence", event.sequence)
    vevent.add("dtstamp", utc(dtstamp))
    vevent.add("dtstart", utc(event.start))
    vevent.add("dtend", utc(event.end))
    vevent.add("summary", Text(clean_text(event.summary)))
    if description := clean_text(event.description, multiline=True):
        vevent.add("description", Text(description))
    if location := clean_text(event.location):
        vevent.add("location", Text(location))
    if event.url:
        vevent.add("url", event.url)
    vevent.add("status", status)
    if with_people:
        vevent.add("organizer", address(event.organizer, True))
        for person in event.attendees:
            vevent.add("attendee", address(person, False))
    return vevent


def oracle(events: list[EventData], *, method: str | None, name: str = "", dtstamp=STAMP) -> bytes:
    cal = Calendar()
    text = Text
    cal.add("prodid", text(clean_text("-//coproduction-site//bookings//EN")))
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    else:
        cal.add("name", text(clean_text(name)))
        cal.add("x-wr-calname", text(clean_text(name)))
        cal.add("refresh-interval", vDuration(timedelta(hours=1), params={"VALUE": "DURATION"}))
        cal.add("x-published-ttl", vDuration(timedelta(hours=1)))
    for event in events:
        status = "CANCELLED" if method == "CANCEL" else event.status
        cal.add_component(_oracle_vevent(event, dtstamp=dtstamp, status=status, with_people=bool(method)))
    return cal.to_ical()


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


def test_invites_are_byte_identical_to_the_icalendar_builder():
    corpus = varied_corpus()
    assert len(corpus) > 1000
    for event in corpus:
        for method in ("REQUEST", "CANCEL"):
            assert invite(event, method=method, dtstamp=STAMP) == oracle([event], method=method), event.uid


def test_feeds_are_byte_identical_to_the_icalendar_builder():
    corpus = varied_corpus()
    for name in ("Alex's chats", HOSTILE[0], HOSTILE[5], LONG_NAME, "é" * 100):
        assert feed(corpus, name=name, dtstamp=STAMP) == oracle(corpus, method=None, name=name)
    odd_stamp = datetime(2026, 3, 29, 1, 30, 59, 999_999, tzinfo=LONDON)
    assert feed(corpus[:50], name="x", dtstamp=odd_stamp) == oracle(
        corpus[:50], method=None, name="x", dtstamp=odd_stamp
    )


def test_feed_refresh_constant_matches_the_duration():
    assert vDuration(ical.FEED_REFRESH).to_ical().decode() == ical._FEED_REFRESH_ICAL
