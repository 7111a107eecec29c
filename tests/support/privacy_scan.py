"""Scanning the whole database for a person's details: every column of every table.

Uses connection.introspection to list tables and columns, so a table added later is scanned
too. Session rows are decoded first (their data is signed and base64-encoded, so a plain scan
would miss a draft booking). Matching is case-insensitive.
"""

from django.contrib.sessions.backends.db import SessionStore
from django.db import connection


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def find_everywhere(*needles: str) -> dict[str, set[str]]:
    """{needle: {"table.column", ...}} for every place a needle occurs."""
    wanted = [n.lower() for n in needles]
    found: dict[str, set[str]] = {n: set() for n in needles}
    store = SessionStore()
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
            quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
            cursor.execute(f"SELECT {quoted} FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    text = _text(value)
                    if table == "django_session" and column == "session_data":
                        text = str(store.decode(text))
                    lowered = text.lower()
                    for needle, low in zip(needles, wanted, strict=True):
                        if low in lowered:
                            found[needle].add(f"{table}.{column}")
    return found


def tables_holding(*needles: str) -> set[str]:
    return {place.split(".")[0] for places in find_everywhere(*needles).values() for place in places}
