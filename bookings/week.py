"""One week across every partner for staff: chats, requests, time off, each partner's load, and
what needs attention (docs/staff-operations.md, "This week"). Six queries whatever the number of
bookings or partners; times as UK wall-clock time."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Q

from bookings.attention import open_hand_backs, waiting_limit
from bookings.models import DEFAULT_TIME_ZONE, Booking, BookingStatus, Partner, TimeOff

UK = ZoneInfo(DEFAULT_TIME_ZONE)
# What takes a partner's time and counts towards their limits.
COUNTED = (BookingStatus.PENDING, BookingStatus.CONFIRMED, BookingStatus.COMPLETED, BookingStatus.NO_SHOW)


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def uk_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), UK)


@dataclass
class Entry:
    start: datetime
    end: datetime
    partner: Partner
    kind: str  # "chat", "request" or "time off"
    booking: Booking | None = None
    waiting_too_long: bool = False
    hand_back: object = None


@dataclass
class Day:
    day: date
    entries: list = field(default_factory=list)


@dataclass
class Load:
    partner: Partner
    week: int
    busiest_day: int
    month: int

    @property
    def over_week(self) -> bool:
        limit = self.partner.max_chats_per_week
        return limit is not None and self.week > limit

    @property
    def at_week(self) -> bool:
        limit = self.partner.max_chats_per_week
        return limit is not None and self.week >= limit

    @property
    def over_day(self) -> bool:
        limit = self.partner.max_chats_per_day
        return limit is not None and self.busiest_day > limit


@dataclass
class Week:
    monday: date
    days: list
    loads: list
    waiting_limit: timedelta
    hand_backs: list
    waiting: int

    @property
    def waiting_limit_hours(self) -> int:
        return int(self.waiting_limit.total_seconds() // 3600)

    @property
    def previous(self) -> date:
        return self.monday - timedelta(days=7)

    @property
    def next(self) -> date:
        return self.monday + timedelta(days=7)


def week(monday: date, now: datetime) -> Week:
    start, end = uk_midnight(monday), uk_midnight(monday + timedelta(days=7))
    month_start = uk_midnight(monday.replace(day=1))
    month_end = uk_midnight((monday.replace(day=28) + timedelta(days=4)).replace(day=1))
    limit = waiting_limit()
    hand_backs = {h.booking_id: h for h in open_hand_backs(now)}
    days = [Day(monday + timedelta(days=i)) for i in range(7)]
    per_day = defaultdict(lambda: defaultdict(int))
    bookings = (
        Booking.objects.filter(start__lt=end, end__gt=start, status__in=COUNTED)
        .select_related("partner", "offer")
        .order_by("start", "pk")
    )
    waiting = 0
    for b in bookings:
        local_day = b.start.astimezone(UK).date()
        pending = b.status == BookingStatus.PENDING
        too_long = pending and b.created_at <= now - limit and b.start > now
        waiting += too_long
        entry = Entry(
            b.start, b.end, b.partner, "request" if pending else "chat", b, too_long, hand_backs.get(b.pk)
        )
        if monday <= local_day < monday + timedelta(days=7):
            days[(local_day - monday).days].entries.append(entry)
            per_day[b.partner_id][local_day] += 1
    for t in TimeOff.objects.filter(start__lt=end, end__gt=start).select_related("partner").order_by("start"):
        first = max(t.start.astimezone(UK).date(), monday)
        last = min((t.end - timedelta(microseconds=1)).astimezone(UK).date(), monday + timedelta(days=6))
        for offset in range((last - first).days + 1):
            days[(first - monday).days + offset].entries.append(Entry(t.start, t.end, t.partner, "time off"))
    for d in days:
        d.entries.sort(key=lambda e: (e.start, e.partner.display_name))
    week_q = Q(bookings__start__gte=start, bookings__start__lt=end, bookings__status__in=COUNTED)
    month_q = Q(bookings__start__gte=month_start, bookings__start__lt=month_end, bookings__status__in=COUNTED)
    partners = Partner.objects.filter(active=True).annotate(
        week_count=Count("bookings", filter=week_q), month_count=Count("bookings", filter=month_q)
    )
    loads = [
        Load(p, p.week_count, max(per_day[p.pk].values(), default=0), p.month_count)
        for p in partners.order_by("display_name", "pk")
    ]
    return Week(monday, days, loads, limit, list(hand_backs.values()), waiting)
