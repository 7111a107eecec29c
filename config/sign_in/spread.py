"""Guesses at one account spread over many addresses (docs/security.md, "Lockout rule").

django-axes locks a username only together with one address, so nobody can lock a person out
from everywhere, and a shared address (a whole NHS trust) is never locked for everyone. That
leaves guessing one account from many addresses: every failed sign-in also counts against the
username alone, and once LOGIN_FAILURES_PER_ACCOUNT have piled up within the window, each further
attempt for that username waits LOGIN_SPREAD_DELAY_SECONDS before the password is checked. The
right password still works from anywhere, only slower, and the admin's second factor still
stands behind it.
"""

import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.dispatch import receiver

from bookings.clients import count_attempt

# Tests replace this to see the pause without waiting for it.
pause = time.sleep


def _key(username) -> str:
    return f"signin-spread:{(username or '').strip().lower()[:150]}"


def failures(username) -> int:
    return cache.get(_key(username), 0)


@receiver(user_login_failed, dispatch_uid="sign_in_spread_counter")
def count_failure(sender, credentials, request=None, **kwargs):
    username = credentials.get(get_user_model().USERNAME_FIELD) or credentials.get("username")
    if not username:
        return
    count_attempt(_key(username), timeout=settings.LOGIN_FAILURE_WINDOW_SECONDS)


class SlowedModelBackend(ModelBackend):
    """Django's backend, pausing first while the username is under a spread guessing attack."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if failures(username) >= settings.LOGIN_FAILURES_PER_ACCOUNT:
            pause(settings.LOGIN_SPREAD_DELAY_SECONDS)
        return super().authenticate(request, username=username, password=password, **kwargs)
