"""Who is asking: the client address as the last trusted proxy saw it (docs/deploy.md,
TRUSTED_PROXY_COUNT). Used by the booking rate limit and the sign-in throttle."""

from django.conf import settings
from django.core.cache import cache


def client_key(request) -> str:
    """The client's address; behind N trusted proxies, the Nth address from the right."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "unknown")


def count_attempt(key: str, *, timeout: int) -> int:
    """Count one more attempt under `key`, kept `timeout` seconds from now; the running count.

    Django's `incr` re-stores the value with the cache's default timeout (300 s) on the database
    cache, our default, which would quietly shorten an hour's window to five minutes; so the
    timeout is set again after counting (docs/security.md, "Rate limits")."""
    if cache.add(key, 1, timeout=timeout):
        return 1
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=timeout)
        return 1
    cache.touch(key, timeout)
    return count
