"""Factories for the home app (factory_boy + wagtail-factories, as in torchbox.com's tbx/*/factories.py)."""

import datetime
import gc
import json
import warnings

import factory
import wagtail_factories
from factory.django import DjangoModelFactory
from wagtail.models import Collection

from home.blocks import IMAGE_RENDITION
from home.models import ContentPage, HomePage, LadderRung, Testimonial


def stream(*blocks: tuple) -> str:
    """StreamField JSON from (block_type, value) pairs; choosers take primary keys."""
    return json.dumps([{"type": block_type, "value": value} for block_type, value in blocks])


class HomePageFactory(wagtail_factories.PageFactory):
    title = "Working together on mental health care"
    slug = "home"
    intro = "We help professionals involve the people who use their services."

    class Meta:
        model = HomePage


class ContentPageFactory(wagtail_factories.PageFactory):
    title = factory.Sequence(lambda n: f"Content page {n}")
    summary = "A page about something useful."

    class Meta:
        model = ContentPage


class LadderRungFactory(DjangoModelFactory):
    name = factory.Sequence(lambda n: f"Rung {n}")
    explanation = factory.LazyAttribute(lambda o: f"What {o.name} looks like in practice.")

    class Meta:
        model = LadderRung


class TestimonialFactory(DjangoModelFactory):
    __test__ = False  # a factory, not a pytest test class

    quote = factory.Sequence(lambda n: f"Working with lived-experience partners changed project {n}.")
    role = factory.Sequence(lambda n: f"A practitioner in team {n}")
    consent_given_on = factory.Sequence(lambda n: datetime.date(2025, 1, 1) + datetime.timedelta(days=n))
    live = True

    class Meta:
        model = Testimonial


class ImageFactory(wagtail_factories.ImageFactory):
    # The stock factory makes a new root collection per image; real images live in the root one.
    collection = factory.LazyFunction(Collection.get_first_root_node)


def make_rendition(image):
    """Generate the image block's rendition up front, as the first visitor's request would.

    Wagtail 8 leaves a SpooledTemporaryFile unclosed while writing a JPEG rendition; its
    ResourceWarning at garbage collection would fail the run under filterwarnings=error, so it is
    collected here with that one warning silenced. Our code is not involved.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        rendition = image.get_rendition(IMAGE_RENDITION)
        gc.collect()
    return rendition
