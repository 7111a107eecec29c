"""The anonymous page cache (home/page_cache.py, docs/performance.md "Page cache")."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from wagtail.models import Page, PageViewRestriction

from config.cache import ReusingRedisCacheClient
from config.middleware import CacheControlMiddleware
from home import page_cache
from home.page_cache import HEADER, PageCacheMiddleware
from tests.support.wsgi import Recorder, environ, serve

from .factories import ContentPageFactory, TestimonialFactory, stream


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 300


@pytest.fixture
def committing(django_capture_on_commit_callbacks):
    """Edits whose on-commit invalidation runs, as after a real transaction."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_second_anonymous_get_is_a_hit_with_no_queries(home_page, client):
    first = client.get("/")
    assert first.status_code == 200
    assert first[HEADER] == "miss"
    with CaptureQueriesContext(connection) as ctx:
        second = client.get("/")
    assert second[HEADER] == "hit"
    assert len(ctx.captured_queries) == 0
    assert second.content == first.content
    assert "public" in second["Cache-Control"]


def test_a_publish_shows_on_the_next_request(home_page, client, committing):
    client.get("/")
    assert client.get("/")[HEADER] == "hit"
    home_page.intro = "Freshly published marmalade."
    with committing():
        home_page.save_revision().publish()
    response = client.get("/")
    assert response[HEADER] == "miss"
    assert "Freshly published marmalade." in response.content.decode()


def test_a_draft_is_not_shown_and_keeps_the_cache(home_page, client):
    client.get("/")
    home_page.intro = "Unpublished draft marmalade."
    home_page.save_revision()
    response = client.get("/")
    assert response[HEADER] == "hit"
    assert "Unpublished draft marmalade." not in response.content.decode()


def test_unpublishing_clears(home_page, client, committing):
    page = ContentPageFactory(parent=home_page, slug="going")
    assert client.get("/going/").status_code == 200
    assert client.get("/going/")[HEADER] == "hit"
    with committing():
        page.unpublish()
    assert client.get("/going/").status_code == 404


def test_moving_clears(home_page, client, committing):
    page = ContentPageFactory(parent=home_page, slug="moving")
    target = ContentPageFactory(parent=home_page, slug="elsewhere")
    client.get("/moving/")
    assert client.get("/moving/")[HEADER] == "hit"
    with committing():
        page.move(target, pos="last-child")
    moved = client.get("/moving/")  # Wagtail leaves a redirect from the old address
    assert (moved.status_code, moved["Location"]) == (301, "/elsewhere/moving/")
    assert client.get("/elsewhere/moving/").status_code == 200


def test_deleting_a_page_clears(home_page, client, committing):
    page = ContentPageFactory(parent=home_page, slug="deleted")
    client.get("/deleted/")
    with committing():
        Page.objects.get(pk=page.pk).delete()
    assert client.get("/deleted/").status_code == 404


def test_making_a_page_private_clears(home_page, client, committing):
    page = ContentPageFactory(parent=home_page, slug="members")
    client.get("/members/")
    assert client.get("/members/")[HEADER] == "hit"
    with committing():
        PageViewRestriction.objects.create(page=page, restriction_type=PageViewRestriction.LOGIN)
    response = client.get("/members/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_a_testimonial_change_clears(home_page, client, committing):
    testimonial = TestimonialFactory(quote="The old quote about marmalade.")
    home_page.body = stream(("testimonials", {"testimonials": [], "latest_count": 3}))
    home_page.save_revision().publish()
    assert "The old quote about marmalade." in client.get("/").content.decode()
    assert client.get("/")[HEADER] == "hit"
    testimonial.quote = "The new quote about marmalade."
    with committing():
        testimonial.save()
    response = client.get("/")
    assert "The new quote about marmalade." in response.content.decode()


def test_a_signed_in_user_is_never_served_from_nor_stored_in_the_cache(home_page, client):
    client.get("/")
    assert client.get("/")[HEADER] == "hit"
    user = get_user_model().objects.create_user("editor", password="x")
    client.force_login(user)
    for _ in range(2):
        response = client.get("/")
        assert response.status_code == 200
        assert HEADER not in response
    client.logout()
    client.cookies.clear()
    home_page.intro = "Seen by the signed-in editor."
    home_page.save_revision().publish()  # no commit: the anonymous copy stays cached
    assert client.get("/")[HEADER] == "hit"


@pytest.mark.parametrize(
    "url",
    [
        "/search/?query=marmalade",
        "/?utm_source=elsewhere",
        "/bookings/manage/not-a-real-token/",
        "/bookings/feedback/not-a-real-token/",
        "/bookings/waiting-list/not-a-real-token/",
        "/partners/",
        "/admin/login/",
        "/accounts/login/",
    ],
)
def test_personal_and_query_pages_are_never_cached(home_page, client, url):
    for _ in range(2):
        response = client.get(url)
        assert HEADER not in response, url


def _stack(view):
    return PageCacheMiddleware(CacheControlMiddleware(view))


def test_a_response_that_used_a_csrf_token_is_not_stored(db, rf: RequestFactory):
    # A Wagtail page whose template has {% csrf_token %} calls get_token; CsrfViewMiddleware
    # then sets the cookie and adds Vary: Cookie, both of which the cache refuses.
    from django.middleware.csrf import CsrfViewMiddleware

    calls = []

    def form_page(request):
        calls.append(1)
        return HttpResponse(
            f'<form method="post"><input name="csrfmiddlewaretoken" value="{get_token(request)}">'
        )

    stack = _stack(CsrfViewMiddleware(form_page))
    for _ in range(2):
        response = stack(rf.get("/a-form/"))
        assert HEADER not in response
    assert len(calls) == 2


def test_a_plain_public_response_is_stored_and_a_no_cache_one_is_not(db, rf: RequestFactory):
    calls = []

    def plain(request):
        calls.append(1)
        return HttpResponse("plain")

    def booking_step(request):
        calls.append(1)
        response = HttpResponse("step")
        response["Cache-Control"] = "no-cache"
        return response

    assert _stack(plain)(rf.get("/plain/"))[HEADER] == "miss"
    assert _stack(plain)(rf.get("/plain/"))[HEADER] == "hit"
    for _ in range(2):
        assert HEADER not in _stack(booking_step)(rf.get("/step/"))
    assert len(calls) == 3


def test_a_response_that_varies_on_more_than_cookie_is_not_stored(db, rf: RequestFactory):
    # The key is the URL alone (home/page_cache.py), so one copy must fit every request.
    calls = []

    def by_language(request):
        calls.append(1)
        response = HttpResponse("bonjour")
        response["Vary"] = "Cookie, Accept-Language"
        return response

    for _ in range(2):
        assert HEADER not in _stack(by_language)(rf.get("/by-language/"))
    assert len(calls) == 2


def test_a_page_stored_under_an_old_token_is_rendered_again(db, rf: RequestFactory, committing):
    calls = []

    def plain(request):
        calls.append(1)
        return HttpResponse(f"version {len(calls)}")

    assert _stack(plain)(rf.get("/plain/"))[HEADER] == "miss"
    with committing():
        page_cache.clear_pages()
    response = _stack(plain)(rf.get("/plain/"))
    assert (response[HEADER], response.content) == ("miss", b"version 2")
    assert _stack(plain)(rf.get("/plain/")).content == b"version 2"


def test_in_front_of_django_a_hit_is_the_stored_answer_and_django_never_runs(home_page, wsgi_requests):
    django = Recorder()
    front = page_cache.serve_hits(django)
    status, headers, body = serve(front, environ())
    assert (status, headers[HEADER], django.calls) == ("200 OK", "miss", 1)
    hit_status, hit_headers, hit_body = serve(front, environ())
    assert django.calls == 1
    assert (hit_status, hit_body) == (status, body)
    assert hit_headers == {**headers, HEADER: "hit"}  # the security headers included


def test_in_front_of_django_everything_else_goes_to_django(home_page, settings, wsgi_requests):
    django = Recorder()
    front = page_cache.serve_hits(django)
    serve(front, environ())
    assert serve(front, environ(HTTP_COOKIE=f"{settings.SESSION_COOKIE_NAME}=abc"))[1].get(HEADER) is None
    status, _, _ = serve(front, environ(HTTP_HOST="elsewhere.example"))
    assert status.startswith("400")  # Django refuses the Host, as without the page cache
    assert serve(front, environ("/", QUERY_STRING="utm_source=x"))[1].get(HEADER) is None
    assert django.calls == 4


def test_the_redis_cache_keeps_one_client_per_pool():
    # Django's own builds a redis.Redis per operation (config/cache.py); no connection is made here.
    client = ReusingRedisCacheClient(["redis://127.0.0.1:6379/0"])
    assert client.get_client() is client.get_client(write=True)


DATABASE_CACHE = {
    "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "cache_table"}
}
# With the database cache every cache read and write is a query. A hit: one read of the generation
# token and the page together (get_many). A miss adds, to the page's own queries, that read and
# the write of the page: 1 + 5 for a write (count for culling, savepoint, select, insert,
# release; the savepoints only inside a test's transaction) (docs/performance.md).
HIT_QUERIES_DATABASE_CACHE = 1
MISS_EXTRA_QUERIES_DATABASE_CACHE = 6
# The new token also retires the cached Site lookup (home/site_lookup.py): the first page after
# it asks Wagtail's query again, loads the root page in its own class (which every page routed
# while the Site is cached no longer asks) and writes the answer (1 + 1 + 5).
SITE_RELOOKUP_QUERIES_DATABASE_CACHE = 7


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries), response.get(HEADER)


@pytest.mark.parametrize("url", ["/", "/for-professionals/"])
def test_with_the_database_cache_a_hit_costs_one_query_and_a_miss_a_fixed_few_more(
    demo, client, settings, committing, url
):
    settings.CACHES = DATABASE_CACHE
    settings.PAGE_CACHE_SECONDS = 0
    client.get(url)  # fill the site cache (navigation, footer, ladder)
    rendered, _ = _queries(client, url)

    settings.PAGE_CACHE_SECONDS = 300
    client.get(url)  # the generation token exists from now on
    with committing():
        page_cache.clear_pages()
    missed, header = _queries(client, url)
    assert header == "miss"
    assert missed - rendered == MISS_EXTRA_QUERIES_DATABASE_CACHE + SITE_RELOOKUP_QUERIES_DATABASE_CACHE
    assert _queries(client, url) == (HIT_QUERIES_DATABASE_CACHE, "hit")
