"""Bookings for the staff reports' tests and bench/reports.py, made cheaply with bulk_create:
every status, three formats, two offers, three partners, history events for requests, feedback
with usefulness and ladder rungs, and payment lines (docs/impact.md, "Reports").

Chats are three hours apart for one partner in three, so no two of a partner's chats overlap
(the PostgreSQL exclusion constraint) and the rows spread over many UK months."""

import uuid
import zoneinfo
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bookings.models import (
    Booking,
    BookingEvent,
    BookingStatus,
    Feedback,
    Format,
    Offer,
    Partner,
    PaymentKind,
    PaymentLine,
)
from home.models import LadderRung

UK = zoneinfo.ZoneInfo("Europe/London")
S = BookingStatus
STATUSES = [S.COMPLETED, S.CONFIRMED, S.CANCELLED, S.NO_SHOW, S.DECLINED, S.PENDING, S.COMPLETED]
FORMATS = [Format.VIDEO, Format.PHONE, Format.IN_PERSON]
FIRST = datetime(2023, 1, 2, 9, tzinfo=UTC)


def cast():
    """The offers, partners and rungs the rows use (made once, found again after)."""
    offers = [
        Offer.objects.get_or_create(title=t, defaults={"duration_minutes": 60})[0]
        for t in ("Chat", "Session")
    ]
    partners = [Partner.objects.get_or_create(display_name=n)[0] for n in ("Ada", "Bea", "Cal")]
    rungs = list(LadderRung.objects.order_by("sort_order", "pk"))
    while len(rungs) < 4:
        rungs.append(LadderRung.objects.create(name=f"Rung {len(rungs) + 1}", explanation="A rung."))
    return offers, partners, rungs[:4]


def build(n: int, *, offset: int = 0) -> None:
    """Add `n` bookings numbered from `offset` (so a second call adds more, never the same)."""
    offers, partners, rungs = cast()
    bookings = []
    for i in range(offset, offset + n):
        start = FIRST + timedelta(hours=3 * i)
        status = STATUSES[i % len(STATUSES)]
        offer = offers[i % 2]
        b = Booking(
            public_id=uuid.uuid4(),
            partner=partners[i % 3],
            offer=offer,
            start=start,
            end=start + timedelta(minutes=60),
            blocked_start=start,
            blocked_end=start + timedelta(minutes=60),
            status=status,
            booker_name="Report Example",
            booker_email=f"report{i}@example.org",
            format=FORMATS[i % 3],
            ladder_rung=rungs[i % 3] if i % 5 else None,
        )
        b.ical_uid = f"{b.public_id}@example.org"
        bookings.append(b)
    Booking.objects.bulk_create(bookings, batch_size=500)
    events, feedback, lines = [], [], []
    for i, b in zip(range(offset, offset + n), bookings, strict=True):
        asked = b.start - timedelta(days=4, hours=i % 7)
        # Half the offers need acceptance: their chats were requests first.
        request = i % 2 == 0 or b.status in (S.DECLINED, S.PENDING)
        events.append(
            BookingEvent(
                booking=b,
                at=asked,
                actor_label="booker",
                action="placed",
                to_status=S.PENDING if request else S.CONFIRMED,
            )
        )
        if request and b.status != S.PENDING:
            answered = asked + timedelta(hours=1 + i % 11)
            action = "declined" if b.status == S.DECLINED else "confirmed"
            if b.status == S.CANCELLED and i % 4 == 0:
                action = "cancelled"  # cancelled while still waiting: never answered
            events.append(
                BookingEvent(
                    booking=b,
                    at=answered,
                    actor_label="partner",
                    action=action,
                    from_status=S.PENDING,
                    to_status=S.DECLINED if action == "declined" else S.CONFIRMED,
                )
            )
        if b.status == S.COMPLETED:
            if i % 3:
                feedback.append(
                    Feedback(
                        booking=b,
                        submitted_at=b.end + timedelta(days=1),
                        usefulness=1 + i % 5,
                        ladder_rung=rungs[(i // 7) % 4] if i % 11 else None,
                    )
                )
            day = b.start.astimezone(UK).date()
            lines.append(
                PaymentLine(
                    partner=b.partner,
                    booking=b,
                    offer=b.offer,
                    kind=PaymentKind.COMPLETED,
                    chat_date=day,
                    month=day.replace(day=1),
                    amount=Decimal("25.50") + i % 3,
                    created_at=b.end,
                )
            )
    BookingEvent.objects.bulk_create(events, batch_size=1000)
    Feedback.objects.bulk_create(feedback, batch_size=1000)
    PaymentLine.objects.bulk_create(lines, batch_size=1000)
