"""Staff view of the waiting list (docs/bookings.md#waiting-list): who is waiting for which
offer, since when, for which days and times, and until when. Read-only: people join and leave
through the public pages and their emails, and expired entries are purged daily."""

from wagtail.admin.viewsets.model import ModelViewSet

from bookings.models import WaitlistEntry


class WaitlistViewSet(ModelViewSet):
    model = WaitlistEntry
    icon = "list-ul"
    menu_label = "Waiting list"
    inspect_view_enabled = True
    copy_view_enabled = False
    list_display = ["offer", "partner", "name", "joined_at", "expires_at", "notified_at"]
    list_filter = ["offer", "partner"]
    inspect_view_fields = [
        "offer",
        "partner",
        "name",
        "email",
        "weekdays",
        "parts_of_day",
        "time_zone",
        "joined_at",
        "expires_at",
        "notified_at",
    ]
    form_fields = ["name"]  # required by ModelViewSet; the policy refuses add and edit
