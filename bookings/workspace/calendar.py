"""Workspace calendar page: the partner's private feed link and their own calendar's address.

The feed token is shown exactly once, in the response to the POST that made it (only its hash
is stored), so it is never put in a redirect, the session or a message. The response is
``no-store`` like every workspace page (partner_required). The state changes are in
partner_services.py.
"""

from urllib.parse import urlsplit

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone

from bookings import partner_services
from bookings.errors import BookingError
from bookings.models import ExternalCalendar, PartnerFeed
from bookings.workspace.access import partner_required, post_only
from bookings.workspace.feed import feed_url
from bookings.workspace.forms import ExternalCalendarForm


def _calendar_page(request, *, token: str = "", form=None, status=200):
    partner = request.partner
    own = ExternalCalendar.objects.filter(partner=partner).first()
    context = {
        "feed": PartnerFeed.objects.filter(partner=partner).first(),
        "new_link": feed_url(request, token) if token else "",
        "webcal_link": feed_url(request, token, webcal=True) if token else "",
        "own": own,
        # The address is a secret: show only which service it points at.
        "own_host": urlsplit(own.url).hostname if own else "",
        "form": form or ExternalCalendarForm(),
        "nav": "calendar",
    }
    return render(request, "bookings/workspace/calendar.html", context, status=status)


@partner_required
def calendar(request):
    return _calendar_page(request)


@partner_required
@post_only
def feed_create(request):
    token = partner_services.create_or_rotate_feed(request.partner, now=timezone.now())
    return _calendar_page(request, token=token)


@partner_required
@post_only
def feed_disable(request):
    partner_services.disable_feed(request.partner)
    messages.success(request, "Your calendar link is turned off. Calendars using it will stop updating.")
    return redirect("workspace:calendar")


@partner_required
@post_only
def own_calendar_save(request):
    form = ExternalCalendarForm(request.POST)
    if form.is_valid():
        try:
            partner_services.set_external_calendar(
                request.partner, form.cleaned_data["url"], now=timezone.now()
            )
        except BookingError as exc:
            form.add_error("url", exc.message)
        else:
            messages.success(
                request, "Your calendar is connected. Busy times in it will close your slots shortly."
            )
            return redirect("workspace:calendar")
    return _calendar_page(request, form=form)


@partner_required
@post_only
def own_calendar_remove(request):
    partner_services.remove_external_calendar(request.partner)
    messages.success(request, "Your calendar is disconnected. Its busy times no longer affect your slots.")
    return redirect("workspace:calendar")


@partner_required
@post_only
def own_calendar_check(request):
    if partner_services.request_calendar_sync(request.partner):
        messages.success(request, "We will read your calendar again in a moment. Refresh this page to see.")
    else:
        messages.error(request, "You have not connected a calendar yet.")
    return redirect("workspace:calendar")
