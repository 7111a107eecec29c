"""Staff view of account emails (invitations, password resets, staff notices): what was sent,
what waits, what failed, made by the same read-only factory as the booking email outbox
(bookings/staff/outbox.py). Rows hold no address and no link, so none is shown."""

from wagtail import hooks

from bookings.models import AccountEmail
from bookings.staff.outbox import read_only_outbox

AccountEmailViewSet = read_only_outbox(
    AccountEmail,
    menu_label="Account emails",
    menu_order=253,
    select_related=(),
    list_display=["kind", "status", "attempts", "last_error", "send_after", "sent_at"],
    list_filter=["status", "kind"],
    inspect_view_fields=[
        "kind",
        "status",
        "attempts",
        "last_error",
        "send_after",
        "claimed_at",
        "sent_at",
        "created_at",
        "day",
    ],
)


@hooks.register("register_admin_viewset")
def register_account_email_outbox():
    return AccountEmailViewSet("account_emails")
