import datetime

import pytest
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from home.models import LadderRung, Testimonial
from home.wagtail_hooks import LadderRungViewSet, TestimonialViewSet

from .factories import LadderRungFactory, TestimonialFactory


def test_published_testimonial_needs_the_consent_date(db):
    testimonial = Testimonial(quote="Helpful.", role="A GP", live=True)
    with pytest.raises(ValidationError) as error:
        testimonial.full_clean()
    assert "consent_given_on" in error.value.message_dict
    testimonial.consent_given_on = datetime.date(2025, 1, 2)
    testimonial.full_clean()


def test_unpublished_testimonial_may_wait_for_consent(db):
    Testimonial(quote="Draft quote.", live=False).full_clean()


def test_published_manager_methods(db):
    old = TestimonialFactory(consent_given_on=datetime.date(2024, 1, 1))
    new = TestimonialFactory(consent_given_on=datetime.date(2025, 1, 1))
    TestimonialFactory(live=False)
    assert set(Testimonial.objects.published()) == {old, new}
    assert list(Testimonial.objects.latest_published()) == [new, old]


def test_attribution_leaves_out_blank_parts(db):
    testimonial = TestimonialFactory(name="", role="A nurse consultant", organisation="")
    assert testimonial.attribution == "A nurse consultant"
    assert str(testimonial).startswith("A nurse consultant: ")


def test_ladder_viewset_lets_editors_drag_rungs_into_order():
    assert LadderRungViewSet.sort_order_field == "sort_order"
    assert LadderRungViewSet(name="ladder").reorder_view_enabled


def test_testimonial_listing_can_filter_by_published():
    assert "live" in TestimonialViewSet.list_filter


def test_ladder_rung_preview_shows_the_whole_ladder(db, rf: RequestFactory):
    LadderRungFactory(name="Informing")
    draft = LadderRung(name="Unsaved rung", explanation="Being previewed.")
    context = draft.get_preview_context(rf.get("/"), "")
    assert [r.name for r in context["rungs"]] == ["Informing", "Unsaved rung"]


def test_snippet_previews_render(db, client, admin_user):
    rung = LadderRungFactory(name="Consultation")
    testimonial = TestimonialFactory(quote="Previewed quote.", live=False, consent_given_on=None)
    for obj, expected in ((rung, "Consultation"), (testimonial, "Previewed quote.")):
        request = RequestFactory().get("/")
        request.user = admin_user
        response = obj.serve_preview(request, obj.default_preview_mode)
        html = response.render().content.decode()
        assert expected in html
        assert html.count("<h1>") == 1
    assert "Not published" in testimonial.serve_preview(request, "").render().content.decode()
