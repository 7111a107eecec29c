from datetime import UTC, datetime, timedelta

import pytest
from wagtail.models import Site

from bookings.availability import Policy
from bookings.models import BookingSettings
from tests.home.factories import HomePageFactory
from tests.support.booking_page import publish_booking_page

from .factories import AvailabilityRuleFactory, OfferFactory, PartnerFactory

NOW = datetime(2026, 5, 1, 9, tzinfo=UTC)


@pytest.fixture
def policy():
    return Policy(notice=timedelta(hours=24), horizon=timedelta(days=365), step=timedelta(minutes=15))


@pytest.fixture
def partner(db):
    partner = PartnerFactory()
    AvailabilityRuleFactory(partner=partner)  # every day 09:00-17:00 London
    return partner


@pytest.fixture
def offer(partner):
    return OfferFactory(partners=[partner], buffer_after_minutes=10)


@pytest.fixture
def booking_page(db):
    """A booking page under a real HomePage, as on the live site, with the site's settings row."""
    placeholder = Site.objects.get(is_default_site=True).root_page
    root = HomePageFactory(parent=placeholder.get_parent(), slug="site-home")
    site = Site.objects.get(is_default_site=True)
    site.root_page = root
    site.save()
    placeholder.delete()
    BookingSettings.for_site(site)
    page = publish_booking_page(root)
    return page
