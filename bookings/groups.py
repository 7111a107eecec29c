"""The two groups the booking service needs: "Thinking partners" (a label with no permissions,
migration 0006) and "Staff" (the coordinators' rights, migrations 0009, 0010, 0013, 0014, 0019 and 0020).
Migrations keep their own frozen copies; this is the live list `bootstrap_site` uses to put them
back on a database that lost them (a flush) or to complete them (docs/deploy.md, first run).
tests/test_first_run.py checks that it matches what the migrations grant."""

from django.conf import settings
from django.contrib.auth.models import Group, Permission

STAFF_PERMISSIONS = {
    "wagtailadmin": ["access_admin"],
    "bookings": [
        "view_booking",
        "add_booking",
        "change_booking",
        "view_partner",
        "add_partner",
        "change_partner",
        "view_offer",
        "add_offer",
        "change_offer",
        "view_availabilityrule",
        "add_availabilityrule",
        "change_availabilityrule",
        "delete_availabilityrule",
        "view_timeoff",
        "add_timeoff",
        "change_timeoff",
        "delete_timeoff",
        "view_emailnotification",
        "view_accessrecord",
        "change_bookingsettings",
        "view_accountemail",
        "view_handback",
        "handle_privacy_requests",
        "change_privacysettings",
        "view_caldavpush",
        "view_waitlistentry",
        # Involvement payments (migration 0020, docs/impact.md).
        "view_paymentrule",
        "add_paymentrule",
        "change_paymentrule",
        "view_paymentline",
        "view_paymentmonth",
        "change_paymentmonth",
    ],
}


def ensure_partner_group() -> Group:
    """Grants nothing: the workspace checks the linked Partner, not the group."""
    return Group.objects.get_or_create(name=settings.PARTNER_GROUP)[0]


def ensure_staff_group() -> Group:
    """The Staff group with at least STAFF_PERMISSIONS (rights given by hand are kept)."""
    group = Group.objects.get_or_create(name=settings.STAFF_GROUP)[0]
    have = set(group.permissions.values_list("pk", flat=True))
    for app_label, codenames in STAFF_PERMISSIONS.items():
        found = Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        missing = set(codenames) - set(found.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"permissions not found (run migrate first): {sorted(missing)}")
        to_add = [p for p in found if p.pk not in have]
        if to_add:
            group.permissions.add(*to_add)
    return group
