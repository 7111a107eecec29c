"""Handing a confirmed chat back to the team (docs/staff-operations.md, "Handing back").

A POST from the chat's page with a reason from a fixed list and an optional note for staff.
The booker hears nothing from this; staff are emailed at once and reassign or cancel the chat.
"""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone

from bookings import partner_services
from bookings.errors import BookingError
from bookings.models import Booking, BookingStatus, HandBack, HandBackReason
from bookings.workspace.access import owned, partner_required


class HandBackForm(forms.Form):
    reason = forms.ChoiceField(
        label="Why are you handing it back?",
        choices=HandBackReason.choices,
        widget=forms.RadioSelect,
        help_text="Only the team sees this. The person who booked is not told until the team acts.",
        error_messages={"required": "Choose a reason for the team."},
    )
    note = forms.CharField(
        label="Anything the team should know (optional)",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Only the team sees this note.",
    )


def can_hand_back(booking: Booking, now) -> bool:
    return (
        booking.status == BookingStatus.CONFIRMED
        and booking.start > now
        and not HandBack.objects.filter(booking=booking, partner=booking.partner_id).exists()
    )


@partner_required
@owned(Booking, url_kwarg="public_id", field="public_id", select_related=("offer",))
def hand_back(request, booking):
    """GET shows the form (reached from the chat's page); POST hands the chat back."""
    now = timezone.now()
    form = HandBackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            partner_services.hand_back(
                request.partner,
                booking.public_id,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
                now=now,
                actor=request.user,
            )
        except BookingError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, "Thank you for telling us. The team will take it from here. Look after yourself."
            )
        return redirect("workspace:booking", public_id=booking.public_id)
    context = {"booking": booking, "form": form, "allowed": can_hand_back(booking, now), "nav": "chats"}
    return render(request, "bookings/workspace/hand_back.html", context)
