"""A first production run: `migrate` then `bootstrap_site` leaves a working site (docs/deploy.md).

The test settings use a per-process cache, so Django's test runner never runs `createcachetable`:
the database cache's table on this test database exists only because migration 0017 made it.
"""

import io

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import caches
from django.core.management import CommandError, call_command
from django.db import connection
from wagtail.models import Page, Revision, Site

from bookings.groups import STAFF_PERMISSIONS
from bookings.journey.pages import BookingPage
from bookings.models import BookingSettings
from home.models import HomePage
from tests.support.second_factor import sign_in_verified

DATABASE_CACHE = {
    "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "cache_table"}
}
SUPERUSER = {
    "BOOTSTRAP_SUPERUSER_USERNAME": "first-admin",
    "BOOTSTRAP_SUPERUSER_EMAIL": "admin@example.org",
    "BOOTSTRAP_SUPERUSER_PASSWORD": "a-long-unguessable-passphrase-42",
}


def bootstrap(**options) -> str:
    out = io.StringIO()
    call_command("bootstrap_site", stdout=out, **options)
    return out.getvalue()


def snapshot():
    site = Site.objects.values().get(is_default_site=True)
    counts = {model._meta.label: model.objects.count() for model in apps.get_models()}
    users = list(get_user_model().objects.values_list("username", "password", "is_superuser"))
    perms = {g.name: sorted(g.permissions.values_list("pk", flat=True)) for g in Group.objects.all()}
    return site, counts, users, perms, list(Revision.objects.values_list("pk", flat=True))


@pytest.fixture
def production_site(db, settings):
    settings.SITE_URL = "https://www.example.org"
    settings.ALLOWED_HOSTS = ["www.example.org", "testserver"]
    for name, value in SUPERUSER.items():
        setattr(settings, name, value)
    return settings


def test_the_migration_made_the_cache_table_and_pages_work_with_the_database_cache(db, client, settings):
    assert "cache_table" in connection.introspection.table_names()
    settings.CACHES = DATABASE_CACHE
    caches["default"].clear()
    call_command("bootstrap_site", verbosity=0)
    response = client.get("/")
    assert response.status_code == 200
    assert client.get(BookingPage.objects.get().url).status_code == 200
    # The site's root paths (Wagtail) went to the database cache, proving it is the one in use.
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM cache_table")
        assert cursor.fetchone()[0] > 0


def test_bootstrap_builds_the_site_from_site_url(production_site, client):
    assert Page.objects.filter(title__startswith="Welcome to your new Wagtail site").exists()
    output = bootstrap()
    assert "made  superuser: first-admin" in output
    assert SUPERUSER["BOOTSTRAP_SUPERUSER_PASSWORD"] not in output

    assert not Page.objects.filter(title__startswith="Welcome to your new Wagtail site").exists()
    home = HomePage.objects.get()
    site = Site.objects.get()
    assert (site.hostname, site.port, site.is_default_site, site.root_page_id) == (
        "www.example.org",
        443,
        True,
        home.pk,
    )
    assert site.root_url == "https://www.example.org"
    booking_page = BookingPage.objects.get()
    assert booking_page.live and booking_page.get_parent().pk == home.pk
    assert BookingSettings.objects.filter(site=site).exists()

    staff = Group.objects.get(name="Staff")
    assert set(staff.permissions.values_list("codename", flat=True)) >= {
        codename for codenames in STAFF_PERMISSIONS.values() for codename in codenames
    }
    assert not Group.objects.get(name="Thinking partners").permissions.exists()
    assert Group.objects.get(name="Editors").permissions.filter(codename="access_admin").exists()
    admin = get_user_model().objects.get(username="first-admin")
    assert admin.is_superuser and admin.is_staff and admin.email == "admin@example.org"
    assert admin.check_password(SUPERUSER["BOOTSTRAP_SUPERUSER_PASSWORD"])

    sign_in_verified(client, admin)
    assert client.get("/admin/").status_code == 200
    client.logout()
    assert client.get("/", HTTP_HOST="www.example.org", secure=True).status_code == 200
    assert client.get(booking_page.url, HTTP_HOST="www.example.org", secure=True).status_code == 200


def test_running_it_twice_changes_nothing(production_site):
    bootstrap()
    first = snapshot()
    # A changed password is kept: the command never resets an existing user.
    production_site.BOOTSTRAP_SUPERUSER_PASSWORD = "another-long-passphrase-77"
    output = bootstrap()
    assert snapshot() == first
    assert "Nothing changed." in output
    assert "first-admin already exists" in output


def test_the_live_staff_list_is_what_the_migrations_grant(db):
    # A migration that gives Staff a new right must add it to bookings/groups.py too.
    # (Wagtail's own migrations add their rights, such as choose_document, to every group.)
    granted = (
        Group.objects.get(name="Staff")
        .permissions.filter(content_type__app_label__in=STAFF_PERMISSIONS)
        .values_list("content_type__app_label", "codename")
    )
    assert set(granted) == {
        (app, codename) for app, codenames in STAFF_PERMISSIONS.items() for codename in codenames
    }


def test_groups_lost_by_a_flush_come_back(production_site):
    Group.objects.filter(name__in=["Staff", "Thinking partners"]).delete()
    bootstrap(verbosity=0)
    assert Group.objects.get(name="Staff").permissions.filter(codename="view_booking").exists()
    assert Group.objects.filter(name="Thinking partners").exists()


def test_no_superuser_settings_skips_it_with_a_message(db, settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    output = bootstrap()
    assert "superuser: skipped (BOOTSTRAP_SUPERUSER_USERNAME is not set)" in output
    assert not get_user_model().objects.exists()
    site = Site.objects.get(is_default_site=True)
    assert (site.hostname, site.port) == ("127.0.0.1", 8000)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"BOOTSTRAP_SUPERUSER_PASSWORD": ""}, "or none of them"),
        ({"BOOTSTRAP_SUPERUSER_PASSWORD": "password"}, "too common"),
        ({"SITE_URL": "not a url"}, "SITE_URL has no host name"),
    ],
)
def test_bad_settings_stop_it_before_anything_is_written(production_site, changes, message):
    for name, value in changes.items():
        setattr(production_site, name, value)
    before = snapshot()
    with pytest.raises(CommandError, match=message):
        bootstrap()
    assert snapshot() == before


def test_demo_content_after_bootstrap_keeps_one_booking_page_and_the_site_url(production_site):
    bootstrap(verbosity=0)
    call_command("load_demo_content", verbosity=0)
    assert BookingPage.objects.count() == 1
    assert HomePage.objects.count() == 1
    site = Site.objects.get(is_default_site=True)
    assert (site.hostname, site.port) == ("www.example.org", 443)
