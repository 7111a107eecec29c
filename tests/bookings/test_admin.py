"""The Wagtail admin for bookings: every viewset renders, the recurrence widget works inside it,
and bookings cannot be hand-edited around the services."""

from datetime import UTC, datetime

import pytest
from django.urls import NoReverseMatch, reverse

from bookings.models import AvailabilityRule, Booking, BookingStatus
from tests.support.second_factor import sign_in_verified

from .factories import AvailabilityRuleFactory, BookingFactory, OfferFactory, PartnerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("editor", "editor@example.org", "pw")
    sign_in_verified(client, user)
    return client


@pytest.mark.parametrize(
    "name", ["partner", "offer", "availabilityrule", "timeoff", "booking", "paymentrule", "paymentline"]
)
def test_every_listing_renders(admin_client, name):
    AvailabilityRuleFactory()
    BookingFactory()
    assert admin_client.get(reverse(f"{name}:index")).status_code == 200


@pytest.mark.parametrize("name", ["partner", "offer", "availabilityrule", "timeoff", "paymentrule"])
def test_create_views_render(admin_client, name):
    assert admin_client.get(reverse(f"{name}:add")).status_code == 200


def test_recurrence_widget_renders_inside_wagtail_with_its_media(admin_client):
    html = admin_client.get(reverse("availabilityrule:add")).content.decode()
    assert 'class="recurrence-widget"' in html
    for asset in (
        "bookings/js/recurrence-jquery.js",
        "recurrence/js/recurrence-widget.js",
        "recurrence/css/recurrence.css",
    ):
        assert asset in html
    # A second jQuery would replace Wagtail's and break its date and time pickers.
    assert "/static/admin/js/" not in html
    assert html.index("bookings/js/recurrence-jquery.js") < html.index("recurrence/js/recurrence.js")


def test_availability_rule_can_be_created_through_the_admin(admin_client):
    partner = PartnerFactory()
    response = admin_client.post(
        reverse("availabilityrule:add"),
        {
            "partner": partner.pk,
            "recurrence": "RRULE:FREQ=WEEKLY;BYDAY=MO,WE\nEXDATE:20260331T230000Z",
            "start_time": "10:00",
            "end_time": "12:30",
            "starts_on": "2026-01-05",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    rule = AvailabilityRule.objects.get()
    assert [str(d) for d in rule.recurrence.rrules[0].byday] == ["MO", "WE"]
    assert len(rule.recurrence.exdates) == 1


def test_offer_form_lists_partners_as_checkboxes(admin_client):
    partner = PartnerFactory(display_name="Alex Partner")
    html = admin_client.get(reverse("offer:add")).content.decode()
    assert 'type="checkbox" name="partners"' in html and "Alex Partner" in html
    offer = OfferFactory()
    response = admin_client.post(
        reverse("offer:edit", args=[offer.pk]),
        {
            "title": "Thinking-partner session",
            "description": "An hour to think through a plan with someone who has been there.",
            "duration_minutes": 60,
            "buffer_before_minutes": 0,
            "buffer_after_minutes": 15,
            "offers_video": "on",
            "active": "on",
            "partners": [partner.pk],
        },
    )
    assert response.status_code == 302
    assert list(offer.partners.all()) == [partner]


def test_bookings_cannot_be_hand_edited(admin_client):
    """Wagtail's add, edit, copy and delete views are replaced by the staff desk's own (docs/staff.md):
    "add" books on someone's behalf through the services, "edit" is the booking's page."""
    booking = BookingFactory(
        start=datetime(2026, 6, 1, 10, tzinfo=UTC), project_description="<script>x</script>"
    )
    inspect = admin_client.get(reverse("booking:inspect", args=[booking.pk]))
    assert inspect.status_code == 200
    assert b"<script>x</script>" not in inspect.content
    with pytest.raises(NoReverseMatch):
        reverse("booking:copy", args=[booking.pk])
    assert b"Book a chat for someone" in admin_client.get(reverse("booking:add")).content
    edit = admin_client.post(reverse("booking:edit", args=[booking.pk]), {"status": BookingStatus.CANCELLED})
    assert edit.status_code == 405
    with pytest.raises(NoReverseMatch):
        reverse("booking:delete", args=[booking.pk])
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED and Booking.objects.count() == 1
