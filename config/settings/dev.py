from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DEBUG", True)
# make run keeps mail on disk so a developer can read every message the worker sends.
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
