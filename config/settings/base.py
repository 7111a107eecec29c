"""Settings shared by every environment.

The environment is read here and only here (docs/conventions.md, convention 7). Safe local defaults let
`make run` work with nothing but Python; production.py refuses to start without real secrets.
"""

import base64
import hashlib
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.media import S3_BACKEND, media_origin, media_storage

BASE_DIR = Path(__file__).resolve().parent.parent.parent

DEV_SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"  # noqa: S105


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "home",
    "resources",
    "bookings",
    "bookings.journey",
    "bookings.workspace",
    "bookings.staff",
    "bookings.demo",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.sitemaps",
    "wagtail.contrib.routable_page",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "recurrence",
    "django_tasks",
    "django_tasks_db",
    "phonenumber_field",
    # django-recurrence's widget loads admin/js/jquery.init.js (docs/calendar.md), so admin stays.
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
]

MIDDLEWARE = [
    # Anonymous public pages from the cache (home/page_cache.py, docs/performance.md "Page cache"):
    # first, so a stored page keeps every header below; above CacheControlMiddleware, whose
    # decision it reads.
    "home.page_cache.PageCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.middleware.CacheControlMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.PreviewAwareCSPMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # The Site for a page from the cache (home/site_lookup.py, docs/performance.md).
    "home.site_lookup.SiteLookupMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite by default. IMMEDIATE transactions take the write lock at BEGIN, so two bookings racing
# for one slot queue up instead of failing with "database is locked" (docs/reliability.md, facts).
SQLITE_PATH = BASE_DIR / "db.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{SQLITE_PATH}"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    DATABASES["default"].setdefault("TEST", {})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------
# A shared cache (Redis) is what makes rate limits hold across app servers; without REDIS_URL
# the database cache does the same job, so a single SQLite install needs nothing else.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "config.cache.RedisCache",  # one redis-py client per pool (config/cache.py)
            "LOCATION": REDIS_URL,
            "TIMEOUT": 300,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "cache_table",
        }
    }

# --- Background tasks -----------------------------------------------------------------------
# The database backend (django-tasks-db) by default: tasks in PostgreSQL/SQLite, run by
# `db_worker`. TASKS_BACKEND=rq with REDIS_URL: tasks in Redis, run by `rqworker` (django-tasks-rq,
# docs/operations.md "RQ"). A dotted backend path is accepted too.
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "database").strip() or "database"
RQ_QUEUES = {
    # Read only when RQ is the backend; the same Redis as the cache, the queue a task names.
    "default": {"URL": REDIS_URL or "redis://127.0.0.1:6379/0", "DEFAULT_TIMEOUT": 600},
}
if TASKS_BACKEND == "rq":
    if not REDIS_URL:
        raise ImproperlyConfigured("TASKS_BACKEND=rq needs REDIS_URL (the Redis that holds the queue).")
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    INSTALLED_APPS.append("django_rq")  # the `rqworker` and `rqstats` commands
else:
    TASKS = {
        "default": {
            "BACKEND": {"database": "django_tasks_db.DatabaseBackend"}.get(TASKS_BACKEND, TASKS_BACKEND),
        }
    }

# --- Email ----------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# Django's default is no timeout: a hanging SMTP server would block a worker for ever.
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "10"))
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
BOOKINGS_MAILBOX = os.environ.get("BOOKINGS_MAILBOX", "bookings@example.org")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", BOOKINGS_MAILBOX)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
# Partners are the only people who sign in on the public site; editors use /admin/.
LOGIN_REDIRECT_URL = "/partners/"

# --- Locale and time ------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATIC_URL = "/static/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))
MEDIA_URL = "/media/"
# Local disk, or an S3-compatible bucket when AWS_STORAGE_BUCKET_NAME is set (config/media.py,
# docs/deploy.md "Shared media"): images, renditions and documents then live in the bucket.
MEDIA_STORAGE = media_storage(os.environ)
MEDIA_ORIGIN = media_origin(os.environ)
STORAGES = {
    "default": MEDIA_STORAGE,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if MEDIA_STORAGE["BACKEND"] == S3_BACKEND:
    # Wagtail checks a document's privacy, then redirects to a short-lived signed URL.
    WAGTAILDOCS_SERVE_METHOD = "redirect"
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# --- Wagtail --------------------------------------------------------------------------------
WAGTAIL_SITE_NAME = os.environ.get("WAGTAIL_SITE_NAME", "Lived Experience Partners")
WAGTAILADMIN_BASE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
SITE_URL = WAGTAILADMIN_BASE_URL
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "pptx", "rtf", "txt", "xlsx"]
WAGTAILDOCS_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
WAGTAILEMBEDS_RESPONSIVE_HTML = True
WAGTAIL_GRAVATAR_PROVIDER_URL = None  # no staff email hashes sent to gravatar.com

# --- Security headers (docs/reliability.md, promise 10) -------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Public pages load only our own scripts and styles; embeds are iframes from the video host.
# django-csp; the Wagtail admin uses inline scripts, so it is excluded (docs/security.md).
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/admin/", "/django-admin/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        # Media in an S3 bucket load from its origin (config/media.py, docs/deploy.md).
        "img-src": ["'self'", "data:", *([MEDIA_ORIGIN] if MEDIA_ORIGIN else [])],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "frame-src": [
            "https://www.youtube-nocookie.com",
            "https://www.youtube.com",
            "https://player.vimeo.com",
        ],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}
# Browser features no page here uses are switched off for the page and anything it embeds.
PERMISSIONS_POLICY = dict.fromkeys(
    "accelerometer ambient-light-sensor autoplay bluetooth browsing-topics camera display-capture "  # noqa: SIM905
    "geolocation gyroscope hid idle-detection magnetometer microphone midi payment serial usb "
    "screen-wake-lock xr-spatial-tracking".split(),
    [],
)
PUBLIC_CACHE_SECONDS = int(os.environ.get("PUBLIC_CACHE_SECONDS", "300"))
# Whole anonymous pages in the cache (home/page_cache.py); 0 turns it off. Kept well below the
# life of signed S3 media URLs (AWS_QUERYSTRING_EXPIRE, an hour): a cached page holds them.
PAGE_CACHE_SECONDS = int(os.environ.get("PAGE_CACHE_SECONDS", "300"))
_signed_for = MEDIA_STORAGE.get("OPTIONS", {}).get("querystring_expire")
if _signed_for and _signed_for <= PAGE_CACHE_SECONDS + PUBLIC_CACHE_SECONDS:
    raise ImproperlyConfigured(
        "PAGE_CACHE_SECONDS + PUBLIC_CACHE_SECONDS must stay below AWS_QUERYSTRING_EXPIRE, "
        "or cached pages would show expired media links (docs/performance.md, 'Page cache')."
    )
# The journey's cache of each partner's free times (bookings/slot_cache.py, docs/performance.md
# "The time step"): every write in Django renews the tokens it touches; this bounds how long a
# change made outside Django (raw SQL, a restored backup) can go unseen in a listing. 0 turns it
# off. Off by default without Redis: with the database cache each stored piece costs queries.
SLOT_CACHE_SECONDS = int(os.environ.get("SLOT_CACHE_SECONDS", "300" if REDIS_URL else "0"))
SESSION_COOKIE_AGE = 12 * 60 * 60  # hours, not Django's two weeks: drafts and logins end the same day

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_secrets": {"()": "config.log_redaction.RedactSecretPaths"}},
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact_secrets"]},
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["redact_secrets"],
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # runserver's request lines carry URLs, and some URLs are secrets (feeds, manage links).
        # With no handler at all, 4xx/5xx lines went to Python's last-resort handler unredacted.
        "django.server": {"handlers": ["django.server"], "filters": ["redact_secrets"], "propagate": False},
        # These log the path of refused requests; redact at the source as well as at the handler.
        "django.request": {"filters": ["redact_secrets"]},
        "django.security.csrf": {"filters": ["redact_secrets"]},
    },
}

# --- Booking form protection (bookings/journey/bot_guard.py) ----------------------------------------
BOOKING_MIN_FILL_SECONDS = float(os.environ.get("BOOKING_MIN_FILL_SECONDS", "3"))
BOOKING_FORM_MAX_AGE_SECONDS = int(os.environ.get("BOOKING_FORM_MAX_AGE_SECONDS", str(6 * 3600)))
BOOKING_RATE_LIMIT = int(os.environ.get("BOOKING_RATE_LIMIT", "30"))
BOOKING_RATE_WINDOW_SECONDS = int(os.environ.get("BOOKING_RATE_WINDOW_SECONDS", "600"))
# How many reverse proxies in front of the app add X-Forwarded-For (0: trust REMOTE_ADDR only).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))

# --- Partners' own calendars (bookings/calendars/busy.py) ------------------------------------
# Private and loopback addresses are refused (SSRF) unless this is on; tests serve ICS locally.
BUSY_CALENDAR_ALLOW_PRIVATE = env_bool("BUSY_CALENDAR_ALLOW_PRIVATE", False)
BUSY_CALENDAR_TIMEOUT = float(os.environ.get("BUSY_CALENDAR_TIMEOUT", "15"))
BUSY_CALENDAR_MAX_BYTES = int(os.environ.get("BUSY_CALENDAR_MAX_BYTES", str(5 * 1024 * 1024)))
# While a calendar cannot be read, its last good busy times keep applying for this long; after
# that the partner's slots close until it can be read again (docs/busy-calendar.md).
BUSY_CALENDAR_STALE_AFTER_HOURS = int(os.environ.get("BUSY_CALENDAR_STALE_AFTER_HOURS", "24"))

# --- Booking emails: delivery, retries, reminders (bookings/outbox/delivery.py, docs/operations.md) ---
# Temporary failures (SMTP down, timeouts, 4xx) are retried after BASE·2^(attempt-1) seconds,
# capped at MAX; after EMAIL_MAX_ATTEMPTS the email is marked failed for staff to see.
EMAIL_RETRY_BASE_SECONDS = int(os.environ.get("EMAIL_RETRY_BASE_SECONDS", "30"))
EMAIL_RETRY_MAX_SECONDS = int(os.environ.get("EMAIL_RETRY_MAX_SECONDS", "3600"))
EMAIL_MAX_ATTEMPTS = int(os.environ.get("EMAIL_MAX_ATTEMPTS", "20"))
# An email "sending" for longer than this was abandoned by a killed worker and is handed back.
EMAIL_SENDING_STUCK_SECONDS = int(os.environ.get("EMAIL_SENDING_STUCK_SECONDS", str(10 * EMAIL_TIMEOUT + 60)))
# A task row RUNNING for longer than this belongs to a dead worker and is made READY again.
TASK_STUCK_SECONDS = int(os.environ.get("TASK_STUCK_SECONDS", "900"))
# A due email with no task waiting for it this long after its time gets a new task (lost task).
EMAIL_LOST_TASK_GRACE_SECONDS = int(os.environ.get("EMAIL_LOST_TASK_GRACE_SECONDS", "120"))
SCHEDULER_INTERVAL_SECONDS = float(os.environ.get("SCHEDULER_INTERVAL_SECONDS", "60"))
# An erasure waits for the booking's cancellation emails to leave, at most this long (docs/privacy.md).
PRIVACY_ERASURE_MAX_WAIT_HOURS = int(os.environ.get("PRIVACY_ERASURE_MAX_WAIT_HOURS", "72"))
# Reminders are set by editors in Wagtail (Settings → Booking settings), not here (docs/operations.md).
# Phone numbers a booker types without a country code are read as UK numbers (docs/bookings.md).
PHONENUMBER_DEFAULT_REGION = "GB"
PHONENUMBER_DB_FORMAT = "E164"

# --- Booker manage links (bookings/journey/manage_views.py) ------------------------------------------------
# Cancelling or moving a chat through the emailed link closes this many hours before it starts;
# after that the page tells the booker to email BOOKINGS_MAILBOX instead.
MANAGE_CHANGES_CLOSE_HOURS = int(os.environ.get("MANAGE_CHANGES_CLOSE_HOURS", "24"))
# How long after a chat is marked completed the booker is asked how it went (docs/impact.md).
FEEDBACK_REQUEST_AFTER_HOURS = float(os.environ.get("FEEDBACK_REQUEST_AFTER_HOURS", "24"))

# --- First run (manage.py bootstrap_site, docs/deploy.md) ------------------------------------
# The first superuser; unset, bootstrap_site skips it. An existing user is never changed.
BOOTSTRAP_SUPERUSER_USERNAME = os.environ.get("BOOTSTRAP_SUPERUSER_USERNAME", "").strip()
BOOTSTRAP_SUPERUSER_EMAIL = os.environ.get("BOOTSTRAP_SUPERUSER_EMAIL", "").strip()
BOOTSTRAP_SUPERUSER_PASSWORD = os.environ.get("BOOTSTRAP_SUPERUSER_PASSWORD", "")

# --- Demo accounts (make run only; load_demo_content prints them) ---------------------------
DEMO_EDITOR_PASSWORD = os.environ.get("DEMO_EDITOR_PASSWORD", "coproduction-demo-2026")
DEMO_PARTNER_PASSWORD = os.environ.get("DEMO_PARTNER_PASSWORD", "partner-demo-2026")

# --- Signing in: second factor, lockout, spread guessing (config/sign_in/, docs/security.md) ---
INSTALLED_APPS += ["django_otp", "django_otp.plugins.otp_totp", "django_otp.plugins.otp_static",
                   "axes", "config.sign_in"]  # fmt: skip
# After AuthenticationMiddleware (is_verified), then the second-step guard; axes last.
MIDDLEWARE += ["django_otp.middleware.OTPMiddleware", "config.sign_in.middleware.SecondFactorMiddleware",
               "axes.middleware.AxesMiddleware"]  # fmt: skip
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "config.sign_in.spread.SlowedModelBackend"]
LOGIN_FAILURE_WINDOW_SECONDS = int(os.environ.get("LOGIN_FAILURE_WINDOW_SECONDS", "900"))
# Locked: one username from one address, never a username everywhere nor an address for everyone.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
LOGIN_FAILURES_PER_CLIENT = int(os.environ.get("LOGIN_FAILURES_PER_CLIENT", "10"))
AXES_FAILURE_LIMIT = LOGIN_FAILURES_PER_CLIENT
AXES_COOLOFF_TIME = LOGIN_FAILURE_WINDOW_SECONDS / 3600  # hours
AXES_RESET_ON_SUCCESS = True
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"  # counts expire with the window; no table of addresses
AXES_CLIENT_IP_CALLABLE = "bookings.clients.client_key"
AXES_LOCKOUT_TEMPLATE = "sign_in/locked_out.html"
AXES_VERBOSE = False
LOGGING["loggers"]["axes"] = {"level": "WARNING"}  # not every sign-in, only failures and lockouts
# Failures for one username from anywhere: past this many in the window, each try waits first.
LOGIN_FAILURES_PER_ACCOUNT = int(os.environ.get("LOGIN_FAILURES_PER_ACCOUNT", "30"))
LOGIN_SPREAD_DELAY_SECONDS = float(os.environ.get("LOGIN_SPREAD_DELAY_SECONDS", "2"))
OTP_TOTP_ISSUER = WAGTAIL_SITE_NAME  # the name the authenticator app shows
# Password-reset requests from one address in an hour, whoever they name (a shared address is many people).
PASSWORD_RESETS_PER_ADDRESS_PER_HOUR = int(os.environ.get("PASSWORD_RESETS_PER_ADDRESS_PER_HOUR", "20"))

# --- Account emails: invitations, password resets, staff notices (bookings/accounts.py) -----
# A set-password link in an invitation works for this long, and once (docs/staff-operations.md).
INVITATION_TIMEOUT_SECONDS = int(os.environ.get("INVITATION_TIMEOUT_SECONDS", str(7 * 24 * 3600)))
PASSWORD_RESET_TIMEOUT = int(os.environ.get("PASSWORD_RESET_TIMEOUT", str(3 * 3600)))
# At most this many account emails of one kind per person, and per address, in an hour; more
# requests still show the same page, so the limit reveals nothing (docs/operations.md).
ACCOUNT_EMAILS_PER_HOUR = int(os.environ.get("ACCOUNT_EMAILS_PER_HOUR", "3"))
# Invitations (new or resent) one staff member may send in an hour (docs/staff-operations.md).
INVITATIONS_PER_STAFF_PER_HOUR = int(os.environ.get("INVITATIONS_PER_STAFF_PER_HOUR", "20"))
# Staff get the daily digest once a day, at or after this hour, UK time.
STAFF_DIGEST_HOUR = int(os.environ.get("STAFF_DIGEST_HOUR", "7"))
STAFF_GROUP = "Staff"
PARTNER_GROUP = "Thinking partners"
# --- CalDAV push to partners' own calendars (bookings/calendars/caldav_push.py, docs/caldav.md) ---
# A Fernet key (32 url-safe base64 bytes) that encrypts partners' CalDAV app passwords at rest.
# Development and tests derive one from SECRET_KEY; production refuses to start without its own.
CALDAV_ENCRYPTION_KEY = (
    os.environ.get("CALDAV_ENCRYPTION_KEY", "")
    or base64.urlsafe_b64encode(
        hashlib.sha256(b"caldav-password-key:" + SECRET_KEY.encode()).digest()
    ).decode()
)
CALDAV_TIMEOUT = float(os.environ.get("CALDAV_TIMEOUT", "15"))  # seconds per request
CALDAV_MAX_ATTEMPTS = int(os.environ.get("CALDAV_MAX_ATTEMPTS", "8"))  # then email takes over

# --- Waiting list (bookings/waitlist.py, docs/bookings.md#waiting-list) --------------------------
# An entry is deleted this many days after someone joins (or joins again).
WAITLIST_EXPIRY_DAYS = int(os.environ.get("WAITLIST_EXPIRY_DAYS", "60"))
# At most one "a time has opened" email per person in this many hours.
WAITLIST_NOTIFY_GAP_HOURS = int(os.environ.get("WAITLIST_NOTIFY_GAP_HOURS", "24"))
# The links in those emails (claim and leave) work this long after the email is made.
WAITLIST_LINK_MAX_AGE_DAYS = int(os.environ.get("WAITLIST_LINK_MAX_AGE_DAYS", "60"))
