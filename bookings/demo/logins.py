"""Demo sign-in for one thinking partner, so the workspace can be tried on a fresh install.

The password comes from settings (env DEMO_PARTNER_PASSWORD); the demo loader calls this.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from bookings.models import Partner

PARTNER_GROUP = "Thinking partners"  # created by migration 0006 with no permissions
DEMO_USERNAME = "partner"
DEFAULT_DEMO_PASSWORD = "partner-demo-2026"  # noqa: S105 - a published demo password, not a secret


def partner_group() -> Group:
    # get_or_create: tests that flush the database lose the migration's row.
    return Group.objects.get_or_create(name=PARTNER_GROUP)[0]


def demo_password() -> str:
    return getattr(settings, "DEMO_PARTNER_PASSWORD", "") or DEFAULT_DEMO_PASSWORD


@transaction.atomic
def ensure_demo_partner_login(partner: Partner):
    """Give `partner` the demo user (idempotent). Invariant: the user is in the partners group
    only, is not staff or superuser, and is linked to this partner and no other."""
    password = demo_password()
    user, created = get_user_model().objects.get_or_create(username=DEMO_USERNAME)
    wrong_rights = user.is_staff or user.is_superuser or not user.is_active
    if created or wrong_rights or not user.check_password(password):
        user.is_staff = user.is_superuser = False
        user.is_active = True
        user.set_password(password)
        user.save()
    user.groups.set([partner_group()])
    Partner.objects.filter(user=user).exclude(pk=partner.pk).update(user=None)
    if partner.user_id != user.pk:
        # Saving a partner queues a reference-index task: only when something changed.
        partner.user = user
        partner.save(update_fields=["user"])
    return user


STAFF_GROUP = "Staff"  # created by migration 0009 with the coordinators' permissions
STAFF_USERNAME = "coordinator"
DEFAULT_STAFF_PASSWORD = "coordinator-demo-2026"  # noqa: S105 - a published demo password, not a secret


def staff_password() -> str:
    return getattr(settings, "DEMO_STAFF_PASSWORD", "") or DEFAULT_STAFF_PASSWORD


@transaction.atomic
def ensure_demo_staff_login():
    """The demo coordinator (docs/staff.md), idempotent. Invariant: in the Staff group only, not
    a superuser, so the demo shows what a coordinator really sees."""
    password = staff_password()
    user, created = get_user_model().objects.get_or_create(username=STAFF_USERNAME)
    if created or user.is_superuser or not user.is_active or not user.check_password(password):
        user.is_superuser = False
        user.is_active = True
        user.email = user.email or "coordinator@example.org"
        user.set_password(password)
        user.save()
    user.groups.set([Group.objects.get_or_create(name=STAFF_GROUP)[0]])
    return user
