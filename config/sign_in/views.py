"""The second step of signing in: enrol (app + recovery codes) or enter a code (docs/security.md).

Plain forms, no JavaScript: the QR code is inline SVG and the key is printed beside it for
anyone who cannot scan.
"""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp import user_has_device

from config.sign_in import devices
from config.sign_in.forms import EnrolForm, VerifyForm
from config.sign_in.rules import must_have_second_factor

CODES_SESSION_KEY = "second_factor_new_codes"
WRONG = "That code did not work. Check the time on your phone is right, or use a recovery code."
THROTTLED = "Too many wrong codes in a row. Wait a minute, then try again."


def step_url(name: str, request) -> str:
    return f"{reverse(name)}?{urlencode({'next': next_url(request)})}"


def next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return "/admin/" if must_have_second_factor(request.user) else "/partners/"


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def enrol(request):
    if user_has_device(request.user) and not request.user.is_verified():
        return redirect(step_url("second_factor:verify", request))
    device = devices.pending_device(request.user)
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = devices.confirm_enrolment(request.user, device, form.cleaned_data["code"])
        if codes is None:
            form.add_error("code", WRONG if device.verify_is_allowed()[0] else THROTTLED)
        else:
            device.refresh_from_db()
            otp_login(request, device)
            request.session[CODES_SESSION_KEY] = codes
            return redirect(step_url("second_factor:codes", request))
    context = {
        "form": form,
        "qr_svg": devices.qr_svg(device),
        "manual_key": devices.manual_key(device),
        "next": next_url(request),
        "replacing": user_has_device(request.user),
        "required": must_have_second_factor(request.user),
    }
    return render(request, "sign_in/enrol.html", context, status=400 if form.errors else 200)


@never_cache
@login_required
def recovery_codes(request):
    """Shown once, straight after enrolling: the codes leave the session as they are shown."""
    codes = request.session.pop(CODES_SESSION_KEY, None)
    if not codes:
        return redirect(next_url(request))
    return render(request, "sign_in/recovery_codes.html", {"codes": codes, "next": next_url(request)})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def verify(request):
    if not user_has_device(request.user):
        return redirect(step_url("second_factor:enrol", request))
    if request.user.is_verified():
        return redirect(next_url(request))
    form = VerifyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = devices.check_code(request.user, form.cleaned_data["code"])
        if check.device is not None:
            otp_login(request, check.device)
            return redirect(next_url(request))
        form.add_error("code", THROTTLED if check.throttled else WRONG)
    codes_left = devices.recovery_codes_left(request.user)
    context = {"form": form, "next": next_url(request), "codes_left": codes_left}
    return render(request, "sign_in/verify.html", context, status=400 if form.errors else 200)
