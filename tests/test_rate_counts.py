"""Attempt counters keep their whole window on the database cache (docs/security.md, "Rate limits").

Django's `incr` stores the new count with the cache's default timeout (300 s) on the database
cache, the default backend; an hour's limit would quietly become five minutes. The expiry is read
from the cache table itself, so the test needs no clock and no waiting.
"""

from datetime import UTC, timedelta

from django.core.cache import caches
from django.db import connection
from django.utils import timezone

from bookings.clients import count_attempt

DATABASE_CACHE = {
    "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "cache_table"}
}
HOUR = 3600


def expiry_of_the_only_row():
    with connection.cursor() as cursor:
        cursor.execute("SELECT expires FROM cache_table")
        (row,) = cursor.fetchall()
    value = row[0]
    return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)


def test_counting_keeps_the_hour_on_the_database_cache(db, settings):
    settings.CACHES = DATABASE_CACHE
    caches["default"].clear()
    counts = [count_attempt("password-reset-address:192.0.2.1", timeout=HOUR) for _ in range(3)]
    assert counts == [1, 2, 3]
    # Without re-setting the timeout after `incr`, the row would expire 300 s from now.
    assert expiry_of_the_only_row() > timezone.now() + timedelta(seconds=HOUR - 600)
