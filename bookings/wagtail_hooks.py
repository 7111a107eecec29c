from wagtail import hooks
from wagtail.permissions import register_permission_policy

from . import notification_viewsets  # noqa: F401  (registers the email outbox view)
from .models import Booking
from .viewsets import BookingsGroup, ReadOnlyPermissionPolicy

# Registered before the viewsets are built, so the booking views pick it up (wagtail 7+ API).
register_permission_policy(Booking, ReadOnlyPermissionPolicy(Booking), exact_class=True)


@hooks.register("register_admin_viewset")
def register_bookings_viewsets():
    return BookingsGroup()
