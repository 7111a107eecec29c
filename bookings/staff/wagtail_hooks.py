from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from bookings.models import AccessRecord, Booking, EmailOpening, PaymentLine, WaitlistEntry
from bookings.staff import (
    account_outbox,  # noqa: F401  (registers the account email view)
    operations_urls,
    outbox,  # noqa: F401  (registers the email outbox view)
    privacy,  # registers the privacy requests screen; its menu item is in STAFF_MENU
)
from bookings.staff.access import ACCESS_RECORDS, BOOKINGS, WAITLIST, ReadOnlyPermissionPolicy
from bookings.staff.access_records import AccessRecordViewSet
from bookings.staff.viewsets import BookingsGroup

# Registered before the viewsets are built, so their views pick them up (wagtail 7+ API).
register_permission_policy(Booking, BOOKINGS, exact_class=True)
register_permission_policy(AccessRecord, ACCESS_RECORDS, exact_class=True)
register_permission_policy(WaitlistEntry, WAITLIST, exact_class=True)
# Payment lines change by reversal only (docs/impact.md): the admin may look and export.
register_permission_policy(PaymentLine, ReadOnlyPermissionPolicy(PaymentLine), exact_class=True)


@hooks.register("register_admin_viewset")
def register_bookings_viewsets():
    return BookingsGroup()


# --- Staff operations: this week, invitations, deactivation, hand-backs (docs/staff-operations.md)


@hooks.register("register_admin_urls")
def register_staff_operations_urls():
    return [path("staff/", include(operations_urls, namespace="staff_ops"))]


class StaffMenuItem(MenuItem):
    """Shown only to people holding the permission the screen checks."""

    def __init__(self, *args, permission: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.permission = permission

    def is_shown(self, request):
        return request.user.has_perm(self.permission)


# The staff screens' menu items: (label, URL name, icon, order, the permission the screen checks).
# Wagtail sorts the menu by order; items of equal order keep the order they are registered in,
# which is this table's.
STAFF_MENU = [
    ("This week", "staff_ops:week", "date", 249, "bookings.view_booking"),
    ("Privacy requests", "bookings_privacy_requests", "lock", 252, privacy.PERMISSION),
    ("Invite a partner", "staff_ops:invite", "user", 252, "bookings.add_partner"),
    ("Involvement payments", "staff_ops:payments", "list-ul", 253, "bookings.view_paymentline"),
    ("Reports", "staff_ops:reports", "table", 254, "bookings.view_booking"),
]


def _menu_item_hook(label: str, url_name: str, icon: str, order: int, permission: str):
    # The URL is reversed when Wagtail builds its menu, after the admin URLs are registered.
    def menu_item():
        return StaffMenuItem(label, reverse(url_name), icon_name=icon, order=order, permission=permission)

    return menu_item


for _entry in STAFF_MENU:
    hooks.register("register_admin_menu_item", _menu_item_hook(*_entry))


@hooks.register("register_admin_viewset")
def register_access_records():
    return AccessRecordViewSet("access_records")


# --- Email wording: the opening paragraph of each booker email (docs/bookings.md, "Email wording")


class EmailOpeningViewSet(SnippetViewSet):
    model = EmailOpening
    icon = "mail"
    menu_label = "Email wording"
    menu_order = 900
    add_to_admin_menu = True
    list_display = ["__str__", "text"]


register_snippet(EmailOpeningViewSet)
