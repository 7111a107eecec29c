"""Each worker's near copies of pages served from Redis (home/page_cache.py NearCopies,
docs/performance.md "Near copies"), against a real Redis."""

import uuid

import pytest
import redis

from home import page_cache
from home.page_cache import HEADER, NearCopies
from tests.support.wsgi import Recorder, environ, serve

REDIS_URL = "redis://127.0.0.1:6379/11"


def _redis_available() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except redis.RedisError:
        return False


pytestmark = pytest.mark.skipif(not _redis_available(), reason="needs Redis on 127.0.0.1:6379 (CI starts it)")


@pytest.fixture
def redis_pages(settings, monkeypatch, home_page, wsgi_requests):
    """The page cache on the project's Redis backend, under a prefix of its own, with a fresh
    set of near copies (one worker's)."""
    prefix = f"near-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {"BACKEND": "config.cache.RedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": prefix}
    }
    settings.PAGE_CACHE_SECONDS = 300
    near = NearCopies()
    monkeypatch.setattr(page_cache, "_near", near)
    client = redis.Redis.from_url(REDIS_URL)
    yield near, client
    if near._pubsub is not None:
        near._pubsub.close()
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


def _mgets(client) -> int:
    return client.info("commandstats").get("cmdstat_mget", {}).get("calls", 0)


def _announce(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        page_cache.clear_pages()


def test_a_repeat_hit_is_answered_from_the_near_copy_with_no_redis_read(redis_pages):
    near, client = redis_pages
    django = Recorder()
    front = page_cache.serve_hits(django)
    status, headers, body = serve(front, environ())
    assert headers[HEADER] == "miss"
    assert serve(front, environ())[1][HEADER] == "hit"  # from Redis, and kept
    before = _mgets(client)
    again = serve(front, environ())
    assert _mgets(client) == before
    assert django.calls == 1
    assert again == (status, {**headers, HEADER: "hit"}, body)


def test_a_publish_drops_the_near_copies_before_the_next_request(
    redis_pages, home_page, django_capture_on_commit_callbacks
):
    near, client = redis_pages
    django = Recorder()
    front = page_cache.serve_hits(django)
    for _ in range(3):
        serve(front, environ())
    home_page.title = "A new title"
    with django_capture_on_commit_callbacks(execute=True):
        home_page.save_revision().publish()
    _, headers, body = serve(front, environ())
    assert headers[HEADER] == "miss"
    assert b"A new title" in body
    assert django.calls == 2


def test_an_announcement_from_anywhere_reaches_this_worker(redis_pages, settings):
    """Another process announces with a plain Redis client: SET and PUBLISH in one MULTI."""
    near, client = redis_pages
    front = page_cache.serve_hits(Recorder())
    for _ in range(2):
        serve(front, environ())
    assert near._pages
    other = redis.Redis.from_url(REDIS_URL)
    channel = f"{settings.CACHES['default']['KEY_PREFIX']}:1:{page_cache.GENERATION_KEY}:db11"
    assert other.publish(channel, "elsewhere") == 1  # this worker is the one subscriber
    copy, _ = near.get(page_cache._cache(), next(iter(near._pages)), now=0)
    assert copy is None and not near._pages


def test_a_lost_subscription_drops_the_copies_and_an_announcement_it_missed_is_not_fatal(
    redis_pages, django_capture_on_commit_callbacks
):
    near, client = redis_pages
    django = Recorder()
    front = page_cache.serve_hits(django)
    for _ in range(2):
        serve(front, environ())
    assert near._pages
    client.client_kill_filter(_type="pubsub")
    # Announced while this worker is not listening: its message is lost.
    _announce(django_capture_on_commit_callbacks)
    _, headers, _ = serve(front, environ())
    assert headers[HEADER] == "miss"  # re-rendered under the new token, not the old copy
    assert django.calls == 2


def test_a_copy_is_not_kept_across_a_drop_between_its_check_and_its_read(redis_pages):
    """Two threads of one worker: one checks, another drains an announcement, then the first
    reads an answer that may predate it. That answer must not become a copy."""
    near, client = redis_pages
    cache = page_cache._cache()
    _, epoch = near.get(cache, "page", now=1.0)
    near._drop()  # what draining an announcement does
    near.keep("page", ("200 OK", [], b"old", 10.0), epoch)
    assert near.get(cache, "page", now=1.0)[0] is None
    _, epoch = near.get(cache, "page", now=1.0)
    near.keep("page", ("200 OK", [], b"new", 10.0), epoch)
    assert near.get(cache, "page", now=1.0)[0][2] == b"new"


def test_a_copy_expires_with_the_stored_page(redis_pages):
    near, client = redis_pages
    cache = page_cache._cache()
    _, epoch = near.get(cache, "page", now=1.0)
    near.keep("page", ("200 OK", [], b"body", 301.0), epoch)
    assert near.get(cache, "page", now=300.9)[0] is not None
    assert near.get(cache, "page", now=301.0)[0] is None


def test_without_a_subscription_there_are_no_copies(redis_pages, monkeypatch):
    near, client = redis_pages

    def refused(*args, **kwargs):
        raise redis.ConnectionError("refused")

    monkeypatch.setattr(redis.client.PubSub, "subscribe", refused)
    django = Recorder()
    front = page_cache.serve_hits(django)
    serve(front, environ())
    before = _mgets(client)
    for _ in range(3):
        assert serve(front, environ())[1][HEADER] == "hit"
    assert _mgets(client) == before + 3  # every hit read Redis
    assert not near._pages and django.calls == 1
