"""Staff view of the email outbox: what was sent, what is waiting, and what failed.

Read-only, like bookings: a row changes only through delivery (bookings/outbox/delivery.py). Failed rows
show the error class and SMTP code, never the server's text or the address (see docs/operations.md
for how to retry them). Registered from wagtail_hooks.py by importing this module.
"""

from wagtail import hooks
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permissions import register_permission_policy

from bookings.models import EmailNotification
from bookings.staff.access import ReadOnlyPermissionPolicy

register_permission_policy(EmailNotification, ReadOnlyPermissionPolicy(EmailNotification), exact_class=True)


class EmailNotificationViewSet(ModelViewSet):
    model = EmailNotification
    icon = "mail"
    menu_label = "Email outbox"
    menu_order = 251
    add_to_admin_menu = True
    inspect_view_enabled = True
    copy_view_enabled = False
    list_display = [
        "kind",
        "recipient",
        "status",
        "attempts",
        "last_error",
        "send_after",
        "sent_at",
        "booking",
    ]
    list_filter = ["status", "kind", "recipient"]
    inspect_view_fields = [
        "booking",
        "kind",
        "recipient",
        "sequence",
        "status",
        "attempts",
        "last_error",
        "send_after",
        "claimed_at",
        "sent_at",
        "created_at",
        "updated_at",
    ]
    form_fields = ["status"]  # required by ModelViewSet; the edit view is never reachable


@hooks.register("register_admin_viewset")
def register_email_outbox():
    return EmailNotificationViewSet("email_outbox")
