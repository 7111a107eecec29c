import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import PageViewRestriction

from resources.models import RESOURCES_PER_PAGE, ResourceKind

from .factories import ResourcePageFactory

pytestmark = pytest.mark.django_db


def card_titles(response) -> list[str]:
    html = response.content.decode()
    return [t.strip() for t in re.findall(r'class="resource-card__title">\s*<a [^>]*>([^<]+)', html)]


@pytest.fixture
def library(index_page):
    """Four resources across kinds and topics, in tree order."""
    return {
        "tlap": ResourcePageFactory(parent=index_page, title="Alpha network", tags=["organisations"]),
        "video": ResourcePageFactory(
            parent=index_page, title="Blobs film", as_video=True, tags=["video", "getting started"]
        ),
        "checklist": ResourcePageFactory(
            parent=index_page, title="Checklist", as_document=True, tags=["planning", "getting started"]
        ),
        "draft": ResourcePageFactory(parent=index_page, title="Unpublished thing", live=False),
    }


def test_index_lists_live_resources_in_tree_order(client, library):
    response = client.get("/resources/")
    assert response.status_code == 200
    assert card_titles(response) == ["Alpha network", "Blobs film", "Checklist"]
    html = response.content.decode()
    assert "<h1>Resources</h1>" in html
    assert "Things we have found useful." in html
    assert "3 resources" in html
    assert "Unpublished thing" not in html


def test_filter_form_is_labelled_and_submits_without_javascript(client, library):
    html = client.get("/resources/").content.decode()
    assert '<form method="get" action="/resources/">' in html
    assert '<label for="resource-filter-kind">Kind of resource</label>' in html
    assert '<select id="resource-filter-kind" name="kind">' in html
    assert '<label for="resource-filter-tag">Topic</label>' in html
    assert '<button type="submit">Show resources</button>' in html
    # Only topics some live resource uses are offered.
    assert re.findall(r'<option value="([a-z-]+)"', html.split('name="tag"')[1]) == [
        "getting-started",
        "organisations",
        "planning",
        "video",
    ]


def test_filter_by_kind(client, library):
    response = client.get("/resources/", {"kind": "video"})
    assert card_titles(response) == ["Blobs film"]
    html = response.content.decode()
    assert '<option value="video" selected>Video</option>' in html
    assert "resources of kind <strong>Video</strong>" in html
    assert '<a href="/resources/">Clear filters</a>' in html


def test_filter_by_tag_from_a_card_link(client, library):
    html = client.get("/resources/").content.decode()
    assert '<a href="/resources/?tag=getting-started">getting started</a>' in html
    response = client.get("/resources/?tag=getting-started")
    assert card_titles(response) == ["Blobs film", "Checklist"]
    assert "on the topic <strong>getting started</strong>" in response.content.decode()


def test_form_submission_with_empty_choices_shows_everything(client, library):
    response = client.get("/resources/", {"kind": "", "tag": ""})
    assert card_titles(response) == ["Alpha network", "Blobs film", "Checklist"]
    assert "Clear filters" not in response.content.decode()


def test_combined_filters(client, library):
    response = client.get("/resources/", {"kind": "document", "tag": "getting-started"})
    assert card_titles(response) == ["Checklist"]
    response = client.get("/resources/", {"kind": "organisation", "tag": "getting-started"})
    assert card_titles(response) == []
    html = response.content.decode()
    assert "No resources match these filters." in html
    assert '<a href="/resources/">Clear the filters to see every resource</a>' in html


@pytest.mark.parametrize(
    ("params", "notice"),
    [
        ({"kind": "podcast"}, "We do not have that kind of resource"),
        ({"tag": "no-such-topic"}, "We could not find that topic"),
        ({"kind": "<script>"}, "We do not have that kind of resource"),
    ],
)
def test_unknown_filters_are_ignored_with_a_message(client, library, params, notice):
    response = client.get("/resources/", params)
    assert response.status_code == 200
    assert card_titles(response) == ["Alpha network", "Blobs film", "Checklist"]
    html = response.content.decode()
    assert notice in html
    assert "<script>" not in html.split("<main")[1]


def test_a_topic_only_used_by_drafts_is_not_offered_or_applied(client, index_page):
    ResourcePageFactory(parent=index_page, title="Live one", tags=["shared"])
    ResourcePageFactory(parent=index_page, title="Draft one", live=False, tags=["secret"])
    html = client.get("/resources/", {"tag": "secret"}).content.decode()
    assert 'value="secret"' not in html
    assert "We could not find that topic" in html


def test_a_private_resource_is_left_out_of_the_listing(client, library):
    PageViewRestriction.objects.create(
        page=library["video"], restriction_type=PageViewRestriction.PASSWORD, password="secret"
    )
    assert card_titles(client.get("/resources/")) == ["Alpha network", "Checklist"]
    # ... and its topics are not offered either ("video" was only on that resource).
    assert 'value="video"' not in client.get("/resources/").content.decode().split('name="tag"')[1]


def test_empty_index_says_so(client, index_page):
    html = client.get("/resources/").content.decode()
    assert "There are no resources here yet." in html
    assert 'class="pagination"' not in html


@pytest.fixture
def many(index_page):
    # Two full pages and one resource over, all videos tagged "video", plus one organisation.
    for n in range(2 * RESOURCES_PER_PAGE + 1):
        ResourcePageFactory(parent=index_page, title=f"Film {n:02d}", as_video=True, tags=["video"])
    ResourcePageFactory(parent=index_page, title="Zeta network")


def test_pagination_nav_is_accessible_and_keeps_filters(client, many):
    response = client.get("/resources/", {"kind": "video"})
    titles = card_titles(response)
    assert titles == [f"Film {n:02d}" for n in range(RESOURCES_PER_PAGE)]
    html = response.content.decode()
    assert '<nav class="pagination" aria-label="Pages of resources">' in html
    assert 'aria-current="page"' in html
    assert re.search(r'href="/resources/\?kind=video" aria-current="page">.*?1</a>', html)
    assert 'href="/resources/?kind=video&amp;page=2" rel="next"' in html
    assert 'rel="prev"' not in html


def test_second_page(client, many):
    response = client.get("/resources/", {"kind": "video", "page": "2"})
    second = range(RESOURCES_PER_PAGE, 2 * RESOURCES_PER_PAGE)
    assert card_titles(response) == [f"Film {n:02d}" for n in second]
    html = response.content.decode()
    assert 'href="/resources/?kind=video" rel="prev"' in html
    assert re.search(r'href="/resources/\?kind=video&amp;page=2" aria-current="page"', html)
    assert "(page 2)" in html.split("</title>")[0]


def test_page_past_the_end_is_not_found(client, many):
    assert client.get("/resources/", {"kind": "video", "page": "3"}).status_code == 200
    assert client.get("/resources/", {"kind": "video", "page": "4"}).status_code == 404
    assert client.get("/resources/", {"page": "999999999999999999999"}).status_code == 404


@pytest.mark.parametrize("number", ["abc", "0", "-1", "1.5", ""])
def test_garbage_page_numbers_show_the_first_page(client, many, number):
    response = client.get("/resources/", {"kind": "video", "page": number})
    assert response.status_code == 200
    assert card_titles(response)[0] == "Film 00"


def test_a_rejected_filter_is_not_carried_into_page_links(client, many):
    html = client.get("/resources/", {"kind": "podcast"}).content.decode()
    assert 'href="/resources/?page=2" rel="next"' in html
    assert "podcast" not in html


def _count_queries(client, url):
    client.get(url)  # warm per-process caches (content types, site root paths)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", ["/resources/", "/resources/?tag=planning&kind=document"])
def test_index_runs_the_same_few_queries_whatever_the_size(
    client, index_page, url, django_assert_max_num_queries
):
    def add(count, start):
        for n in range(start, start + count):
            ResourcePageFactory(
                parent=index_page, as_document=n % 2 == 0, tags=["planning", f"topic {n}", f"extra {n}"]
            )

    add(3, 0)
    few = _count_queries(client, url)
    add(37, 3)
    many = _count_queries(client, url)
    assert many == few, f"{few} queries with 3 resources, {many} with 40"
    print(f"index queries: {many}")
    with django_assert_max_num_queries(12):
        client.get(url)


def test_resource_kinds_offered_are_the_four_kinds(client, index_page):
    html = client.get("/resources/").content.decode()
    offered = re.findall(r'<option value="([a-z]+)"', html.split('name="kind"')[1].split("</select>")[0])
    assert offered == [kind.value for kind in ResourceKind]
