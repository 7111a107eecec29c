from datetime import UTC, datetime, timedelta

import pytest

from bookings.availability import Policy

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
