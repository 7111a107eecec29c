from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "bookings.staff"
    label = "bookings_staff"
    verbose_name = "Bookings: staff desk"
