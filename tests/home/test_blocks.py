import re

import pytest
from django.core.exceptions import ValidationError
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.embeds.embeds import get_embed_hash
from wagtail.embeds.models import Embed

from home.blocks import BodyBlock, ImageBlock, TestimonialsBlock

from .factories import (
    ContentPageFactory,
    ImageFactory,
    LadderRungFactory,
    TestimonialFactory,
    make_rendition,
    stream,
)

VIDEO_URL = "https://www.youtube.com/watch?v=abcdefghijk"


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any attempt to fetch an embed from its provider fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("rendering tried to fetch an embed over the network")

    monkeypatch.setattr("wagtail.embeds.embeds.get_finder_for_embed", refuse)


def render(client, parent, *blocks, slug="blocks"):
    ContentPageFactory(parent=parent, slug=slug, title="Blocks", body=stream(*blocks))
    response = client.get(f"/{slug}/")
    assert response.status_code == 200
    return response.content.decode()


def test_text_heading_quote_and_call_to_action_render(home_page, client):
    target = ContentPageFactory(parent=home_page, title="Book a chat", slug="book")
    html = render(
        client,
        home_page,
        ("rich_text", "<p>Plain <b>words</b>.</p>"),
        ("heading", {"text": "Section", "level": "h2"}),
        ("heading", {"text": "Subsection", "level": "h3"}),
        ("quote", {"text": "Nothing about us without us.", "attribution": "A campaign slogan"}),
        ("call_to_action", {"text": "Book a chat", "page": target.pk, "description": "It is free."}),
    )
    assert '<div class="rich-text"><p>Plain <b>words</b>.</p></div>' in html
    assert '<h2 class="block-heading">Section</h2>' in html
    assert '<h3 class="block-heading">Subsection</h3>' in html
    assert "<blockquote><p>Nothing about us without us.</p></blockquote>" in html
    assert "<figcaption>A campaign slogan</figcaption>" in html
    assert '<a class="button" href="/book/">Book a chat</a>' in html
    assert "It is free." in html


def test_call_to_action_to_an_unpublished_page_is_left_out(home_page, client):
    draft = ContentPageFactory(parent=home_page, slug="draft", live=False)
    html = render(client, home_page, ("call_to_action", {"text": "Go to the draft", "page": draft.pk}))
    assert "Go to the draft" not in html


def test_image_block_renders_alt_text_and_decorative_images(home_page, client):
    photo, pattern = ImageFactory(title="Workshop"), ImageFactory(title="Pattern")
    make_rendition(photo)
    make_rendition(pattern)
    html = render(
        client,
        home_page,
        ("image", {"image": photo.pk, "alt_text": "Six people around a table", "caption": "A workshop"}),
        ("image", {"image": pattern.pk, "alt_text": "", "decorative": True}),
    )
    assert re.search(r'<img alt="Six people around a table"[^>]*src="[^"]+"', html)
    assert re.search(r'<img alt=""[^>]*src="[^"]+"', html)
    assert "<figcaption>A workshop</figcaption>" in html


def test_image_without_alt_text_must_be_marked_decorative(db):
    block = ImageBlock()
    image = ImageFactory()
    with pytest.raises(StructBlockValidationError) as error:
        block.clean(block.to_python({"image": image.pk, "alt_text": "  ", "decorative": False}))
    assert "alt_text" in error.value.block_errors
    # Either of the two ways out is accepted.
    assert block.clean(block.to_python({"image": image.pk, "alt_text": "", "decorative": True}))
    assert block.clean(block.to_python({"image": image.pk, "alt_text": "A chart", "decorative": False}))


def test_ladder_renders_every_rung_top_first_in_a_reversed_ordered_list(home_page, client):
    names = [LadderRungFactory(name=name).name for name in ("Informing", "Consultation", "Co-production")]
    html = render(client, home_page, ("ladder", {"heading": "The ladder", "intro": "Climb it."}))
    assert '<ol class="ladder" reversed>' in html
    assert re.findall(r'<span class="ladder__name">([^<]+)</span>', html) == list(reversed(names))
    assert "<h2>The ladder</h2>" in html


def test_reordering_the_ladder_shows_at_once(home_page, client, django_capture_on_commit_callbacks):
    bottom, top = LadderRungFactory(name="Bottom"), LadderRungFactory(name="Top")
    html = render(client, home_page, ("ladder", {}))
    assert html.index("Top") < html.index("Bottom")
    # What the admin's drag-and-drop does: swap sort_order values and save the moved rung.
    with django_capture_on_commit_callbacks(execute=True):
        bottom.sort_order, top.sort_order = top.sort_order, bottom.sort_order
        top.save()
        bottom.save()
    html = client.get("/blocks/").content.decode()
    assert html.index("Bottom") < html.index("Top")


def test_new_ladder_rungs_go_on_top(db):
    first, second = LadderRungFactory(), LadderRungFactory()
    assert second.sort_order == first.sort_order + 1


def test_testimonials_block_shows_only_chosen_published_testimonials(home_page, client):
    chosen = TestimonialFactory(quote="Chosen and published.")
    hidden = TestimonialFactory(quote="Chosen but withdrawn.", live=False)
    TestimonialFactory(quote="Not chosen.")
    html = render(
        client, home_page, ("testimonials", {"heading": "Feedback", "testimonials": [chosen.pk, hidden.pk]})
    )
    assert "Chosen and published." in html
    assert "Chosen but withdrawn." not in html
    assert "Not chosen." not in html


def test_testimonials_block_shows_latest_published(home_page, client):
    for n in range(5):
        TestimonialFactory(quote=f"Published number {n}.")
    TestimonialFactory(quote="Newest but unpublished.", live=False, consent_given_on=None)
    html = render(client, home_page, ("testimonials", {"testimonials": [], "latest_count": 2}))
    assert re.findall(r"Published number (\d)\.", html) == ["4", "3"]
    assert "Newest but unpublished." not in html


def test_testimonials_block_needs_a_choice_or_a_number_but_not_both(db):
    block = TestimonialsBlock()
    testimonial = TestimonialFactory()
    for raw in (
        {"testimonials": [], "latest_count": None},
        {"testimonials": [testimonial.pk], "latest_count": 3},
    ):
        with pytest.raises(StructBlockValidationError):
            block.clean(block.to_python(raw))
    assert block.clean(block.to_python({"testimonials": [], "latest_count": 3}))


def test_video_without_a_stored_embed_is_a_link_with_its_summary(home_page, client):
    html = render(
        client,
        home_page,
        (
            "video",
            {
                "title": "A film",
                "video": VIDEO_URL,
                "summary": "What the film says.",
                "transcript_url": "https://example.org/transcript",
            },
        ),
    )
    assert f'<a href="{VIDEO_URL}" rel="external">Watch “A film”</a>' in html
    assert "What the film says." in html
    assert '<a href="https://example.org/transcript">Read the transcript of “A film”</a>' in html
    assert "<iframe" not in html


def test_video_with_a_stored_embed_offers_the_player_on_request_only(home_page, client):
    Embed.objects.create(
        url=VIDEO_URL,
        hash=get_embed_hash(VIDEO_URL),
        type="video",
        html='<iframe src="https://www.youtube-nocookie.com/embed/abcdefghijk" title="A film"></iframe>',
        provider_name="YouTube",
    )
    page = ContentPageFactory(
        parent=home_page,
        slug="film",
        body=stream(("video", {"title": "A film", "video": VIDEO_URL, "summary": "Summary."})),
    )
    page.body[0].value["summary"] = "Summary."  # as an editor's save: the block is re-serialised
    page.save()
    html = client.get("/film/").content.decode()
    # The iframe sits inside a <template>, so the browser loads nothing from YouTube until asked.
    assert re.search(r"<template data-video-embed><iframe [^>]+></iframe></template>", html)
    assert html.count("<iframe") == 1
    assert re.search(r"<button [^>]*data-video-load hidden>Play the video here \(loads from YouTube\)", html)
    assert "Watch “A film” on YouTube" in html


def test_saving_a_video_block_stores_its_embed_in_the_page(home_page):
    Embed.objects.create(
        url=VIDEO_URL, hash=get_embed_hash(VIDEO_URL), type="video", html="<iframe></iframe>"
    )
    page = ContentPageFactory(
        parent=home_page,
        slug="video",
        body=stream(("video", {"title": "T", "video": VIDEO_URL, "summary": "S"})),
    )
    page.body[0].value["summary"] = "Edited."  # converting the value makes save re-serialise it
    page.save()
    raw = type(page).objects.get(pk=page.pk).body.raw_data[0]["value"]
    assert raw["stored_embed"] == {"type": "video", "html": "<iframe></iframe>", "provider_name": ""}


def test_resource_list_block_shows_published_resources_with_cards(demo, client):
    html = client.get("/for-professionals/").content.decode()
    section = html.split('<section class="resource-list">')[1].split("</section>")[0]
    for title in ("Think Local Act Personal", "Coproduction Oxfordshire", "CoProNet Wales"):
        assert title in section
    assert "The Parable of the Blobs and Squares" in section
    assert section.count('<article class="resource-card">') == 4


def test_unpublished_resource_drops_out_of_the_list(demo, client):
    from resources.models import ResourcePage

    ResourcePage.objects.get(slug="copronet-wales").unpublish()
    html = client.get("/for-professionals/").content.decode()
    section = html.split('<section class="resource-list">')[1].split("</section>")[0]
    assert "CoProNet Wales" not in section
    assert section.count('<article class="resource-card">') == 3


def test_resource_list_accepts_only_resource_pages():
    chooser = BodyBlock().child_blocks["resource_list"].child_blocks["resources"].child_block
    assert [m._meta.label for m in chooser.target_models] == ["resources.ResourcePage"]


def test_every_body_block_has_its_own_template():
    for name, block in BodyBlock().child_blocks.items():
        assert block.meta.template.startswith("home/blocks/"), name


def test_image_block_error_message_is_plain_english(db):
    block = ImageBlock()
    with pytest.raises(StructBlockValidationError) as error:
        block.clean(block.to_python({"image": ImageFactory().pk}))
    message = error.value.block_errors["alt_text"]
    assert isinstance(message, ValidationError)
    assert "decorative" in message.messages[0]
