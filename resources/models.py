"""The resources library: an index page listing resource pages (organisations, documents, videos,
articles) that editors draft, preview and publish like any other Wagtail page.

Resources are pages rather than snippets so they get revisions, moderation, site search and the
sitemap without extra code.
"""

from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.paginator import Page as PaginatorPage
from django.core.paginator import Paginator
from django.db import models
from django.db.models import Count, Window
from django.http import Http404
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey
from taggit.models import Tag, TaggedItemBase
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page, PageManager, PageQuerySet, Site
from wagtail.search import index

RESOURCES_PER_PAGE = 12
# Far beyond any real listing; stops absurd ?page= values reaching the database as huge OFFSETs.
MAX_PAGE_NUMBER = 10_000


class ResourceKind(models.TextChoices):
    ORGANISATION = "organisation", "Organisation"
    DOCUMENT = "document", "Document"
    VIDEO = "video", "Video"
    ARTICLE = "article", "Article"


def _own_hostnames() -> set[str]:
    """Hostnames that count as this site, so links to them are not marked as external."""
    hosts = {urlsplit(settings.WAGTAILADMIN_BASE_URL).hostname or ""}
    hosts.update(h.lower() for h in settings.ALLOWED_HOSTS if h and h != "*")
    return {h for h in hosts if h}


def is_own_host(hostname: str) -> bool:
    hostname = hostname.lower()
    for host in _own_hostnames():
        # Django's ALLOWED_HOSTS convention: ".example.org" also covers its subdomains.
        if host.startswith(".") and (hostname == host[1:] or hostname.endswith(host)):
            return True
        if hostname == host:
            return True
    return False


class ResourcePageTag(TaggedItemBase):
    content_object = ParentalKey(
        "resources.ResourcePage", related_name="tagged_items", on_delete=models.CASCADE
    )


class ResourcePageQuerySet(PageQuerySet):
    def with_card_data(self):
        """Fetch what resource_card.html shows in bulk: the document in the same query, every
        resource's tags in one more, so a listing costs the same whatever its length."""
        return self.select_related("document").prefetch_related("tags")


ResourcePageManager = PageManager.from_queryset(ResourcePageQuerySet)


def filter_query(kind: str = "", tag: Tag | None = None, page: int = 1) -> str:
    """The query string for one view of the listing, built from the cleaned filters so that a
    rejected value is not carried from page to page."""
    params = {"kind": kind, "tag": tag.slug if tag else "", "page": page if page > 1 else ""}
    query = urlencode({key: value for key, value in params.items() if value})
    return f"?{query}" if query else ""


def page_links(results, kind: str, tag: Tag | None) -> dict:
    """Links for the pagination nav; page numbers elided in long listings ("1 2 3 ... 9")."""
    number = results.number
    return {
        "previous": filter_query(kind, tag, number - 1) if results.has_previous() else "",
        "next": filter_query(kind, tag, number + 1) if results.has_next() else "",
        "numbers": [
            {"number": n, "query": filter_query(kind, tag, n), "current": n == number}
            if isinstance(n, int)
            else {"ellipsis": True}
            for n in results.paginator.get_elided_page_range(number, on_each_side=2, on_ends=1)
        ],
    }


def breadcrumbs(page: Page, request) -> list[Page]:
    """Ancestors for components/breadcrumbs.html, home first and the tree root left out.

    When the parent is the site's home page (the usual place for the index) it is already loaded
    with the request's site, so the common case costs no query.
    """
    site = Site.find_for_request(request)
    root = site.root_page if site else None
    if root is not None and page.depth == root.depth + 1 and page.path.startswith(root.path):
        return [root]
    return list(page.get_ancestors().filter(depth__gte=2))


class ResourceIndexPage(Page):
    intro = RichTextField(blank=True, features=["bold", "italic", "link", "ol", "ul"])

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    search_fields = [*Page.search_fields, index.SearchField("intro")]

    parent_page_types = ["home.HomePage", "home.ContentPage"]
    subpage_types = ["resources.ResourcePage"]

    class Meta:
        verbose_name = "resource index page"

    def resources(self):
        # Not .public(): that costs a query of its own and would hide everything if the index
        # itself were private. Visitors who may see the index may see the resources in it, so
        # only a resource's own view restriction keeps it out of the listing.
        return ResourcePage.objects.child_of(self).live().filter(view_restrictions__isnull=True)

    def available_tags(self, resources):
        """Tags used by at least one of `resources`, for the filter; one query."""
        return list(
            Tag.objects.filter(resources_resourcepagetag_items__content_object__in=resources)
            .distinct()
            .order_by("name")
        )

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        notices = []

        kind = request.GET.get("kind", "").strip()
        if kind and kind not in ResourceKind.values:
            notices.append("We do not have that kind of resource, so all kinds are shown.")
            kind = ""

        listed = self.resources()
        tags = self.available_tags(listed)
        tag_slug = request.GET.get("tag", "").strip()
        tag = next((t for t in tags if t.slug == tag_slug), None)
        if tag_slug and tag is None:
            notices.append("We could not find that topic, so resources on every topic are shown.")

        resources = listed
        if kind:
            resources = resources.filter(kind=kind)
        if tag:
            resources = resources.filter(tagged_items__tag=tag)
        resources = resources.with_card_data().order_by("path")

        results = self.paginate(request, resources)
        context.update(
            {
                "breadcrumbs": breadcrumbs(self, request),
                "resources": results,
                "index_url": self.get_url(request),
                "page_links": page_links(results, kind, tag),
                "kinds": ResourceKind.choices,
                "tags": tags,
                "selected_kind": kind,
                "selected_kind_label": ResourceKind(kind).label if kind else "",
                "selected_tag": tag,
                "is_filtered": bool(kind or tag),
                "notices": notices,
            }
        )
        return context

    @staticmethod
    def paginate(request, resources) -> PaginatorPage:
        """One page of results in one query: the total comes back on every row (COUNT(*) OVER ()),
        so the paginator needs no separate COUNT query.

        Garbage page numbers show page 1 (a mangled link still lands somewhere useful); a page
        past the end is a 404, because that page of results does not exist.
        """
        try:
            number = max(int(request.GET.get("page", "1")), 1)
        except ValueError:
            number = 1
        if number > MAX_PAGE_NUMBER:
            raise Http404("No such page of resources")
        offset = (number - 1) * RESOURCES_PER_PAGE
        rows = list(resources.annotate(total_count=Window(Count("pk")))[offset : offset + RESOURCES_PER_PAGE])
        if not rows and number > 1:
            raise Http404("No such page of resources")
        paginator = Paginator(resources, RESOURCES_PER_PAGE)
        paginator.count = rows[0].total_count if rows else 0  # replaces the cached COUNT query
        return PaginatorPage(rows, number, paginator)


class ResourcePage(Page):
    kind = models.CharField(max_length=20, choices=ResourceKind.choices, default=ResourceKind.ORGANISATION)
    summary = models.TextField(
        max_length=300,
        help_text="One or two plain sentences saying what this is and why it helps. Shown in listings.",
    )
    link_url = models.URLField(
        "web address",
        blank=True,
        help_text="Where the organisation, video or article lives. Leave empty for a document.",
    )
    document = models.ForeignKey(
        "wagtaildocs.Document",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The file to download. Needed when the kind is Document.",
    )
    tags = ClusterTaggableManager(through=ResourcePageTag, blank=True)

    objects = ResourcePageManager()

    content_panels = [
        *Page.content_panels,
        FieldPanel("kind"),
        FieldPanel("summary"),
        FieldPanel("link_url"),
        FieldPanel("document"),
        FieldPanel("tags"),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.FilterField("kind"),
        index.RelatedFields("tags", [index.SearchField("name")]),
    ]

    parent_page_types = ["resources.ResourceIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = "resource"

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["breadcrumbs"] = breadcrumbs(self, request)
        # The parent is the last ancestor: no second query for the "All resources" link.
        context["index_page"] = context["breadcrumbs"][-1] if context["breadcrumbs"] else None
        return context

    def clean(self):
        super().clean()
        if self.kind == ResourceKind.DOCUMENT:
            if not self.document_id:
                raise ValidationError({"document": "Choose or upload the document for this resource."})
        elif not self.link_url:
            label = ResourceKind(self.kind).label.lower() if self.kind in ResourceKind.values else "resource"
            raise ValidationError({"link_url": f"Add the web address of this {label}."})

    @property
    def target_url(self) -> str:
        """Where the resource itself lives: the document for a document resource, else the web
        address, else (a document that has since been deleted) this page, which says so."""
        if self.kind == ResourceKind.DOCUMENT and self.document_id and self.document:
            return self.document.url
        if self.link_url:
            return self.link_url
        return self.url or ""

    @property
    def is_external(self) -> bool:
        if self.kind == ResourceKind.DOCUMENT and self.document_id:
            return False
        if not self.link_url:
            return False
        hostname = urlsplit(self.link_url).hostname or ""
        return bool(hostname) and not is_own_host(hostname)

    @property
    def document_extension(self) -> str:
        if self.kind == ResourceKind.DOCUMENT and self.document_id and self.document:
            return self.document.file_extension.upper()
        return ""
