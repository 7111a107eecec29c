"""Site-wide navigation and footer, edited under Settings > Navigation and footer."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.functional import cached_property
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.models import Orderable


class LinkFields(models.Model):
    """A labelled link to a page on this site or to another address (exactly one of the two)."""

    label = models.CharField(max_length=60)
    link_page = models.ForeignKey(
        "wagtailcore.Page", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    link_url = models.URLField("or address", blank=True)

    panels = [FieldPanel("label"), FieldPanel("link_page"), FieldPanel("link_url")]

    class Meta:
        abstract = True

    def __str__(self):
        return self.label

    def clean(self):
        super().clean()
        if bool(self.link_page_id) == bool(self.link_url):
            raise ValidationError("Choose a page or enter an address, not both.")

    @property
    def is_external(self) -> bool:
        return not self.link_page_id


class NavigationLink(Orderable, LinkFields):
    setting = ParentalKey("home.SiteChrome", on_delete=models.CASCADE, related_name="navigation_links")


class FooterLink(Orderable, LinkFields):
    setting = ParentalKey("home.SiteChrome", on_delete=models.CASCADE, related_name="footer_links")


@register_setting(icon="list-ul")
class SiteChrome(ClusterableModel, BaseSiteSetting):
    """Navigation links, footer links, footer text and contact address for one site.

    Invariant: templates read links through `navigation` and `footer`, which fetch each list in
    one query with its pages, so the page cost stays constant however many links there are.
    """

    footer_text = models.TextField(blank=True, max_length=600)
    contact_email = models.EmailField(blank=True)

    panels = [
        InlinePanel("navigation_links", heading="Main navigation", label="link"),
        MultiFieldPanel(
            [
                FieldPanel("footer_text"),
                FieldPanel("contact_email"),
                InlinePanel("footer_links", label="link"),
            ],
            heading="Footer",
        ),
    ]

    class Meta:
        verbose_name = "navigation and footer"

    @staticmethod
    def _live(links):
        # A link to an unpublished or deleted page must vanish rather than point at a 404.
        return [link for link in links if link.link_page is None or link.link_page.live]

    @cached_property
    def navigation(self):
        return self._live(self.navigation_links.select_related("link_page"))

    @cached_property
    def footer(self):
        return self._live(self.footer_links.select_related("link_page"))
