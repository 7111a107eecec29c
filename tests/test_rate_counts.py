"""Attempt counters keep their whole window on the database cache (docs/security.md, "Rate limits").

Django's `incr` stores the new count with the cache's default timeout (300 s) on the database
cache, the default backend; an hour's limit would quietly become five minutes. The expiry is read
from the cache table itself, so the test needs no clock and no waiting.
"""

from datetime import UTC, datetime, timedelta

from django.core.cache import caches
from django.db import connection
from django.utils import timezone

from bookings import partner_accounts
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


def test_a_staff_members_invitations_are_counted_for_the_whole_hour(db, settings, django_user_model):
    # The invitation limit counts with the same helper (docs/staff-operations.md, "Limits").
    settings.CACHES = DATABASE_CACHE
    settings.INVITATIONS_PER_STAFF_PER_HOUR = 3
    caches["default"].clear()
    staff = django_user_model.objects.create_user("cora", "cora@example.org", "pw")
    now = timezone.now()
    for n in range(3):
        assert not partner_accounts.over_staff_limit(staff, now)
        partner_accounts.invite_partner(display_name=f"P{n}", email=f"p{n}@example.org", now=now, actor=staff)
    assert partner_accounts.over_staff_limit(staff, now)
    # The count's row lasts to the end of the hour `now` falls in, not the cache's default 300 s.
    end_of_hour = datetime.fromtimestamp((now.timestamp() // HOUR + 1) * HOUR, tz=UTC)
    assert expiry_of_the_only_row() >= end_of_hour
