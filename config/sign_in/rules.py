"""Who must pass the second factor, and where (docs/security.md, "Second factor").

Staff (the Staff group), editors (anyone allowed into the Wagtail admin), Django staff and
superusers must have one. Anyone else (partners) may turn it on; once they have, it is asked
for them too. It guards the Wagtail admin, the Django admin and the partner workspace.
"""

from django.conf import settings
from django_otp import user_has_device

ADMIN_PREFIXES = ("/admin/", "/django-admin/")
WORKSPACE_PREFIX = "/partners/"
# Reachable before the second step: signing in and out, and the feed (a bearer link, no session).
OPEN_PATHS = ("/admin/login/", "/admin/logout/", "/admin/password_reset/", "/django-admin/login/",
              "/django-admin/logout/", "/partners/feed/")  # fmt: skip


def must_have_second_factor(user) -> bool:
    if not user.is_authenticated:
        return False
    return (
        user.is_superuser
        or user.is_staff
        or user.groups.filter(name=settings.STAFF_GROUP).exists()
        or user.has_perm("wagtailadmin.access_admin")
    )


def guarded(path: str) -> bool:
    if path.startswith(OPEN_PATHS):
        return False
    return path.startswith(ADMIN_PREFIXES) or path.startswith(WORKSPACE_PREFIX)


def needs_second_step(user, path: str) -> bool:
    """True when this signed-in person must pass the second factor before `path`."""
    if not user.is_authenticated or not guarded(path) or user.is_verified():
        return False
    return must_have_second_factor(user) or user_has_device(user)
