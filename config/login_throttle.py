"""Slows password guessing on every sign-in page (Wagtail admin, partner workspace, Django admin).

Failures are counted in the shared cache per (username, client address) and per username alone.
The first limit stops one attacker guessing one account; the second, much higher, stops guesses
spread over many addresses. Neither locks out other people behind the same address: a whole NHS
trust may share one, so there is no per-address limit across usernames. While a limit holds,
sign-in fails as if the password were wrong, so the page reveals nothing.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache

from bookings.clients import client_key


def _keys(username: str, request) -> tuple[str, str]:
    name = (username or "").strip().lower()[:150]
    client = client_key(request) if request is not None else "unknown"
    return f"login-fail:{name}:{client}", f"login-fail:{name}"


def _count(key: str) -> int:
    return cache.get(key, 0)


def _add_failure(key: str) -> None:
    cache.add(key, 0, timeout=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=settings.LOGIN_FAILURE_WINDOW_SECONDS)


class ThrottledModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        pair, name = _keys(username, request)
        if (
            _count(pair) >= settings.LOGIN_FAILURES_PER_CLIENT
            or _count(name) >= settings.LOGIN_FAILURES_PER_ACCOUNT
        ):
            return None
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            _add_failure(pair)
            _add_failure(name)
        else:
            cache.delete(pair)
        return user
