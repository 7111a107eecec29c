"""Who may do what in the staff room, in one place (docs/staff.md).

Wagtail's viewsets check permissions only on their own listing and forms, and not per object
(wagtail issue #10746), so every staff view here asks `require` before it loads anything. A
booking is visible to anyone with the model's "view" permission (the Staff group) and changed by
anyone with "change"; nobody deletes one. An editor without the Staff group has neither.
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from wagtail.permission_policies import ModelPermissionPolicy

from bookings.models import AccessRecord, Booking, WaitlistEntry


class StaffBookingPolicy(ModelPermissionPolicy):
    """Bookings: view and change (through the staff services), never delete."""

    def user_has_permission(self, user, action):
        if action == "delete":
            return False
        return super().user_has_permission(user, action)

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_permission(user, action)


class ReadOnlyPermissionPolicy(ModelPermissionPolicy):
    """Lets people look, never add, edit or delete (the email outbox, the access records)."""

    def user_has_permission(self, user, action):
        if action in {"add", "change", "delete"}:
            return False
        return super().user_has_permission(user, action)


BOOKINGS = StaffBookingPolicy(Booking)
ACCESS_RECORDS = ReadOnlyPermissionPolicy(AccessRecord)
WAITLIST = ReadOnlyPermissionPolicy(WaitlistEntry)


def require(user, action: str, policy=BOOKINGS) -> None:
    if not policy.user_has_permission(user, action):
        raise PermissionDenied


def booking_or_404(user, pk, action: str = "view", queryset=None) -> Booking:
    """The booking, after the permission check (so nothing is loaded for someone not allowed)."""
    require(user, action)
    booking = get_object_or_404(queryset if queryset is not None else Booking.objects.all(), pk=pk)
    if not BOOKINGS.user_has_permission_for_instance(user, action, booking):
        raise PermissionDenied
    return booking
