from django.apps import AppConfig


class HomeConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "home"
    verbose_name = "Site content"

    def ready(self):
        # Imported here because the handlers need models, which exist only once apps are ready.
        from . import signal_handlers

        signal_handlers.register()
