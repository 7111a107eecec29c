"""Signing tests in past the second factor (docs/security.md, docs/testing.md).

Staff, editors and superusers cannot reach /admin/ until they pass it, so a test that works in
the admin signs in with `sign_in_verified(client, user)` (the test client) or enrols the user
with `enrol(user)` and types `code_for(device)` in a browser (`pass_second_factor(page, user)`).
Codes are computed the way an authenticator app does, with django_otp.oath.totp.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from playwright.sync_api import expect

if TYPE_CHECKING:
    from django_otp.plugins.otp_totp.models import TOTPDevice


def _devices():
    """django_otp's device model, looked up when first used: tests/conftest.py imports this
    module, and a plugin-loaded conftest (tests/test_fresh_clone.py) runs before Django is set up."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects


def enrol(user) -> TOTPDevice:
    """The user's confirmed authenticator app, made if they have none."""
    device = _devices().filter(user=user, confirmed=True).first()
    return device or _devices().create(user=user, name="Test app", confirmed=True)


def code_for(device: TOTPDevice) -> str:
    """The six digits the app shows now. A code is accepted once, so a test that signs in twice
    within 30 seconds first forgets the last one used (on the device; the clock is untouched)."""
    _devices().filter(pk=device.pk).update(last_t=-1)
    device.refresh_from_db()
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def mark_verified(client, user) -> TOTPDevice:
    """Mark the test client's session as having passed the second factor with the user's app."""
    device = enrol(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


def sign_in_verified(client, user):
    """force_login plus the second factor: what a staff member has after both steps."""
    client.force_login(user)
    mark_verified(client, user)
    return client


def pass_second_factor(page, user):
    """In a browser that has just sent a staff member's password: they land on the set-up page
    (no app yet) or the code page; give them an app if needed and type its current code."""
    if isinstance(user, str):
        user = get_user_model().objects.get_by_natural_key(user)
    expect(page).to_have_url(re.compile(r"/accounts/second-factor/(set-up|check)/"))
    if "/set-up/" in page.url:
        enrol(user)
        page.reload()  # with an app, the set-up page hands over to the code page
        expect(page).to_have_url(re.compile(r"/accounts/second-factor/check/"))
    page.get_by_label("Code").fill(code_for(enrol(user)))
    page.get_by_role("button", name="Continue").click()


def password_sign_in(client, username: str, password: str) -> bool:
    """Sign the test client in through the sign-in form, as a person does. (Client.login() sends
    no request, which django-axes needs to count failures per address.)"""
    response = client.post("/accounts/login/", {"username": username, "password": password})
    return response.status_code == 302
