"""The Site for a page request from the cache (home/site_lookup.py, docs/performance.md
"Finding the site")."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import Site

from home.site_lookup import SITE_KEY, find_site

from .factories import ContentPageFactory


@pytest.fixture
def committing(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _site_queries(client, url="/", **extra):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **extra)
    assert response.status_code == 200
    return response, [q["sql"] for q in ctx.captured_queries if 'FROM "wagtailcore_site"' in q["sql"]]


def test_a_page_after_the_first_finds_its_site_without_a_query(home_page, client):
    _site_queries(client)
    response, site_queries = _site_queries(client)
    assert site_queries == []
    assert response.context["page"].pk == home_page.pk


def test_a_new_site_is_used_on_the_next_request(home_page, client, settings, committing):
    settings.ALLOWED_HOSTS = ["testserver", "other.example"]
    other_root = ContentPageFactory(parent=home_page, title="The other site's home")
    response, _ = _site_queries(client, HTTP_HOST="other.example")
    assert response.context["page"].pk == home_page.pk  # no site of its own yet: the default
    with committing():
        Site.objects.create(hostname="other.example", port=80, root_page=other_root)
    response, _ = _site_queries(client, HTTP_HOST="other.example")
    assert response.context["page"].pk == other_root.pk


def test_a_host_not_allowed_is_left_to_wagtail_and_never_cached(home_page, rf, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    cache.clear()
    site = find_site(rf.get("/", HTTP_HOST="stray.example"))
    assert site == Site.objects.get(is_default_site=True)  # what Wagtail's own lookup answers
    assert not any(SITE_KEY in key for key in cache._cache)


def test_the_home_page_kept_with_its_site_shows_a_publish_on_the_next_request(
    home_page, client, settings, committing
):
    # The cached Site carries its root page in its own class, so the home page itself is served
    # from the cache's copy: a publish must retire it (with the page cache off, only this is left).
    settings.PAGE_CACHE_SECONDS = 0
    _site_queries(client)
    home_page.intro = "A new opening line, just published."
    with committing():
        home_page.save_revision().publish()
    response, site_queries = _site_queries(client)
    assert site_queries, "the Site was looked up again after the publish"
    assert "A new opening line, just published." in response.content.decode()
