"""Subject access: everything we hold about one email address, as one zip (docs/privacy.md).

The zip holds `data.json` (every record, every field), one CSV per kind of record for
spreadsheets, and `index.html` to read in a browser. Built in memory: one person's records are
a handful of rows.
"""

import csv
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from django.template.loader import render_to_string

from bookings.models import AccessAction

from . import records
from .audit import record_request
from .registry import HOLDERS

SECTION_TITLES = {
    "bookings": "Bookings",
    "booking_history": "Booking history",
    "emails": "Emails we sent or will send",
    "tasks": "Background tasks",
    "access_records": "Who looked at these details",
    "sessions": "Unfinished bookings in a browser session",
    "waitlist": "Waiting lists you are on",
    "waitlist_emails": "Waiting-list emails we sent or will send",
    "partner": "Thinking-partner profile",
    "partner_time_off": "Thinking-partner time off",
    "partner_hand_backs": "Chats the thinking partner handed back",
    "partner_caldav": "The thinking partner's connected calendar",
    "feedback": "Feedback after chats",
    "testimonials": "Quotes we may publish (from your feedback)",
    "partner_reflections": "The thinking partner's own reflections after chats",
    "partner_payments": "The thinking partner's involvement payments",
    "accounts": "Sign-in accounts",
}
ACCOUNT_FIELDS = ("username", "email", "first_name", "last_name", "date_joined", "last_login", "is_active")


@dataclass(frozen=True)
class Export:
    sections: dict[str, list[dict]]

    @property
    def total(self) -> int:
        return sum(len(rows) for rows in self.sections.values())

    def counts(self) -> dict[str, int]:
        return {key: len(rows) for key, rows in self.sections.items() if rows}


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, dict | list | int | float | bool | str) or value is None:
        return value
    return str(value)


def _rows(queryset, exclude=()) -> list[dict]:
    fields = [f for f in queryset.model._meta.concrete_fields if f.name not in exclude]
    return [{f.attname: _plain(getattr(obj, f.attname)) for f in fields} for obj in queryset]


def collect(address: str) -> Export:
    """Every record the registry lists that holds this address (nothing is changed)."""
    bookings = list(records.bookings_for(address))
    booking_ids = [b.pk for b in bookings]
    booking_rows = _rows(records.bookings_for(address))
    for row, booking in zip(booking_rows, bookings, strict=True):
        row["offer"] = booking.offer.title
        row["partner"] = booking.partner.display_name
    notification_ids = list(records.emails_for(booking_ids).values_list("pk", flat=True))
    partners = records.partners_for(address)
    waiting = list(records.waitlist_for(address))
    waiting_rows = _rows(records.waitlist_for(address))
    for row, entry in zip(waiting_rows, waiting, strict=True):
        row["offer"] = entry.offer.title
        row["partner"] = entry.partner.display_name if entry.partner_id else ""
    waitlist_emails = records.waitlist_emails_for([e.pk for e in waiting])
    sections = {
        "bookings": booking_rows,
        "booking_history": _rows(records.history_for(booking_ids)),
        "emails": _rows(records.emails_for(booking_ids)),
        "tasks": _rows(records.task_rows_for(notification_ids))
        + _rows(records.waitlist_task_rows_for(list(waitlist_emails.values_list("pk", flat=True)))),
        "access_records": _rows(
            records.access_records_for(address, booking_ids, [b.booker_name for b in bookings])
        ),
        "sessions": [
            {"expires": _plain(session.expire_date), "data": json.loads(json.dumps(data, default=str))}
            for session, data in records.sessions_for(address)
        ],
        "waitlist": waiting_rows,
        "waitlist_emails": _rows(waitlist_emails),
        "partner": _rows(partners),
        "partner_time_off": _rows(records.time_off_for(list(partners.values_list("pk", flat=True)))),
        "partner_hand_backs": _rows(records.hand_backs_for(partners.values_list("pk", flat=True))),
        "feedback": _rows(records.feedback_for(booking_ids)),
        "testimonials": _rows(records.testimonials_for(booking_ids)),
        "partner_reflections": _rows(records.reflections_for(partners.values_list("pk", flat=True))),
        "partner_payments": _rows(records.payment_lines_for(partners.values_list("pk", flat=True))),
        "partner_caldav": _rows(
            records.caldav_for(partners.values_list("pk", flat=True)), exclude=("password_encrypted",)
        ),
        "accounts": [
            {name: _plain(getattr(user, name)) for name in ACCOUNT_FIELDS}
            for user in records.accounts_for(address)
        ],
    }
    return Export(sections=sections)


def _csv(rows: list[dict]) -> str:
    columns = list(dict.fromkeys(key for row in rows for key in row))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in row.items()})
    return out.getvalue()


def build_zip(address: str, export: Export, *, now: datetime) -> bytes:
    buffer = io.BytesIO()
    notes = {h.key: h.note for h in HOLDERS}
    readable = [
        {
            "key": key,
            "title": SECTION_TITLES.get(key, key),
            "note": notes.get(key, ""),
            "columns": list(dict.fromkeys(k for row in rows for k in row)),
            "rows": rows,
        }
        for key, rows in export.sections.items()
        if rows
    ]
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "data.json",
            json.dumps({"address": address, "exported_at": now.isoformat(), **export.sections}, indent=2),
        )
        for section in readable:
            archive.writestr(f"{section['key']}.csv", _csv(section["rows"]))
        html = render_to_string(
            "bookings/privacy/export.html", {"address": address, "now": now, "sections": readable}
        )
        archive.writestr("index.html", html)
    return buffer.getvalue()


def export_person(address: str, *, user, now: datetime) -> tuple[Export, bytes | None]:
    """Collect, zip and record one subject-access export. No zip when nothing is held."""
    export = collect(address)
    if not export.total:
        return export, None
    record_request(
        AccessAction.SUBJECT_ACCESS,
        address,
        user=user,
        now=now,
        rows=export.total,
        shown=", ".join(f"{k} {n}" for k, n in export.counts().items()),
    )
    return export, build_zip(address, export, now=now)
