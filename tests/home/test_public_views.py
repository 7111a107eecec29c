import re

import pytest
from django.core.management import call_command
from django.test import RequestFactory
from wagtail.models import Site

from home import views

from .factories import ContentPageFactory


def test_search_finds_pages_by_their_words(demo, client):
    response = client.get("/search/", {"query": "co-production"})
    assert response.status_code == 200
    html = response.content.decode()
    assert '<a href="/for-professionals/">For professionals</a>' in html
    assert re.search(r"\d+ results? for “co-production”", html)
    assert len(re.findall(r"<h1[\s>]", html)) == 1


def test_search_without_a_query_shows_just_the_form(demo, client):
    html = client.get("/search/").content.decode()
    assert 'id="main-search-query"' in html
    assert "results for" not in html


def test_search_with_no_matches_says_so_and_offers_a_way_on(demo, client):
    html = client.get("/search/", {"query": "xylophone"}).content.decode()
    assert "No results for “xylophone”" in html
    assert '<a href="/">home page</a>' in html


def test_search_leaves_out_drafts(home_page, client, search_indexing):
    with search_indexing():
        ContentPageFactory(parent=home_page, title="Kaleidoscope live", slug="live-one")
        ContentPageFactory(parent=home_page, title="Kaleidoscope draft", slug="draft-one", live=False)
    html = client.get("/search/", {"query": "kaleidoscope"}).content.decode()
    assert "Kaleidoscope live" in html
    assert "Kaleidoscope draft" not in html


def test_search_results_are_paginated(home_page, client, search_indexing):
    with search_indexing():
        for n in range(12):
            ContentPageFactory(parent=home_page, title=f"Marmalade {n}", slug=f"marmalade-{n}")
    first = client.get("/search/", {"query": "marmalade"}).content.decode()
    assert first.count('class="search-result"') == 10
    assert "Page 1 of 2" in first
    assert 'href="?query=marmalade&amp;page=2"' in first
    second = client.get("/search/", {"query": "marmalade", "page": 2}).content.decode()
    assert second.count('class="search-result"') == 2


def test_sitemap_lists_live_pages_only(demo, home_page_draft, client):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    xml = response.content.decode()
    root = Site.objects.get(is_default_site=True).root_url
    assert f"<loc>{root}/for-professionals/</loc>" in xml
    assert f"<loc>{root}/</loc>" in xml
    assert "secret-draft" not in xml


@pytest.fixture
def home_page_draft(demo):
    from home.models import HomePage

    return ContentPageFactory(parent=HomePage.objects.get(), slug="secret-draft", live=False)


def test_robots_txt_points_at_the_sitemap(db, client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    body = response.content.decode()
    assert "Disallow: /admin/" in body
    assert "Sitemap: http://testserver/sitemap.xml" in body


def test_404_page_helps_the_visitor_on(demo, client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1>Page not found</h1>" in html
    assert 'action="/search/"' in html
    assert '<a href="/">home page</a>' in html
    assert len(re.findall(r"<h1[\s>]", html)) == 1


def test_500_page_renders_without_the_database():
    # No db fixture: pytest-django fails this test if the handler touches the database.
    response = views.server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    html = response.content.decode()
    assert "<h1>Sorry, something went wrong</h1>" in html
    assert '<html lang="en-GB">' in html
    assert '<a class="skip-link" href="#main">' in html


@pytest.mark.parametrize("query", ['"', 'a"b', "\x00", "co-production\x1f"])
def test_search_syntax_characters_never_give_a_500(demo, client, query):
    assert client.get("/search/", {"query": query}).status_code == 200


def test_demo_site_and_sitemap_follow_site_url(db, settings, client, django_capture_on_commit_callbacks):
    settings.SITE_URL = "https://lived.example.org"
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_demo_content", verbosity=0)
    site = Site.objects.get(is_default_site=True)
    assert (site.hostname, site.port) == ("lived.example.org", 443)
    xml = client.get("/sitemap.xml").content.decode()
    assert "<loc>https://lived.example.org/for-professionals/</loc>" in xml
    assert "localhost" not in xml
