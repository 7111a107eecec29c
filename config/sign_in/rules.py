"""Who must pass the second factor, and where (docs/security.md, "Second factor").

Staff (the Staff group), editors (anyone allowed into the Wagtail admin), Django staff and
superusers must have one. Anyone else (partners) may turn it on; once they have, it is asked
for them too. It guards the Wagtail admin, the Django admin and the partner workspace.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Exists, OuterRef, Q
from django_otp.plugins.otp_totp.models import TOTPDevice

ADMIN_PREFIXES = ("/admin/", "/django-admin/")
WORKSPACE_PREFIX = "/partners/"
# Reachable before the second step: signing in and out, and the feed (a bearer link, no session).
OPEN_PATHS = ("/admin/login/", "/admin/logout/", "/admin/password_reset/", "/django-admin/login/",
              "/django-admin/logout/", "/partners/feed/")  # fmt: skip


def _state(user) -> dict:
    """Whether the person must have a second factor, and whether they have an app: one query,
    remembered on the request's user object."""
    if not hasattr(user, "_second_factor_state"):
        admin = Q(codename="access_admin", content_type__app_label="wagtailadmin")
        required = (
            get_user_model()
            .objects.filter(pk=OuterRef("pk"))
            .filter(
                Q(groups__name=settings.STAFF_GROUP)
                | Q(groups__permissions__in=Permission.objects.filter(admin))
                | Q(user_permissions__in=Permission.objects.filter(admin))
            )
        )
        app = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
        user._second_factor_state = (
            get_user_model()
            .objects.filter(pk=user.pk)
            .values(required=Exists(required), has_app=Exists(app))
            .first()
        ) or {"required": False, "has_app": False}
    return user._second_factor_state


def must_have_second_factor(user) -> bool:
    if not user.is_authenticated:
        return False
    return user.is_superuser or user.is_staff or _state(user)["required"]


def has_app(user) -> bool:
    return user.is_authenticated and _state(user)["has_app"]


def guarded(path: str) -> bool:
    if path.startswith(OPEN_PATHS):
        return False
    return path.startswith(ADMIN_PREFIXES) or path.startswith(WORKSPACE_PREFIX)


def needs_second_step(user, path: str) -> bool:
    """True when this signed-in person must pass the second factor before `path`."""
    if not user.is_authenticated or not guarded(path) or user.is_verified():
        return False
    return must_have_second_factor(user) or has_app(user)
