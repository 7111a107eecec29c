from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DEBUG", True)
# make run keeps mail on disk so a developer can read every message the worker sends.
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"

# Keep `make run`'s terminal readable: one line per task and per page edit is noise locally.
LOGGING["loggers"].update(  # noqa: F405
    {
        "django_tasks_db": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},
        "wagtail": {"level": "WARNING"},
    }
)
