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

Each worker also keeps its own copies of pages it has served from Redis ("near copies"): a
repeat hit then costs no round trip. They are dropped whenever any token is announced on a Redis
channel the worker listens to, checked before every near hit, and whenever that channel's
connection drops or is remade (docs/performance.md, "Near copies").
"""

import contextlib
import hashlib
import os
import threading
import time

from django.conf import settings
from django.core import signals
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache, RedisSerializer
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpResponse
from django.http.cookie import parse_cookie
from redis.exceptions import RedisError

from . import generations

GENERATION_KEY = "page-cache:generation"
# The stored value: (token, (stored at, status line, headers, body)). "v2" since it stopped being
# a pickled response, so an older deploy's entries are never read as this shape.
PAGE_KEY = "page-cache:v2:page."
HEADER = "X-Page-Cache"
LOOKED_UP = "home.page_cache.looked_up"  # environ key: serve_hits' lookup, handed to the middleware
# Never from the cache, whatever their headers say: the admin, sign-in, the booking steps and
# manage links, the workspace, and search (its results depend on the query string anyway).
NEVER_PREFIXES = ("/admin/", "/django-admin/", "/accounts/", "/bookings/", "/partners/", "/search/")
NEAR_PAGES = 500  # near copies each worker keeps at most (a few KB each)
NEAR_RETRY_SECONDS = 5  # after the channel cannot be joined, go without near copies this long


def _cache():
    return caches[settings.CACHE_MIDDLEWARE_ALIAS]


def _page_key(request) -> str:
    """The absolute URL: scheme and host (validated against ALLOWED_HOSTS) and path."""
    url = hashlib.md5(request.build_absolute_uri().encode(), usedforsecurity=False).hexdigest()
    return f"{settings.CACHE_MIDDLEWARE_KEY_PREFIX}{PAGE_KEY}{url}"


def _announce(cache, generation_key: str, token: str) -> None:
    """Store the new token; with Redis, announce it to every worker's near copies too."""
    if not isinstance(cache, RedisCache):
        generations.set_token(cache, generation_key, token)
        return
    # The new token and its announcement in one MULTI: no worker can miss the one and see the other.
    client = cache._cache.get_client(write=True)  # Django's RedisCache keeps its client there
    with client.pipeline(transaction=True) as pipe:
        pipe.set(cache.make_and_validate_key(generation_key), RedisSerializer().dumps(token))
        pipe.publish(_channel(cache, client), token)
        pipe.execute()


def clear_pages(**kwargs):
    """Make every cached page unreachable once the current transaction commits.

    After the commit, so a request rendering in between cannot store the old content under the
    new token (home/generations.py).
    """
    generations.renew_on_commit(_cache, GENERATION_KEY, write=_announce)


def _eligible(request) -> bool:
    if settings.PAGE_CACHE_SECONDS <= 0 or request.method not in ("GET", "HEAD"):
        return False
    meta = request.META
    if meta.get("QUERY_STRING") or meta.get("HTTP_AUTHORIZATION"):
        return False
    if request.path_info.startswith(NEVER_PREFIXES) or request.path_info.startswith(settings.STATIC_URL):
        return False
    if "HTTP_COOKIE" not in meta:
        return True
    cookies = parse_cookie(meta["HTTP_COOKIE"])
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


def _stored_form(generation, response, now: float) -> tuple:
    status = f"{response.status_code} {response.reason_phrase}"
    return generation, (now, status, list(response.items()), response.content)


def read_current(cache, key: str):
    """(current token, what `key` holds if it was stored under that token, else None)."""
    return generations.read(cache, GENERATION_KEY, key)


def _lookup(request, now: float, key: str | None = None):
    """(key, current token, the stored answer or None) for an eligible request, else None.

    The stored answer is (status line, headers with the hit marked, body, expires at)."""
    if key is None:
        if not _eligible(request):
            return None
        key = _page_key(request)
    generation, stored = read_current(_cache(), key)
    if stored is None:
        return key, generation, None
    stored_at, status, headers, body = stored
    expires = stored_at + settings.PAGE_CACHE_SECONDS
    return key, generation, (status, [*headers, (HEADER, "hit")], body, expires)


def _channel(cache, client) -> str:
    # Channels are shared by every database of a Redis server: name the database too.
    db = client.connection_pool.connection_kwargs.get("db", 0)
    return f"{cache.make_and_validate_key(GENERATION_KEY)}:db{db}"


class NearCopies:
    """One worker's copies of pages it served from Redis, kept while no new token is announced.

    Before every near hit the worker reads its subscription to the channel `clear_pages`
    announces on, without waiting: anything there (an announcement, a resubscription after a
    reconnect) drops every copy. A copy is kept only of an answer read from Redis after such a
    check and with no drop since (the epoch), so no copy predates an announcement the worker has
    read. If the subscription cannot be made or breaks, there are no copies and every hit goes
    to Redis, as without them. docs/performance.md, "Near copies".
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._pages = {}
        self._epoch = 0
        self._pubsub = None
        self._pid = None
        self._retry_at = 0.0

    def _drop(self, *args):
        self._pages.clear()
        self._epoch += 1

    def _leave(self):
        pubsub, self._pubsub = self._pubsub, None
        self._drop()
        with contextlib.suppress(RedisError, OSError):
            pubsub.close()

    def _listening(self, cache, now: float) -> bool:
        """Subscribed (joining if need be) and every copy still current. Under the lock."""
        if self._pubsub is not None and self._pid == os.getpid():
            try:
                while self._pubsub.get_message(timeout=0) is not None:
                    self._drop()
                return True
            except (RedisError, OSError):
                self._leave()
                self._retry_at = now + NEAR_RETRY_SECONDS
                return False
        # First use, or a forked worker: its parent's connection is not its own.
        self._pubsub = None
        self._drop()
        if now < self._retry_at:
            return False
        pubsub = None
        try:
            client = cache._cache.get_client(write=True)  # Django's RedisCache keeps its client there
            pubsub = client.pubsub()
            pubsub.subscribe(_channel(cache, client))
            confirmed = pubsub.get_message(timeout=1.0)
            if not confirmed or confirmed["type"] != "subscribe":
                raise RedisError("no subscription confirmed")
            # A reconnect inside redis-py resubscribes by itself: what was announced meanwhile
            # is lost, so drop every copy then too.
            pubsub.connection.register_connect_callback(self._drop)
        except (RedisError, OSError):
            if pubsub is not None:
                with contextlib.suppress(RedisError, OSError):
                    pubsub.close()
            self._retry_at = now + NEAR_RETRY_SECONDS
            return False
        self._pubsub, self._pid = pubsub, os.getpid()
        return True

    def get(self, cache, key: str, now: float):
        """(a current copy or None, the epoch to keep a fresh answer under, or None)."""
        with self._lock:
            if not self._listening(cache, now):
                return None, None
            copy = self._pages.get(key)
            if copy is not None and copy[3] <= now:
                del self._pages[key]
                copy = None
            return copy, self._epoch

    def keep(self, key: str, answer, epoch: int):
        """Keep a copy of an answer read from Redis after the `get` that gave `epoch`."""
        with self._lock:
            if epoch != self._epoch or self._pubsub is None or self._pid != os.getpid():
                return
            if len(self._pages) >= NEAR_PAGES:
                self._pages.pop(next(iter(self._pages)))
            self._pages[key] = answer


_near = NearCopies()


class _Finishing(list):
    """A hit's body that, like Django's own responses, sends request_finished when the server
    closes it: the lookup used the cache (and with the database cache, a connection)."""

    def close(self):
        signals.request_finished.send(sender=self.__class__)


class PageCacheMiddleware:
    """Serve and store anonymous public pages; first in MIDDLEWARE, so a stored page carries
    every header the other middleware add, and above CacheControlMiddleware, whose decision it
    reads."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Already looked up by `serve_hits` in front of Django (a miss), or not yet (the test
        # client, runserver).
        now = time.time()
        looked_up = request.META.pop(LOOKED_UP, None) or _lookup(request, now)
        if looked_up is None:
            return self.get_response(request)
        key, generation, stored = looked_up
        if stored is not None:
            status, headers, body, _ = stored
            response = HttpResponse(body, status=int(status[:3]), reason=status[4:])
            for name, value in headers:
                response[name] = value
            return response
        response = self.get_response(request)
        if request.method == "GET" and _storable(response):
            _cache().set(key, _stored_form(generation, response, now), settings.PAGE_CACHE_SECONDS)
            response[HEADER] = "miss"
        return response


def serve_hits(application):
    """Wrap the WSGI application (config/wsgi.py): a stored page is answered before Django's
    request handling and middleware run, with the same status, headers and body they would give.

    The same eligibility, key and token as the middleware, read from a request object built on
    the same environ. With Redis, a near copy is answered first (NearCopies). Anything else, a
    miss or any error (a Host not in ALLOWED_HOSTS, the cache unreachable), goes to Django
    unchanged, which answers and logs it as it always would.
    """

    def front(environ, start_response):
        now = time.time()
        near = epoch = None
        try:
            request = WSGIRequest(environ)
            looked_up = None
            if _eligible(request):
                key, cache = _page_key(request), _cache()
                if isinstance(cache, RedisCache):
                    copy, epoch = _near.get(cache, key, now)
                    if copy is not None:
                        start_response(copy[0], copy[1])
                        return [copy[2]]
                    near = key
                looked_up = _lookup(request, now, key)
        except Exception:  # noqa: BLE001 - Django's handler meets the same error and reports it
            looked_up = None
        if looked_up is None or looked_up[2] is None:
            if looked_up is not None:
                environ[LOOKED_UP] = looked_up
            return application(environ, start_response)
        status, headers, body, _ = answer = looked_up[2]
        if epoch is not None:
            _near.keep(near, answer, epoch)
        start_response(status, headers)
        return _Finishing([body])

    return front
