"""Staff view of account emails (invitations, password resets, staff notices): what was sent,
what waits, what failed, with the same read-only rules as the booking email outbox
(bookings/staff/outbox.py). Rows hold no address and no link, so none is shown."""

from wagtail import hooks
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permissions import register_permission_policy

from bookings.models import AccountEmail
from bookings.staff.access import ReadOnlyPermissionPolicy

register_permission_policy(AccountEmail, ReadOnlyPermissionPolicy(AccountEmail), exact_class=True)


class AccountEmailViewSet(ModelViewSet):
    model = AccountEmail
    icon = "mail"
    menu_label = "Account emails"
    menu_order = 253
    add_to_admin_menu = True
    inspect_view_enabled = True
    copy_view_enabled = False
    list_display = ["kind", "status", "attempts", "last_error", "send_after", "sent_at"]
    list_filter = ["status", "kind"]
    inspect_view_fields = [
        "kind",
        "status",
        "attempts",
        "last_error",
        "send_after",
        "claimed_at",
        "sent_at",
        "created_at",
        "day",
    ]
    form_fields = ["status"]  # required by ModelViewSet; the edit view is never reachable


@hooks.register("register_admin_viewset")
def register_account_email_outbox():
    return AccountEmailViewSet("account_emails")
