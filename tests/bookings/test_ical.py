"""bookings.ical against the checklist in docs/calendar.md, read back by three parsers."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bookings.calendars.ical import EventData, Person, clean_text, feed, invite
from tests.support.ical_parsers import PARSERS, parse_icalendar, parse_icaljs, parse_vobject

LONDON = ZoneInfo("Europe/London")
STAMP = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
ORGANIZER = Person("bookings@example.org", "Bookings team")
BOOKER = Person("sam.o'neill@example.com", "Sam O'Neill", rsvp=True)
PARTNER = Person("partner@example.org", "Alex Partner", partstat="ACCEPTED")
LONG_NAME = "Zoë Ångström-Łukasiewicz 😀👩🏽‍⚕️ " * 12

# Everything a hostile or careless booker might type into a name, summary or note.
HOSTILE = (
    "Eve\r\nATTENDEE:mailto:evil@example.net",
    "Eve\rATTENDEE;CN=Evil:mailto:evil@example.net",
    "Eve\nEND:VEVENT\nBEGIN:VEVENT\nUID:evil@example.net",
    "x\r\nEND:VCALENDAR\r\nBEGIN:VCALENDAR\r\nMETHOD:CANCEL",
    " \r\n ATTENDEE:mailto:folded@example.net",
    'Semi; colon: comma, "quote" back\\slash ^caret^ ^n ^\'',
    '";RSVP=TRUE;X-EVIL="',
    "<script>alert('x')</script>",
    "Zoë 😀👩🏽‍⚕️ Ŝħåŕę ✓",
    "nul\x00 bell\x07 esc\x1b del\x7f vt\x0b ff\x0c nel\x85 ls\u2028 ps\u2029 tab\t.",
    "mailto:evil@example.net",
    "\\n\\,\\;:already escaped",
    "C:\\New folder\\Notes \\N",  # icalendar 7.3.2 alone would write \N as a line break
    "é😀x" * 1700,
)


def make_event(**overrides) -> EventData:
    fields = {
        "uid": "6f1c2a9e-5b1d-4d5e-9a57-0c2f3b8d1e44@example.org",
        "sequence": 0,
        "start": datetime(2026, 5, 1, 10, tzinfo=LONDON),
        "end": datetime(2026, 5, 1, 11, tzinfo=LONDON),
        "summary": "Thinking-partner chat",
        "description": "A one-hour chat about co-production.\nThe joining link is in your email.",
        "location": "Video call",
        "url": "https://example.org/bookings/manage/abc",
        "organizer": ORGANIZER,
        "attendees": (BOOKER, PARTNER),
    }
    fields.update(overrides)
    return EventData(**fields)


def cn_text(name: str) -> str:
    """What a CN should read back as: one clean line, without backslashes (see bookings.ical)."""
    return clean_text(name.replace("\\", ""))


def rfc6868(cn: str) -> str:
    """RFC 6868 as written, for vobject, which hands CN back undecoded (no newlines in a CN)."""
    return cn.replace("^", "^^").replace('"', "^'")


@pytest.fixture(params=list(PARSERS))
def parse(request):
    return PARSERS[request.param]


def outputs() -> dict[str, bytes]:
    long = make_event(
        summary="Chat with " + LONG_NAME,
        description="Ŝħåŕę 😀\n" * 300,
        attendees=(Person("a@example.com", LONG_NAME, rsvp=True), PARTNER),
    )
    return {
        "request": invite(long, method="REQUEST", dtstamp=STAMP),
        "cancel": invite(long, method="CANCEL", dtstamp=STAMP),
        "feed": feed([long, make_event(uid="second@example.org")], name="Partner: Alex", dtstamp=STAMP),
    }


def physical_lines(data: bytes) -> list[bytes]:
    assert data.endswith(b"\r\n")
    return data[:-2].split(b"\r\n")


# -- the file format ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["request", "cancel", "feed"])
def test_utf8_without_bom_and_crlf_only(kind):
    data = outputs()[kind]
    assert not data.startswith(b"\xef\xbb\xbf")
    data.decode("utf-8")  # strict: raises on anything that is not UTF-8
    assert data.count(b"\n") == data.count(b"\r\n") == data.count(b"\r")


@pytest.mark.parametrize("kind", ["request", "cancel", "feed"])
def test_lines_fit_75_octets_and_folds_keep_whole_characters(kind):
    lines = physical_lines(outputs()[kind])
    assert max(len(line) for line in lines) <= 75
    assert sum(line.startswith(b" ") for line in lines) > 10  # long multibyte text really was folded
    for line in lines:
        line.decode("utf-8")  # a fold inside a character would leave half of it on each line


@pytest.mark.parametrize(("kind", "method"), [("request", "REQUEST"), ("cancel", "CANCEL"), ("feed", None)])
def test_one_version_one_prodid_and_method(kind, method):
    lines = physical_lines(outputs()[kind])
    assert lines.count(b"VERSION:2.0") == 1
    assert sum(line.startswith(b"PRODID:") for line in lines) == 1
    methods = [line for line in lines if line.startswith(b"METHOD")]
    assert methods == ([f"METHOD:{method}".encode()] if method else [])


@pytest.mark.parametrize("kind", ["request", "cancel", "feed"])
def test_times_are_utc_with_z_and_no_timezones(kind, parse):
    data = outputs()[kind]
    assert b"TZID" not in data and b"VTIMEZONE" not in data
    for name in (b"DTSTAMP", b"DTSTART", b"DTEND"):
        found = [line for line in physical_lines(data) if line.startswith(name)]
        assert found and all(re.fullmatch(name + rb":\d{8}T\d{6}Z", line) for line in found)
    parsed = parse(data)
    assert parsed.errors == []
    for event in parsed.events:
        assert event.uid and event.all_utc
        assert event.dtstamp == STAMP
        assert event.start == datetime(2026, 5, 1, 9, tzinfo=UTC)  # 10:00 BST
        assert event.end == datetime(2026, 5, 1, 10, tzinfo=UTC)


# -- invites -----------------------------------------------------------------------------------


def test_request_then_cancel_keep_uid_organizer_and_attendees(parse):
    booking = make_event(sequence=4)
    request = parse(invite(booking, method="REQUEST", dtstamp=STAMP))
    cancel = parse(invite(make_event(sequence=5), method="CANCEL", dtstamp=STAMP))
    assert (request.method, cancel.method) == ("REQUEST", "CANCEL")
    (sent,), (cancelled,) = request.events, cancel.events
    assert (sent.sequence, cancelled.sequence) == (4, 5)
    assert (sent.status, cancelled.status) == ("CONFIRMED", "CANCELLED")
    assert cancelled.uid == sent.uid == booking.uid
    assert cancelled.organizer == sent.organizer
    assert sent.organizer.value == "mailto:bookings@example.org"
    assert sent.organizer.cn == "Bookings team"
    assert (
        [a.value for a in cancelled.attendees]
        == [a.value for a in sent.attendees]
        == [
            "mailto:sam.o'neill@example.com",
            "mailto:partner@example.org",
        ]
    )
    assert [a.cn for a in sent.attendees] == ["Sam O'Neill", "Alex Partner"]
    assert [a.rsvp for a in sent.attendees] == ["TRUE", None]


def test_cancel_forces_cancelled_status_whatever_the_event_says():
    data = invite(make_event(status="TENTATIVE"), method="cancel", dtstamp=STAMP)
    assert b"\r\nSTATUS:CANCELLED\r\n" in data and b"TENTATIVE" not in data


def test_every_cn_is_quoted_and_only_the_booker_is_asked_to_reply():
    one_word = Person("alex@example.org", "Alex")  # icalendar alone would leave this CN bare
    data = invite(make_event(attendees=(BOOKER, one_word)), method="REQUEST", dtstamp=STAMP)
    lines = data.replace(b"\r\n ", b"").decode().split("\r\n")  # unfolded
    assert 'ORGANIZER;CN="Bookings team":mailto:bookings@example.org' in lines
    people = [line for line in lines if line.startswith(("ATTENDEE", "ORGANIZER"))]
    assert len(people) == 3 and all(line.split(";")[1].startswith('CN="') for line in people)
    assert sum("RSVP=TRUE" in line for line in people) == 1


def test_cn_is_rfc6868_encoded_and_decodes_back(parse):
    name = 'Ann "Nan" O\'Neil; Smith, Jr: ^_^\nof Leeds'
    booker = Person("ann@example.com", name, rsvp=True)
    data = invite(make_event(attendees=(booker,)), method="REQUEST", dtstamp=STAMP)
    unfolded = data.replace(b"\r\n ", b"").decode()
    assert "ATTENDEE;CN=\"Ann ^'Nan^' O'Neil; Smith, Jr: ^^_^^ of Leeds\";" in unfolded
    parsed = parse(data)
    (attendee,) = parsed.events[0].attendees
    if parsed.decodes_rfc6868:
        assert attendee.cn == 'Ann "Nan" O\'Neil; Smith, Jr: ^_^ of Leeds'
    else:  # vobject 0.9.9 keeps RFC 6868 sequences as written: still one attendee, one CN
        assert attendee.cn == "Ann ^'Nan^' O'Neil; Smith, Jr: ^^_^^ of Leeds"
    assert attendee.value == "mailto:ann@example.com"


def test_same_input_gives_same_bytes():
    assert invite(make_event(), method="REQUEST", dtstamp=STAMP) == invite(
        make_event(), method="REQUEST", dtstamp=STAMP
    )


# -- feeds -------------------------------------------------------------------------------------


def test_feed_headers_and_no_email_addresses(parse):
    events = [
        make_event(
            uid=f"{n}@example.org",
            start=datetime(2026, 6, n, 10, tzinfo=LONDON),
            end=datetime(2026, 6, n, 11, tzinfo=LONDON),
        )
        for n in range(1, 6)
    ]
    data = feed(events, name="Alex's chats", dtstamp=STAMP)
    lines = physical_lines(data)
    for expected in (
        b"NAME:Alex's chats",
        b"X-WR-CALNAME:Alex's chats",
        b"REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        b"X-PUBLISHED-TTL:PT1H",
    ):
        assert lines.count(expected) == 1
    assert b"ORGANIZER" not in data and b"ATTENDEE" not in data and b"mailto:" not in data
    assert b"example.com" not in data  # the booker's domain
    parsed = parse(data)
    assert parsed.method is None
    assert [e.uid for e in parsed.events] == [f"{n}@example.org" for n in range(1, 6)]
    assert all(e.organizer is None and e.attendees == [] for e in parsed.events)


def test_feed_refuses_duplicate_uids():
    with pytest.raises(ValueError, match="duplicate UID"):
        feed([make_event(), make_event()], name="x", dtstamp=STAMP)


# -- instants either side of the UK clock changes ------------------------------------------------

# (Sunday of the change, UTC hour of 10:00 London on the Friday before, on the Monday after)
CLOCK_CHANGES = [
    (date(2026, 3, 29), 10, 9),
    (date(2026, 10, 25), 9, 10),
    (date(2027, 3, 28), 10, 9),
    (date(2027, 10, 31), 9, 10),
]


def clock_change_events() -> list[tuple[EventData, datetime]]:
    cases = []
    for sunday, friday_hour, monday_hour in CLOCK_CHANGES:
        for day, utc_hour in (
            (sunday - timedelta(days=2), friday_hour),
            (sunday + timedelta(days=1), monday_hour),
        ):
            start = datetime(day.year, day.month, day.day, 10, tzinfo=LONDON)
            event = make_event(
                uid=f"{day.isoformat()}@example.org", start=start, end=start + timedelta(hours=1)
            )
            cases.append((event, datetime(day.year, day.month, day.day, utc_hour, tzinfo=UTC)))
        # An hour that straddles the change itself, given in UTC.
        night = datetime(sunday.year, sunday.month, sunday.day, 0, 30, tzinfo=UTC)
        cases.append(
            (
                make_event(uid=f"night-{sunday}@example.org", start=night, end=night + timedelta(hours=1)),
                night,
            )
        )
    return cases


def test_instants_round_trip_across_clock_changes(parse):
    cases = clock_change_events()
    parsed = parse(feed([event for event, _ in cases], name="Clock changes", dtstamp=STAMP))
    assert len(parsed.events) == len(cases) == 12
    for event, expected_utc in cases:
        got = parsed.event(event.uid)
        assert got.all_utc
        assert got.start == expected_utc == event.start
        assert got.end == expected_utc + timedelta(hours=1) == event.end


def test_invite_either_side_of_a_clock_change(parse):
    monday = datetime(2026, 10, 26, 10, tzinfo=LONDON)
    parsed = parse(
        invite(make_event(start=monday, end=monday + timedelta(minutes=45)), method="REQUEST", dtstamp=STAMP)
    )
    assert parsed.events[0].start == datetime(2026, 10, 26, 10, tzinfo=UTC)  # GMT again
    assert parsed.events[0].end == datetime(2026, 10, 26, 10, 45, tzinfo=UTC)


# -- hostile text --------------------------------------------------------------------------------


def assert_shape(parsed, *, n_events: int, n_attendees: int, baseline) -> None:
    assert parsed.top_level_components == 1
    assert parsed.errors == []
    assert sorted(parsed.property_names) == sorted(baseline.property_names)
    assert parsed.component_names == ["VEVENT"] * n_events
    for event in parsed.events:
        assert sorted(event.property_names) == sorted(baseline.events[0].property_names)
        assert event.component_count == 0
        assert len(event.attendees) == n_attendees


def hostile_invite() -> tuple[bytes, list[Person]]:
    attendees = [Person(f"guest{n}@example.com", text, rsvp=n == 0) for n, text in enumerate(HOSTILE)]
    event = make_event(
        summary=" | ".join(HOSTILE[:9]),
        description="\n".join(HOSTILE),
        location=HOSTILE[5],
        attendees=tuple(attendees),
    )
    return invite(event, method="REQUEST", dtstamp=STAMP), attendees


def test_hostile_names_never_add_attendees_or_properties(parse):
    data, attendees = hostile_invite()
    plain = invite(
        make_event(attendees=tuple(Person(p.email, "Plain") for p in attendees)),
        method="REQUEST",
        dtstamp=STAMP,
    )
    parsed = parse(data)
    assert_shape(parsed, n_events=1, n_attendees=len(HOSTILE), baseline=parse(plain))
    (event,) = parsed.events
    assert [a.value for a in event.attendees] == [f"mailto:{p.email}" for p in attendees]
    assert event.summary == clean_text(" | ".join(HOSTILE[:9]))
    assert event.description == clean_text("\n".join(HOSTILE), multiline=True)
    assert event.location == clean_text(HOSTILE[5])
    expected = [cn_text(p.name) for p in attendees]
    assert [a.cn for a in event.attendees] == (
        expected if parsed.decodes_rfc6868 else list(map(rfc6868, expected))
    )
    assert max(len(line) for line in physical_lines(data)) <= 75


def test_hostile_summaries_never_add_events_to_a_feed(parse):
    events = [
        make_event(uid=f"h{n}@example.org", summary=text, description=text, location=text)
        for n, text in enumerate(HOSTILE)
    ]
    baseline = parse(feed([make_event(uid="b@example.org")], name="x", dtstamp=STAMP))
    parsed = parse(feed(events, name=HOSTILE[0], dtstamp=STAMP))
    assert_shape(parsed, n_events=len(HOSTILE), n_attendees=0, baseline=baseline)
    for n, text in enumerate(HOSTILE):
        got = parsed.event(f"h{n}@example.org")
        assert (got.summary, got.location) == (clean_text(text), clean_text(text))
        assert got.description == clean_text(text, multiline=True)


SNIPPETS = st.sampled_from(
    ["\r", "\n", "\r\n", "\r\n ", ";", ",", ":", '"', "^", "\\", "😀", "é", "\x00", "\x85", "\u2028"]
    + ["ATTENDEE:mailto:e@x", "END:VEVENT", "BEGIN:VCALENDAR"]
)
HOSTILE_TEXT = st.lists(st.one_of(st.text(max_size=40), SNIPPETS), max_size=12).map("".join)


@settings(max_examples=60, deadline=None)
@given(name=HOSTILE_TEXT, summary=HOSTILE_TEXT, note=HOSTILE_TEXT)
def test_any_text_keeps_the_structure(name, summary, note):
    event = make_event(
        summary=summary,
        description="Note: " + note,
        location=name,
        attendees=(Person("booker@example.com", name, rsvp=True), PARTNER),
    )
    data = invite(event, method="REQUEST", dtstamp=STAMP)
    assert max(len(line) for line in physical_lines(data)) <= 75
    assert data.count(b"\n") == data.count(b"\r\n") == data.count(b"\r")
    for parse_fn in (parse_icalendar, parse_vobject):
        parsed = parse_fn(data)
        (got,) = parsed.events
        assert parsed.errors == [] and parsed.method == "REQUEST"
        expected_names = ["UID", "SEQUENCE", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "DESCRIPTION"]
        expected_names += ["URL", "STATUS", "ORGANIZER", "ATTENDEE", "ATTENDEE"]
        expected_names += ["LOCATION"] if clean_text(name) else []
        assert sorted(got.property_names) == sorted(expected_names)
        assert [a.value for a in got.attendees] == ["mailto:booker@example.com", "mailto:partner@example.org"]
        assert got.summary == clean_text(summary)
        assert got.description == clean_text("Note: " + note, multiline=True)
        expected = cn_text(name) if parsed.decodes_rfc6868 else rfc6868(cn_text(name))
        assert got.attendees[0].cn == (expected or None)


@settings(max_examples=6, deadline=None)
@given(texts=st.lists(HOSTILE_TEXT, min_size=20, max_size=20))
def test_any_text_keeps_the_structure_in_icaljs(texts):
    # Node is slow to start, so each example batches 20 texts into one invite and one feed.
    guests = tuple(Person(f"g{n}@example.com", text, rsvp=n == 0) for n, text in enumerate(texts))
    data = invite(
        make_event(attendees=guests, summary="|".join(texts), description="\n".join(texts)),
        method="REQUEST",
        dtstamp=STAMP,
    )
    (event,) = parse_icaljs(data).events
    assert [a.value for a in event.attendees] == [f"mailto:{g.email}" for g in guests]
    assert [a.cn for a in event.attendees] == [cn_text(text) or None for text in texts]
    assert event.summary == clean_text("|".join(texts))
    assert event.description == (clean_text("\n".join(texts), multiline=True) or None)
    events = [
        make_event(uid=f"u{n}@example.org", summary=text, location=text, description=text)
        for n, text in enumerate(texts)
    ]
    parsed = parse_icaljs(feed(events, name=texts[0], dtstamp=STAMP))
    assert parsed.top_level_components == 1 and parsed.component_names == ["VEVENT"] * 20
    for n, text in enumerate(texts):
        got = parsed.event(f"u{n}@example.org")
        assert (got.summary, got.location) == (clean_text(text), clean_text(text) or None)
        assert got.description == (clean_text(text, multiline=True) or None)


# -- clean_text and refusals ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "multiline", "expected"),
    [
        ("  Sam\r\n  Booker\t ", False, "Sam Booker"),
        ("a\rb", False, "a b"),
        ("line 1\r\nline 2\rline 3\n", True, "line 1\nline 2\nline 3"),
        ("nul\x00bell\x07del\x7fc1\x9b", False, "nulbelldelc1"),
        ("x\u2028y\x85z", True, "x\ny\nz"),
        ('keep; these, "marks" \\ ^ 😀', False, 'keep; these, "marks" \\ ^ 😀'),
        ("\ud800lone surrogate", False, "lone surrogate"),
    ],
)
def test_clean_text(raw, multiline, expected):
    assert clean_text(raw, multiline=multiline) == expected


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"start": datetime(2026, 5, 1, 10)}, "timezone-aware"),
        ({"end": datetime(2026, 5, 1, 9, tzinfo=LONDON)}, "end must be after start"),
        ({"sequence": -1}, "sequence"),
        ({"sequence": True}, "sequence"),
        ({"uid": "has space@example.org"}, "UID"),
        ({"uid": "x\r\nATTENDEE:mailto:e@x"}, "UID"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "https://example.org/\r\nATTENDEE:mailto:e@x"}, "url"),
        ({"status": "MAYBE"}, "status"),
        ({"status": "CANCELLED"}, "method='CANCEL'"),
        ({"organizer": None}, "organizer"),
        ({"attendees": ()}, "attendee"),
        ({"attendees": (Person("e@x\r\nATTENDEE:mailto:evil@x"),)}, "email"),
        ({"attendees": (Person("a@example.com,evil@example.net"),)}, "email"),
        ({"attendees": (Person('"a"@example.com'),)}, "email"),
        ({"attendees": (Person("a@example.com", role="BOSS"),)}, "role"),
        ({"attendees": (Person("a@example.com", partstat="MAYBE"),)}, "partstat"),
    ],
)
def test_invite_refuses_what_it_cannot_write_safely(overrides, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        invite(make_event(**overrides), method="REQUEST", dtstamp=STAMP)


def test_refuses_unknown_method_and_naive_dtstamp():
    with pytest.raises(ValueError, match="method"):
        invite(make_event(), method="PUBLISH", dtstamp=STAMP)
    with pytest.raises(ValueError, match="dtstamp"):
        feed([make_event()], name="x", dtstamp=datetime(2026, 1, 1))


def test_sub_second_parts_are_dropped_not_rounded():
    start = datetime(2026, 5, 1, 9, 0, 0, 999_999, tzinfo=UTC)
    data = invite(
        make_event(start=start, end=start + timedelta(hours=1)),
        method="REQUEST",
        dtstamp=STAMP + timedelta(microseconds=5),
    )
    assert b"\r\nDTSTART:20260501T090000Z\r\n" in data and b"\r\nDTSTAMP:20260102T030405Z\r\n" in data


def test_a_cancel_asks_nobody_to_reply(parse):
    request = parse(invite(make_event(), method="REQUEST", dtstamp=STAMP))
    cancel = parse(invite(make_event(sequence=1), method="CANCEL", dtstamp=STAMP))
    assert [a.rsvp for a in request.events[0].attendees] == ["TRUE", None]
    assert [a.rsvp for a in cancel.events[0].attendees] == [None, None]
