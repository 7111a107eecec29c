"""Keeping scripted submissions out of the booking form without a third-party CAPTCHA.

Three cheap signals and one limit (docs/reliability.md, promises 11 and 12):

- a honeypot field that people never see or fill,
- a signed stamp issued when the form was rendered, so a form cannot be replayed from long ago
  or forged, and one filled faster than a person could is refused. The stamp carries a random
  nonce that is also kept in the browser's session, so a stamp harvested once cannot be replayed
  from other sessions, and it is spent by the booking it made: one booking per stamp
  (docs/privacy.md, "Booking form stamps"),
- a per-client rate limit kept in the shared cache (Redis in production, the database cache on a
  single server), so it holds across every worker process and app server.

The limit is deliberately generous: a whole NHS trust may share one outgoing IP address.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core import signing
from django.core.cache import cache

from bookings.clients import count_attempt

HONEYPOT_FIELD = "website"
STAMP_SALT = "bookings.form-stamp"
SESSION_STAMPS = "bookings.form-stamps"
LIVE_STAMPS = 20  # enough for a few tabs and re-renders; the oldest nonce drops out first
# Verdict reasons for a genuine stamp that is not this session's to use: the form is shown
# again with the answers kept and a fresh stamp, rather than the "could not accept" page.
NOT_YOURS = ("other-session", "spent")


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str = ""
    nonce: str = ""


def issue_stamp(now: datetime, session) -> str:
    """A signed copy of the moment the form was shown, bound to this session by a nonce."""
    nonce = secrets.token_urlsafe(12)
    session[SESSION_STAMPS] = [*session.get(SESSION_STAMPS, [])[-(LIVE_STAMPS - 1) :], nonce]
    return signing.dumps({"t": round(now.timestamp(), 3), "n": nonce}, salt=STAMP_SALT, compress=False)


def _spent_key(nonce: str) -> str:
    return f"form-stamp-spent:{nonce}"


def check_submission(data, *, now: datetime, session) -> Verdict:
    """Judge one POSTed form: honeypot empty, stamp genuine and this session's, human pace."""
    if data.get(HONEYPOT_FIELD):
        return Verdict(False, "honeypot")
    try:
        payload = signing.loads(data.get("form_stamp", ""), salt=STAMP_SALT)
        shown_at, nonce = float(payload["t"]), str(payload["n"])
    except (signing.BadSignature, TypeError, ValueError, KeyError):
        return Verdict(False, "stamp")
    elapsed = now.timestamp() - shown_at
    if elapsed > settings.BOOKING_FORM_MAX_AGE_SECONDS:
        return Verdict(False, "expired", nonce)
    if nonce not in session.get(SESSION_STAMPS, []):
        return Verdict(False, "other-session", nonce)
    if cache.get(_spent_key(nonce)) is not None:
        return Verdict(False, "spent", nonce)
    if elapsed < settings.BOOKING_MIN_FILL_SECONDS:
        return Verdict(False, "too-fast", nonce)
    return Verdict(True, nonce=nonce)


def spend_stamp(nonce: str | None, idempotency_key: str, session) -> bool:
    """Claim the stamp for one booking (one idempotency key); False if another draft has it.

    The claim is an atomic `cache.add` in the shared cache, so two racing drafts cannot both
    win; the same draft (a resent form, a new time after a clash) may claim it again. The nonce
    also leaves the session, so the form cannot be sent again from this browser either.
    """
    if not nonce:
        return False
    key = _spent_key(nonce)
    timeout = settings.BOOKING_FORM_MAX_AGE_SECONDS * 2
    if not cache.add(key, idempotency_key, timeout=timeout) and cache.get(key) != idempotency_key:
        return False
    live = session.get(SESSION_STAMPS, [])
    if nonce in live:
        session[SESSION_STAMPS] = [n for n in live if n != nonce]
    return True


def within_rate_limit(scope: str, client: str, *, now: datetime, limit: int, window_seconds: int) -> bool:
    """Count one attempt for this client in the current window; False once over the limit."""
    window = int(now.timestamp() // window_seconds)
    key = f"ratelimit:{scope}:{client}:{window}"
    return count_attempt(key, timeout=window_seconds * 2) <= limit
