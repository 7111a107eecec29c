"""How the workspace words times: the public site's style ("9:30am", "5pm"), in the partner's
zone (partner_required activates it), and whole days of time off as "all day"."""

from datetime import datetime, time, timedelta

from django import template
from django.utils import timezone

from bookings.models import BookingStatus
from bookings.zones import format_clock, format_day

register = template.Library()


def _local(value: datetime) -> datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


@register.filter
def clock(value) -> str:
    """A time of day or an aware datetime as "9am" or "2:15pm"."""
    if value in (None, ""):
        return ""
    return format_clock(value if isinstance(value, time) else _local(value).time())


@register.filter
def day(value) -> str:
    """'Monday 7 December 2026'."""
    return format_day(_local(value).date()) if isinstance(value, datetime) else format_day(value)


@register.filter
def span(entry) -> str:
    """A stretch of time off: "Monday 7 December 2026, all day", "Monday 7 December 2026 to
    Wednesday 9 December 2026, all day", "Monday 7 December 2026, 9:30am to 5pm", or with two days
    and two times when it starts and ends part-way through different days."""
    start, end = _local(entry.start), _local(entry.end)
    if start.time() == time(0) and end.time() == time(0) and end > start:
        last = (end - timedelta(days=1)).date()
        if last == start.date():
            return f"{format_day(start.date())}, all day"
        return f"{format_day(start.date())} to {format_day(last)}, all day"
    if start.date() == end.date():
        return f"{format_day(start.date())}, {format_clock(start.time())} to {format_clock(end.time())}"
    return (
        f"{format_day(start.date())}, {format_clock(start.time())} to "
        f"{format_day(end.date())}, {format_clock(end.time())}"
    )


@register.filter
def partner_status(booking) -> str:
    """The status as the partner reads it: a request waits for them, not for "the partner"."""
    if booking.status == BookingStatus.PENDING:
        return "Waiting for you to accept"
    return booking.get_status_display()
