"""Who is asking: the client address as the last trusted proxy saw it (docs/deploy.md,
TRUSTED_PROXY_COUNT). Used by the booking rate limit and the sign-in throttle."""

from django.conf import settings


def client_key(request) -> str:
    """The client's address; behind N trusted proxies, the Nth address from the right."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "unknown")
