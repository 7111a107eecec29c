"""The listing and a booking's page cost the same number of queries at 10 and 1,000 bookings."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bookings.models import Booking, BookingEvent
from tests.support.second_factor import sign_in_verified

from .staff_people import coordinator

pytestmark = pytest.mark.django_db


def make(offer, partner, count, *, after: int = 0):
    # Two hours apart, never overlapping earlier ones (PostgreSQL's exclusion constraint forbids it).
    rows = []
    for i in range(count):
        booking = Booking(partner=partner, offer=offer, booker_name=f"Person {i}",
                          booker_email=f"p{i}@example.org", status="confirmed")  # fmt: skip
        booking.public_id = uuid.uuid4()
        booking.ical_uid = f"{booking.public_id}@test"
        booking.set_times(datetime(2026, 6, 1, tzinfo=UTC) + timedelta(hours=2 * (after + i)), offer)
        rows.append(booking)
    made = Booking.objects.bulk_create(rows)
    BookingEvent.objects.bulk_create(
        BookingEvent(booking=b, at=b.start, actor_label="booker", action="placed", to_status="confirmed")
        for b in made
    )
    return made[0]


def count(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_listing_and_page_query_counts_do_not_grow(client, offer, partner):
    sign_in_verified(client, coordinator())
    first = make(offer, partner, 10)
    listing, page = reverse("booking:index"), reverse("booking:inspect", args=[first.pk])
    count(client, listing)  # warm per-process caches (content types, site settings)
    at_ten = (count(client, listing), count(client, page))
    make(offer, partner, 990, after=10)
    at_thousand = (count(client, listing), count(client, page))
    assert at_ten == at_thousand, (at_ten, at_thousand)
