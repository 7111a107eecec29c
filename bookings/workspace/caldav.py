"""Workspace screens for a partner's CalDAV calendar (docs/caldav.md, "The screens").

Connect (server address, user name, app password) → choose one of the calendars found → the
calendar page shows the connection's state. Every change is a POST to a service in
partner_caldav.py. The app password is marked sensitive, so Django's error reports never show
it; the form never renders it back, no message or redirect carries it, and the services store it
only encrypted. A refused password, an unreachable server or bad input comes back as a form error
with nothing stored.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from bookings import partner_caldav
from bookings.errors import BookingError
from bookings.models import CalDAVConnection
from bookings.workspace.access import partner_required, post_only
from bookings.workspace.calendar import _calendar_page
from bookings.workspace.forms import CalDAVChooseForm, CalDAVConnectForm


@sensitive_post_parameters("password")
@partner_required
@post_only
@sensitive_variables()  # every local: the form, its cleaned data and the password
def caldav_connect(request):
    form = CalDAVConnectForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        password = data["password"]
        try:
            partner_caldav.connect_caldav(
                request.partner, data["server_url"], data["username"], password, now=timezone.now()
            )
        except BookingError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("workspace:caldav_choose")
    return _calendar_page(request, caldav_form=form)


@partner_required
def caldav_choose(request):
    partner = request.partner
    connection = CalDAVConnection.objects.filter(partner=partner).first()
    if connection is None:
        messages.error(request, "Connect your calendar account first.")
        return redirect("workspace:calendar")
    try:
        calendars = partner_caldav.caldav_calendars(partner)
    except BookingError as exc:
        # The stored account no longer works: say so, and offer the form to connect again.
        context = {"problem": exc.message, "connection": connection, "nav": "calendar"}
        return render(request, "bookings/workspace/caldav_choose.html", context)
    form = CalDAVChooseForm(
        request.POST if request.method == "POST" else None,
        calendars=calendars,
        initial={"calendar": connection.calendar_url} if connection.calendar_url else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            count = partner_caldav.choose_caldav_calendar(
                partner, form.cleaned_data["calendar"], now=timezone.now()
            )
        except BookingError as exc:
            form.add_error("calendar", exc.message)
        else:
            name = dict(calendars)[form.cleaned_data["calendar"]]
            if count == 1:
                written = " We are writing your 1 upcoming chat into it now."
            elif count:
                written = f" We are writing your {count} upcoming chats into it now."
            else:
                written = ""
            messages.success(request, f"Your chats now go into your calendar “{name}”.{written}")
            return redirect("workspace:calendar")
    context = {"form": form, "connection": connection, "nav": "calendar"}
    return render(request, "bookings/workspace/caldav_choose.html", context)


@partner_required
@post_only
def caldav_disconnect(request):
    had_one = CalDAVConnection.objects.filter(partner=request.partner).exists()
    partner_caldav.disconnect_caldav(request.partner, now=timezone.now())
    if had_one:
        messages.success(
            request,
            "Your calendar account is disconnected and we have forgotten its app password. Chats "
            "already in that calendar stay there but will not change. We are emailing you an invite "
            "for each upcoming chat.",
        )
    else:
        messages.error(request, "You had not connected a calendar account.")
    return redirect("workspace:calendar")
