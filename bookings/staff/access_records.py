"""Staff view of the access records: who looked at or exported bookers' details (docs/staff.md).

Read-only for people with the "view access record" permission; filter by user or booking to see
"who looked at this booking" or "what did this person look at". Registered from wagtail_hooks.py.
"""

from wagtail.admin.viewsets.model import ModelViewSet

from bookings.models import AccessRecord


class AccessRecordViewSet(ModelViewSet):
    model = AccessRecord
    icon = "view"
    menu_label = "Access records"
    menu_order = 252
    add_to_admin_menu = True
    inspect_view_enabled = True
    copy_view_enabled = False
    list_display = ["at", "user_label", "action", "booking_id", "rows", "query"]
    list_filter = ["action", "user"]
    inspect_view_fields = ["at", "user_label", "action", "booking", "query", "rows", "shown"]
    form_fields = ["action"]  # required by ModelViewSet; the policy refuses add and edit
