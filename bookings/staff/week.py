"""Staff: "This week", one week across every partner (docs/staff-operations.md). Works without
JavaScript: the week is chosen by ?week=YYYY-MM-DD links."""

from datetime import date, timedelta

from django.shortcuts import render
from django.utils import timezone

from bookings import week as week_data
from bookings.staff.guards import staff_permission

# ?week= is typed or edited by hand: keep its week, the weeks either side and its month inside
# the dates Python can hold, or the page would fail instead of showing this week.
EARLIEST = date.min + timedelta(days=40)
LATEST = date.max - timedelta(days=40)


@staff_permission("bookings.view_booking")
def this_week(request):
    now = timezone.now()
    today = now.astimezone(week_data.UK).date()
    try:
        asked = date.fromisoformat(request.GET.get("week", ""))
    except ValueError:
        asked = today
    if not EARLIEST <= asked <= LATEST:
        asked = today  # a week whose neighbours (or month) fall outside what dates can hold
    monday = week_data.monday_of(asked)
    context = {
        "week": week_data.week(monday, now),
        "today": today,
        "this_monday": week_data.monday_of(today),
        "header_title": "This week",
        "page_title": "This week",
        "header_icon": "date",
    }
    return render(request, "bookings/staff/week.html", context)
