"""The partner's side of impact (docs/impact.md): a private reflection after a chat, for
supervision (never shown to the booker), and their involvement payments with monthly totals."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone

from bookings import feedback, payments
from bookings.errors import BookingError
from bookings.models import Booking, PaymentLine
from bookings.workspace.access import owned, partner_required, post_only


class ReflectionForm(forms.Form):
    note = forms.CharField(
        label="Your reflection",
        max_length=3000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Private: for you and your supervision. The person you spoke with never sees it.",
        error_messages={"max_length": "Your reflection must be 3,000 characters or fewer."},
    )


@partner_required
@owned(Booking, url_kwarg="public_id", field="public_id")
@post_only
def reflection(request, booking):
    form = ReflectionForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors["note"][0])
        return redirect("workspace:booking", public_id=booking.public_id)
    try:
        feedback.save_reflection(
            request.partner,
            booking.public_id,
            form.cleaned_data["note"],
            now=timezone.now(),
            actor=request.user,
        )
    except BookingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Your reflection is saved. Only you and the team can read it.")
    return redirect("workspace:booking", public_id=booking.public_id)


@partner_required
def payment_lines(request):
    lines = list(
        PaymentLine.objects.filter(partner=request.partner)
        .select_related("offer")
        .order_by("-month", "-chat_date", "-pk")
    )
    context = {
        "lines": lines,
        "totals": payments.monthly_totals(lines),
        "declines": request.partner.declines_payment,
        "nav": "payments",
    }
    return render(request, "bookings/workspace/payments.html", context)
