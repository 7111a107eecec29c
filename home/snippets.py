"""Snippets editors manage outside the page tree: the co-production ladder and testimonials."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Max
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.models import PreviewableMixin, RevisionMixin
from wagtail.search import index


class LadderRung(PreviewableMixin, index.Indexed, models.Model):
    """One rung of the co-production ladder, from "done to" at the bottom to co-production.

    Invariant: rungs are read in `sort_order` (lowest rung first). Editors reorder them by dragging
    in the snippet listing; the booking form and reports reuse them, so the model keeps its name.
    """

    sort_order = models.PositiveIntegerField(default=0, db_index=True, editable=False)
    name = models.CharField(max_length=80)
    explanation = models.TextField(
        max_length=600, help_text="One or two plain-English sentences: what this rung looks like."
    )

    panels = [FieldPanel("name"), FieldPanel("explanation")]
    search_fields = [index.SearchField("name"), index.SearchField("explanation")]

    class Meta:
        ordering = ["sort_order", "pk"]
        verbose_name = "ladder rung"

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # A new rung goes to the top of the ladder. Wagtail's drag-to-reorder view swaps
        # sort_order values, so every rung needs its own value for reordering to work.
        if self._state.adding and not self.sort_order:
            highest = LadderRung.objects.aggregate(highest=Max("sort_order"))["highest"]
            self.sort_order = 0 if highest is None else highest + 1
        super().save(*args, **kwargs)

    def get_preview_template(self, request, mode_name):
        return "home/previews/ladder.html"

    def get_preview_context(self, request, mode_name):
        # Preview the whole ladder with this (possibly unsaved) rung in its place.
        rungs = [self if rung.pk == self.pk else rung for rung in LadderRung.objects.all()]
        if self.pk is None:
            rungs.append(self)
        return {"rungs": rungs, "highlight": self}


class TestimonialQuerySet(models.QuerySet):
    def published(self):
        return self.filter(is_published=True)

    def latest_published(self):
        """Published testimonials, most recent consent first (the order "latest N" uses)."""
        return self.published().order_by("-consent_given_on", "-pk")


class Testimonial(PreviewableMixin, RevisionMixin, index.Indexed, models.Model):
    """What a professional said about working with us.

    Invariant: a published testimonial always records the date its author consented to
    publication (checked in `clean`, so both the admin and the demo loader keep it).
    """

    quote = models.TextField(max_length=1500)
    name = models.CharField(max_length=120, blank=True, help_text="Leave blank to attribute by role only.")
    role = models.CharField(max_length=160, blank=True, help_text="For example: Nurse consultant.")
    organisation = models.CharField(max_length=160, blank=True)
    consent_given_on = models.DateField(
        "date consent to publish was given",
        null=True,
        blank=True,
        help_text="Required before publishing.",
    )
    is_published = models.BooleanField("published", default=False)

    objects = TestimonialQuerySet.as_manager()
    # The name starts with "Test": stop pytest trying to collect it when a test imports it.
    __test__ = False

    panels = [
        FieldPanel("quote"),
        MultiFieldPanel(
            [FieldPanel("name"), FieldPanel("role"), FieldPanel("organisation")], heading="Attribution"
        ),
        MultiFieldPanel([FieldPanel("consent_given_on"), FieldPanel("is_published")], heading="Consent"),
    ]
    search_fields = [
        index.SearchField("quote"),
        index.SearchField("name"),
        index.SearchField("role"),
        index.SearchField("organisation"),
        index.FilterField("is_published"),
    ]

    class Meta:
        ordering = ["-consent_given_on", "-pk"]

    def __str__(self):
        words = self.quote.split()
        excerpt = " ".join(words[:8]) + ("…" if len(words) > 8 else "")
        return f"{self.attribution or 'Anonymous'}: {excerpt}"

    @property
    def attribution(self) -> str:
        return ", ".join(part for part in (self.name, self.role, self.organisation) if part)

    def clean(self):
        super().clean()
        if self.is_published and not self.consent_given_on:
            raise ValidationError(
                {"consent_given_on": "Record the date consent was given before publishing this testimonial."}
            )

    def get_preview_template(self, request, mode_name):
        return "home/previews/testimonial.html"

    def get_preview_context(self, request, mode_name):
        return {"testimonial": self}
