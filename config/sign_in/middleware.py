"""Sends a signed-in person who still owes the second factor to enrol or to enter a code
(docs/security.md). Runs after django_otp's OTPMiddleware, which gives `user.is_verified()`."""

from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse

from config.sign_in.rules import has_app, needs_second_step


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and needs_second_step(user, request.path):
            step = "second_factor:verify" if has_app(user) else "second_factor:enrol"
            return redirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
