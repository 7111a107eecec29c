from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "bookings.demo"
    label = "bookings_demo"
    verbose_name = "Bookings: demo content"
