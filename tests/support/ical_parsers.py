"""Read calendar bytes back with three parsers we did not write, into one common shape.

Each ``parse_*`` returns a ``Parsed`` so a test can be written once and run against icalendar
(Python), vobject (Python, used by Radicale and many scripts) and ical.js (Thunderbird's parser,
run under Node). Nothing here repairs what a parser reports: the point is to see what clients see.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from icalendar import Calendar

REPO_ROOT = Path(__file__).resolve().parents[2]
NODE_SCRIPT = REPO_ROOT / "tests" / "js" / "parse_ics.mjs"
ICALJS_PACKAGE = REPO_ROOT / "node_modules" / "ical.js"
NODE_MIN_MAJOR = 20
ICALJS_SKIP = "ical.js checks need Node 20+ and `npm ci` (run make test with npm on PATH)"


@dataclass
class Address:
    value: str  # "mailto:..." as the parser gives it
    cn: str | None
    rsvp: str | None = None


@dataclass
class Conference:
    """An RFC 7986 CONFERENCE property as a parser reads it."""

    value: str
    value_type: str | None  # VALUE (icalendar, vobject) or the property's type (ical.js), lower case
    feature: str | None
    label: str | None


@dataclass
class ParsedEvent:
    uid: str | None
    sequence: int | None
    status: str | None
    start: datetime | None  # aware UTC instant
    end: datetime | None
    dtstamp: datetime | None
    all_utc: bool  # DTSTART, DTEND and DTSTAMP all read as UTC, none with a TZID
    summary: str | None
    description: str | None
    location: str | None
    url: str | None
    organizer: Address | None
    attendees: list[Address]
    property_names: list[str]  # one entry per content line, upper case, in any order
    component_count: int
    conferences: list[Conference] = field(default_factory=list)


@dataclass
class Parsed:
    parser: str
    # vobject 0.9.9 does not implement RFC 6868, so it hands back CN values still encoded.
    decodes_rfc6868: bool
    top_level_components: int
    method: str | None
    property_names: list[str]
    component_names: list[str]
    events: list[ParsedEvent]
    errors: list[str] = field(default_factory=list)

    def event(self, uid: str) -> ParsedEvent:
        (match,) = [e for e in self.events if e.uid == uid]
        return match


def _text(value) -> str | None:
    return None if value is None else str(value)


# -- icalendar ---------------------------------------------------------------------------------


def _ical_address(prop) -> Address:
    return Address(value=str(prop), cn=prop.params.get("CN"), rsvp=prop.params.get("RSVP"))


def _ical_instant(vevent, name) -> tuple[datetime | None, bool]:
    prop = vevent.get(name)
    if prop is None:
        return None, False
    value = prop.dt
    utc = (
        isinstance(value, datetime)
        and value.utcoffset() is not None
        and value.utcoffset().total_seconds() == 0
        and "TZID" not in prop.params
    )
    return (value.astimezone(UTC) if isinstance(value, datetime) and value.tzinfo else value), utc


def _ical_event(vevent) -> ParsedEvent:
    names = [n for n, _ in vevent.property_items(recursive=False) if n not in {"BEGIN", "END"}]
    attendees = vevent.get("ATTENDEE", [])
    if not isinstance(attendees, list):
        attendees = [attendees]
    start, start_utc = _ical_instant(vevent, "DTSTART")
    end, end_utc = _ical_instant(vevent, "DTEND")
    stamp, stamp_utc = _ical_instant(vevent, "DTSTAMP")
    organizer = vevent.get("ORGANIZER")
    sequence = vevent.get("SEQUENCE")
    return ParsedEvent(
        uid=_text(vevent.get("UID")),
        sequence=None if sequence is None else int(sequence),
        status=_text(vevent.get("STATUS")),
        start=start,
        end=end,
        dtstamp=stamp,
        all_utc=start_utc and end_utc and stamp_utc,
        summary=_text(vevent.get("SUMMARY")),
        description=_text(vevent.get("DESCRIPTION")),
        location=_text(vevent.get("LOCATION")),
        url=_text(vevent.get("URL")),
        organizer=None if organizer is None else _ical_address(organizer),
        attendees=[_ical_address(a) for a in attendees],
        property_names=names,
        component_count=len(vevent.subcomponents),
        conferences=[_ical_conference(c) for c in _as_list(vevent.get("CONFERENCE", []))],
    )


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _ical_conference(prop) -> Conference:
    kind = prop.params.get("VALUE")
    return Conference(
        value=str(prop),
        value_type=kind.lower() if kind else None,
        feature=prop.params.get("FEATURE"),
        label=prop.params.get("LABEL"),
    )


def parse_icalendar(data: bytes) -> Parsed:
    calendars = Calendar.from_ical(data, multiple=True)
    cal = calendars[0]
    errors = [str(e) for c in cal.walk() for e in c.errors]
    names = [n for n, _ in cal.property_items(recursive=False) if n not in {"BEGIN", "END"}]
    return Parsed(
        parser="icalendar",
        decodes_rfc6868=True,
        top_level_components=len(calendars),
        method=_text(cal.get("METHOD")),
        property_names=names,
        component_names=[c.name for c in cal.subcomponents],
        events=[_ical_event(c) for c in cal.subcomponents if c.name == "VEVENT"],
        errors=errors,
    )


# -- vobject -----------------------------------------------------------------------------------


def _vobject():
    # Imported lazily and quietly: pytest turns warnings into errors, and any deprecation noise
    # from vobject is its own business, not a failure of our calendar file.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import vobject

    return vobject


def _vo_first(params, name) -> str | None:
    values = params.get(name)
    return values[0] if values else None


def _vo_address(line) -> Address:
    return Address(value=line.value, cn=_vo_first(line.params, "CN"), rsvp=_vo_first(line.params, "RSVP"))


def _vo_instant(lines: dict, name: str) -> tuple[datetime | None, bool]:
    found = lines.get(name)
    if not found:
        return None, False
    line = found[0]
    value = line.value
    utc = (
        isinstance(value, datetime)
        and value.utcoffset() is not None
        and value.utcoffset().total_seconds() == 0
        and "TZID" not in line.params
    )
    return (value.astimezone(UTC) if isinstance(value, datetime) and value.tzinfo else value), utc


def _vo_event(vevent, component_cls) -> ParsedEvent:
    children = list(vevent.getChildren())
    lines = [c for c in children if not isinstance(c, component_cls)]
    by_name: dict[str, list] = {}
    for line in lines:
        by_name.setdefault(line.name.upper(), []).append(line)

    def text(name):
        return by_name[name][0].value if name in by_name else None

    start, start_utc = _vo_instant(by_name, "DTSTART")
    end, end_utc = _vo_instant(by_name, "DTEND")
    stamp, stamp_utc = _vo_instant(by_name, "DTSTAMP")
    sequence = text("SEQUENCE")
    return ParsedEvent(
        uid=text("UID"),
        sequence=None if sequence is None else int(sequence),
        status=text("STATUS"),
        start=start,
        end=end,
        dtstamp=stamp,
        all_utc=start_utc and end_utc and stamp_utc,
        summary=text("SUMMARY"),
        description=text("DESCRIPTION"),
        location=text("LOCATION"),
        url=text("URL"),
        organizer=_vo_address(by_name["ORGANIZER"][0]) if "ORGANIZER" in by_name else None,
        attendees=[_vo_address(a) for a in by_name.get("ATTENDEE", [])],
        property_names=[line.name.upper() for line in lines],
        component_count=len(children) - len(lines),
        conferences=[_vo_conference(line) for line in by_name.get("CONFERENCE", [])],
    )


def _vo_conference(line) -> Conference:
    kind = _vo_first(line.params, "VALUE")
    return Conference(
        value=line.value,
        value_type=kind.lower() if kind else None,
        feature=_vo_first(line.params, "FEATURE"),
        label=_vo_first(line.params, "LABEL"),
    )


def parse_vobject(data: bytes) -> Parsed:
    vobject = _vobject()
    component_cls = vobject.base.Component
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        text = data.decode("utf-8")
        calendars = list(vobject.readComponents(text))
        cal = calendars[0]
        children = list(cal.getChildren())
        components = [c for c in children if isinstance(c, component_cls)]
        lines = [c for c in children if not isinstance(c, component_cls)]
        method = [line.value for line in lines if line.name.upper() == "METHOD"]
        return Parsed(
            parser="vobject",
            decodes_rfc6868=False,
            top_level_components=len(calendars),
            method=method[0] if method else None,
            property_names=[line.name.upper() for line in lines],
            component_names=[c.name.upper() for c in components],
            events=[_vo_event(c, component_cls) for c in components if c.name.upper() == "VEVENT"],
        )


# -- ical.js -----------------------------------------------------------------------------------


def _iso(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value).astimezone(UTC)


def _js_address(raw: dict | None) -> Address | None:
    if raw is None:
        return None
    return Address(value=raw["value"], cn=raw["cn"], rsvp=raw["rsvp"])


def _js_event(raw: dict) -> ParsedEvent:
    return ParsedEvent(
        uid=raw["uid"],
        sequence=raw["sequence"],
        status=raw["status"],
        start=_iso(raw["dtstart"]),
        end=_iso(raw["dtend"]),
        dtstamp=_iso(raw["dtstamp"]),
        all_utc=len(raw["zones"]) == 3 and set(raw["zones"]) == {"UTC"} and not raw["tzids"],
        summary=raw["summary"],
        description=raw["description"],
        location=raw["location"],
        url=raw["url"],
        organizer=_js_address(raw["organizer"]),
        attendees=[_js_address(a) for a in raw["attendees"]],
        property_names=raw["property_names"],
        component_count=raw["component_count"],
        conferences=[Conference(**c) for c in raw.get("conferences", [])],
    )


@functools.cache
def _node(path: str | None = None) -> tuple[str | None, str]:
    """The node executable on ``path`` (default: PATH) and why it cannot be used ("" if it can)."""
    node = shutil.which("node", path=path)
    if node is None:
        return None, "node not found on PATH"
    try:
        version = subprocess.run(  # fixed argv, no shell
            [node, "--version"], capture_output=True, text=True, check=False, timeout=60
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"{node} --version failed ({exc})"
    major = re.match(r"v?(\d+)\.", version)
    if major is None or int(major.group(1)) < NODE_MIN_MAJOR:
        return None, f"{node} is {version or 'unknown'}, not Node {NODE_MIN_MAJOR}+"
    return node, ""


def icaljs_missing(path: str | None = None, package: Path = ICALJS_PACKAGE) -> str:
    """Why the ical.js checks cannot run here ("" when they can); tests/conftest.py skips on it."""
    _, missing = _node(path)
    if missing:
        return missing
    if not package.is_dir():
        return f"ical.js not installed ({package} not found)"
    return ""


def icaljs_skip_reason(missing: str) -> str:
    return f"{ICALJS_SKIP}: {missing}"


def parse_icaljs(data: bytes) -> Parsed:
    # Tests parametrised over PARSERS are skipped at collection (tests/conftest.py); this covers
    # direct calls. With E2E_REQUIRED=1 the run stops at collection instead, so CI never skips.
    missing = icaljs_missing()
    if missing:
        pytest.skip(icaljs_skip_reason(missing))
    node, _ = _node()
    result = subprocess.run(  # fixed argv, no shell
        [node, str(NODE_SCRIPT)],
        input=data,
        cwd=REPO_ROOT,
        capture_output=True,
        check=False,
        timeout=120,
        env={**os.environ, "NODE_NO_WARNINGS": "1"},
    )
    if result.returncode != 0:
        raise AssertionError(f"ical.js failed to parse:\n{result.stderr.decode('utf-8', 'replace')}")
    out = json.loads(result.stdout)
    return Parsed(
        parser="ical.js",
        decodes_rfc6868=True,
        top_level_components=len(out["top_level_components"]),
        method=out["method"],
        property_names=out["property_names"],
        component_names=out["component_names"],
        events=[_js_event(e) for e in out["vevents"]],
    )


PARSERS = {"icalendar": parse_icalendar, "vobject": parse_vobject, "ical.js": parse_icaljs}
