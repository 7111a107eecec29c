"""Public pages work under `script-src 'self'; style-src 'self'`: no inline code or styles."""

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpResponse
from django.test import RequestFactory
from wagtail.models import Page

from config.middleware import PreviewAwareCSPMiddleware

PAGES = ["/", "/for-professionals/", "/search/?query=co-production", "/no-such-page/"]


def assert_no_inline_code(html: str):
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag, f"inline script: {tag}"
    assert not re.search(r"<script\b[^>]*>\s*[^<\s]", html), "script element with a body"
    assert "<style" not in html
    assert not re.search(r"\sstyle\s*=", html), "inline style attribute"
    assert not re.search(r"\son[a-z]+\s*=", html), "inline event handler"
    assert "javascript:" not in html


@pytest.mark.parametrize("url", PAGES)
def test_public_pages_have_no_inline_scripts_or_styles(demo, client, url):
    response = client.get(url)
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert_no_inline_code(response.content.decode())


def test_pages_load_nothing_from_other_sites(demo, client):
    for url in PAGES:
        html = client.get(url).content.decode()
        assets = re.findall(r'<(?:script|link|img|iframe)\b[^>]*(?:src|href)="([^"]+)"', html)
        assert assets, url
        assert all(a.startswith("/") for a in assets), (url, assets)


def test_500_page_has_no_inline_code():
    from django.test import RequestFactory

    from home.views import server_error

    assert_no_inline_code(server_error(RequestFactory().get("/")).content.decode())


def test_wagtail_preview_may_frame_the_page_but_the_public_site_may_not():
    middleware = PreviewAwareCSPMiddleware(lambda request: HttpResponse("page"))
    public = RequestFactory().get("/for-professionals/")
    preview = RequestFactory().get("/for-professionals/")
    preview.is_dummy = True  # what Wagtail sets on the request it renders a preview with
    assert "frame-ancestors 'none'" in middleware(public)["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in middleware(preview)["Content-Security-Policy"]
    assert "frame-ancestors 'none'" not in middleware(preview)["Content-Security-Policy"]
    assert "script-src 'self'" in middleware(preview)["Content-Security-Policy"]


def test_a_real_wagtail_preview_keeps_the_strict_policy_but_may_be_framed(demo, admin_user):
    """Wagtail's own preview machinery runs the whole middleware stack on its dummy request."""
    page = Page.objects.get(url_path__endswith="/for-professionals/").specific
    editor = RequestFactory().get(f"/admin/pages/{page.pk}/edit/preview/")
    editor.user, editor.session = admin_user, SessionStore()
    response = page.make_preview_request(editor, page.default_preview_mode)
    policy = response["Content-Security-Policy"]
    assert response.status_code == 200
    assert "frame-ancestors 'self'" in policy and "frame-ancestors 'none'" not in policy
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "private" in response["Cache-Control"] and "public" not in response["Cache-Control"]
    anonymous = RequestFactory().get("/for-professionals/")
    anonymous.user, anonymous.session = AnonymousUser(), SessionStore()
    assert (
        "frame-ancestors 'none'"
        in PreviewAwareCSPMiddleware(lambda r: HttpResponse())(anonymous)["Content-Security-Policy"]
    )
