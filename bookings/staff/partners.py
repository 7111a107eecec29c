"""Staff: invite a partner, resend or revoke the invitation, settle a chat (give it to another
partner or cancel it) and deactivate a partner once their future chats are settled
(docs/staff-operations.md). Thin views: each POST calls one service with the clock read once."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from bookings import partner_accounts, reassignment
from bookings.errors import BookingError, InvalidInput
from bookings.models import Booking, Partner, validate_time_zone
from bookings.staff.booking_page import back_address
from bookings.staff.guards import staff_permission


class InviteForm(forms.Form):
    display_name = forms.CharField(label="Name shown to people booking", max_length=120)
    email = forms.EmailField(
        label="Email address", help_text="The invitation goes here; it is also their username."
    )
    time_zone = forms.CharField(label="Time zone", initial="Europe/London", max_length=64)

    def clean_time_zone(self):
        value = self.cleaned_data["time_zone"].strip()
        validate_time_zone(value)
        return value


def _page(title: str, **context):
    return {"header_title": title, "page_title": title, "header_icon": "user", **context}


@staff_permission("bookings.add_partner")
def invite(request):
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            partner = partner_accounts.invite_partner(
                **form.cleaned_data, now=timezone.now(), actor=request.user
            )
        except partner_accounts.TooManyInvitations as exc:
            form.add_error(None, exc.message)  # the form keeps what was typed
            context = _page("Invite a partner", form=form)
            return render(request, "bookings/staff/invite.html", context, status=429)
        except BookingError as exc:
            form.add_error("email", exc.message)
        else:
            messages.success(request, f"{partner} is invited. The email is on its way.")
            return redirect("staff_ops:invitation", partner_id=partner.pk)
    return render(request, "bookings/staff/invite.html", _page("Invite a partner", form=form))


@staff_permission("bookings.change_partner")
def invitation(request, partner_id):
    partner = get_object_or_404(Partner.objects.select_related("user"), pk=partner_id)
    context = _page(
        f"Invitation: {partner}",
        partner=partner,
        pending=partner_accounts.invitation_pending(partner),
        revoked=partner.user is not None and not partner.user.is_active,
    )
    return render(request, "bookings/staff/invitation.html", context)


@staff_permission("bookings.change_partner")
def invitation_action(request, partner_id, action):
    partner = get_object_or_404(Partner.objects.select_related("user"), pk=partner_id)
    if request.method != "POST":
        return redirect("staff_ops:invitation", partner_id=partner.pk)
    now = timezone.now()
    try:
        if action == "resend":
            if partner_accounts.resend_invitation(partner, now=now, actor=request.user):
                messages.success(request, "A new invitation is on its way. Earlier links no longer work.")
            else:
                messages.warning(
                    request, "Several invitations went out in the last hour. Please try again later."
                )
        else:
            partner_accounts.revoke_invitation(partner, now=now, actor=request.user)
            messages.success(request, "The invitation is revoked: its link no longer works.")
    except BookingError as exc:
        messages.error(request, exc.message)
    return redirect("staff_ops:invitation", partner_id=partner.pk)


@staff_permission("bookings.change_partner")
def deactivate(request, partner_id):
    partner = get_object_or_404(Partner, pk=partner_id)
    now = timezone.now()
    if request.method == "POST":
        try:
            partner_accounts.deactivate_partner(partner, now=now, actor=request.user)
        except BookingError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"{partner} is deactivated. Nobody can book them now.")
            return redirect("staff_ops:deactivate", partner_id=partner.pk)
    chats = [(b, reassignment.free_partners_for(b, now)) for b in partner_accounts.future_chats(partner, now)]
    here = reverse("staff_ops:deactivate", args=[partner.pk])
    context = _page(f"Deactivate {partner}", partner=partner, chats=chats, back=here)
    return render(request, "bookings/staff/deactivate.html", context)


def cancel_form(booking: Booking, back: str) -> str:
    """The booking page's cancel form, coming back to `back` once done."""
    return f"{reverse('booking:act', args=[booking.pk, 'cancel'])}?{urlencode({'next': back})}"


@staff_permission("bookings.change_booking")
def settle(request, public_id):
    """One chat: give it to another partner free then (here), or cancel it (through the booking
    page's cancel form, which asks for the message to the booker); normal emails either way."""
    booking = get_object_or_404(Booking.objects.select_related("partner", "offer"), public_id=public_id)
    now = timezone.now()
    back = back_address(request) or reverse("staff_ops:settle", args=[booking.public_id])
    if request.method == "POST":
        try:
            if request.POST.get("action") == "reassign":
                new_partner = Partner.objects.filter(pk=request.POST.get("partner") or 0).first()
                if new_partner is None:
                    raise InvalidInput("Choose the partner to give the chat to.")
                reassignment.reassign(booking, new_partner, now=now, actor=request.user, actor_label="staff")
                messages.success(request, f"The chat is now with {new_partner}. Everyone has been emailed.")
            elif request.POST.get("action") == "cancel":
                # Cancelling asks for the message to the booker: the booking page's own cancel
                # form (staff_services.cancel), never a cancel with no word to them.
                return redirect(cancel_form(booking, back))
        except BookingError as exc:
            messages.error(request, exc.message)
        return redirect(back)
    context = _page(
        "Give a chat to another partner or cancel it",
        booking=booking,
        free=reassignment.free_partners_for(booking, now) if booking.is_blocking else [],
        back=back,
        header_icon="calendar-check",
    )
    return render(request, "bookings/staff/settle.html", context)
