"""Whole-page cache for anonymous visitors, built from Django's cache middleware pieces.

docs/performance.md, "Page cache". A plain anonymous GET of a public page (no query string, no
session or messages cookie) is answered from the cache when an earlier answer was stored; an
answer is stored only when `config.middleware.CacheControlMiddleware` (or the view) marked it
`public` and it sets no cookie. So the admin, the booking steps,
manage links, the workspace, feeds, signed-in visitors and any page that used a CSRF token or
the session are never stored, and are never answered from the cache either.

Invalidation: every stored page carries the generation token it was rendered under; publishing,
unpublishing, moving or deleting a page, or saving a snippet, site setting or site, sets a new
token once the transaction commits (home/signal_handlers.py). A stored page whose token is not
the current one is never served: it is rendered again and overwritten, or expires on its own, so
nothing else in the shared cache (rate limits, tasks) is touched. A request reads the token
before rendering, so a page rendered across an invalidation is stored with the old token, and no
one is served it.

A hit is one cache read: the token and the page in one `get_many` (one Redis MGET, one query
with the database cache). The key is the page's absolute URL (scheme, host, path), so a page is
stored only if its Vary names no header but Cookie (see `_storable`).
"""

import hashlib

from django.conf import settings
from django.core.cache import caches
from django.core.handlers.wsgi import WSGIRequest

from . import generations

GENERATION_KEY = "page-cache:generation"
HEADER = "X-Page-Cache"
LOOKED_UP = "home.page_cache.looked_up"  # environ key: serve_hits' lookup, handed to the middleware
# Never from the cache, whatever their headers say: the admin, sign-in, the booking steps and
# manage links, the workspace, and search (its results depend on the query string anyway).
NEVER_PREFIXES = ("/admin/", "/django-admin/", "/accounts/", "/bookings/", "/partners/", "/search/")


def _cache():
    return caches[settings.CACHE_MIDDLEWARE_ALIAS]


def _page_key(request) -> str:
    """The absolute URL: scheme and host (validated against ALLOWED_HOSTS) and path."""
    url = hashlib.md5(request.build_absolute_uri().encode(), usedforsecurity=False).hexdigest()
    return f"{settings.CACHE_MIDDLEWARE_KEY_PREFIX}page-cache:page.{url}"


def clear_pages(**kwargs):
    """Make every cached page unreachable once the current transaction commits.

    After the commit, so a request rendering in between cannot store the old content under the
    new token.
    """
    generations.renew_on_commit(_cache, GENERATION_KEY)


def _eligible(request) -> bool:
    if settings.PAGE_CACHE_SECONDS <= 0 or request.method not in ("GET", "HEAD"):
        return False
    if request.META.get("QUERY_STRING") or request.headers.get("Authorization"):
        return False
    if request.path_info.startswith(NEVER_PREFIXES) or request.path_info.startswith(settings.STATIC_URL):
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
    # The key is the URL alone, so only a page that varies on nothing but Cookie may be stored.
    # Every page that reads the (empty) session varies on Cookie, yet a stored page depends on no
    # cookie: requests carrying the session or message cookie are never answered from the cache,
    # and a page that used a CSRF token sets its cookie, so is never stored.
    vary = {h.strip().lower() for h in response.get("Vary", "").split(",") if h.strip()}
    return vary <= {"cookie"}


def _lookup(request):
    """(key, current token, the stored page or None) for an eligible request, else None."""
    if not _eligible(request):
        return None
    key = _page_key(request)
    generation, stored = generations.read(_cache(), GENERATION_KEY, key)
    return key, generation, stored


class PageCacheMiddleware:
    """Serve and store anonymous public pages; first in MIDDLEWARE, so a stored page carries
    every header the other middleware add, and above CacheControlMiddleware, whose decision it
    reads."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Already looked up by `serve_hits` in front of Django (a miss), or not yet (the test
        # client, runserver).
        looked_up = request.META.pop(LOOKED_UP, None) or _lookup(request)
        if looked_up is None:
            return self.get_response(request)
        key, generation, stored = looked_up
        if stored is not None:
            stored[HEADER] = "hit"
            return stored
        response = self.get_response(request)
        if request.method == "GET" and _storable(response):
            cache = _cache()
            cache.set(key, (generation, response), settings.PAGE_CACHE_SECONDS)
            response[HEADER] = "miss"
        return response


def serve_hits(application):
    """Wrap the WSGI application (config/wsgi.py): a stored page is answered before Django's
    request handling and middleware run, with the same status, headers and body they would give.

    The same eligibility, key and token as the middleware, read from a request object built on
    the same environ. Anything else, a miss or any error (a Host not in ALLOWED_HOSTS, the cache
    unreachable), goes to Django unchanged, which answers and logs it as it always would. The
    stored response is returned as the WSGI body, so the server's close() sends
    request_finished as Django's own handler does.
    """

    def front(environ, start_response):
        try:
            looked_up = _lookup(WSGIRequest(environ))
        except Exception:  # noqa: BLE001 - Django's handler meets the same error and reports it
            looked_up = None
        if looked_up is None or looked_up[2] is None:
            if looked_up is not None:
                environ[LOOKED_UP] = looked_up
            return application(environ, start_response)
        response = looked_up[2]
        response[HEADER] = "hit"
        start_response(f"{response.status_code} {response.reason_phrase}", list(response.items()))
        return response

    return front
