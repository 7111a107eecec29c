"""Rough edges of the site's chrome, measured in a real browser on the demo content: the resource
filter, resource cards, the header search label, breadcrumbs and the favicon."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def demo_site(db):
    call_command("load_demo_content", verbosity=0)


def test_resource_filter_cards_search_label_breadcrumbs_and_favicon(
    demo_site, live_server, page, assert_accessible
):
    page.goto(live_server.url + "/resources/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    # The filter's selects are full-size controls (44px, the site's target size), not tiny.
    for label in ("Kind of resource", "Topic"):
        box = page.get_by_label(label).bounding_box()
        assert box["height"] >= 44 and box["width"] >= 150, (label, box)

    # Resource cards carry no bullet hanging outside them.
    style = page.locator(".resource-index__list > li").first.evaluate(
        "li => getComputedStyle(li).listStyleType"
    )
    assert style == "none"

    # The header search box has a label people can see.
    label = page.locator(".site-header label[for='header-search-query']")
    expect(label).to_be_visible()
    assert label.bounding_box()["width"] > 20

    # Breadcrumbs separate crumbs; nothing dangles after the last one.
    crumbs = page.locator(".breadcrumbs li")
    last_after = crumbs.last.evaluate("li => getComputedStyle(li, '::after').content")
    first_before = crumbs.first.evaluate("li => getComputedStyle(li, '::before').content")
    assert last_after in ("none", "normal", '""') and first_before in ("none", "normal", '""')

    # A favicon is declared and served.
    href = page.locator("link[rel='icon']").get_attribute("href")
    assert href and page.request.get(live_server.url + href).status == 200

    assert_accessible("resources")
    page.context.close()  # no connection left open to the live server when the test ends
