"""The booker's feedback link (docs/impact.md): how did the chat go, and withdrawing consent.

Like the manage link, GET only shows; every change is a POST with a CSRF token, so mail scanners
that open links change nothing. An unknown, tampered or expired token gets the ordinary 404
page. Pages are never cached and never sent as a referrer.
"""

from functools import wraps

from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from bookings import feedback
from bookings.errors import BookingError
from bookings.journey.feedback_forms import FeedbackForm
from bookings.models import Feedback, QuoteConsent
from home.models import LadderRung


def feedback_page(view):
    @wraps(view)
    def wrapper(request, token, *args, **kwargs):
        booking = feedback.booking_for_token(token)
        if booking is None:
            response = render(request, "404.html", status=404)
        else:
            response = view(request, booking, token, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        response["Referrer-Policy"] = "same-origin"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapper


def _context(booking, token, **extra) -> dict:
    given = Feedback.objects.filter(booking=booking).first()
    return {
        "booking": booking,
        "given": given,
        "can_withdraw": bool(given and given.consent != QuoteConsent.NONE and not given.consent_withdrawn_at),
        "form_url": reverse("bookings:feedback", args=[token]),
        "withdraw_url": reverse("bookings:feedback_withdraw", args=[token]),
        **extra,
    }


@require_http_methods(["GET", "HEAD", "POST"])
@feedback_page
def feedback_form(request, booking, token):
    rungs = list(LadderRung.objects.all())
    form = FeedbackForm(request.POST or None, rungs=rungs)
    status = 200
    error = ""
    if request.method == "POST":
        if form.is_valid():
            try:
                given = feedback.submit(booking, form.answers(), now=timezone.now())
            except BookingError as exc:
                error, status = exc.message, 409
            else:
                return render(request, "bookings/feedback/thanks.html", _context(booking, token, given=given))
        else:
            status = 400
    if error or Feedback.objects.filter(booking=booking).exists():
        return render(
            request, "bookings/feedback/given.html", _context(booking, token, error=error), status=status
        )
    context = _context(booking, token, form=form, rungs=rungs, errors=form.errors and form.error_list())
    return render(request, "bookings/feedback/form.html", context, status=status)


@require_http_methods(["POST"])
@feedback_page
def withdraw(request, booking, token):
    try:
        feedback.withdraw_consent(booking, now=timezone.now())
    except BookingError as exc:
        context = _context(booking, token, error=exc.message)
        return render(request, "bookings/feedback/given.html", context, status=409)
    return render(request, "bookings/feedback/given.html", _context(booking, token, withdrawn=True))
