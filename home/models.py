from django.db import models
from wagtail.admin.panels import FieldPanel
from wagtail.models import Page
from wagtail.search import index
from wagtail.snippets.models import register_snippet


class LadderRung(index.Indexed, models.Model):
    """One rung of the co-production ladder, from "done to" at the bottom to co-production.

    Editors reorder rungs in the snippet listing; the booking form and reports reuse them.
    """

    sort_order = models.PositiveIntegerField(default=0, db_index=True, editable=False)
    name = models.CharField(max_length=80)
    explanation = models.TextField(max_length=600)

    panels = [FieldPanel("name"), FieldPanel("explanation")]
    search_fields = [index.SearchField("name"), index.SearchField("explanation")]

    class Meta:
        ordering = ["sort_order", "pk"]
        verbose_name = "ladder rung"

    def __str__(self):
        return self.name


register_snippet(LadderRung)


class HomePage(Page):
    pass
