import subprocess
import sys

from django.conf import settings
from wagtail.users.utils import get_gravatar_url


def test_time_zone_and_locale():
    assert settings.TIME_ZONE == "Europe/London"
    assert settings.USE_TZ is True
    assert settings.LANGUAGE_CODE == "en-gb"


def test_email_timeout_is_set():
    assert settings.EMAIL_TIMEOUT and settings.EMAIL_TIMEOUT > 0


def test_production_refuses_the_development_secret_key():
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.production", "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
    )
    assert proc.returncode != 0
    assert "SECRET_KEY" in proc.stderr


def test_production_refuses_to_start_without_a_caldav_key():
    secret = "x" * 60
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "PATH": "/usr/bin:/bin",
        "SECRET_KEY": secret,
    }
    proc = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
    )
    assert proc.returncode != 0
    assert "CALDAV_ENCRYPTION_KEY" in proc.stderr


def test_the_admin_sends_no_staff_email_hash_to_gravatar(admin_client, admin_user):
    assert get_gravatar_url(admin_user.email) is None
    html = admin_client.get("/admin/").content.decode().lower()
    assert "gravatar" not in html and "default-user-avatar" in html


def test_sessions_last_hours_not_weeks():
    assert settings.SESSION_COOKIE_AGE <= 12 * 60 * 60


def _settings_load(**environ):
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.dev", "PATH": "/usr/bin:/bin", **environ}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
    )


def test_cached_pages_must_not_outlive_signed_media_links():
    # docs/performance.md, "Page cache": a cached page holds S3 links signed for an hour.
    bucket = {"AWS_STORAGE_BUCKET_NAME": "media", "AWS_QUERYSTRING_EXPIRE": "3600"}
    too_long = _settings_load(**bucket, PAGE_CACHE_SECONDS="3400", PUBLIC_CACHE_SECONDS="300")
    assert too_long.returncode != 0
    assert "AWS_QUERYSTRING_EXPIRE" in too_long.stderr
    assert _settings_load(**bucket).returncode == 0, "the defaults (300 + 300) fit in an hour"
