from datetime import UTC, date, datetime, time, timedelta

import factory
import recurrence

from bookings import weekly_ranges
from bookings.models import AvailabilityRule, Booking, BookingStatus, Offer, Partner, TimeOff


def weekly(*days) -> recurrence.Recurrence:
    """A weekly recurrence on the given weekday numbers (0 = Monday), as the workspace builds it."""
    return weekly_ranges.weekly(days)


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner

    display_name = factory.Sequence(lambda n: f"Partner {n}")
    bio = "Has used mental health services and now helps teams plan together."
    max_chats_per_day = None
    max_chats_per_week = None
    rest_minutes = 0


class OfferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Offer
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Chat {n}")
    duration_minutes = 30
    buffer_before_minutes = 0
    buffer_after_minutes = 0

    @factory.post_generation
    def partners(self, create, extracted, **kwargs):
        if create and extracted:
            self.partners.set(extracted)


class AvailabilityRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AvailabilityRule

    partner = factory.SubFactory(PartnerFactory)
    recurrence = factory.LazyFunction(lambda: weekly(0, 1, 2, 3, 4, 5, 6))
    start_time = time(9)
    end_time = time(17)
    starts_on = date(2025, 1, 1)


class TimeOffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimeOff

    partner = factory.SubFactory(PartnerFactory)
    start = datetime(2026, 6, 1, tzinfo=UTC)
    end = datetime(2026, 6, 2, tzinfo=UTC)


class BookingFactory(factory.django.DjangoModelFactory):
    """Straight through the ORM (fixtures and races), bypassing the services' checks."""

    class Meta:
        model = Booking

    partner = factory.SubFactory(PartnerFactory)
    offer = factory.SubFactory(OfferFactory)
    start = datetime(2026, 6, 1, 10, tzinfo=UTC)
    end = factory.LazyAttribute(lambda b: b.start + timedelta(minutes=b.offer.duration_minutes))
    status = BookingStatus.CONFIRMED
    booker_name = "Sam Example"
    booker_email = factory.Sequence(lambda n: f"booker{n}@example.org")
    organisation = "Example NHS Trust"
