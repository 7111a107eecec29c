import pytest
from django.core.files.storage import default_storage
from wagtail.documents import get_document_model
from wagtail.models import Page

from resources import demo
from resources.models import ResourceIndexPage, ResourceKind, ResourcePage

pytestmark = pytest.mark.django_db

ORGANISATIONS = {
    "think-local-act-personal": "https://www.thinklocalactpersonal.org.uk/",
    "coproduction-oxfordshire": "https://coproductionoxfordshire.com/",
    "copronet-wales": "https://copronet.wales/",
}


def counts():
    return (
        ResourceIndexPage.objects.count(),
        ResourcePage.objects.count(),
        get_document_model().objects.count(),
        Page.objects.count(),
    )


def test_build_creates_a_published_library(site_root):
    pages = demo.build(site_root)
    index = ResourceIndexPage.objects.child_of(site_root).get(slug="resources")
    assert index.live and index.title == "Resources"
    assert set(pages) == set(demo.RESOURCES)
    for slug, url in ORGANISATIONS.items():
        assert pages[slug].kind == ResourceKind.ORGANISATION
        assert pages[slug].link_url == url
        assert pages[slug].is_external
    video = pages["parable-of-the-blobs-and-squares"]
    assert video.kind == ResourceKind.VIDEO and video.link_url.startswith("https://www.youtube.com/")
    for page in pages.values():
        page.refresh_from_db()
        assert page.live and not page.has_unpublished_changes
        assert page.get_parent().pk == index.pk
        assert page.tags.exists()
        page.full_clean()
    assert {t.name for t in video.tags.all()} == {"video", "getting started"}


def test_checklist_is_a_stored_document(site_root):
    checklist = demo.build(site_root)["co-production-checklist"]
    assert checklist.kind == ResourceKind.DOCUMENT
    assert checklist.document is not None
    assert default_storage.exists(checklist.document.file.name)
    with checklist.document.file.open("rb") as handle:
        assert handle.read().decode().startswith("Co-production checklist")
    assert checklist.target_url == checklist.document.url


def test_build_is_idempotent_and_keeps_editors_changes(site_root):
    first = demo.build(site_root)
    before = counts()
    edited = first["copronet-wales"]
    edited.summary = "An editor's better summary."
    edited.save_revision().publish()

    second = demo.build(site_root)
    assert counts() == before
    assert {slug: page.pk for slug, page in second.items()} == {slug: page.pk for slug, page in first.items()}
    assert ResourcePage.objects.get(pk=edited.pk).summary == "An editor's better summary."


def test_demo_index_renders(client, site_root):
    demo.build(site_root)
    response = client.get("/resources/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "7 resources" in html
    assert 'Think Local Act Personal <span class="resource-card__external">(external site)</span>' in html
