import re

import pytest
from wagtail.models import Page

from home.models import ContentPage, HomePage

from .factories import ContentPageFactory


def test_home_page_lives_only_under_the_tree_root(home_page):
    root = Page.get_first_root_node()
    assert HomePage.allowed_parent_page_models() == [Page]
    assert not HomePage.can_exist_under(home_page)
    # max_count 1: with one home page in place, no second one can be added anywhere.
    assert not HomePage.can_create_at(root)


def test_first_home_page_can_be_created_at_the_root(db):
    assert HomePage.objects.count() == 0
    assert HomePage.can_create_at(Page.get_first_root_node())


def test_content_pages_go_under_the_home_page_or_other_content_pages(home_page):
    section = ContentPageFactory(parent=home_page)
    assert ContentPage.can_create_at(home_page)
    assert ContentPage.can_create_at(section)
    assert not ContentPage.can_create_at(Page.get_first_root_node())
    assert set(ContentPage.allowed_parent_page_models()) == {HomePage, ContentPage}


def test_home_page_accepts_content_pages_as_children(home_page):
    assert ContentPage in home_page.specific_class.allowed_subpage_models()
    assert home_page.specific_class.is_creatable


def test_search_fields_cover_summary_body_and_intro():
    names = {field.field_name for field in HomePage.search_fields}
    assert {"title", "summary", "body", "intro"} <= names
    assert {"title", "summary", "body"} <= {field.field_name for field in ContentPage.search_fields}


def h1s(html: str) -> list[str]:
    return re.findall(r"<h1[\s>]", html)


@pytest.mark.parametrize("url", ["/", "/for-professionals/"])
def test_every_page_type_renders_with_demo_content(demo, client, url):
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en-GB">' in html
    assert len(h1s(html)) == 1
    assert '<a class="skip-link" href="#main">' in html
    assert '<main id="main"' in html
    for landmark in ("<header", "<nav", "<footer"):
        assert landmark in html


def test_home_page_shows_intro_and_call_to_action(demo, client):
    html = client.get("/").content.decode()
    assert "We are people with lived experience of mental health services." in html
    assert '<a class="button" href="/for-professionals/">How we work with professionals</a>' in html


def test_content_page_has_breadcrumbs_back_home(demo, client):
    html = client.get("/for-professionals/").content.decode()
    assert '<nav class="breadcrumbs" aria-label="Breadcrumb">' in html
    assert '<li><a href="/">Home</a></li>' in html


def test_breadcrumbs_of_a_nested_page_list_every_ancestor(home_page, client):
    section = ContentPageFactory(parent=home_page, title="About us", slug="about")
    child = ContentPageFactory(parent=section, title="Our team", slug="team")
    html = client.get("/about/team/").content.decode()
    crumbs = re.findall(r'<li><a href="([^"]+)">([^<]+)</a></li>', html.split('aria-label="Breadcrumb"')[1])
    assert crumbs[:2] == [("/", "Home"), ("/about/", "About us")]
    # Outside a request's route (e.g. a preview) the same list comes from the database.
    assert [p.title for p in child.breadcrumb_pages(request=object())] == [home_page.title, "About us"]


def test_draft_content_page_is_not_served(home_page, client):
    ContentPageFactory(parent=home_page, slug="draft", live=False)
    assert client.get("/draft/").status_code == 404
