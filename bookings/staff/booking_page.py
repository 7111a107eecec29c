"""A booking's staff page and its actions (docs/staff.md).

Thin views: check permission (bookings/staff/access.py) before loading anything, read the clock
once, call one staff service, then redirect with a message. Actions are POST only (Django's CSRF
check applies); destructive ones (cancel, decline, move, reassign) have a confirmation page with
their form. A refused change (a time just taken, a status that moved on) comes back as a message,
never a 500.
"""

from datetime import datetime, time, timedelta
from urllib.parse import urlsplit

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from bookings import staff_services
from bookings.access_log import record_access
from bookings.errors import BookingError
from bookings.models import AccessAction, Booking, BookingStatus, CalDAVConnection
from bookings.slots import fortnight, free_slots, policy_for_site
from bookings.staff import forms, wording
from bookings.staff.access import ACCESS_RECORDS, booking_or_404
from bookings.staff.listing import UK, reference
from bookings.zones import DEFAULT_TIME_ZONE, format_moment, parse_day

PAGE_QUERYSET = Booking.objects.select_related("partner", "offer", "ladder_rung")
SHOWN = "all booking details, history, emails"


def booking_url(booking) -> str:
    return reverse("booking:inspect", args=[booking.pk])


def back_address(request) -> str:
    """The `next` address a staff screen sent along (GET or POST), if it is a path on this site;
    otherwise "", so a hand-made `next` can never send anyone off the site."""
    back = request.POST.get("next") or request.GET.get("next") or ""
    if back.startswith("/") and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return back
    return ""


class StaffTemplateMixin(WagtailAdminTemplateMixin):
    header_icon = "calendar-check"

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("booking:index"), "label": "Bookings"},
            *self.extra_breadcrumbs(),
        ]

    def extra_breadcrumbs(self):
        return []


class BookingPageView(StaffTemplateMixin, TemplateView):
    template_name = "bookings/staff/booking.html"

    def dispatch(self, request, pk):
        self.booking = booking_or_404(request.user, pk, "view", PAGE_QUERYSET)
        self.now = timezone.now()
        return super().dispatch(request, pk)

    def get_page_title(self):
        return f"Booking {reference(self.booking)}"

    def get_page_subtitle(self):
        return self.booking.booker_name

    def get_context_data(self, **kwargs):
        booking = self.booking
        user = self.request.user
        can_change = user.has_perm("bookings.change_booking")
        see_access = ACCESS_RECORDS.user_has_permission(user, "view")
        record_access(user, AccessAction.VIEWED_BOOKING, now=self.now, booking=booking, shown=SHOWN)
        context = super().get_context_data(**kwargs)
        status = booking.status
        # The partner's CalDAV account: its state and plain message, never the user name or password.
        caldav = (
            CalDAVConnection.objects.filter(partner_id=booking.partner_id).defer("password_encrypted").first()
        )
        context.update(
            booking=booking,
            reference=reference(booking),
            when=format_moment(booking.start, DEFAULT_TIME_ZONE),
            until=format_moment(booking.end, DEFAULT_TIME_ZONE),
            events=wording.history_rows(booking.events.select_related("actor").order_by("at", "pk")),
            emails=[
                (email, wording.email_label(email.kind))
                for email in booking.notifications.select_related("partner").order_by("created_at", "pk")
            ],
            caldav=caldav,
            caldav_host=urlsplit(caldav.server_url).hostname if caldav else "",
            pushes=list(booking.caldav_pushes.order_by("created_at", "pk")),
            access_records=list(booking.access_records.order_by("-at", "-pk")[:50]) if see_access else None,
            can_change=can_change,
            is_blocking=booking.is_blocking,
            is_pending=status == BookingStatus.PENDING,
            can_mark=status == BookingStatus.CONFIRMED and booking.start <= self.now,
            inside_window=staff_services.inside_change_window(booking, self.now),
        )
        # The week of the chat, and the partner's own page (their free times, time off, invitation).
        context["week_url"] = (
            f"{reverse('staff_ops:week')}?week={booking.start.astimezone(UK).date():%Y-%m-%d}"
        )
        if user.has_perm("bookings.change_partner"):
            context["partner_url"] = reverse("partner:edit", args=[booking.partner_id])
        context["urls"] = {
            name: reverse("booking:act", args=[booking.pk, name])
            for name in ("cancel", "move", "reassign", "accept", "decline", "complete", "no_show", "resend")
        }
        return context


# name → (form class or None, page heading, button label, success message)
ACTIONS = {
    "cancel": (forms.CancelForm, "Cancel this chat", "Cancel the chat", "The chat is cancelled."),
    "decline": (forms.DeclineForm, "Decline this request", "Decline the request", "The request is declined."),
    "move": (forms.MoveForm, "Move this chat", "Move the chat", "The chat is moved."),
    "reassign": (forms.ReassignForm, "Pass to another partner", "Pass it on", "The chat has a new partner."),
    "resend": (forms.ResendForm, "Send the invite again", "Send it again", "The invite is on its way again."),
    "accept": (None, "", "", "The request is accepted."),
    "complete": (None, "", "", "The chat is marked as completed."),
    "no_show": (None, "", "", "The chat is marked as missed."),
}


class BookingActionView(StaffTemplateMixin, TemplateView):
    """GET: the confirmation page with its form (not for one-click actions). POST: do it.

    A screen that links here with `?next=` (the hand-back's "Cancel this chat",
    docs/staff-operations.md) gets the same form, and the coordinator goes back there afterwards.
    """

    template_name = "bookings/staff/action.html"
    http_method_names = ["get", "post"]

    def dispatch(self, request, pk, action):
        if action not in ACTIONS:
            raise Http404
        self.booking = booking_or_404(request.user, pk, "change", PAGE_QUERYSET)
        self.action = action
        self.form_class, self.heading, self.button, self.done = ACTIONS[action]
        self.now = timezone.now()
        self.back = back_address(request)
        return super().dispatch(request, pk, action)

    def get_page_title(self):
        return self.heading

    def get_page_subtitle(self):
        return f"{reference(self.booking)}, {self.booking.booker_name}"

    def extra_breadcrumbs(self):
        return [{"url": booking_url(self.booking), "label": f"Booking {reference(self.booking)}"}]

    def get(self, request, *args, **kwargs):
        if self.form_class is None:
            return redirect(booking_url(self.booking))
        return self.render_to_response(self.get_context_data(form=self.make_form(None)))

    def post(self, request, *args, **kwargs):
        form = self.make_form(request.POST) if self.form_class else None
        if form is not None and not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        data = form.cleaned_data if form is not None else {}
        try:
            self.perform(data)
        except BookingError as exc:
            messages.error(request, exc.message)
            if form is not None:
                return self.render_to_response(self.get_context_data(form=self.make_form(request.POST)))
            return redirect(booking_url(self.booking))
        messages.success(request, self.done)
        return redirect(self.back or booking_url(self.booking))

    def perform(self, data):
        booking, now, actor = self.booking, self.now, self.request.user
        action = self.action
        if action == "cancel":
            staff_services.cancel(booking, reason=data["reason"], now=now, actor=actor)
        elif action == "decline":
            staff_services.decline(booking, reason=data["reason"], now=now, actor=actor)
        elif action == "move":
            staff_services.move(booking, data["start"], now=now, actor=actor, policy=self.policy)
        elif action == "reassign":
            staff_services.reassign(booking, data["partner"], now=now, actor=actor, policy=self.policy)
        elif action == "resend":
            staff_services.resend_invite(booking, to=data["to"], now=now, actor=actor)
        elif action == "accept":
            staff_services.accept(booking, now=now, actor=actor)
        elif action == "complete":
            staff_services.mark_completed(booking, now=now, actor=actor)
        elif action == "no_show":
            staff_services.mark_no_show(booking, now=now, actor=actor)

    @property
    def policy(self):
        if not hasattr(self, "_policy"):
            self._policy = policy_for_site()
        return self._policy

    def make_form(self, data):
        if self.action == "reassign":
            self.partners = staff_services.partners_free_for(self.booking, now=self.now, policy=self.policy)
            return forms.ReassignForm(data, partners=self.partners)
        if self.action == "move":
            return forms.MoveForm(data, offered=self.offered_starts)
        return self.form_class(data)

    def offered_starts(self, start: datetime) -> set[datetime]:
        """The starts the slot engine offers this chat's partner and offer on `start`'s UK day, as
        the Move page lists them (its own time left out): the step grid is anchored on the
        partner's free periods, not on the range asked for, so the day gives the page's times."""
        booking = self.booking
        day = start.astimezone(UK).date()
        first = datetime.combine(day, time(0), UK)
        last = datetime.combine(day + timedelta(days=1), time(0), UK)
        slots = free_slots(
            booking.offer, booking.partner, first, last, self.now, self.policy, exclude_booking_id=booking.pk
        )
        return {slot.start for slot in slots} - {booking.start}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        booking = self.booking
        context.update(
            booking=booking,
            action=self.action,
            button=self.button,
            when=format_moment(booking.start, DEFAULT_TIME_ZONE),
            booking_url=self.back or booking_url(booking),
            next=self.back,
            inside_window=staff_services.inside_change_window(booking, self.now),
        )
        if self.action == "move":
            context["times"] = fortnight(
                booking.offer,
                booking.partner,
                DEFAULT_TIME_ZONE,
                parse_day(self.request.GET.get("from")),
                self.now,
                self.policy,
                exclude_booking_id=booking.pk,
                exclude_start=booking.start,
            )
        if self.action == "reassign":
            context["partners"] = self.partners
        return context
