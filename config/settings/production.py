import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DEV_SECRET_KEY, MEDIA_STORAGE, SECRET_KEY, env_bool

DEBUG = False

if not SECRET_KEY or SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured(
        "Set SECRET_KEY to a long random value: production will not start with the development key."
    )

# A key derived from SECRET_KEY is for development only: the CalDAV passwords need their own.
if not os.environ.get("CALDAV_ENCRYPTION_KEY"):
    raise ImproperlyConfigured(
        "Set CALDAV_ENCRYPTION_KEY to a Fernet key (python -c 'from cryptography.fernet import Fernet; "
        "print(Fernet.generate_key().decode())'): production will not start without it."
    )

STORAGES = {
    "default": MEDIA_STORAGE,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# The site is HTTPS-only for good; saying so lets browsers refuse plain HTTP from the first visit.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
