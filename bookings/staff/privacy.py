"""Staff screen for privacy requests: export or erase everything held about one email address.

Thin views over bookings/privacy (the core does the work, docs/privacy.md). Works without
JavaScript: one form, two buttons; erasure shows the counts and asks again before acting. Only
users with `bookings.handle_privacy_requests` (the Staff group) see or reach it.
"""

from django import forms
from django.contrib.auth.decorators import permission_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.views.decorators.cache import never_cache
from wagtail import hooks

from bookings.privacy import erasure, export

PERMISSION = "bookings.handle_privacy_requests"
TEMPLATE = "bookings/staff/privacy.html"


class AddressForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        help_text="The address the person booked with, or a partner's address.",
        error_messages={
            "required": "Enter the email address",
            "invalid": "Enter an email address like name@example.org",
        },
    )


@never_cache
@permission_required(PERMISSION, raise_exception=True)
def privacy_requests(request):
    form = AddressForm(request.POST or None)
    context = {"form": form}
    if request.method == "POST" and form.is_valid():
        address = form.cleaned_data["email"]
        now = timezone.now()
        if "export" in request.POST:
            found, archive = export.export_person(address, user=request.user, now=now)
            if archive is not None:
                response = HttpResponse(archive, content_type="application/zip")
                response["Content-Disposition"] = (
                    f'attachment; filename="personal-data-{now:%Y%m%d-%H%M}.zip"'
                )
                return response
            context["nothing"] = True
        elif "confirm_erase" in request.POST:
            context["erased"] = erasure.erase_person(address, user=request.user, now=now)
            form = context["form"] = AddressForm()
        else:
            plan = erasure.plan(address, now=now)
            if plan.total:
                context["plan"], context["address"] = plan, address
            else:
                context["nothing"] = True
    return render(request, TEMPLATE, context, status=200)


@hooks.register("register_admin_urls")
def register_privacy_urls():
    return [path("privacy-requests/", privacy_requests, name="bookings_privacy_requests")]
