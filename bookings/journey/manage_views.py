"""The booker's manage link: see a booking, cancel it, or move it to another time.

Mail scanners open every link in an email, so GET only ever shows things; every change is a
POST with a CSRF token. Any token that does not name an active booking at its current version
(tampered, superseded, used or unknown) gets the site's ordinary not-found page, byte for byte,
so a token cannot be probed. Once the chat has ended, every token page is the one "this chat has
happened" page (410 Gone): a link is for one chat (docs/privacy.md). Token pages are never
cached, and their URL is never sent as a referrer to another site. The policy is `same-origin`,
not `no-referrer`: with `no-referrer` browsers send `Origin: null` on the page's own POST
forms, which Django's CSRF check refuses.
"""

from datetime import timedelta
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods
from wagtail.models import Page

from bookings import services
from bookings.errors import BookingError, SlotUnavailable
from bookings.joining import joining_details
from bookings.manage_links import booking_for_token
from bookings.models import BookingEntryPage, BookingSettings, BookingStatus
from bookings.slots import fortnight, policy_from_settings
from bookings.zones import (
    ZONE_AREAS,
    format_moment,
    parse_day,
    parse_iso_utc,
    resolve_zone,
    zone_choices,
    zone_label,
)


def token_page(view):
    """Look the token up once; unknown tokens get the plain 404 page, chats that have ended the
    "has happened" page. Adds the privacy headers."""

    @wraps(view)
    def wrapper(request, token, *args, **kwargs):
        booking = booking_for_token(token)
        now = timezone.now()
        if booking is None:
            response = render(request, "404.html", status=404)
        elif booking.end <= now:
            context = _context(request, booking, token, now)
            response = render(request, "bookings/manage/happened.html", context, status=410)
        else:
            response = view(request, booking, token, *args, **kwargs)
        response["Cache-Control"] = "private, no-store"
        response["Referrer-Policy"] = "same-origin"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapper


def booking_page_url() -> str:
    """The live booking page, for "Book another chat" (the home page if there is none)."""
    page = Page.objects.live().public().type(BookingEntryPage).order_by("path").first()
    return (page.url if page is not None else None) or "/"


def changes_closed(booking, now) -> bool:
    return booking.start - now < timedelta(hours=settings.MANAGE_CHANGES_CLOSE_HOURS)


def _zone(request, booking) -> tuple[str, bool]:
    return resolve_zone(request.GET.get("tz") or booking.booker_time_zone or None)


def _context(request, booking, token, now, **extra) -> dict:
    zone = extra.pop("zone", None) or _zone(request, booking)[0]
    return {
        "booking": booking,
        "is_request": booking.status == BookingStatus.PENDING,
        "joining": joining_details(booking),
        "when": format_moment(booking.start, zone),
        "zone": zone,
        "zone_label": zone_label(zone),
        "closed": changes_closed(booking, now),
        "started": booking.start <= now,
        "close_hours": settings.MANAGE_CHANGES_CLOSE_HOURS,
        "mailbox": settings.BOOKINGS_MAILBOX,
        "manage_url": reverse("bookings:manage", args=[token]),
        "cancel_url": reverse("bookings:cancel", args=[token]),
        "rebook_url": reverse("bookings:rebook", args=[token]),
        **extra,
    }


@require_http_methods(["GET", "HEAD"])
@token_page
def manage(request, booking, token):
    return render(request, "bookings/manage/booking.html", _context(request, booking, token, timezone.now()))


@require_http_methods(["POST"])
@token_page
def cancel(request, booking, token):
    """Two POSTs: the manage page's button asks "Are you sure?" (nothing changes), and only the
    confirmation page's button (carrying confirm=yes) cancels, through services.cancel; the token
    stops working because the sequence goes up. Still POST only, so a mail scanner following
    links can neither cancel nor reach the question."""
    now = timezone.now()
    if changes_closed(booking, now):
        context = _context(request, booking, token, now, refused=True)
        return render(request, "bookings/manage/booking.html", context, status=403)
    if request.POST.get("confirm") != "yes":
        return render(request, "bookings/manage/cancel_confirm.html", _context(request, booking, token, now))
    try:
        cancelled = services.cancel(
            booking, now=now, actor_label="booker", expected_sequence=booking.sequence
        )
    except BookingError as exc:
        context = _context(request, booking, token, now, error=exc.message)
        return render(request, "bookings/manage/booking.html", context, status=409)
    context = _context(
        request, cancelled, token, now, zone=_zone(request, cancelled)[0], book_url=booking_page_url()
    )
    return render(request, "bookings/manage/cancelled.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
@token_page
def rebook(request, booking, token):
    """GET lists free times with the same partner; POST moves the booking (services.reschedule)."""
    now = timezone.now()
    if changes_closed(booking, now):
        context = _context(request, booking, token, now, refused=request.method == "POST")
        return render(
            request, "bookings/manage/booking.html", context, status=403 if context["refused"] else 200
        )
    policy = policy_from_settings(BookingSettings.for_request(request))
    zone, zone_rejected = _zone(request, booking)
    error = ""
    if request.method == "POST":
        new_start = parse_iso_utc(request.POST.get("start"))
        try:
            if new_start is None:
                raise SlotUnavailable("Choose one of the free times below.")
            moved = services.reschedule(
                booking,
                new_start,
                now=now,
                actor_label="booker",
                policy=policy,
                expected_sequence=booking.sequence,
            )
        except SlotUnavailable as exc:
            error = (
                exc.message
                if new_start is None
                else "Sorry, that time has just been taken. Please choose another time."
            )
        except BookingError as exc:
            error = exc.message
        else:
            return render(
                request, "bookings/manage/moved.html", _context(request, moved, token, now, zone=zone)
            )
    listing = fortnight(
        booking.offer,
        booking.partner,
        zone,
        parse_day(request.GET.get("from")),
        now,
        policy,
        day=parse_day(request.GET.get("day")),
        exclude_booking_id=booking.pk,
        exclude_start=booking.start,
        cached=True,  # display only: the move re-checks under the partner's lock
    )
    context = _context(
        request,
        booking,
        token,
        now,
        zone=zone,
        zone_rejected=zone_rejected,
        listing=listing,
        selected=listing.selected,
        zones=zone_choices(zone, full=request.GET.get("zones") == "all"),
        zone_areas=" ".join(ZONE_AREAS),
        all_zones_url=request.GET.get("zones") != "all"
        and request.path + "?" + urlencode({**request.GET.dict(), "zones": "all"}) + "#id_tz",
        zone_hidden={"from": listing.first_day.isoformat()},
        detect_zone=not booking.booker_time_zone,
        error=error,
        errors=[("times", error)] if error else [],
    )
    return render(request, "bookings/manage/rebook.html", context, status=409 if error else 200)
