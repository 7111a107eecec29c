"""Page types for editor-managed content. Snippets and settings live in their own modules."""

from django.db import models
from wagtail.admin.panels import FieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page
from wagtail.search import index

from .blocks import BodyBlock
from .route_trail import RouteTrailMixin, route_to_child
from .site_settings import FooterLink, NavigationLink, SiteChrome
from .snippets import LadderRung, Testimonial

__all__ = [
    "ContentPage",
    "FooterLink",
    "HomePage",
    "LadderRung",
    "NavigationLink",
    "SiteChrome",
    "Testimonial",
]


class BasePage(RouteTrailMixin, Page):
    """Fields every editor-managed page shares: a summary for listings and a block body."""

    summary = models.TextField(
        blank=True, max_length=300, help_text="One or two sentences shown in search results and listings."
    )
    body = StreamField(BodyBlock(), blank=True)

    content_panels = Page.content_panels + [FieldPanel("summary"), FieldPanel("body")]
    search_fields = Page.search_fields + [index.SearchField("summary"), index.SearchField("body")]

    class Meta:
        abstract = True

    def route(self, request, path_components):
        # Note each page the URL passes through, so breadcrumbs and view restrictions need no
        # query of their own (home/route_trail.py).
        if path_components:
            return route_to_child(self, request, path_components, _passes_through)
        self.note_route_ancestors(request)
        return super().route(request, path_components)

    def breadcrumb_pages(self, request) -> list:
        """Pages above this one, the home page first; the tree root is left out."""
        trail = self.route_ancestors()
        return trail if trail is not None else list(self.get_ancestors().filter(depth__gt=1))


def _passes_through(page_class) -> bool:
    """A page routed like BasePage, with more of the path left, only hands on to a child."""
    return issubclass(page_class, BasePage) and page_class.route is BasePage.route


class HomePage(BasePage):
    """The root of the public site: exactly one, directly under Wagtail's root."""

    intro = models.TextField(blank=True, max_length=600, help_text="Shown under the main heading.")

    content_panels = BasePage.content_panels[:1] + [FieldPanel("intro")] + BasePage.content_panels[1:]
    search_fields = BasePage.search_fields + [index.SearchField("intro")]

    parent_page_types = ["wagtailcore.Page"]
    # Any page type may go under the home page unless it says otherwise (resources, bookings).
    max_count = 1
    template = "home/home_page.html"

    class Meta:
        verbose_name = "home page"


class ContentPage(BasePage):
    """A general page: about us, for professionals, accessibility statement and so on."""

    parent_page_types = ["home.HomePage", "home.ContentPage"]
    template = "home/content_page.html"

    class Meta:
        verbose_name = "content page"

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["breadcrumbs"] = self.breadcrumb_pages(request)
        return context
