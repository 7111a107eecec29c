"""The partner workspace: a partner's own chats, pause, and wellbeing limits.

Thin views (docs/conventions.md): parse, call a service with ``now`` from the clock and the signed-in user
as actor, then redirect or render. Access rules live in access.py. A domain error is
shown as a message, never a 500. Availability and time off are in availability.py,
calendar links in calendar.py.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone

from bookings import partner_services
from bookings.errors import BookingError
from bookings.joining import joining_details, partner_phone
from bookings.models import Booking, BookingStatus, PartnerReflection
from bookings.workspace.access import owned, partner_required, post_only
from bookings.workspace.forms import AcceptForm, DeclineForm, LimitsForm, MeetingLinkForm
from bookings.workspace.impact import ReflectionForm

S = BookingStatus
PAST_SHOWN = 20

_DONE = {
    "accept": "You accepted this chat. We have let them know.",
    "decline": "You declined this request. We have let them know kindly.",
    "complete": "Thank you. The chat is marked as completed.",
    "no_show": "The chat is marked as missed.",
}


@partner_required
def home(request):
    partner = request.partner
    now = timezone.now()
    chats = Booking.objects.filter(partner=partner).select_related("offer").order_by("start", "pk")
    context = {
        "pending": chats.filter(status=S.PENDING),
        "upcoming": chats.filter(status=S.CONFIRMED, start__gt=now),
        "to_mark": chats.filter(status=S.CONFIRMED, start__lte=now),
        "past": chats.exclude(status__in=[S.PENDING, S.CONFIRMED]).order_by("-start", "pk")[:PAST_SHOWN],
        "nav": "chats",
    }
    return render(request, "bookings/workspace/home.html", context)


@partner_required
@owned(Booking, url_kwarg="public_id", field="public_id", select_related=("offer", "ladder_rung", "partner"))
def booking_detail(request, booking):
    return _render_detail(request, booking)


def _render_detail(request, booking, decline_form=None, accept_form=None):
    needs_link = booking.status == S.PENDING and partner_services.needs_link_on_accept(booking)
    return render(
        request,
        "bookings/workspace/booking_detail.html",
        {
            "booking": booking,
            "joining": joining_details(booking),
            "phone": partner_phone(booking),
            "can_answer": booking.status == S.PENDING,
            "can_mark": booking.status == S.CONFIRMED and booking.start <= timezone.now(),
            "decline_form": decline_form or DeclineForm(),
            "can_reflect": booking.status in (S.COMPLETED, S.NO_SHOW),
            "reflection_form": _reflection_form(booking),
            "accept_form": (accept_form or AcceptForm()) if needs_link else None,
            "nav": "chats",
        },
        status=400 if accept_form else 200,
    )


@partner_required
@owned(Booking, url_kwarg="public_id", field="public_id")
@post_only
def booking_action(request, booking, action):
    reason = link = ""
    if action == "decline":
        form = DeclineForm(request.POST)
        if not form.is_valid():
            return _render_detail(request, _reload(booking), decline_form=form)
        reason = form.cleaned_data["reason"]
    if action == "accept" and partner_services.needs_link_on_accept(_reload(booking)):
        form = AcceptForm(request.POST)
        if not form.is_valid():
            return _render_detail(request, _reload(booking), accept_form=form)
        link = form.cleaned_data["meeting_link"]
    try:
        partner_services.act_on_booking(
            request.partner,
            booking.public_id,
            action,
            now=timezone.now(),
            actor=request.user,
            reason=reason,
            meeting_link=link,
        )
    except BookingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _DONE[action])
    return redirect("workspace:booking", public_id=booking.public_id)


def _reflection_form(booking) -> ReflectionForm:
    saved = PartnerReflection.objects.filter(booking=booking, partner_id=booking.partner_id).first()
    return ReflectionForm(initial={"note": saved.note if saved else ""})


def _reload(booking):
    return Booking.objects.select_related("offer", "ladder_rung", "partner").get(pk=booking.pk)


@partner_required
@post_only
def pause_or_resume(request):
    if request.POST.get("action") == "pause":
        partner_services.pause(request.partner, actor=request.user)
        messages.success(request, "You are paused. Nobody can book a new chat with you until you resume.")
    elif request.POST.get("action") == "resume":
        partner_services.resume(request.partner, actor=request.user, now=timezone.now())
        messages.success(request, "Welcome back. People can book your free times again.")
    return redirect("workspace:home")


@partner_required
def limits(request):
    partner = request.partner
    initial = {
        "max_chats_per_day": partner.max_chats_per_day,
        "max_chats_per_week": partner.max_chats_per_week,
        "rest_minutes": partner.rest_minutes,
    }
    form = LimitsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            partner_services.set_limits(
                partner,
                data["max_chats_per_day"],
                data["max_chats_per_week"],
                data["rest_minutes"],
                actor=request.user,
                now=timezone.now(),
            )
        except BookingError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Your limits are saved. They apply to new bookings from now on.")
            return redirect("workspace:limits")
    return render(request, "bookings/workspace/limits.html", {"form": form, "nav": "limits"})


@partner_required
def joining(request):
    """The partner's standing video link, sent for every video chat (docs/bookings.md)."""
    partner = request.partner
    form = MeetingLinkForm(request.POST or None, initial={"meeting_link": partner.meeting_link})
    if request.method == "POST" and form.is_valid():
        try:
            updated = partner_services.set_meeting_link(
                partner, form.cleaned_data["meeting_link"], now=timezone.now(), actor=request.user
            )
        except BookingError as exc:
            form.add_error("meeting_link", exc.message)
        else:
            note = (
                f" We are sending updated invites for {updated} upcoming chat{'s' if updated != 1 else ''}."
            )
            messages.success(request, "Your video link is saved." + (note if updated else ""))
            return redirect("workspace:joining")
    status = 400 if form.errors else 200
    context = {"form": form, "partner": partner, "nav": "joining"}
    return render(request, "bookings/workspace/joining.html", context, status=status)
