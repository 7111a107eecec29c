"""Routing notes the pages it passes (home/route_trail.py): breadcrumbs and view restrictions come
from them without a query of their own, and the answer is the one Wagtail itself would give."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import Page, PageViewRestriction

from .factories import ContentPageFactory


@pytest.fixture
def tree(home_page):
    section = ContentPageFactory(parent=home_page, title="Marmalade section", slug="section")
    middle = ContentPageFactory(parent=section, title="Marmalade middle", slug="middle")
    leaf = ContentPageFactory(parent=middle, title="Marmalade leaf", slug="leaf")
    return home_page, section, middle, leaf


def get(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    return response, [q["sql"] for q in ctx.captured_queries]


def test_breadcrumbs_and_restrictions_come_from_the_route(client, tree):
    client.get("/section/middle/leaf/")  # fill the site cache
    response, queries = get(client, "/section/middle/leaf/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Marmalade section</a>" in html and "Marmalade middle</a>" in html
    # Wagtail's own check first lists the ancestors (path IN ...); the trail makes that needless.
    ancestors_only = 'SELECT "wagtailcore_page"."id", "wagtailcore_page"."alias_of_id" FROM'
    assert not [q for q in queries if q.startswith(ancestors_only)]
    assert len([q for q in queries if "wagtailcore_pageviewrestriction" in q]) == 1
    # Pages passed through are not fetched again in their specific type: one query each.
    assert len([q for q in queries if "home_contentpage" in q]) == 1


@pytest.mark.parametrize("restricted", ["section", "middle", "leaf", "tree root", "home"])
def test_a_restriction_anywhere_above_still_applies(client, tree, restricted):
    home, section, middle, leaf = tree
    page = {
        "section": section,
        "middle": middle,
        "leaf": leaf,
        "home": home,
        "tree root": Page.get_first_root_node(),
    }[restricted]
    assert client.get("/section/middle/leaf/").status_code == 200
    PageViewRestriction.objects.create(page=page, restriction_type=PageViewRestriction.LOGIN)
    response = client.get("/section/middle/leaf/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_password_on_the_page_shows_the_password_form(client, tree):
    PageViewRestriction.objects.create(
        page=tree[3], restriction_type=PageViewRestriction.PASSWORD, password="marmalade"
    )
    response = client.get("/section/middle/leaf/")
    assert response.status_code == 200
    assert 'name="password"' in response.content.decode()


def test_an_alias_follows_its_source_pages_restrictions(client, tree):
    home, section, middle, leaf = tree
    other = ContentPageFactory(parent=home, slug="other")
    alias = leaf.create_alias(parent=other, update_slug="leaf-alias")
    assert client.get("/other/leaf-alias/").status_code == 200
    # Wagtail checks an alias's source page in its place (Page.get_view_restrictions).
    PageViewRestriction.objects.create(page=leaf, restriction_type=PageViewRestriction.LOGIN)
    assert alias.alias_of_id == leaf.pk
    response = client.get("/other/leaf-alias/")
    assert response.status_code == 302 and "/login/" in response["Location"]
