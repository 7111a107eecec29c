"""Snippets editors manage outside the page tree: the co-production ladder and testimonials."""

from django.contrib.contenttypes.fields import GenericRelation
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Max
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.models import (
    DraftStateMixin,
    LockableMixin,
    PreviewableMixin,
    RevisionMixin,
    WorkflowMixin,
)
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
        return self.filter(live=True)

    def latest_published(self):
        """Published testimonials, most recent consent first (the order "latest N" uses)."""
        return self.published().order_by("-consent_given_on", "-pk")


class TestimonialForm(WagtailAdminModelForm):
    """Publishing needs a consent date. Wagtail publishes a revision without calling the model's
    `clean`, so the admin form checks it when the editor presses Publish."""

    def clean(self):
        cleaned = super().clean()
        if "action-publish" in self.data and not cleaned.get("consent_given_on"):
            self.add_error(
                "consent_given_on", "Record the date consent was given before publishing this testimonial."
            )
        return cleaned


class Testimonial(
    WorkflowMixin,
    DraftStateMixin,
    LockableMixin,
    RevisionMixin,
    PreviewableMixin,
    index.Indexed,
    models.Model,
):
    """What a professional said about working with us.

    Drafts, revisions, locking and Wagtail's moderation workflow apply (docs/content.md): a quote
    someone offers in their feedback arrives as a draft, and appears only once an editor publishes
    it. Invariant: a published testimonial always records the date its author consented to
    publication (checked by the admin form when publishing, and by `clean`).
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
    # Set when the quote came from a booker's feedback (docs/impact.md): the words they agreed to.
    consent_wording = models.TextField(blank=True, editable=False)

    # As Wagtail's docs ask for snippets with workflows: deleting a testimonial deletes its
    # revisions and workflow states too (erasure relies on it, docs/privacy.md).
    _revisions = GenericRelation("wagtailcore.Revision", related_query_name="testimonial")
    workflow_states = GenericRelation(
        "wagtailcore.WorkflowState",
        content_type_field="base_content_type",
        object_id_field="object_id",
        related_query_name="testimonial",
        for_concrete_model=False,
    )

    objects = TestimonialQuerySet.as_manager()
    base_form_class = TestimonialForm
    # The name starts with "Test": stop pytest trying to collect it when a test imports it.
    __test__ = False

    panels = [
        FieldPanel("quote"),
        MultiFieldPanel(
            [FieldPanel("name"), FieldPanel("role"), FieldPanel("organisation")], heading="Attribution"
        ),
        MultiFieldPanel([FieldPanel("consent_given_on")], heading="Consent"),
    ]
    search_fields = [
        index.SearchField("quote"),
        index.SearchField("name"),
        index.SearchField("role"),
        index.SearchField("organisation"),
        index.FilterField("live"),
    ]

    class Meta:
        ordering = ["-consent_given_on", "-pk"]

    def __str__(self):
        words = self.quote.split()
        excerpt = " ".join(words[:8]) + ("…" if len(words) > 8 else "")
        return f"{self.attribution or 'Anonymous'}: {excerpt}"

    @property
    def revisions(self):
        return self._revisions

    @property
    def is_published(self) -> bool:
        return self.live

    @property
    def attribution(self) -> str:
        return ", ".join(part for part in (self.name, self.role, self.organisation) if part)

    def clean(self):
        super().clean()
        if self.live and not self.consent_given_on:
            raise ValidationError(
                {"consent_given_on": "Record the date consent was given before publishing this testimonial."}
            )

    def get_preview_template(self, request, mode_name):
        return "home/previews/testimonial.html"

    def get_preview_context(self, request, mode_name):
        return {"testimonial": self}
