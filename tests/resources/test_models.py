import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.test import override_settings
from django_tasks_db.models import DBTaskResult
from wagtail.models import Page

from resources.models import ResourceIndexPage, ResourceKind, ResourcePage

from .factories import DocumentFactory, ResourcePageFactory

pytestmark = pytest.mark.django_db


def test_index_only_holds_resources_and_resources_only_live_in_an_index():
    assert ResourceIndexPage.allowed_subpage_models() == [ResourcePage]
    assert ResourcePage.allowed_parent_page_models() == [ResourceIndexPage]
    assert ResourcePage.allowed_subpage_models() == []
    assert ResourceIndexPage.parent_page_types == ["home.HomePage", "home.ContentPage"]


def test_index_can_be_created_under_home_and_content_pages_but_not_under_a_resource(index_page):
    # Both sides must agree: our parent_page_types and the home pages' subpage_types.
    assert set(ResourceIndexPage.allowed_parent_page_models()) == {
        apps.get_model("home", "HomePage"),
        apps.get_model("home", "ContentPage"),
    }
    resource = ResourcePageFactory(parent=index_page)
    assert not ResourceIndexPage.can_exist_under(resource)
    assert not ResourcePage.can_exist_under(resource)
    assert ResourcePage.can_exist_under(index_page)


def test_index_cannot_go_at_the_tree_root():
    assert not ResourceIndexPage.can_exist_under(Page.get_first_root_node())


def test_document_resource_needs_a_document(index_page):
    page = ResourcePage(title="Checklist", kind=ResourceKind.DOCUMENT, summary="A list.")
    with pytest.raises(ValidationError) as excinfo:
        page.clean()
    assert "document" in excinfo.value.message_dict


@pytest.mark.parametrize("kind", [ResourceKind.ORGANISATION, ResourceKind.VIDEO, ResourceKind.ARTICLE])
def test_linked_resources_need_a_web_address(kind):
    page = ResourcePage(title="Somewhere", kind=kind, summary="A place.", link_url="")
    with pytest.raises(ValidationError) as excinfo:
        page.clean()
    assert "link_url" in excinfo.value.message_dict


def test_valid_resources_pass_clean():
    ResourcePage(title="A", kind=ResourceKind.VIDEO, summary="s", link_url="https://example.org/").clean()
    ResourcePage(title="B", kind=ResourceKind.DOCUMENT, summary="s", document=DocumentFactory()).clean()


def test_publishing_an_invalid_resource_is_refused(index_page):
    page = ResourcePage(title="No link", kind=ResourceKind.ARTICLE, summary="Missing its address.")
    with pytest.raises(ValidationError):
        index_page.add_child(instance=page)
    assert not ResourcePage.objects.exists()


def test_target_url_prefers_the_document_for_a_document_resource(index_page):
    page = ResourcePageFactory(parent=index_page, as_document=True)
    assert page.target_url == page.document.url
    assert page.target_url.startswith("/documents/")
    assert page.is_external is False
    assert page.document_extension == "TXT"


def test_target_url_is_the_link_for_linked_resources(index_page):
    page = ResourcePageFactory(parent=index_page, link_url="https://copronet.wales/")
    assert page.target_url == "https://copronet.wales/"
    assert page.is_external is True


def test_target_url_falls_back_to_the_page_when_its_document_is_deleted(index_page):
    page = ResourcePageFactory(parent=index_page, as_document=True)
    page.document.delete()
    page = ResourcePage.objects.get(pk=page.pk)
    assert page.document is None
    assert page.target_url == page.url == "/resources/" + page.slug + "/"
    assert page.is_external is False


@override_settings(WAGTAILADMIN_BASE_URL="https://www.example.net", ALLOWED_HOSTS=[".example.net"])
@pytest.mark.parametrize(
    ("url", "external"),
    [
        ("https://www.example.net/about/", False),
        ("https://example.net/", False),
        ("https://shop.example.net/", False),
        ("https://example.org/", True),
        ("https://notexample.net/", True),
    ],
)
def test_is_external_depends_on_the_host(url, external):
    page = ResourcePage(title="x", kind=ResourceKind.ARTICLE, summary="s", link_url=url)
    assert page.is_external is external


def run_queued_tasks():
    """Wagtail queues search-index updates as background tasks; run them as the worker would,
    after the page and its tags are saved. (Not the db_worker command itself: it closes the
    database connection, which the test's transaction cannot survive on PostgreSQL.)"""
    queued = list(DBTaskResult.objects.ready().order_by("enqueued_at"))
    assert queued, "saving a page should have queued its search-index update"
    for db_result in queued:
        db_result.task.call(*db_result.task_result.args, **db_result.task_result.kwargs)


def test_site_search_finds_a_resource_by_its_summary(index_page):
    wanted = ResourcePageFactory(
        parent=index_page, title="Peer support guide", summary="Practical advice about honorariums."
    )
    ResourcePageFactory(parent=index_page, title="Something else", summary="Unrelated words.")
    run_queued_tasks()
    results = list(Page.objects.live().search("honorariums"))
    assert [page.pk for page in results] == [wanted.pk]


def test_site_search_finds_a_resource_by_its_tag(index_page):
    wanted = ResourcePageFactory(parent=index_page, title="Guide", tags=["budgeting"])
    ResourcePageFactory(parent=index_page, title="Other", tags=["video"])
    run_queued_tasks()
    results = list(ResourcePage.objects.live().search("budgeting"))
    assert [page.pk for page in results] == [wanted.pk]
