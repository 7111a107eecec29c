"""Keeping scripted submissions out of the booking form without a third-party CAPTCHA.

Three cheap signals and one limit (docs/reliability.md, promises 11 and 12):

- a honeypot field that people never see or fill,
- a signed timestamp issued when the form was rendered, so a form cannot be replayed from
  long ago or forged, and one filled faster than a person could is refused,
- a per-client rate limit kept in the shared cache (Redis in production, the database cache on a
  single server), so it holds across every worker process and app server.

The limit is deliberately generous: a whole NHS trust may share one outgoing IP address.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core import signing
from django.core.cache import cache

HONEYPOT_FIELD = "website"
STAMP_SALT = "bookings.form-stamp"


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str = ""


def issue_stamp(now: datetime) -> str:
    """A signed copy of the moment the form was shown."""
    return signing.dumps(round(now.timestamp(), 3), salt=STAMP_SALT, compress=False)


def check_submission(data, *, now: datetime) -> Verdict:
    """Judge one POSTed form: honeypot empty, stamp genuine, filled at a human pace."""
    if data.get(HONEYPOT_FIELD):
        return Verdict(False, "honeypot")
    try:
        shown_at = float(signing.loads(data.get("form_stamp", ""), salt=STAMP_SALT))
    except (signing.BadSignature, TypeError, ValueError):
        return Verdict(False, "stamp")
    elapsed = now.timestamp() - shown_at
    if elapsed < settings.BOOKING_MIN_FILL_SECONDS:
        return Verdict(False, "too-fast")
    if elapsed > settings.BOOKING_FORM_MAX_AGE_SECONDS:
        return Verdict(False, "expired")
    return Verdict(True)


def within_rate_limit(scope: str, client: str, *, now: datetime, limit: int, window_seconds: int) -> bool:
    """Count one attempt for this client in the current window; False once over the limit."""
    window = int(now.timestamp() // window_seconds)
    key = f"ratelimit:{scope}:{client}:{window}"
    cache.add(key, 0, timeout=window_seconds * 2)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=window_seconds * 2)
        count = 1
    return count <= limit
