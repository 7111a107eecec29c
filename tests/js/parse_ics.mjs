// Reads one iCalendar file on stdin, parses it with ical.js (Thunderbird's parser) and
// prints a JSON summary on stdout, so the Python tests can check what a real client sees.
// Run from the repository root so `node_modules` resolves: node tests/js/parse_ics.mjs < file.ics
import ICAL from "ical.js";

function readStdin() {
  return new Promise((resolve, reject) => {
    const chunks = [];
    process.stdin.on("data", (chunk) => chunks.push(chunk));
    process.stdin.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    process.stdin.on("error", reject);
  });
}

function address(prop) {
  if (!prop) return null;
  return {
    value: prop.getFirstValue(),
    cn: prop.getParameter("cn") ?? null,
    rsvp: prop.getParameter("rsvp") ?? null,
    role: prop.getParameter("role") ?? null,
    partstat: prop.getParameter("partstat") ?? null,
  };
}

function instant(vevent, name) {
  const value = vevent.getFirstPropertyValue(name);
  if (!value) return null;
  return {
    iso: value.toJSDate().toISOString(),
    // "Z" when ical.js read the value as UTC; anything else means floating or a TZID.
    zone: value.zone ? value.zone.tzid : null,
    tzid: vevent.getFirstProperty(name).getParameter("tzid") ?? null,
  };
}

function textOrNull(vevent, name) {
  const value = vevent.getFirstPropertyValue(name);
  return value === null || value === undefined ? null : String(value);
}

function summarise(vevent) {
  const sequence = vevent.getFirstPropertyValue("sequence");
  const start = instant(vevent, "dtstart");
  const end = instant(vevent, "dtend");
  const stamp = instant(vevent, "dtstamp");
  return {
    uid: textOrNull(vevent, "uid"),
    sequence: sequence === null ? null : Number(sequence),
    status: textOrNull(vevent, "status"),
    dtstart: start && start.iso,
    dtend: end && end.iso,
    dtstamp: stamp && stamp.iso,
    zones: [start, end, stamp].filter(Boolean).map((t) => t.zone),
    tzids: [start, end, stamp].filter(Boolean).map((t) => t.tzid).filter(Boolean),
    summary: textOrNull(vevent, "summary"),
    description: textOrNull(vevent, "description"),
    location: textOrNull(vevent, "location"),
    url: textOrNull(vevent, "url"),
    organizer: address(vevent.getFirstProperty("organizer")),
    attendees: vevent.getAllProperties("attendee").map(address),
    property_names: vevent.getAllProperties().map((p) => p.name.toUpperCase()),
    property_count: vevent.getAllProperties().length,
    conferences: vevent.getAllProperties("conference").map((p) => ({
      value: String(p.getFirstValue()),
      value_type: p.type ? String(p.type).toLowerCase() : null,
      feature: p.getParameter("feature") ?? null,
      label: p.getParameter("label") ?? null,
    })),
    component_count: vevent.getAllSubcomponents().length,
  };
}

const text = await readStdin();
let jcal = ICAL.parse(text);
// ICAL.parse returns an array when the input holds more than one top-level component.
const tops = Array.isArray(jcal[0]) ? jcal : [jcal];
const calendars = tops.map((j) => new ICAL.Component(j));
const cal = calendars[0];
const out = {
  top_level_components: calendars.map((c) => c.name.toUpperCase()),
  method: cal.getFirstPropertyValue("method"),
  property_names: cal.getAllProperties().map((p) => p.name.toUpperCase()),
  component_names: cal.getAllSubcomponents().map((c) => c.name.toUpperCase()),
  vevents: cal.getAllSubcomponents("vevent").map(summarise),
};
process.stdout.write(JSON.stringify(out));
