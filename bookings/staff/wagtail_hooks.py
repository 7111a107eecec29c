from wagtail import hooks
from wagtail.permissions import register_permission_policy

from bookings.models import Booking
from bookings.staff import (
    outbox,  # noqa: F401  (registers the email outbox view)
    privacy,  # noqa: F401  (registers the privacy requests screen)
)
from bookings.staff.viewsets import BookingsGroup, ReadOnlyPermissionPolicy

# Registered before the viewsets are built, so the booking views pick it up (wagtail 7+ API).
register_permission_policy(Booking, ReadOnlyPermissionPolicy(Booking), exact_class=True)


@hooks.register("register_admin_viewset")
def register_bookings_viewsets():
    return BookingsGroup()
