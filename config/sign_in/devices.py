"""Every change to a person's second factor, one transaction each (docs/security.md).

An authenticator app (django-otp's TOTP device) plus ten recovery codes (its static device);
a recovery code works once and is then deleted. Wrong codes are slowed by django-otp's own
throttle on each device: after n failures in a row the next try waits 2^(n-1) seconds.
"""

import io
import re
from base64 import b32encode
from dataclasses import dataclass

import qrcode
import qrcode.image.svg
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

APP_NAME = "Authenticator app"
CODES_NAME = "Recovery codes"
RECOVERY_CODES = 10
TOTP_CODE = re.compile(r"^\d{6}$")


def pending_device(user) -> TOTPDevice:
    """The unconfirmed device this person is enrolling, made once and reused on reload."""
    with transaction.atomic():
        device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
        return device or TOTPDevice.objects.create(user=user, name=APP_NAME, confirmed=False)


def manual_key(device: TOTPDevice) -> str:
    """The secret as an app expects it typed: base32, in groups of four."""
    key = b32encode(device.bin_key).decode()
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The enrolment link as an inline SVG QR code (no image request to anyone)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue().decode().split("?>", 1)[-1].strip()


def normalise(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "").lower()


def confirm_enrolment(user, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the app with a code it shows; on success replace any earlier devices and return
    the new recovery codes (shown once). None when the code is wrong or throttled."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user, confirmed=False)
        if not TOTP_CODE.match(normalise(code)) or not device.verify_token(normalise(code)):
            return None
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        StaticDevice.objects.filter(user=user).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        static = StaticDevice.objects.create(user=user, name=CODES_NAME, confirmed=True)
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
        StaticToken.objects.bulk_create(StaticToken(device=static, token=c) for c in codes)
    return codes


@dataclass
class Check:
    device: TOTPDevice | StaticDevice | None
    throttled: bool = False


def check_code(user, code: str) -> Check:
    """Six digits are an app code; anything else is tried as a recovery code (used up if right)."""
    code = normalise(code)
    model = TOTPDevice if TOTP_CODE.match(code) else StaticDevice
    with transaction.atomic():
        devices = list(model.objects.filter(user=user, confirmed=True).select_for_update())
        throttled = False
        for device in devices:
            if not device.verify_is_allowed()[0]:
                throttled = True
                continue
            if device.verify_token(code):
                return Check(device)
    return Check(None, throttled=throttled)


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def remove_all(user) -> int:
    """Break glass: delete every second-factor device of this person; they enrol again."""
    with transaction.atomic():
        apps = TOTPDevice.objects.filter(user=user).delete()[0]
        codes = StaticDevice.objects.filter(user=user).delete()[0]
    return apps + codes
