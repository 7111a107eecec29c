"""A partner's private calendar feed: `GET /partners/feed/<token>.ics` (docs/feeds.md).

The token in the address is a bearer secret (docs/reliability.md, promise 9): only its sha256 is
stored, and every way of not finding a live feed (unknown, rotated, turned off, partner
deactivated) gives the same small 404. Nothing about the request is logged, because Django's
request logger writes the path, and the path holds the token.

Cost: a conditional request that matches answers 304 after two queries (the feed, one
aggregate over the partner's bookings) without building the calendar; a full answer adds one
query for the bookings and the rendering by bookings/calendars/feeds.py, cached under the ETag.
"""

import hashlib
import logging
from datetime import UTC, datetime, time

from django.core.cache import cache
from django.db.models import Count, Max
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseNotFound
from django.http.response import HttpResponseNotModified
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import parse_etags
from django.utils.http import http_date, parse_http_date_safe
from django.views.decorators.csrf import csrf_exempt

from bookings.calendars.feeds import FORMAT_VERSION, feed_bookings, feed_window, render_feed
from bookings.models import PartnerFeed, hash_token

logger = logging.getLogger(__name__)

# The address is a bearer secret: a calendar client may keep the body but asks again (ETag/304)
# before reusing it, and shared caches keep nothing (docs/feeds.md, "HTTP").
CACHE_CONTROL = "private, max-age=0"
RENDER_CACHE_SECONDS = 24 * 3600
MAX_TOKEN_LENGTH = 100  # ours are 32 characters; longer is never worth a query


def feed_url(request_or_site_url: HttpRequest | str, token: str, *, webcal: bool = False) -> str:
    """The address a partner subscribes to. `webcal=True` gives the form calendar apps open."""
    path = reverse("partner_feed", args=[token])
    if isinstance(request_or_site_url, HttpRequest):
        url = request_or_site_url.build_absolute_uri(path)
    else:
        url = request_or_site_url.rstrip("/") + path
    if webcal:
        url = "webcal" + url[url.index(":") :]
    return url


def _quiet(response: HttpResponse) -> HttpResponse:
    # Django's request logger writes "Not Found: <path>" (and the same for 412 and 500) for every
    # response of 400 or more, and the path holds the token. log_response() skips a response
    # already marked as logged, so marking it keeps the token out of every log.
    response._has_been_logged = True
    return response


def _not_found() -> HttpResponse:
    # One body for every miss, so a response never tells a guesser which case it hit.
    return _quiet(HttpResponseNotFound(b"Not found", content_type="text/plain; charset=utf-8"))


def _validators(feed_row: PartnerFeed, count: int, last_updated, today) -> tuple[str, datetime]:
    """ETag and Last-Modified from the cheap aggregate, without rendering anything.

    The day is in the ETag because the window moves daily; Last-Modified is never earlier than
    the start of today for the same reason. Any change to a booking moves updated_at, and a
    booking leaving or joining the window changes the count.
    """
    day_start = datetime.combine(today, time(), UTC)
    last_modified = max(filter(None, [last_updated, feed_row.rotated_at, feed_row.created_at, day_start]))
    # Whether the partner shows joining details in their feed changes every event (docs/feeds.md).
    shown = feed_row.partner.feed_shows_joining_details
    basis = f"{FORMAT_VERSION}:{feed_row.pk}:{feed_row.token_hash}:{count}:{last_updated}:{today}:{shown}"
    return '"' + hashlib.sha256(basis.encode()).hexdigest()[:32] + '"', last_modified.replace(microsecond=0)


def _not_modified(request: HttpRequest, etag: str, last_modified: datetime) -> bool:
    """RFC 9110 13.2.2 steps 3 and 4 for GET/HEAD. Done here rather than with Django's
    get_conditional_response, whose If-Match branch logs the path (and so the token) on a 412;
    If-Match and If-Unmodified-Since mean nothing for a read-only feed, so they are ignored."""
    if_none_match = parse_etags(request.headers.get("If-None-Match", ""))
    if if_none_match:
        # Weak comparison, as RFC 9110 asks for If-None-Match.
        return "*" in if_none_match or etag in [tag.removeprefix("W/") for tag in if_none_match]
    since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    return since is not None and int(last_modified.timestamp()) <= since


# CSRF-exempt because it only reads; otherwise a POST is refused by the CSRF middleware, which
# logs the path (and so the token) before this view can answer.
@csrf_exempt
def partner_feed(request: HttpRequest, token: str) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        # Not require_safe: it logs the path too.
        return _quiet(HttpResponseNotAllowed(["GET", "HEAD"]))
    try:
        return _partner_feed(request, token)
    except Exception:
        # Logged here without the path, then answered as a plain 500 (also kept out of
        # Django's request log, which would print the token).
        logger.exception("Partner feed failed (address withheld)")
        return _quiet(HttpResponse(b"Server error", status=500, content_type="text/plain; charset=utf-8"))


def _partner_feed(request: HttpRequest, token: str) -> HttpResponse:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return _not_found()
    feed_row = (
        PartnerFeed.objects.filter(token_hash=hash_token(token), partner__active=True)
        .select_related("partner")
        .only(
            "pk",
            "partner_id",
            "token_hash",
            "created_at",
            "rotated_at",
            "partner__feed_shows_joining_details",
        )
        .first()
    )
    if feed_row is None:
        return _not_found()
    now = timezone.now()
    window = feed_window(now)
    summary = feed_bookings(feed_row.partner_id, window).aggregate(
        count=Count("pk"), last_updated=Max("updated_at")
    )
    today = now.astimezone(UTC).date()
    etag, last_modified = _validators(feed_row, summary["count"], summary["last_updated"], today)
    headers = {
        "ETag": etag,
        "Last-Modified": http_date(last_modified.timestamp()),
        "Cache-Control": CACHE_CONTROL,
    }
    if _not_modified(request, etag, last_modified):
        not_modified = HttpResponseNotModified()
        for name, value in headers.items():
            not_modified.headers[name] = value
        return not_modified

    cache_key = f"partner-feed:{etag.strip(chr(34))}"
    body = cache.get(cache_key)
    if body is None:
        body = render_feed(feed_row.partner_id, window)
        cache.set(cache_key, body, RENDER_CACHE_SECONDS)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    for name, value in headers.items():
        response.headers[name] = value
    # Left uncompressed on purpose (docs/calendar.md, item 10): calendar clients differ in how they
    # handle gzip, and GZipMiddleware is not installed. A test holds this.
    response.headers["Content-Disposition"] = 'inline; filename="chats.ics"'
    return response
