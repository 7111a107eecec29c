from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
WAGTAILADMIN_BASE_URL = SITE_URL = "http://testserver"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
BUSY_CALENDAR_ALLOW_PRIVATE = True
# Off by default so pinned query counts measure the page itself (docs/performance.md: "without
# a page cache"); tests/home/test_page_cache.py turns it on.
PAGE_CACHE_SECONDS = 0
# Off too: a test's writes never commit, so no new token would be set between its requests;
# tests/bookings/test_slot_cache.py turns it on and commits its writes.
SLOT_CACHE_SECONDS = 0
# axes warns that a per-process cache cannot share lockouts between servers; tests are one process.
SILENCED_SYSTEM_CHECKS = ["axes.W001"]
