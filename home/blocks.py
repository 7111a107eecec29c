"""StreamField blocks shared by the home page and content pages.

Blocks that need the database (testimonials, images, resources) fetch it in `bulk_to_python`,
which Wagtail calls once per block type for a whole stream, so a page costs the same number of
queries whether it holds one testimonial or thirty. The ladder comes from the site cache and a
video's embed from the page's own JSON. Values built another way (previews, tests) fall back to a
lazy query in their StructValue.
"""

import copy
import datetime
from dataclasses import asdict, dataclass

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.functional import cached_property
from wagtail import blocks
from wagtail.blocks.list_block import ListValue
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.embeds.blocks import EmbedBlock
from wagtail.embeds.embeds import get_embed_hash
from wagtail.embeds.models import Embed
from wagtail.images.blocks import ImageChooserBlock
from wagtail.snippets.blocks import SnippetChooserBlock

from .site_cache import ladder_rungs
from .snippets import Testimonial

# The one rendition the image block uses; prefetched with the images so rendering adds no query.
IMAGE_RENDITION = "max-1200x900"
RICH_TEXT_FEATURES = ["h2", "h3", "bold", "italic", "ol", "ul", "link", "document-link"]
MAX_LATEST_TESTIMONIALS = 12


def in_bulk_in_order(queryset, values):
    """ChooserBlock.bulk_to_python with our own queryset: one query, order and Nones kept."""
    objects = queryset.in_bulk(values)
    seen, result = set(), []
    for pk in values:
        obj = objects.get(pk)
        # The same object twice in a stream must be two instances, as in ChooserBlock.
        result.append(copy.copy(obj) if obj is not None and pk in seen else obj)
        seen.add(pk)
    return result


class PrefetchingImageChooserBlock(ImageChooserBlock):
    def bulk_to_python(self, values):
        return in_bulk_in_order(self.model_class.objects.prefetch_renditions(IMAGE_RENDITION), values)


class ResourceChooserBlock(blocks.PageChooserBlock):
    """Chooses resource pages, fetching what their cards show in the same batch.

    The page type is a string and the card-data method is looked up by name, so home never
    imports the resources app (imports flow one way).
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("page_type", "resources.ResourcePage")
        super().__init__(**kwargs)

    def bulk_to_python(self, values):
        queryset = self.model_class.objects.all()
        if hasattr(queryset, "with_card_data"):
            queryset = queryset.with_card_data()
        return in_bulk_in_order(queryset, values)


class HeadingBlock(blocks.StructBlock):
    text = blocks.CharBlock(max_length=120)
    level = blocks.ChoiceBlock(
        choices=[("h2", "Section heading (level 2)"), ("h3", "Subheading (level 3)")], default="h2"
    )

    class Meta:
        icon = "title"
        template = "home/blocks/heading.html"


class ImageBlock(blocks.StructBlock):
    image = PrefetchingImageChooserBlock()
    alt_text = blocks.CharBlock(
        required=False,
        max_length=250,
        help_text="Describe what the image shows for people who cannot see it.",
    )
    decorative = blocks.BooleanBlock(
        required=False, help_text="Tick only if the image adds nothing to the text; it then has no alt text."
    )
    caption = blocks.CharBlock(required=False, max_length=250)

    class Meta:
        icon = "image"
        template = "home/blocks/image.html"

    def clean(self, value):
        value = super().clean(value)
        if not value.get("decorative") and not (value.get("alt_text") or "").strip():
            raise StructBlockValidationError(
                block_errors={
                    "alt_text": ValidationError(
                        "Add alt text, or tick “decorative” if the image adds nothing."
                    )
                }
            )
        return value


class QuoteBlock(blocks.StructBlock):
    text = blocks.TextBlock()
    attribution = blocks.CharBlock(required=False, max_length=200)

    class Meta:
        icon = "openquote"
        template = "home/blocks/quote.html"


class CallToActionBlock(blocks.StructBlock):
    text = blocks.CharBlock(max_length=80, help_text="The link text: say where it goes, e.g. “Book a chat”.")
    page = blocks.PageChooserBlock()
    description = blocks.TextBlock(required=False, max_length=400)

    class Meta:
        icon = "link"
        template = "home/blocks/call_to_action.html"


@dataclass(frozen=True)
class StoredEmbed:
    """What the video template needs from an embed, kept in the page's own JSON."""

    type: str
    html: str
    provider_name: str

    @classmethod
    def from_embed(cls, embed):
        return cls(type=embed.type, html=embed.html, provider_name=embed.provider_name)


class VideoValue(blocks.StructValue):
    @cached_property
    def embed(self):
        """The stored embed for this URL, or None. Never fetches from the network."""
        video = self.get("video")
        if not video:
            return None
        embed = Embed.objects.filter(hash=get_embed_hash(video.url)).first()
        return StoredEmbed.from_embed(embed) if embed else None


class VideoBlock(blocks.StructBlock):
    """A video shown as a link with its summary; the player loads only when a visitor asks.

    Invariant: rendering never contacts the video host. EmbedBlock validation fetches the embed
    when an editor saves; `get_prep_value` copies what the template needs into the block's JSON,
    so a page view reads it with no query.
    """

    title = blocks.CharBlock(max_length=120, help_text="Names the video for screen reader users.")
    video = EmbedBlock(help_text="The address of the video, e.g. a YouTube or Vimeo link.")
    summary = blocks.TextBlock(
        max_length=1000, help_text="What the video says, for people who cannot watch it."
    )
    transcript_url = blocks.URLBlock(required=False, label="Transcript address")

    class Meta:
        icon = "media"
        template = "home/blocks/video.html"
        value_class = VideoValue

    def get_prep_value(self, value):
        data = super().get_prep_value(value)
        video = value.get("video") if value else None
        # A fresh look-up (on save only): the cached value may predate the embed being fetched.
        embed = Embed.objects.filter(hash=get_embed_hash(video.url)).first() if video else None
        if embed is not None:
            data["stored_embed"] = asdict(StoredEmbed.from_embed(embed))
        return data

    def bulk_to_python(self, values):
        result = super().bulk_to_python(values)
        for raw, value in zip(values, result, strict=True):
            stored = raw.get("stored_embed")
            # JSON written without the copy (by code, not the editor) shows the plain link.
            value.__dict__["embed"] = StoredEmbed(**stored) if isinstance(stored, dict) else None
        return result


class LadderValue(blocks.StructValue):
    @cached_property
    def rungs(self):
        return ladder_rungs()


class LadderBlock(blocks.StructBlock):
    heading = blocks.CharBlock(required=False, max_length=120)
    intro = blocks.TextBlock(required=False, max_length=600)

    class Meta:
        icon = "order"
        template = "home/blocks/ladder.html"
        value_class = LadderValue
        help_text = "Shows every ladder rung, in the order set under Co-production > Ladder rungs."

    def bulk_to_python(self, values):
        result = super().bulk_to_python(values)
        if result:
            rungs = ladder_rungs()
            for value in result:
                value.__dict__["rungs"] = rungs
        return result


class TestimonialsValue(blocks.StructValue):
    __test__ = False  # not a pytest test class, despite the name

    @cached_property
    def shown(self):
        chosen = [t for t in self.get("testimonials") or [] if t is not None]
        if chosen:
            return [t for t in chosen if t.is_published]
        return list(Testimonial.objects.latest_published()[: self.get("latest_count") or 0])


class TestimonialsBlock(blocks.StructBlock):
    __test__ = False  # not a pytest test class, despite the name

    heading = blocks.CharBlock(required=False, max_length=120)
    testimonials = blocks.ListBlock(
        SnippetChooserBlock(Testimonial),
        required=False,
        help_text="Choose testimonials to show, or leave empty and set a number below.",
    )
    latest_count = blocks.IntegerBlock(
        required=False,
        min_value=1,
        max_value=MAX_LATEST_TESTIMONIALS,
        label="Or show the latest",
        help_text="How many of the most recent published testimonials to show.",
    )

    class Meta:
        icon = "openquote"
        template = "home/blocks/testimonials.html"
        value_class = TestimonialsValue

    def clean(self, value):
        value = super().clean(value)
        if bool(value.get("testimonials")) == bool(value.get("latest_count")):
            raise StructBlockValidationError(
                block_errors={
                    "latest_count": ValidationError("Choose testimonials or give a number to show, not both.")
                }
            )
        return value

    def bulk_to_python(self, values):
        """Fetch every chosen testimonial and the latest ones for all blocks in one query."""
        list_block = self.child_blocks["testimonials"]
        chosen = [
            [(item.get("id"), item["value"]) if isinstance(item, dict) else (None, item) for item in raw]
            for raw in (value.get("testimonials") or [] for value in values)
        ]
        largest = max(
            (v.get("latest_count") or 0 for v, c in zip(values, chosen, strict=True) if not c), default=0
        )
        wanted = Q(pk__in=[pk for items in chosen for _, pk in items])
        if largest:
            wanted |= Q(pk__in=Testimonial.objects.latest_published()[:largest].values("pk"))
        pool = {t.pk: t for t in Testimonial.objects.filter(wanted)} if any(chosen) or largest else {}
        # The pool holds the overall latest N, so its own latest N are the same testimonials.
        latest = sorted(
            (t for t in pool.values() if t.is_published),
            key=lambda t: (t.consent_given_on or datetime.date.min, t.pk),
            reverse=True,
        )[:largest]

        # The other fields convert as usual; the lists are rebuilt from the pool, ids kept.
        result = super().bulk_to_python([{**value, "testimonials": []} for value in values])
        for value, items in zip(result, chosen, strict=True):
            value["testimonials"] = ListValue(
                list_block,
                bound_blocks=[
                    ListValue.ListChild(list_block.child_block, pool.get(pk), id=i) for i, pk in items
                ],
            )
            if not items:
                value.__dict__["shown"] = latest[: value.get("latest_count") or 0]
        return result


class ResourceListBlock(blocks.StructBlock):
    heading = blocks.CharBlock(max_length=120)
    intro = blocks.TextBlock(required=False, max_length=600)
    resources = blocks.ListBlock(ResourceChooserBlock(), min_num=1)

    class Meta:
        icon = "list-ul"
        template = "home/blocks/resource_list.html"


class BodyBlock(blocks.StreamBlock):
    rich_text = blocks.RichTextBlock(features=RICH_TEXT_FEATURES, template="home/blocks/rich_text.html")
    heading = HeadingBlock()
    image = ImageBlock()
    quote = QuoteBlock()
    call_to_action = CallToActionBlock()
    video = VideoBlock()
    ladder = LadderBlock()
    testimonials = TestimonialsBlock()
    resource_list = ResourceListBlock()
