"""A partner roster for the availability benchmark, the time-step benchmark (bench/pages.py) and
the time step's query-count test, made cheaply with bulk_create (docs/performance.md).

`build` makes `partners` bench partners, each free 09:30-12:30 and 13:30-17:00 UK time every
weekday (two weekly recurring rules), with two days of time off, a daily cap of 3 and a weekly
cap of 10, one 30-minute offer with a 10-minute buffer served by all of them, and bookings:
`in_range` from `now` over 12 weeks and `past` before it. Bookings alternate 10:00 and 14:00 UTC,
one partner at each, so none of a partner's chats overlap (the PostgreSQL exclusion constraint).
Only the roster's own rows are replaced on a second call; other partners and offers stay."""

import uuid
from datetime import UTC, date, datetime, time, timedelta

import recurrence

from bookings.models import AvailabilityRule, Booking, Offer, Partner, TimeOff

NAME = "Bench partner"
OFFER_TITLE = "Bench 30-minute chat"
WEEKDAYS = recurrence.Recurrence(rrules=[recurrence.Rule(recurrence.WEEKLY, byday=[0, 1, 2, 3, 4])])


def clear() -> None:
    """Remove a roster made earlier (bookings protect their partner and offer, so they go first)."""
    Booking.objects.filter(offer__title=OFFER_TITLE).delete()
    Offer.objects.filter(title=OFFER_TITLE).delete()
    Partner.objects.filter(display_name__startswith=f"{NAME} ").delete()


def build(partners: int = 20, in_range: int = 1200, past: int = 800, *, now: datetime) -> Offer:
    clear()
    people = Partner.objects.bulk_create(
        Partner(display_name=f"{NAME} {i}", max_chats_per_day=3, max_chats_per_week=10, rest_minutes=15)
        for i in range(partners)
    )
    AvailabilityRule.objects.bulk_create(
        AvailabilityRule(
            partner=p, recurrence=WEEKDAYS, start_time=start, end_time=end, starts_on=date(2025, 1, 6)
        )
        for p in people
        for start, end in ((time(9, 30), time(12, 30)), (time(13, 30), time(17)))
    )
    TimeOff.objects.bulk_create(
        TimeOff(partner=p, start=now + timedelta(days=20 + i % 30), end=now + timedelta(days=22 + i % 30))
        for i, p in enumerate(people)
    )
    offer = Offer.objects.create(title=OFFER_TITLE, duration_minutes=30, buffer_after_minutes=10)
    offer.partners.set(people)
    rows = []
    # Bookings on weekdays at 10:00 or 14:00 UTC in turn, spread over partners and days.
    for i in range(in_range + past):
        day = (i // partners) % 84 if i < in_range else -1 - (i // partners) % 400
        start = datetime.combine(now.date() + timedelta(days=day), time(10 if i % 2 else 14), UTC)
        b = Booking(
            partner=people[i % partners],
            offer=offer,
            booker_name="Bench",
            booker_email="bench@example.org",
            status="confirmed",
            public_id=uuid.uuid4(),
        )
        b.set_times(start, offer)
        b.ical_uid = f"{b.public_id}@bench"
        rows.append(b)
    Booking.objects.bulk_create(rows, batch_size=500)
    return offer
