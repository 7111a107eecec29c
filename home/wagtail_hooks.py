"""Admin registration for the home app's snippets (bakerydemo's breads/wagtail_hooks.py pattern)."""

from wagtail.admin.ui.tables import LiveStatusTagColumn
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from .snippets import LadderRung, Testimonial


class LadderRungViewSet(SnippetViewSet):
    model = LadderRung
    icon = "order"
    menu_label = "Ladder rungs"
    # Drag handles in the listing write sort_order, which the ladder block reads.
    sort_order_field = "sort_order"
    list_display = ["name", "explanation"]
    search_fields = ["name", "explanation"]
    copy_view_enabled = False


class TestimonialViewSet(SnippetViewSet):
    __test__ = False  # not a pytest test class, despite the name
    model = Testimonial
    icon = "openquote"
    menu_label = "Testimonials"
    # Drafts (quotes from feedback wait here) and published ones are told apart by Wagtail's status tag.
    list_display = ["__str__", "role", "consent_given_on", LiveStatusTagColumn()]
    list_filter = ["live", "consent_given_on"]
    search_fields = ["quote", "name", "role", "organisation"]
    ordering = ["-consent_given_on", "-pk"]


class CoProductionGroup(SnippetViewSetGroup):
    menu_label = "Co-production"
    menu_icon = "group"
    menu_order = 250
    items = (LadderRungViewSet, TestimonialViewSet)


register_snippet(CoProductionGroup)
