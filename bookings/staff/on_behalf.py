"""Book on someone's behalf (docs/staff.md): staff choose the kind of chat and a partner (or
whoever is free), pick a free time from the same slot engine as the public journey, and enter the
booker's details. The booker gets the normal emails and manage link; the history says staff."""

import uuid

from django.contrib import messages
from django.shortcuts import redirect
from django.utils import timezone
from django.views.generic import TemplateView

from bookings import staff_services
from bookings.errors import BookingError
from bookings.slots import fortnight, policy_for_site
from bookings.staff import forms
from bookings.staff.access import require
from bookings.staff.booking_page import StaffTemplateMixin, booking_url
from bookings.zones import DEFAULT_TIME_ZONE, parse_day


class OnBehalfView(StaffTemplateMixin, TemplateView):
    template_name = "bookings/staff/on_behalf.html"
    page_title = "Book a chat for someone"

    def dispatch(self, request, *args, **kwargs):
        require(request.user, "add")
        self.now = timezone.now()
        self.policy = policy_for_site()
        self.choice = forms.OnBehalfChoiceForm(request.GET or None)
        self.offer = self.partner = None
        if self.choice.is_valid():
            self.offer = self.choice.cleaned_data["offer"]
            self.partner = self.choice.cleaned_data["partner"]
        return super().dispatch(request, *args, **kwargs)

    def extra_breadcrumbs(self):
        return [{"url": "", "label": self.page_title}]

    def get(self, request, *args, **kwargs):
        form = forms.OnBehalfForm(offer=self.offer, initial={"key": uuid.uuid4().hex}) if self.offer else None
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, *args, **kwargs):
        if self.offer is None:
            return redirect(request.path)
        if "show_from" in request.POST:
            # "Earlier times" / "Later times": another fortnight, with what was typed kept and
            # nothing checked yet (a caller's details must not be lost to browse times).
            kept = {name: value for name, value in request.POST.items() if name not in ("start", "key")}
            form = forms.OnBehalfForm(offer=self.offer, initial=kept)
            return self.render_to_response(self.get_context_data(form=form))
        form = forms.OnBehalfForm(request.POST, offer=self.offer)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        try:
            booking = staff_services.place_on_behalf(
                offer=self.offer,
                start=form.cleaned_data["start"],
                partner=self.partner,
                booker=form.booker(),
                now=self.now,
                actor=request.user,
                idempotency_key=_key(request.POST.get("key")),
                policy=self.policy,
            )
        except BookingError as exc:
            messages.error(request, exc.message)
            return self.render_to_response(self.get_context_data(form=form))
        messages.success(request, "The chat is booked. The booker has been sent the usual emails.")
        return redirect(booking_url(booking))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["choice"] = self.choice
        if self.offer is not None:
            context["times"] = fortnight(
                self.offer,
                self.partner,
                DEFAULT_TIME_ZONE,
                parse_day(self.request.POST.get("show_from") or self.request.GET.get("from")),
                self.now,
                self.policy,
            )
            context["key"] = self.request.POST.get("key") or uuid.uuid4().hex
        return context


def _key(raw: str | None) -> str | None:
    # The form carries a random key so a double submit makes one booking (services.place_booking).
    if raw and len(raw) == 32 and all(c in "0123456789abcdef" for c in raw):
        return f"staff-{raw}"
    return None
