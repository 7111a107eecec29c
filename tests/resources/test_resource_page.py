import re

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory

from resources.models import ResourceKind, ResourcePage

from .factories import ResourcePageFactory

pytestmark = pytest.mark.django_db


def render_card(resource, **extra):
    return render_to_string("resources/components/resource_card.html", {"resource": resource, **extra})


def test_card_marks_external_links_visibly_and_for_screen_readers(index_page):
    resource = ResourcePageFactory(
        parent=index_page, title="CoProNet Wales", link_url="https://copronet.wales/", tags=["wales"]
    )
    html = render_card(resource)
    # The marker is inside the link, as visible text, so it is both seen and announced.
    link = re.search(r'<a href="https://copronet.wales/" rel="external">(.*?)</a>', html, re.S)
    assert link is not None
    assert re.sub(r"<[^>]+>", "", link.group(1)).strip() == "CoProNet Wales (external site)"
    assert '<h3 class="resource-card__title">' in html
    assert "Organisation</p>" in html
    assert resource.summary in html
    assert "Topics:" in html and "wales" in html
    assert "style=" not in html and "<script" not in html


def test_card_links_a_document_resource_to_its_document(index_page):
    resource = ResourcePageFactory(parent=index_page, title="Checklist", as_document=True)
    html = render_card(resource)
    assert f'<a href="{resource.document.url}">' in html
    assert "(TXT document)" in html
    assert "external site" not in html
    assert "Document</p>" in html


def test_card_heading_level_and_tag_links_are_optional(index_page):
    resource = ResourcePageFactory(parent=index_page, title="A film", as_video=True, tags=["video"])
    assert '<a href="/resources/?tag=video">video</a>' not in render_card(resource)
    html = render_card(resource, heading_level=2, tag_filter_url="/resources/")
    assert '<h2 class="resource-card__title">' in html
    assert '<a href="/resources/?tag=video">video</a>' in html


def test_card_renders_for_a_resource_fetched_without_prefetching(index_page, django_assert_max_num_queries):
    ResourcePageFactory(parent=index_page, title="Plain", tags=["a", "b"])
    resource = ResourcePage.objects.get(title="Plain")
    with django_assert_max_num_queries(2):
        html = render_card(resource)
    assert "a, b" in html


def test_detail_page_shows_title_summary_and_link(client, index_page, django_assert_max_num_queries):
    resource = ResourcePageFactory(
        parent=index_page,
        title="Think Local Act Personal",
        link_url="https://www.thinklocalactpersonal.org.uk/",
        summary="A partnership for personal care and support.",
        tags=["organisations"],
    )
    client.get(resource.url)  # warm per-process caches (content types, site root paths)
    with django_assert_max_num_queries(12):
        response = client.get(resource.url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Think Local Act Personal</h1>" in html
    assert "A partnership for personal care and support." in html
    assert re.search(
        r'href="https://www.thinklocalactpersonal.org.uk/" rel="external">\s*Visit their website '
        r'<span class="resource__external">\(external site\)</span>',
        html,
    )
    assert '<a href="/resources/?tag=organisations">organisations</a>' in html
    assert '<a href="/resources/">All resources</a>' in html
    assert "Think Local Act Personal |" in html.split("</title>")[0]


def test_detail_page_for_a_document(client, index_page):
    resource = ResourcePageFactory(parent=index_page, title="Checklist", as_document=True)
    html = client.get(resource.url).content.decode()
    assert f'href="{resource.document.url}">Download Checklist' in html
    assert "(TXT, 17" in html  # extension and file size


def test_detail_page_when_the_document_has_been_deleted(client, index_page):
    resource = ResourcePageFactory(parent=index_page, title="Checklist", as_document=True)
    resource.document.delete()
    html = client.get(resource.url).content.decode()
    assert "This document is no longer available." in html


def test_draft_resource_can_be_previewed(index_page):
    resource = ResourcePageFactory(parent=index_page, title="Film", kind=ResourceKind.VIDEO)
    resource.title = "Film (new cut)"
    request = RequestFactory().get("/")
    request.user = None
    response = resource.make_preview_request(request)
    assert response.status_code == 200
    assert "<h1>Film (new cut)</h1>" in response.render().content.decode()
