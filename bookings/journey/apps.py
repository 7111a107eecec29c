from django.apps import AppConfig


class JourneyConfig(AppConfig):
    name = "bookings.journey"
    label = "bookings_journey"
    verbose_name = "Bookings: the booking journey"
