"""Demo sign-in for one thinking partner, so the workspace can be tried on a fresh install.

The password comes from settings (env DEMO_PARTNER_PASSWORD); the demo loader calls this.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from .models import Partner

PARTNER_GROUP = "Thinking partners"  # created by migration 0006 with no permissions
DEMO_USERNAME = "partner"
DEFAULT_DEMO_PASSWORD = "partner-demo-2026"  # noqa: S105 - a published demo password, not a secret


def partner_group() -> Group:
    # get_or_create: tests that flush the database lose the migration's row.
    return Group.objects.get_or_create(name=PARTNER_GROUP)[0]


@transaction.atomic
def ensure_demo_partner_login(partner: Partner):
    """Give `partner` the demo user (idempotent). Invariant: the user is in the partners group
    only, is not staff or superuser, and is linked to this partner and no other."""
    password = getattr(settings, "DEMO_PARTNER_PASSWORD", "") or DEFAULT_DEMO_PASSWORD
    user, _ = get_user_model().objects.get_or_create(username=DEMO_USERNAME)
    user.is_staff = user.is_superuser = False
    user.is_active = True
    user.set_password(password)
    user.save()
    user.groups.set([partner_group()])
    Partner.objects.filter(user=user).exclude(pk=partner.pk).update(user=None)
    partner.user = user
    partner.save(update_fields=["user"])
    return user
