"""Demo content for the resources library, written in our own words.

`build(parent)` is idempotent: it finds pages by slug under their parent (and the checklist
document by title) and creates only what is missing, so running it again never duplicates
anything and never overwrites an editor's changes to a page that already exists.
"""

from django.core.files.base import ContentFile
from django.db import transaction
from wagtail.documents import get_document_model
from wagtail.models import Page

from .models import ResourceIndexPage, ResourceKind, ResourcePage

INDEX_SLUG = "resources"

CHECKLIST_TITLE = "Co-production checklist"
CHECKLIST_TEXT = """\
Co-production checklist
=======================

A short list to work through before you call a project co-produced.

1. People with lived experience are involved from the start, before the question is fixed.
2. Everyone knows what they are being asked for: an opinion, a say, or an equal share of the decisions.
3. Power is shared in practice: who sets the agenda, who chairs, who signs off?
4. People are paid fairly for their time and expenses are settled promptly.
5. Meetings are accessible: timing, place, paperwork in plain English, breaks, support on offer.
6. Jargon is explained or dropped.
7. There is a way to disagree safely, and disagreements change things.
8. People hear back about what happened to their ideas.
9. Learning is shared, including what did not work.
10. If it is really consultation, say so. That is fine, as long as it is honest.
"""

# Each entry: slug -> fields. URLs of outside sites are correct to the best of our knowledge;
# an editor should check them before launch (see the comments on the two least certain).
RESOURCES = {
    "think-local-act-personal": {
        "title": "Think Local Act Personal",
        "kind": ResourceKind.ORGANISATION,
        "link_url": "https://www.thinklocalactpersonal.org.uk/",
        "summary": (
            "A national partnership pushing for care and support that is personal and rooted in "
            "the community, with free guides on sharing decisions with the people who use services."
        ),
        "tags": ["organisations", "getting started"],
    },
    "coproduction-oxfordshire": {
        "title": "Coproduction Oxfordshire",
        "kind": ResourceKind.ORGANISATION,
        "link_url": "https://coproductionoxfordshire.com/",
        "summary": (
            "A local network that brings residents and services together, with training and real "
            "examples for anyone starting to co-produce in their own area."
        ),
        "tags": ["organisations"],
    },
    "copronet-wales": {
        "title": "CoProNet Wales",
        "kind": ResourceKind.ORGANISATION,
        "link_url": "https://copronet.wales/",
        "summary": (
            "The co-production network for Wales, sharing events, learning and stories of people "
            "and public bodies planning services as equals."
        ),
        "tags": ["organisations"],
    },
    "parable-of-the-blobs-and-squares": {
        "title": "The Parable of the Blobs and Squares",
        "kind": ResourceKind.VIDEO,
        # Editor: replace this search link with the video's own address once confirmed; we did
        # not want to guess a video id that might point at something else.
        "link_url": "https://www.youtube.com/results?search_query=parable+of+the+blobs+and+squares",
        "summary": (
            "A few minutes of animation about services built around tidy categories and the people "
            "who do not fit them: a gentle way into why we design with people, not for them."
        ),
        "tags": ["video", "getting started"],
    },
    "ladder-of-participation": {
        "title": "A ladder of citizen participation",
        "kind": ResourceKind.ARTICLE,
        # Editor: DOI of the 1969 journal article; confirm it resolves before launch.
        "link_url": "https://doi.org/10.1080/01944366908977225",
        "summary": (
            "The classic article that drew involvement as a ladder, from being told what will happen "
            "to holding real power: useful for asking which rung your project is really on."
        ),
        "tags": ["planning", "getting started"],
    },
    "working-in-partnership-with-people-and-communities": {
        "title": "Working in partnership with people and communities",
        "kind": ResourceKind.ARTICLE,
        "link_url": (
            "https://www.england.nhs.uk/publication/"
            "working-in-partnership-with-people-and-communities-statutory-guidance/"
        ),
        "summary": (
            "NHS England's statutory guidance on involving the public, worth reading to know what "
            "your organisation is already required to do."
        ),
        "tags": ["planning"],
    },
    "co-production-checklist": {
        "title": CHECKLIST_TITLE,
        "kind": ResourceKind.DOCUMENT,
        "link_url": "",
        "summary": (
            "Ten questions to ask before you call a project co-produced, as a one-page text file "
            "to print or share with your team."
        ),
        "tags": ["planning", "getting started"],
    },
}


def _checklist_document():
    Document = get_document_model()
    document = Document.objects.filter(title=CHECKLIST_TITLE).order_by("pk").first()
    if document is None:
        document = Document(title=CHECKLIST_TITLE)
        # Saved through the default storage backend, like an editor's upload.
        document.file.save(
            "co-production-checklist.txt", ContentFile(CHECKLIST_TEXT.encode("utf-8")), save=False
        )
        document._set_document_file_metadata()
        document.save()
    return document


def _index(parent: Page) -> ResourceIndexPage:
    existing = ResourceIndexPage.objects.child_of(parent).filter(slug=INDEX_SLUG).first()
    if existing is not None:
        return existing
    index = ResourceIndexPage(
        title="Resources",
        slug=INDEX_SLUG,
        intro=(
            "<p>Organisations, reading, films and tools we have found useful when planning "
            "co-production. Filter by kind or topic to find what you need.</p>"
        ),
    )
    parent.add_child(instance=index)
    index.save_revision().publish()
    return index


@transaction.atomic
def build(parent_page: Page) -> dict[str, ResourcePage]:
    """Create the "Resources" index under `parent_page` and the demo resources in it.

    Returns every demo resource keyed by slug, whether created now or found from an earlier run.
    """
    index = _index(parent_page)
    pages: dict[str, ResourcePage] = {}
    for slug, fields in RESOURCES.items():
        existing = ResourcePage.objects.child_of(index).filter(slug=slug).first()
        if existing is not None:
            pages[slug] = existing
            continue
        page = ResourcePage(
            slug=slug,
            title=fields["title"],
            kind=fields["kind"],
            summary=fields["summary"],
            link_url=fields["link_url"],
            document=_checklist_document() if fields["kind"] == ResourceKind.DOCUMENT else None,
        )
        page.tags.add(*fields["tags"])
        # Page.save() runs full_clean(), so demo content meets the same rules as an editor's.
        index.add_child(instance=page)
        page.save_revision().publish()
        pages[slug] = page
    return pages
