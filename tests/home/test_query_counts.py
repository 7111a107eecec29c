"""Every public page costs a fixed number of queries, however much content it shows.

Each page is measured with a little content (3 of everything) and with ten times as much (30
of everything: rungs, testimonials, images, calls to action, videos, resources, navigation
links); the counts must be equal and within the budget in docs/performance.md (at most 12).

"Warm" means the site cache (navigation, footer, ladder: see home/site_cache.py) is filled, as
on every request but the first after an edit; "cold" pins what that first request costs.
"""

import os

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import Site

from home.models import NavigationLink, SiteChrome

from .factories import (
    ContentPageFactory,
    ImageFactory,
    LadderRungFactory,
    TestimonialFactory,
    make_rendition,
    stream,
)

BUDGET = 12
# SiteChrome row, navigation links, footer links, ladder rungs, and Wagtail's own cached site root paths
COLD_EXTRA = 5

resources_models = pytest.importorskip("resources.models")


def add_content(home, resource_index, chrome, n, slug):
    """n more of everything site-wide, and a page at /slug/ using n of each in every block type."""
    LadderRungFactory.create_batch(n)
    testimonials = TestimonialFactory.create_batch(n)
    targets = [
        ContentPageFactory(parent=home, title=f"Marmalade target {slug} {i}", slug=f"{slug}-target-{i}")
        for i in range(n)
    ]
    for i, target in enumerate(targets):
        chrome.navigation_links.add(NavigationLink(label=f"{slug} {i}", link_page=target))
    chrome.save()
    images = [ImageFactory() for _ in range(n)]
    for image in images:
        make_rendition(image)
    resources = [
        resource_index.add_child(
            instance=resources_models.ResourcePage(
                title=f"Marmalade resource {slug} {i}",
                slug=f"{slug}-resource-{i}",
                kind="organisation",
                summary="An organisation.",
                link_url=f"https://example.org/{slug}/{i}/",
            )
        )
        for i in range(n)
    ]
    body = [
        ("rich_text", "<p>Words.</p>"),
        ("heading", {"text": "A heading", "level": "h2"}),
        ("quote", {"text": "A quote.", "attribution": "Someone"}),
        ("ladder", {"heading": "Ladder"}),
        ("testimonials", {"testimonials": [t.pk for t in testimonials]}),
        ("testimonials", {"testimonials": [], "latest_count": min(n, 12)}),
        ("resource_list", {"heading": "Resources", "resources": [r.pk for r in resources]}),
    ]
    for i in range(n):
        body.append(("image", {"image": images[i].pk, "alt_text": f"Image {i}"}))
        body.append(("call_to_action", {"text": f"Go {i}", "page": targets[i].pk}))
        stored = {"type": "video", "html": "<iframe></iframe>", "provider_name": "Example"}
        film = {"title": f"Film {i}", "video": f"https://example.org/film/{i}", "summary": "S."}
        body.append(("video", {**film, "stored_embed": stored}))
    ContentPageFactory(parent=home, slug=slug, body=stream(*body))


def count(client, url, *, cold):
    if cold:
        cache.clear()
    else:
        client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code in (200, 404), url
    if os.environ.get("SHOW_QUERIES"):
        print(url, *[q["sql"][:160] for q in ctx.captured_queries], sep="\n  ")
    return len(ctx.captured_queries)


@pytest.fixture
def scaled_site(home_page):
    index = resources_models.ResourceIndexPage(title="Resources", slug="resources")
    home_page.add_child(instance=index)
    chrome = SiteChrome.for_site(Site.objects.get(is_default_site=True))
    return home_page, index, chrome


URLS = ["/", "/content/", "/search/?query=marmalade", "/no-such-page/"]


def measure(client):
    return {
        (url, state): count(client, url.replace("/content/", client.content_url), cold=state == "cold")
        for url in URLS
        for state in ("warm", "cold")
    }


def test_public_pages_cost_the_same_for_3_or_30_of_everything(scaled_site, client, search_indexing):
    home = scaled_site[0]
    home.body = stream(("testimonials", {"testimonials": [], "latest_count": 12}), ("ladder", {}))
    home.save()

    with search_indexing():
        add_content(*scaled_site, n=3, slug="small")
    client.content_url = "/small/"
    assert "Marmalade resource small 0" in client.get("/search/?query=marmalade").content.decode()
    small = measure(client)
    with search_indexing():
        add_content(*scaled_site, n=30, slug="large")
    client.content_url = "/large/"
    large = measure(client)

    search = [key for key in large if key[0].startswith("/search/")]
    assert {k: v for k, v in large.items() if k not in search} == {
        k: v for k, v in small.items() if k not in search
    }
    # Search fetches each page type on the results page in one query, so it varies with the
    # mix of types shown (on PostgreSQL, ranking may fill page 1 with one type), never with
    # the number of matches. The small site already shows every type on its one page.
    for key in search:
        assert large[key] <= small[key], key
    for (url, state), queries in large.items():
        assert queries <= BUDGET + (COLD_EXTRA if state == "cold" else 0), (url, state, queries)


def test_demo_pages_stay_within_budget(demo, client, django_assert_max_num_queries):
    for url in ("/", "/for-professionals/", "/search/?query=co-production", "/missing/"):
        client.get(url)
        with django_assert_max_num_queries(BUDGET):
            client.get(url)


DATABASE_CACHE = {
    "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "cache_table"}
}


@pytest.mark.parametrize("url", ["/", "/for-professionals/", "/for-professionals/book-a-chat/"])
def test_demo_pages_stay_within_budget_on_the_database_cache(
    demo, client, settings, url, django_assert_max_num_queries
):
    # The production default without REDIS_URL: each cache read (navigation and footer, ladder,
    # Wagtail's site root paths) is a query as well. /for-professionals/ took 13 before routing
    # stopped reading its ancestors again for view restrictions (home/route_trail.py).
    settings.CACHES = DATABASE_CACHE
    client.get(url)
    with django_assert_max_num_queries(BUDGET):
        assert client.get(url).status_code == 200
