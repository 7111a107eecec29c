from wagtail import hooks
from wagtail.permissions import register_permission_policy

from bookings.models import AccessRecord, Booking
from bookings.staff import outbox  # noqa: F401  (registers the email outbox view)
from bookings.staff.access import ACCESS_RECORDS, BOOKINGS
from bookings.staff.access_records import AccessRecordViewSet
from bookings.staff.viewsets import BookingsGroup

# Registered before the viewsets are built, so their views pick them up (wagtail 7+ API).
register_permission_policy(Booking, BOOKINGS, exact_class=True)
register_permission_policy(AccessRecord, ACCESS_RECORDS, exact_class=True)


@hooks.register("register_admin_viewset")
def register_bookings_viewsets():
    return BookingsGroup()


@hooks.register("register_admin_viewset")
def register_access_records():
    return AccessRecordViewSet("access_records")
