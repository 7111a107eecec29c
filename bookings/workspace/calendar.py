"""Workspace calendar page: the partner's CalDAV calendar (the form and choice are in
bookings/workspace/caldav.py), their private feed link and their own calendar's address.

The feed token is shown exactly once, in the response to the POST that made it (only its hash
is stored), so it is never put in a redirect, the session or a message. The response is
``no-store`` like every workspace page (partner_required). The state changes are in
partner_calendars.py.
"""

from urllib.parse import urlsplit

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone

from bookings import partner_calendars, partner_services
from bookings.errors import BookingError
from bookings.models import (
    Booking,
    BookingStatus,
    CalDAVConnection,
    CalDAVState,
    ExternalCalendar,
    PartnerFeed,
)
from bookings.workspace.access import partner_required, post_only
from bookings.workspace.feed import feed_url
from bookings.workspace.forms import CalDAVConnectForm, ExternalCalendarForm, FeedJoiningForm


def _invited_chats(feed: PartnerFeed | None, now) -> int:
    """Upcoming chats that reached the partner as invites before the feed was turned on: they are
    now in the feed as well, so the partner sees them twice until they remove one copy."""
    if feed is None or feed.duplicates_told_at is not None:
        return 0
    return Booking.objects.filter(
        partner_id=feed.partner_id,
        status=BookingStatus.CONFIRMED,
        start__gt=now,
        created_at__lt=feed.created_at,
    ).count()


def caldav_form_for(connection: CalDAVConnection | None) -> CalDAVConnectForm:
    """A blank form, or one holding the stored address and user name to connect again (never the
    password: it is asked for again every time)."""
    if connection is None:
        return CalDAVConnectForm()
    return CalDAVConnectForm(initial={"server_url": connection.server_url, "username": connection.username})


def _calendar_page(request, *, token: str = "", form=None, caldav_form=None, status=200):
    partner = request.partner
    own = ExternalCalendar.objects.filter(partner=partner).first()
    caldav = CalDAVConnection.objects.filter(partner=partner).first()
    feed = PartnerFeed.objects.filter(partner=partner).first()
    now = timezone.now()
    # Told once, in plain words (docs/feeds.md, "Channels"): shown until the partner has seen it
    # on the page that gives them the new link.
    duplicates = _invited_chats(feed, now)
    if duplicates and token:
        partner_calendars.note_duplicates_told(partner, now=now)
    context = {
        "feed": feed,
        "duplicates": duplicates,
        "new_link": feed_url(request, token) if token else "",
        "webcal_link": feed_url(request, token, webcal=True) if token else "",
        "own": own,
        # The address is a secret: show only which service it points at.
        "own_host": urlsplit(own.url).hostname if own else "",
        "form": form or ExternalCalendarForm(),
        "joining_form": FeedJoiningForm(initial={"shown": partner.feed_shows_joining_details}),
        "caldav": caldav,
        "caldav_host": urlsplit(caldav.server_url).hostname if caldav else "",
        "caldav_states": CalDAVState,
        "caldav_form": caldav_form or caldav_form_for(caldav),
        "nav": "calendar",
    }
    return render(request, "bookings/workspace/calendar.html", context, status=status)


@partner_required
def calendar(request):
    return _calendar_page(request)


@partner_required
@post_only
def feed_create(request):
    token = partner_calendars.create_or_rotate_feed(request.partner, now=timezone.now())
    return _calendar_page(request, token=token)


@partner_required
@post_only
def feed_disable(request):
    partner_calendars.disable_feed(request.partner, now=timezone.now())
    messages.success(
        request,
        "Your calendar link is turned off. Calendars using it will stop updating. We are emailing "
        "you an invite for each upcoming chat, so they stay in your own calendar.",
    )
    return redirect("workspace:calendar")


@partner_required
@post_only
def feed_joining_details(request):
    form = FeedJoiningForm(request.POST)
    shown = form.is_valid() and form.cleaned_data["shown"]
    partner_services.set_feed_joining_details(request.partner, shown)
    if shown:
        messages.success(request, "Your calendar link now shows the video link or address of each chat.")
    else:
        messages.success(request, "Your calendar link no longer shows how to join each chat.")
    return redirect("workspace:calendar")


@partner_required
@post_only
def own_calendar_save(request):
    form = ExternalCalendarForm(request.POST)
    if form.is_valid():
        try:
            partner_calendars.set_external_calendar(
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
    partner_calendars.remove_external_calendar(request.partner)
    messages.success(request, "Your calendar is disconnected. Its busy times no longer affect your slots.")
    return redirect("workspace:calendar")


@partner_required
@post_only
def own_calendar_check(request):
    if partner_calendars.request_calendar_sync(request.partner):
        messages.success(request, "We will read your calendar again in a moment. Refresh this page to see.")
    else:
        messages.error(request, "You have not connected a calendar yet.")
    return redirect("workspace:calendar")
