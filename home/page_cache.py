"""Whole-page cache for anonymous visitors, built from Django's cache middleware pieces.

docs/performance.md, "Page cache". A plain anonymous GET of a public page (no query string, no
session or messages cookie) is answered from the cache when an earlier answer was stored; an
answer is stored only when `config.middleware.CacheControlMiddleware` (or the view) marked it
`public` and it sets no cookie. So the admin, the booking steps,
manage links, the workspace, feeds, signed-in visitors and any page that used a CSRF token or
the session are never stored, and are never answered from the cache either.

Invalidation: every key includes a generation token; publishing, unpublishing, moving or
deleting a page, or saving a snippet, site setting or site, sets a new token once the
transaction commits (home/signal_handlers.py). Old entries are then unreachable and expire on
their own, so nothing else in the shared cache (rate limits, tasks) is touched. A request reads
the token before rendering, so a page rendered across an invalidation is stored under the old
token, where no one will read it.
"""

import uuid

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.http import HttpResponse
from django.utils.cache import get_cache_key, has_vary_header, learn_cache_key, patch_vary_headers

GENERATION_KEY = "page-cache:generation"
HEADER = "X-Page-Cache"
# Never from the cache, whatever their headers say: the admin, sign-in, the booking steps and
# manage links, the workspace, and search (its results depend on the query string anyway).
NEVER_PREFIXES = ("/admin/", "/django-admin/", "/accounts/", "/bookings/", "/partners/", "/search/")


def _cache():
    return caches[settings.CACHE_MIDDLEWARE_ALIAS]


def _key_prefix(cache) -> str:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        # First request, or the token was evicted: a fresh token, never an old one reused.
        cache.add(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
        generation = cache.get(GENERATION_KEY)
    return f"{settings.CACHE_MIDDLEWARE_KEY_PREFIX}pages.{generation}"


def clear_pages(**kwargs):
    """Make every cached page unreachable once the current transaction commits.

    After the commit, so a request rendering in between cannot store the old content under the
    new token.
    """
    transaction.on_commit(lambda: _cache().set(GENERATION_KEY, uuid.uuid4().hex, timeout=None))


def _eligible(request) -> bool:
    if settings.PAGE_CACHE_SECONDS <= 0 or request.method not in ("GET", "HEAD"):
        return False
    if request.META.get("QUERY_STRING") or request.headers.get("Authorization"):
        return False
    if request.path_info.startswith(NEVER_PREFIXES):
        return False
    cookies = request.COOKIES
    # A session (signed in, a booking under way, a draft) or a message waiting to be shown.
    return settings.SESSION_COOKIE_NAME not in cookies and "messages" not in cookies


def _storable(response) -> bool:
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    cache_control = response.get("Cache-Control", "").lower()
    if "public" not in cache_control or any(d in cache_control for d in ("private", "no-store", "no-cache")):
        return False
    return not has_vary_header(response, "*")


def _key_stand_in(response) -> HttpResponse:
    """What the key is learnt from: the response's Vary without Cookie.

    Every page that reads the (empty) session varies on Cookie, yet a stored page can depend on
    no cookie: requests carrying the session or message cookie are never answered from the
    cache, and a page that used a CSRF token sets its cookie, so is never stored. Keying on the
    whole Cookie header would only keep one copy per visitor's CSRF cookie.
    """
    stand_in = HttpResponse()
    vary = [h.strip() for h in response.get("Vary", "").split(",") if h.strip().lower() not in ("", "cookie")]
    if vary:
        patch_vary_headers(stand_in, vary)
    return stand_in


class PageCacheMiddleware:
    """Serve and store anonymous public pages; sits just above CacheControlMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _eligible(request):
            return self.get_response(request)
        cache = _cache()
        prefix = _key_prefix(cache)
        key = get_cache_key(request, prefix, "GET", cache=cache)
        cached = cache.get(key) if key is not None else None
        if cached is not None:
            cached[HEADER] = "hit"
            return cached
        response = self.get_response(request)
        if request.method == "GET" and _storable(response):
            timeout = settings.PAGE_CACHE_SECONDS
            key = learn_cache_key(request, _key_stand_in(response), timeout, prefix, cache=cache)
            cache.set(key, response, timeout)
            response[HEADER] = "miss"
        return response
