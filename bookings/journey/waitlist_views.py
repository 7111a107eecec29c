"""The links in a waiting-list email: claim (see the free times and book) and leave.

Mail scanners open every link, so GET only shows a page with a button; the button's POST acts
(docs/bookings.md#waiting-list). A link that is forged, too old, or names an entry that has
gone (left, booked, expired) gets a plain page saying so, never a 500. Token pages are never
cached or indexed, and their URL is not sent as a referrer to other sites.
"""

from functools import wraps

from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from bookings import waitlist, waitlist_links
from bookings.journey.choice import ANY, query
from bookings.journey.pages import BookingPage
from bookings.models import BookingSettings, WaitlistEntry
from bookings.slots import policy_from_settings
from bookings.zones import local, zone_label


def entry_page(purpose: str):
    def decorate(view):
        @wraps(view)
        def wrapper(request, token):
            public_id = waitlist_links.read(token, purpose)
            entry = None
            if public_id is not None:
                entry = (
                    WaitlistEntry.objects.select_related("offer", "partner")
                    .filter(public_id=public_id, expires_at__gt=timezone.now())
                    .first()
                )
            if entry is None:
                response = render(request, "bookings/waitlist/gone.html", status=404)
            else:
                response = view(request, entry, token)
            response["Cache-Control"] = "no-store"
            response["Referrer-Policy"] = "same-origin"
            response["X-Robots-Tag"] = "noindex, nofollow"
            return response

        return wrapper

    return decorate


@require_http_methods(["GET", "POST"])
@entry_page(waitlist_links.CLAIM)
def claim(request, entry, token):
    """GET: a button. POST: into the booking journey's time step if a suitable time is still free,
    else a kind word that it went (they stay on the list)."""
    leave_token = waitlist_links.make(entry, waitlist_links.LEAVE)
    context = {"entry": entry, "leave_token": leave_token, "zone_label": zone_label(entry.time_zone)}
    if request.method != "POST":
        return render(request, "bookings/waitlist/claim.html", context)
    now = timezone.now()
    page = BookingPage.objects.live().public().order_by("path").first()
    slots = waitlist.matching_slots(entry, now, policy_from_settings(BookingSettings.for_request(request)))
    if not slots or page is None:
        return render(request, "bookings/waitlist/taken.html", context)
    day = local(slots[0].start, entry.time_zone).date().isoformat()
    params = {"offer": entry.offer_id, "partner": entry.partner_id or ANY, "tz": entry.time_zone}
    return redirect(page.url + page.reverse_subpage("time") + query(**params, **{"from": day, "day": day}))


@require_http_methods(["GET", "POST"])
@entry_page(waitlist_links.LEAVE)
def leave(request, entry, token):
    """GET: are you sure? POST: the entry is deleted."""
    if request.method != "POST":
        return render(request, "bookings/waitlist/leave.html", {"entry": entry, "token": token})
    waitlist.leave(entry)
    return render(request, "bookings/waitlist/left.html", {"offer_title": entry.offer.title})
