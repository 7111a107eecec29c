"""The staff reports' queries (docs/impact.md, "Reports"): each returns a `Table` of rows.

Every query aggregates in the database (TruncMonth, Count, Sum) and runs a fixed number of
queries whatever the number of bookings; only the grouped rows come back. Months and days are UK
ones. `Period` limits a report to chats on those UK days (payments: to the months paid in).
"""

import statistics
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import (
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
)
from django.db.models.functions import TruncMonth

from bookings.models import (
    DEFAULT_TIME_ZONE,
    Booking,
    BookingEvent,
    BookingStatus,
    Feedback,
    Format,
    PaymentLine,
)
from home.models import LadderRung

UK = zoneinfo.ZoneInfo(DEFAULT_TIME_ZONE)


@dataclass(frozen=True)
class Period:
    """UK days from `start` to `end`, both included; either may be open."""

    start: date | None = None
    end: date | None = None

    def bounds(self) -> Q:
        q = Q()
        if self.start:
            q &= Q(start__gte=datetime.combine(self.start, time(), UK))
        if self.end:
            q &= Q(start__lt=datetime.combine(self.end + timedelta(days=1), time(), UK))
        return q

    def prefixed(self, prefix: str) -> Q:
        """The same bounds on a related booking (e.g. "booking__")."""
        return Q(*[Q(**{f"{prefix}{k}": v}) for k, v in self.bounds().children])


@dataclass
class Table:
    """A report's figures: `columns` heads the table and the CSV; each row starts with its label
    (a month, a score, a movement) followed by one value per remaining column. `series` names the
    columns (by index) drawn in the chart."""

    columns: list[str]
    rows: list[list] = field(default_factory=list)
    series: list[int] = field(default_factory=list)
    extra: dict = field(default_factory=dict)


def _month(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def _months(values) -> list[date]:
    return sorted({_month(v) for v in values})


BY_CHOICES = {"offer": "offer__title", "format": "format", "partner": "partner__display_name"}
BY_LABELS = {"offer": "offer", "format": "format", "partner": "partner"}


def bookings_by_month(period: Period = Period(), by: str = "offer") -> Table:
    """Every booking, whatever its status, by the UK month of the chat and offer, format or
    partner. One query."""
    key = BY_CHOICES[by]
    grouped = (
        Booking.objects.filter(period.bounds())
        .annotate(month=TruncMonth("start", tzinfo=UK))
        .values("month", key)
        .annotate(n=Count("pk"))
        .order_by("month", key)
    )
    counts = {(_month(r["month"]), r[key]): r["n"] for r in grouped}
    labels = dict(Format.choices)
    groups = sorted({g for _, g in counts})
    names = [labels.get(g, g) if by == "format" else g for g in groups]
    months = _months(m for m, _ in counts)
    table = Table(["Month", *names, "All"], series=list(range(1, len(groups) + 1)))
    for m in months:
        values = [counts.get((m, g), 0) for g in groups]
        table.rows.append([m, *values, sum(values)])
    return table


def requests_answered(period: Period = Period()) -> Table:
    """Requests (bookings placed as "waiting for the partner") accepted and declined, by the UK
    month of the chat, with the median hours from the request to the answer. The answer times
    come from the booking history: the "placed" event and the first "confirmed" or "declined"
    event from pending. Two queries; the median is taken over one column of durations because
    SQLite has no median aggregate."""
    placed = BookingEvent.objects.filter(booking=OuterRef("booking"), action="placed").values("at")[:1]
    answers = (
        BookingEvent.objects.filter(period.prefixed("booking__"))
        .filter(from_status=BookingStatus.PENDING, action__in=("confirmed", "declined"))
        .annotate(
            month=TruncMonth("booking__start", tzinfo=UK),
            asked=Subquery(placed, output_field=DateTimeField()),
        )
        .annotate(waited=ExpressionWrapper(F("at") - F("asked"), output_field=DurationField()))
    )
    counts = {
        (_month(r["month"]), r["action"]): r["n"]
        for r in answers.values("month", "action").annotate(n=Count("pk")).order_by("month", "action")
    }
    waits: dict[date, list[float]] = {}
    for month, waited in answers.filter(asked__isnull=False).values_list("month", "waited"):
        waits.setdefault(_month(month), []).append(waited.total_seconds() / 3600)
    table = Table(["Month", "Accepted", "Declined", "Median hours to answer"], series=[1, 2])
    for m in _months(m for m, _ in counts):
        hours = waits.get(m)
        table.rows.append([m, counts.get((m, "confirmed"), 0), counts.get((m, "declined"), 0), _hours(hours)])
    everything = [h for hours in waits.values() for h in hours]
    table.extra["median_hours"] = _hours(everything)
    return table


def _hours(values) -> Decimal | None:
    if not values:
        return None
    return Decimal(str(statistics.median(values))).quantize(Decimal("0.1"))


def cancellations_by_month(period: Period = Period()) -> Table:
    """Cancelled chats and chats the booker did not attend, out of all bookings, by UK month of
    the chat. One query."""
    grouped = (
        Booking.objects.filter(period.bounds())
        .annotate(month=TruncMonth("start", tzinfo=UK))
        .values("month")
        .annotate(
            cancelled=Count("pk", filter=Q(status=BookingStatus.CANCELLED)),
            no_show=Count("pk", filter=Q(status=BookingStatus.NO_SHOW)),
            n=Count("pk"),
        )
        .order_by("month")
    )
    table = Table(["Month", "Cancelled", "Did not attend", "All bookings"], series=[1, 2])
    for r in grouped:
        table.rows.append([_month(r["month"]), r["cancelled"], r["no_show"], r["n"]])
    return table


def ladder_movement(period: Period = Period()) -> Table:
    """Projects' ladder rung at booking against the rung the booker gave in their feedback:
    how many moved up or down, by how many rungs (positions on the ladder as editors order it
    now). Two queries: the rungs, and the feedback grouped by the pair of rungs."""
    position = {
        pk: i
        for i, pk in enumerate(LadderRung.objects.order_by("sort_order", "pk").values_list("pk", flat=True))
    }
    pairs = (
        Feedback.objects.filter(period.prefixed("booking__"))
        .values("booking__ladder_rung", "ladder_rung")
        .annotate(n=Count("pk"))
        .order_by()
    )
    moves: dict[int | None, int] = {}
    for r in pairs:
        before, after = position.get(r["booking__ladder_rung"]), position.get(r["ladder_rung"])
        step = None if before is None or after is None else after - before
        moves[step] = moves.get(step, 0) + r["n"]
    table = Table(["Movement", "Projects"], series=[1])
    for step in sorted((s for s in moves if s is not None), reverse=True):
        table.rows.append([_movement(step), moves[step]])
    if None in moves:
        table.rows.append(["Rung not given at booking or in feedback", moves[None]])
    table.extra["up"] = sum(n for s, n in moves.items() if s is not None and s > 0)
    table.extra["compared"] = sum(n for s, n in moves.items() if s is not None)
    return table


def _movement(step: int) -> str:
    if step == 0:
        return "Stayed on the same rung"
    rungs = "rung" if abs(step) == 1 else "rungs"
    return f"Moved {'up' if step > 0 else 'down'} {abs(step)} {rungs}"


USEFULNESS = {1: "1 (not useful)", 2: "2", 3: "3", 4: "4", 5: "5 (very useful)"}


def usefulness(period: Period = Period()) -> Table:
    """How many feedback answers gave each usefulness score, 1 to 5 (every score shown). One
    query."""
    counts = dict(
        Feedback.objects.filter(period.prefixed("booking__"))
        .values("usefulness")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("usefulness", "n")
    )
    table = Table(["Usefulness", "Answers"], series=[1])
    for score, label in USEFULNESS.items():
        table.rows.append([label, counts.get(score, 0)])
    table.extra["scores"] = counts
    return table


def payments_by_month(period: Period = Period()) -> Table:
    """The sum of payment lines (reversals included, so corrections net off) by the month they
    are paid in, in pounds as Decimal. The period picks months paid in. One query."""
    lines = PaymentLine.objects.all()
    if period.start:
        lines = lines.filter(month__gte=period.start.replace(day=1))
    if period.end:
        lines = lines.filter(month__lte=period.end)
    grouped = lines.values("month").annotate(total=Sum("amount"), n=Count("pk")).order_by("month")
    table = Table(["Month paid in", "Amount (£)", "Payment lines"], series=[1])
    for r in grouped:
        table.rows.append([r["month"], Decimal(r["total"]).quantize(Decimal("0.01")), r["n"]])
    return table
