"""Busy-time import: fetching a partner's ICS address safely, and reading busy intervals from it.

Network rule: these tests only ever connect to 127.0.0.1. Host names are answered by injected
resolvers, and an autouse fixture makes any real DNS lookup fail the test.
"""

import contextlib
import logging
import shutil
import socket
import ssl
import subprocess
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bookings.calendars import fetch as calendar_fetch
from bookings.calendars.busy import busy_intervals, busy_intervals_isolated
from bookings.calendars.fetch import (
    CalendarFetchError,
    CalendarParseError,
    fetch_calendar,
    is_public_address,
    normalise_calendar_url,
)
from tests.support.ics_server import IcsServer, drip, huge, ics, redirect, respond, stall, status

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
WINDOW = {"window_start": datetime(2026, 1, 1, tzinfo=UTC), "window_end": datetime(2028, 1, 1, tzinfo=UTC)}
LOCAL_FETCH = {"timeout": 5, "max_bytes": 100_000, "allow_private": True}


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def calendar(*events: str, extra: str = "") -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Test//Busy//EN", extra.strip()]
    for event in events:
        lines += ["BEGIN:VEVENT", *event.strip().splitlines(), "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(line.strip() for line in lines if line.strip()) + "\r\n").encode()


def busy(ics_bytes: bytes, tz: ZoneInfo = LONDON, **window) -> list[tuple[datetime, datetime]]:
    return busy_intervals(ics_bytes, default_tz=tz, **(window or WINDOW))


LONDON_EVENTS = calendar(
    "UID:summer\nDTSTART;TZID=Europe/London:20260615T100000\nDTEND;TZID=Europe/London:20260615T110000",
    "UID:winter\nDTSTART;TZID=Europe/London:20261215T100000\nDTEND;TZID=Europe/London:20261215T110000",
)


@pytest.fixture(autouse=True)
def no_real_dns(monkeypatch):
    real = socket.getaddrinfo

    def local_only(host, *args, **kwargs):
        if host not in ("127.0.0.1", "::1", b"127.0.0.1"):
            raise AssertionError(f"test tried a real DNS lookup for {host!r}")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", local_only)


@pytest.fixture
def server():
    with IcsServer() as running:
        yield running


# ----- reading busy time --------------------------------------------------------------------


def test_london_event_fetched_from_server_gives_utc_interval_in_summer_and_winter(server):
    server.routes["/partner.ics"] = ics(LONDON_EVENTS)
    body = fetch_calendar(server.url("/partner.ics"), **LOCAL_FETCH)
    assert busy(body) == [
        (utc(2026, 6, 15, 9), utc(2026, 6, 15, 10)),  # BST: London is UTC+1
        (utc(2026, 12, 15, 10), utc(2026, 12, 15, 11)),  # GMT
    ]


GOOGLE_LONDON_VTIMEZONE = """
BEGIN:VTIMEZONE
TZID:Europe/London
X-LIC-LOCATION:Europe/London
BEGIN:DAYLIGHT
TZOFFSETFROM:+0000
TZOFFSETTO:+0100
TZNAME:BST
DTSTART:19700329T010000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0100
TZOFFSETTO:+0000
TZNAME:GMT
DTSTART:19701025T020000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
"""


@pytest.mark.parametrize("vtimezone", ["", GOOGLE_LONDON_VTIMEZONE], ids=["zoneinfo", "vtimezone"])
def test_weekly_event_stays_at_ten_london_across_both_clock_changes(vtimezone):
    weekly = "UID:weekly\nDTSTART;TZID=Europe/London:20261019T100000\n"
    weekly += "DTEND;TZID=Europe/London:20261019T110000\nRRULE:FREQ=WEEKLY;BYDAY=MO"
    window = {"window_start": utc(2026, 10, 1), "window_end": utc(2027, 4, 13)}
    intervals = busy(calendar(weekly, extra=vtimezone), **window)
    assert len(intervals) == 26  # 19 Oct 2026 to 12 Apr 2027, every Monday
    assert {start.astimezone(LONDON).hour for start, _ in intervals} == {10}
    assert all(end - start == timedelta(hours=1) for start, end in intervals)
    by_day = {start.date(): start.hour for start, _ in intervals}
    assert by_day[datetime(2026, 10, 19).date()] == 9  # BST
    assert by_day[datetime(2026, 10, 26).date()] == 10  # GMT, the day after the clocks went back
    assert by_day[datetime(2027, 3, 22).date()] == 10
    assert by_day[datetime(2027, 3, 29).date()] == 9  # BST again


def test_all_day_event_is_busy_from_local_midnight_to_local_midnight():
    summer = "UID:a\nDTSTART;VALUE=DATE:20260615\nDTEND;VALUE=DATE:20260616"
    winter = "UID:b\nDTSTART;VALUE=DATE:20261215"  # no DTEND: one day
    assert busy(calendar(summer, winter)) == [
        (utc(2026, 6, 14, 23), utc(2026, 6, 15, 23)),
        (utc(2026, 12, 15), utc(2026, 12, 16)),
    ]


def test_multi_day_all_day_event_over_the_clock_change_follows_local_midnights():
    holiday = "UID:h\nDTSTART;VALUE=DATE:20261024\nDTEND;VALUE=DATE:20261027"
    assert busy(calendar(holiday)) == [(utc(2026, 10, 23, 23), utc(2026, 10, 27))]


def test_floating_time_is_read_in_the_partners_zone():
    floating = calendar("UID:f\nDTSTART:20260615T100000\nDTEND:20260615T110000")
    assert busy(floating) == [(utc(2026, 6, 15, 9), utc(2026, 6, 15, 10))]
    assert busy(floating, tz=NEW_YORK) == [(utc(2026, 6, 15, 14), utc(2026, 6, 15, 15))]


def test_event_with_its_own_time_zone_and_utc_and_duration():
    new_york = "UID:ny\nDTSTART;TZID=America/New_York:20260615T100000\nDURATION:PT90M"
    zulu = "UID:z\nDTSTART:20260616T080000Z\nDTEND:20260616T083000Z"
    assert busy(calendar(new_york, zulu)) == [
        (utc(2026, 6, 15, 14), utc(2026, 6, 15, 15, 30)),
        (utc(2026, 6, 16, 8), utc(2026, 6, 16, 8, 30)),
    ]


OUTLOOK_GMT_VTIMEZONE = """
BEGIN:VTIMEZONE
TZID:GMT Standard Time
BEGIN:STANDARD
DTSTART:16010101T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0000
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T010000
TZOFFSETFROM:+0000
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE
"""


@pytest.mark.parametrize("vtimezone", ["", OUTLOOK_GMT_VTIMEZONE], ids=["name-only", "vtimezone"])
def test_outlook_windows_zone_names_are_understood(vtimezone):
    event = "UID:o\nDTSTART;TZID=GMT Standard Time:20260615T100000\n"
    event += "DTEND;TZID=GMT Standard Time:20260615T110000"
    assert busy(calendar(event, extra=vtimezone)) == [(utc(2026, 6, 15, 9), utc(2026, 6, 15, 10))]


def test_unknown_zone_name_is_read_as_the_partners_zone():
    event = "UID:x\nDTSTART;TZID=Nowhere/Atlantis:20260615T100000\nDURATION:PT1H"
    assert busy(calendar(event), tz=NEW_YORK) == [(utc(2026, 6, 15, 14), utc(2026, 6, 15, 15))]


def test_cancelled_free_and_outlook_free_events_are_not_busy():
    base = "DTSTART:20260615T100000Z\nDTEND:20260615T110000Z\n"
    events = calendar(
        "UID:c\n" + base + "STATUS:CANCELLED",
        "UID:t\n" + base + "TRANSP:TRANSPARENT",
        "UID:o\n" + base + "X-MICROSOFT-CDO-BUSYSTATUS:FREE",
        "UID:tentative\nDTSTART:20260616T100000Z\nDTEND:20260616T110000Z\nSTATUS:TENTATIVE",
    )
    assert busy(events) == [(utc(2026, 6, 16, 10), utc(2026, 6, 16, 11))]


def test_cancelled_and_moved_single_occurrences_of_a_series():
    series = (
        "UID:s\nDTSTART;TZID=Europe/London:20260601T100000\nDTEND;TZID=Europe/London:20260601T110000\n"
        "RRULE:FREQ=WEEKLY;COUNT=4\nEXDATE;TZID=Europe/London:20260608T100000"
    )
    cancelled = "UID:s\nRECURRENCE-ID;TZID=Europe/London:20260615T100000\n"
    cancelled += "DTSTART;TZID=Europe/London:20260615T100000\nDTEND;TZID=Europe/London:20260615T110000\n"
    cancelled += "STATUS:CANCELLED"
    moved = "UID:s\nRECURRENCE-ID;TZID=Europe/London:20260622T100000\n"
    moved += "DTSTART;TZID=Europe/London:20260622T140000\nDTEND;TZID=Europe/London:20260622T150000"
    assert busy(calendar(series, cancelled, moved)) == [
        (utc(2026, 6, 1, 9), utc(2026, 6, 1, 10)),
        (utc(2026, 6, 22, 13), utc(2026, 6, 22, 14)),
    ]


def test_intervals_are_clipped_to_the_window_and_merged():
    events = calendar(
        "UID:1\nDTSTART:20260615T080000Z\nDTEND:20260615T100000Z",
        "UID:2\nDTSTART:20260615T093000Z\nDTEND:20260615T110000Z",  # overlaps 1
        "UID:3\nDTSTART:20260615T110000Z\nDTEND:20260615T113000Z",  # touches 2
        "UID:4\nDTSTART:20260615T150000Z\nDTEND:20260615T150000Z",  # empty: no time at all
        "UID:5\nDTSTART:20260615T160000Z\nDTEND:20260615T190000Z",  # runs past the window
    )
    window = {"window_start": utc(2026, 6, 15, 9), "window_end": utc(2026, 6, 15, 18)}
    result = busy(events, **window)
    assert result == [
        (utc(2026, 6, 15, 9), utc(2026, 6, 15, 11, 30)),
        (utc(2026, 6, 15, 16), utc(2026, 6, 15, 18)),
    ]
    assert all(start.tzinfo is UTC and end.tzinfo is UTC for start, end in result)


def test_window_bounds_must_be_aware():
    with pytest.raises(ValueError):
        busy_intervals(
            LONDON_EVENTS, window_start=datetime(2026, 1, 1), window_end=utc(2027, 1, 1), default_tz=LONDON
        )


# ----- hostile or broken content ------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"<!doctype html><title>Sign in</title>",
        b"",
        b"BEGIN:VCALENDAR\r\n",
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:notadate\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:20260615T100000Z\r\nRRULE:FREQ=FOO\r\n"
        b"END:VEVENT\r\nEND:VCALENDAR\r\n",
        b"BEGIN:VCALENDAR\r\n" + b"BEGIN:VEVENT\r\n" * 5000 + b"END:VCALENDAR\r\n",
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART;TZID=Nowhere/Atlantis:20260615T100000\r\n"
        b"END:VEVENT\r\nEND:VCALENDAR\r\n",
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:\xff\xfe\r\nDTSTART:20260615T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR",
    ],
    ids=["html", "empty", "unterminated", "bad-date", "bad-rule", "deep-nesting", "unknown-tzid", "not-utf8"],
)
def test_broken_bodies_raise_only_the_parse_error(body):
    try:
        result = busy(body)
    except CalendarParseError as error:
        assert error.code in ("not_calendar", "too_complex")
        assert error.message
    else:  # a lenient parse is fine, as long as what comes back keeps the invariant
        assert all(start < end and start.tzinfo is UTC for start, end in result)


def test_html_page_gets_the_not_a_calendar_message():
    with pytest.raises(CalendarParseError) as caught:
        busy(b"<!doctype html><title>Sign in</title>")
    assert caught.value.code == "not_calendar"
    assert "not a calendar" in caught.value.message


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cut=st.integers(0, 2000), junk=st.binary(max_size=40), at=st.integers(0, 2000))
def test_mangled_calendars_raise_nothing_but_the_parse_error(cut, junk, at):
    original = calendar(
        "UID:s\nDTSTART;TZID=Europe/London:20260601T100000\nDTEND;TZID=Europe/London:20260601T110000\n"
        "RRULE:FREQ=WEEKLY;COUNT=4\nEXDATE;TZID=Europe/London:20260608T100000",
        "UID:d\nDTSTART;VALUE=DATE:20260615",
        extra=GOOGLE_LONDON_VTIMEZONE,
    )
    mangled = original[: min(at, cut)] + junk + original[max(at, cut) :]
    with contextlib.suppress(CalendarParseError):  # any other exception fails the test
        busy(mangled)


def test_a_rule_repeating_every_second_is_refused_before_expanding():
    storm = calendar("UID:x\nDTSTART:20260101T000000Z\nDURATION:PT1S\nRRULE:FREQ=SECONDLY")
    with pytest.raises(CalendarParseError) as caught:
        busy(storm)
    assert caught.value.code == "too_complex"


def test_more_events_than_the_cap_are_refused():
    many = calendar(*(f"UID:{n}\nDTSTART:202606{n + 1:02d}T100000Z\nDURATION:PT1H" for n in range(20)))
    assert len(busy_intervals(many, default_tz=LONDON, max_intervals=20, **WINDOW)) == 20
    with pytest.raises(CalendarParseError) as caught:
        busy_intervals(many, default_tz=LONDON, max_intervals=19, **WINDOW)
    assert caught.value.code == "too_complex"


def test_isolated_parse_matches_in_process_parse():
    isolated = busy_intervals_isolated(LONDON_EVENTS, default_tz=LONDON, time_limit=60, **WINDOW)
    assert isolated == busy(LONDON_EVENTS)
    with pytest.raises(CalendarParseError) as caught:
        busy_intervals_isolated(b"<html>", default_tz=LONDON, time_limit=60, **WINDOW)
    assert caught.value.code == "not_calendar"


def test_isolated_parse_stops_rules_that_never_match():
    # Hourly (so it passes the density check) but 30 February never comes: dateutil walks to 9999.
    rule = "RRULE:FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30"
    never = [f"UID:{n}\nDTSTART:19000101T000000Z\n{rule}" for n in range(20)]
    with pytest.raises(CalendarParseError) as caught:
        busy_intervals_isolated(calendar(*never), default_tz=LONDON, time_limit=1, **WINDOW)
    assert caught.value.code == "too_complex"


# ----- fetching -----------------------------------------------------------------------------


def fetch_error(url: str, **kwargs) -> CalendarFetchError:
    with pytest.raises(CalendarFetchError) as caught:
        fetch_calendar(url, **{**LOCAL_FETCH, **kwargs})
    return caught.value


def test_fetch_sends_a_user_agent_and_asks_for_an_uncompressed_calendar(server):
    server.routes["/a.ics"] = ics(LONDON_EVENTS)
    assert fetch_calendar(server.url("/a.ics?private=1"), **LOCAL_FETCH) == LONDON_EVENTS
    headers = server.requests[0]["headers"]
    assert headers["User-Agent"].startswith("CoproductionSite-BusyTime/")
    assert headers["Accept-Encoding"] == "identity"
    assert server.requests[0]["path"] == "/a.ics?private=1"


@pytest.mark.parametrize("content_length", [10_000_000, None], ids=["content-length", "close-delimited"])
def test_slow_drip_server_ends_with_the_timeout_error(server, content_length):
    server.routes["/drip.ics"] = drip(interval=0.02, content_length=content_length)
    assert fetch_error(server.url("/drip.ics"), timeout=0.5, max_bytes=10_000_000).code == "timeout"


def test_server_that_never_answers_ends_with_the_timeout_error(server):
    server.routes["/stall.ics"] = stall()
    error = fetch_error(server.url("/stall.ics"), timeout=0.3)
    assert error.code == "timeout"
    assert error.message == "We could not reach your calendar address (it took too long to answer)."


@pytest.mark.parametrize("with_length", [True, False], ids=["content-length", "streamed"])
def test_oversized_response_is_refused(server, with_length):
    server.routes["/big.ics"] = huge(200_000, with_length=with_length)
    assert fetch_error(server.url("/big.ics"), max_bytes=50_000).code == "too_large"


def test_response_exactly_at_the_cap_is_accepted(server):
    server.routes["/edge.ics"] = huge(50_000, with_length=False)
    assert len(fetch_calendar(server.url("/edge.ics"), **{**LOCAL_FETCH, "max_bytes": 50_000})) == 50_000


@pytest.mark.parametrize("code", [404, 500, 403])
def test_http_error_status_is_reported_with_its_code(server, code):
    server.routes["/gone.ics"] = status(code)
    error = fetch_error(server.url("/gone.ics"))
    assert (error.code, error.status) == ("http_error", code)
    assert f"(code {code})" in error.message


def test_compressed_body_is_refused_rather_than_misread(server):
    gzip_magic = b"\x1f\x8b\x08\x00"
    server.routes["/gz.ics"] = respond(200, gzip_magic, "text/calendar", {"Content-Encoding": "gzip"})
    assert fetch_error(server.url("/gz.ics")).code == "not_calendar"


def test_redirect_chain_is_followed_without_sending_cookies_back(server):
    server.routes["/one"] = redirect(server.url("/two"), 301)
    server.routes["/two"] = redirect("/three.ics", 307)  # relative Location
    server.routes["/three.ics"] = ics(LONDON_EVENTS)
    assert fetch_calendar(server.url("/one"), **LOCAL_FETCH) == LONDON_EVENTS
    assert [request["path"] for request in server.requests] == ["/one", "/two", "/three.ics"]
    assert not any("Cookie" in r["headers"] or "Authorization" in r["headers"] for r in server.requests)


def test_too_many_redirects_are_refused(server):
    for hop in range(4):
        server.routes[f"/r{hop}"] = redirect(f"/r{hop + 1}")
    server.routes["/r4"] = ics(LONDON_EVENTS)
    assert fetch_calendar(server.url("/r1"), **LOCAL_FETCH, max_redirects=3) == LONDON_EVENTS
    assert fetch_error(server.url("/r0"), max_redirects=3).code == "too_many_redirects"


@pytest.mark.parametrize(
    "target", ["file:///etc/passwd", "ftp://127.0.0.1/cal.ics", "gopher://127.0.0.1:6379/_"]
)
def test_redirect_to_another_scheme_is_refused(server, target):
    server.routes["/r"] = redirect(target)
    assert fetch_error(server.url("/r")).code == "bad_redirect"
    assert len(server.requests) == 1


def test_redirect_without_location_is_refused(server):
    server.routes["/r"] = respond(302, b"", "text/plain")
    assert fetch_error(server.url("/r")).code == "bad_redirect"


def test_loopback_is_refused_before_any_connection_unless_allowed(server):
    server.routes["/a.ics"] = ics(LONDON_EVENTS)
    for url in (server.url("/a.ics"), "http://127.0.0.1/a.ics", "http://[::1]/a.ics"):
        assert fetch_error(url, allow_private=False).code == "address_not_allowed"
    assert server.requests == []


def test_every_resolved_address_is_checked_before_connecting():
    resolved = {"mixed.example": ["93.184.216.34", "10.0.0.7"], "metadata.example": ["169.254.169.254"]}
    resolver = lambda host, port: resolved[host]  # noqa: E731
    for host in resolved:
        error = fetch_error(f"https://{host}/cal.ics", allow_private=False, resolver=resolver)
        assert error.code == "address_not_allowed"


def test_odd_ports_are_refused_for_public_hosts():
    resolver = lambda host, port: ["93.184.216.34"]  # noqa: E731
    error = fetch_error("https://calendar.example:6379/x", allow_private=False, resolver=resolver)
    assert error.code == "address_not_allowed"


def test_redirect_to_a_private_address_is_refused_at_that_hop(server, monkeypatch):
    # Pretend this loopback server is a public host, so the first hop passes the policy and the
    # redirect's own check is what stops the fetch. The 10.x address is refused before connecting.
    monkeypatch.setattr(calendar_fetch, "is_public_address", lambda ip: ip == "127.0.0.1")
    monkeypatch.setattr(calendar_fetch, "_PUBLIC_PORTS", frozenset({80, 443, server.port}))
    names = {"calendar.example": ["127.0.0.1"], "intranet.example": ["10.1.2.3"]}
    calls = []

    def resolver(host, port):
        calls.append(host)
        return names[host]

    server.routes["/ok.ics"] = ics(LONDON_EVENTS)
    server.routes["/r"] = redirect(f"http://intranet.example:{server.port}/secret")
    public = f"http://calendar.example:{server.port}"
    assert fetch_calendar(f"{public}/ok.ics", **{**LOCAL_FETCH, "allow_private": False}, resolver=resolver)
    assert server.requests[0]["headers"]["Host"] == f"calendar.example:{server.port}"
    assert calls == ["calendar.example"]  # one lookup, then we connect to the address we checked
    error = fetch_error(f"{public}/r", allow_private=False, resolver=resolver)
    assert error.code == "address_not_allowed"
    assert [request["path"] for request in server.requests] == ["/ok.ics", "/r"]


@pytest.mark.parametrize(
    "ip",
    ["10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254", "127.0.0.1",
     "100.64.0.1", "224.0.0.1", "255.255.255.255", "::1", "::", "fc00::1", "fe80::1%eth0",
     "0.0.0.0",  # noqa: S104 - an address to judge, not one to bind
     "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:8.8.8.8", "2002:7f00:1::1",
     "64:ff9b::a00:1", "::127.0.0.1", "not-an-ip", ""],
)  # fmt: skip
def test_address_checker_refuses_private_and_special_addresses(ip):
    assert not is_public_address(ip)


@pytest.mark.parametrize("ip", ["93.184.216.34", "8.8.8.8", "2606:2800:220:1:248:1893:25c8:1946"])
def test_address_checker_accepts_public_addresses_without_connecting(ip):
    assert is_public_address(ip)


def test_webcal_addresses_mean_https():
    assert normalise_calendar_url(" webcal://p01-calendars.icloud.com/published/2/abc ") == (
        "https://p01-calendars.icloud.com/published/2/abc"
    )
    assert normalise_calendar_url("WEBCALS://example.org/a.ics") == "https://example.org/a.ics"


@pytest.mark.parametrize(
    "url",
    ["ftp://example.org/a.ics", "file:///etc/passwd", "javascript:alert(1)",
     "https://user:pw@example.org/a", "https:///a.ics", "http://example.org:99999/a",
     "https://exa mple.org/a", "https://example.org/a\r\nX: y", "example.org/a.ics", ""],
)  # fmt: skip
def test_invalid_addresses_are_refused_before_any_lookup(url):
    error = fetch_error(url, resolver=lambda h, p: pytest.fail("looked up an invalid address"))
    assert error.code == "invalid_url"


def test_secret_address_never_reaches_logs_or_error_text(server, caplog):
    server.routes["/calendar/ical/s3cr3t-token/basic.ics"] = status(404)
    with caplog.at_level(logging.INFO, logger="bookings.calendars.fetch"):
        error = fetch_error(server.url("/calendar/ical/s3cr3t-token/basic.ics"))
    assert "127.0.0.1" in caplog.text  # the host is logged, for staff
    assert not any("s3cr3t" in text for text in (caplog.text, str(error), repr(error), error.message))


# ----- https: the checked address is used, with the right SNI and Host -------------------------


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    if not shutil.which("openssl"):
        pytest.skip("openssl not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=calendar.test", "-addext", "subjectAltName=DNS:calendar.test",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def test_https_fetch_connects_to_the_checked_address_with_the_hosts_name(tls_files):
    cert, key = tls_files
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    client_context = ssl.create_default_context(cafile=str(cert))  # verifies calendar.test
    with IcsServer(tls_context=server_context, host_name="calendar.test") as tls_server:
        tls_server.routes["/a.ics"] = ics(LONDON_EVENTS)
        options = {**LOCAL_FETCH, "resolver": lambda h, p: ["127.0.0.1"], "ssl_context": client_context}
        assert fetch_calendar(tls_server.url("/a.ics", scheme="webcal"), **options) == LONDON_EVENTS
        assert tls_server.requests[0]["headers"]["Host"] == f"calendar.test:{tls_server.port}"
        # The same server reached under another name fails certificate checks: SNI is the name.
        wrong_name = f"https://other.test:{tls_server.port}/a.ics"
        error = fetch_error(wrong_name, resolver=options["resolver"], ssl_context=client_context)
        assert error.code == "unreachable"
        assert len(tls_server.requests) == 1  # the request never got past the handshake
