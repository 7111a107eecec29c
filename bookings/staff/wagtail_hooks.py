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
    privacy,  # noqa: F401  (registers the privacy requests screen)
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


@hooks.register("register_admin_menu_item")
def register_this_week_menu_item():
    return StaffMenuItem(
        "This week",
        reverse("staff_ops:week"),
        icon_name="date",
        order=249,
        permission="bookings.view_booking",
    )


@hooks.register("register_admin_menu_item")
def register_payments_menu_item():
    return StaffMenuItem(
        "Involvement payments",
        reverse("staff_ops:payments"),
        icon_name="list-ul",
        order=253,
        permission="bookings.view_paymentline",
    )


@hooks.register("register_admin_menu_item")
def register_report_menu_item():
    return StaffMenuItem(
        "Reports",
        reverse("staff_ops:reports"),
        icon_name="table",
        order=254,
        permission="bookings.view_booking",
    )


@hooks.register("register_admin_menu_item")
def register_invite_menu_item():
    return StaffMenuItem(
        "Invite a partner",
        reverse("staff_ops:invite"),
        icon_name="user",
        order=252,
        permission="bookings.add_partner",
    )


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
