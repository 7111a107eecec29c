"""Benchmarks: production-like (DEBUG off) on a throwaway SQLite file unless DATABASE_URL is set."""

import os

from .base import *  # noqa: F403
from .base import BASE_DIR

DEBUG = False
if "DATABASE_URL" not in os.environ:
    DATABASES["default"]["NAME"] = str(BASE_DIR / "var" / "bench.sqlite3")  # noqa: F405
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
LOGGING = {"version": 1, "disable_existing_loggers": True}
# Benchmarks serve pages, not collected static files.
WHITENOISE_AUTOREFRESH = True
