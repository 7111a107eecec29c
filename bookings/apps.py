from django.apps import AppConfig


class BookingsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "bookings"
    verbose_name = "Thinking-partner bookings"

    def ready(self):
        # Imported here because the handlers need models, which exist only once apps are ready.
        from . import signal_handlers

        signal_handlers.register()
