"""Staff report: bookings per month by offer (docs/impact.md, "Reports").

Server-rendered: the chart is an SVG drawn by pygal with its JavaScript switched off (no
tooltips, nothing to run), served as an image, and the page carries the same figures as a data
table and a CSV download, so nothing depends on seeing the chart. Months are UK months of the
chat; every booking counts, whatever its status.
"""

import csv
import re
import zoneinfo
from datetime import date

import pygal
from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.http import HttpResponse
from django.shortcuts import render
from pygal.style import Style

from bookings.models import DEFAULT_TIME_ZONE, Booking
from bookings.staff.guards import staff_permission

UK = zoneinfo.ZoneInfo(DEFAULT_TIME_ZONE)
# pygal writes its tooltip configuration as a <script> even with js=[]; the chart needs none.
SCRIPT = re.compile(rb"<script\b.*?</script>", re.S)
# High-contrast colours that stay apart for common colour blindness (Okabe–Ito).
CHART_STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#0b0c0c",
    foreground_strong="#0b0c0c",
    foreground_subtle="#505a5f",
    colors=("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"),
    font_family="Arial, sans-serif",
)


def bookings_by_month() -> tuple[list[date], list[str], dict[tuple[date, str], int]]:
    """(months in order, offer titles in order, {(month, offer): count}) in one query."""
    rows = (
        Booking.objects.annotate(month=TruncMonth("start", tzinfo=UK))
        .values("month", "offer__title")
        .annotate(n=Count("pk"))
        .order_by("month", "offer__title")
    )
    counts: dict[tuple[date, str], int] = {}
    for row in rows:
        month = row["month"].date() if hasattr(row["month"], "date") else row["month"]
        counts[(month, row["offer__title"])] = row["n"]
    months = sorted({m for m, _ in counts})
    offers = sorted({o for _, o in counts})
    return months, offers, counts


def chart_svg(months, offers, counts) -> bytes:
    chart = pygal.Bar(
        style=CHART_STYLE,
        js=[],  # no script: the SVG is a picture only
        disable_xml_declaration=False,
        width=800,
        height=400,
        legend_at_bottom=True,
        show_y_guides=True,
        y_title="Bookings",
        x_label_rotation=0,
        print_values=False,
        title="Bookings per month by offer",
    )
    chart.x_labels = [f"{m:%b %Y}" for m in months]
    for offer in offers:
        chart.add(offer, [counts.get((m, offer), 0) for m in months])
    return SCRIPT.sub(b"", chart.render())


@staff_permission("bookings.view_booking")
def report(request):
    months, offers, counts = bookings_by_month()
    rows = [(m, [counts.get((m, o), 0) for o in offers]) for m in months]
    context = {
        "months": months,
        "offers": offers,
        "rows": [(m, values, sum(values)) for m, values in rows],
        "header_title": "Bookings per month",
        "page_title": "Bookings per month",
        "header_icon": "table",
    }
    return render(request, "bookings/staff/report_bookings.html", context)


@staff_permission("bookings.view_booking")
def report_chart(request):
    response = HttpResponse(chart_svg(*bookings_by_month()), content_type="image/svg+xml")
    # Even opened on its own, the picture may style itself and nothing else.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


@staff_permission("bookings.view_booking")
def report_csv(request):
    months, offers, counts = bookings_by_month()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="bookings-per-month.csv"'
    writer = csv.writer(response)
    writer.writerow(["Month", "Offer", "Bookings"])
    for month in months:
        for offer in offers:
            writer.writerow([f"{month:%Y-%m}", offer, counts.get((month, offer), 0)])
    return response
