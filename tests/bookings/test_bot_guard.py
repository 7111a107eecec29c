import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.test import RequestFactory, override_settings

from bookings import clients
from bookings.journey import bot_guard

NOW = datetime.fromtimestamp(1_800_000_000, UTC)


SESSION = {}  # the browser session the stamps below were issued to (a dict is enough here)


def test_honeypot_filled_is_refused():
    stamp = bot_guard.issue_stamp(NOW - timedelta(seconds=60), SESSION)
    data = {"website": "http://spam.example", "form_stamp": stamp}
    assert bot_guard.check_submission(data, now=NOW, session=SESSION) == bot_guard.Verdict(False, "honeypot")


def test_a_person_at_normal_speed_passes():
    data = {"website": "", "form_stamp": bot_guard.issue_stamp(NOW - timedelta(seconds=45), SESSION)}
    assert bot_guard.check_submission(data, now=NOW, session=SESSION).ok


@pytest.mark.parametrize(
    ("stamp", "reason"),
    [
        ("", "stamp"),
        ("1800000000.0", "stamp"),
        (bot_guard.issue_stamp(NOW - timedelta(seconds=60), SESSION)[:-2] + "xx", "stamp"),
        (bot_guard.issue_stamp(NOW - timedelta(seconds=0.5), SESSION), "too-fast"),
        (bot_guard.issue_stamp(NOW - timedelta(seconds=7 * 3600), SESSION), "expired"),
        (bot_guard.issue_stamp(NOW - timedelta(seconds=60), {}), "other-session"),
    ],
)
def test_forged_replayed_or_too_fast_stamps_are_refused(stamp, reason):
    verdict = bot_guard.check_submission({"form_stamp": stamp}, now=NOW, session=SESSION)
    assert (verdict.ok, verdict.reason) == (False, reason)


def test_a_stamp_makes_one_booking_and_is_then_spent():
    session = {}
    stamp = bot_guard.issue_stamp(NOW - timedelta(seconds=60), session)
    verdict = bot_guard.check_submission({"form_stamp": stamp}, now=NOW, session=session)
    assert verdict.ok
    twin = dict(session)  # a racing request that read the session before the stamp was spent
    assert bot_guard.spend_stamp(verdict.nonce, "draft-1", session)
    assert bot_guard.spend_stamp(verdict.nonce, "draft-1", session)  # the same draft, sent again
    assert not bot_guard.spend_stamp(verdict.nonce, "draft-2", twin)  # a second draft: refused
    assert not bot_guard.spend_stamp(None, "draft-3", session)
    for who in (session, twin):
        again = bot_guard.check_submission({"form_stamp": stamp}, now=NOW, session=who)
        assert (again.ok, again.reason) == (False, "other-session" if who is session else "spent")


def test_rate_limit_allows_up_to_the_limit_per_window(settings):
    scope = f"test-{uuid.uuid4()}"
    results = [
        bot_guard.within_rate_limit(scope, "10.0.0.1", now=NOW, limit=3, window_seconds=60) for _ in range(5)
    ]
    assert results == [True, True, True, False, False]
    # Another client is unaffected, and so is the same client in the next window.
    assert bot_guard.within_rate_limit(scope, "10.0.0.2", now=NOW, limit=3, window_seconds=60)
    next_window = NOW + timedelta(seconds=60)
    assert bot_guard.within_rate_limit(scope, "10.0.0.1", now=next_window, limit=3, window_seconds=60)


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_client_key_uses_the_address_the_trusted_proxy_saw():
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9", REMOTE_ADDR="10.0.0.5")
    assert clients.client_key(request) == "203.0.113.9"


def test_client_key_ignores_forwarded_header_without_trusted_proxies():
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="1.2.3.4", REMOTE_ADDR="10.0.0.5")
    assert clients.client_key(request) == "10.0.0.5"


COUNT_SCRIPT = """
import os, sys, django
from datetime import UTC, datetime
django.setup()
from bookings.journey.bot_guard import within_rate_limit
now = datetime.fromtimestamp(1.8e9, UTC)
allowed = sum(within_rate_limit(sys.argv[1], "198.51.100.7", now=now, limit=25, window_seconds=600)
              for _ in range(20))
print(allowed)
"""


def _redis_available() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url("redis://127.0.0.1:6379/15", socket_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.mark.skipif(not _redis_available(), reason="needs Redis on 127.0.0.1:6379 (CI starts it)")
def test_rate_limit_holds_across_worker_processes_with_a_shared_cache():
    """Four separate processes, 20 attempts each, limit 25: exactly 25 allowed in all."""
    scope = f"xproc-{uuid.uuid4()}"
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "REDIS_URL": "redis://127.0.0.1:6379/15",
        "PATH": "/usr/bin:/bin",
    }
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", COUNT_SCRIPT, scope],
            env=env,
            cwd=settings.BASE_DIR,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    allowed = [int(p.communicate(timeout=60)[0].strip()) for p in procs]
    assert sum(allowed) == 25, allowed
