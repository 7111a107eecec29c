from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    name = "bookings.workspace"
    label = "bookings_workspace"
    verbose_name = "Bookings: partner workspace"
