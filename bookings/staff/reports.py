"""Staff reports (docs/impact.md, "Reports"): one list of report definitions, one page, one chart
and one CSV view for all of them.

Server-rendered: the chart is an SVG drawn by pygal with its JavaScript switched off (no
tooltips, nothing to run), served as an image with a text alternative, and the page carries the
same rows as a data table and a CSV download, so nothing depends on seeing the chart. The
queries are in report_queries.py; each report page runs a fixed number of them.
"""

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pygal
from django import forms
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.formats import date_format
from pygal.style import Style

from bookings.staff import report_queries as q
from bookings.staff.guards import staff_permission

# pygal writes its tooltip configuration as a <script> even with js=[]; the chart needs none.
SCRIPT = re.compile(rb"<script\b.*?</script>", re.S)
# High-contrast colours that stay apart for common colour blindness (Okabe–Ito); the chart also
# prints each value on its bar, so no figure is told by colour alone.
CHART_STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#0b0c0c",
    foreground_strong="#0b0c0c",
    foreground_subtle="#505a5f",
    colors=("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"),
    font_family="Arial, sans-serif",
    value_font_size=11,
)


class PeriodForm(forms.Form):
    """The GET filter: UK days of the chat, both ends optional and included."""

    start = forms.DateField(
        label="From",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the first day as a date, for example 2026-04-01."},
    )
    end = forms.DateField(
        label="To",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the last day as a date, for example 2026-06-30."},
    )

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", "The last day must be the same as or after the first day.")
        return data

    def period(self) -> q.Period:
        if not self.is_valid():
            return q.Period()
        return q.Period(self.cleaned_data.get("start"), self.cleaned_data.get("end"))


def _label(value) -> str:
    if isinstance(value, date):
        return date_format(value, "F Y")
    return str(value)


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def _busiest(table: q.Table, column: int) -> str:
    best = max(table.rows, key=lambda r: r[column])
    return f"{_label(best[0])} had the most, {best[column]:,}."


def summary_bookings(table: q.Table) -> str:
    total = sum(r[-1] for r in table.rows)
    return f"{_count(total, 'booking', 'bookings')} in these months. {_busiest(table, -1)}"


def summary_requests(table: q.Table) -> str:
    accepted = sum(r[1] for r in table.rows)
    declined = sum(r[2] for r in table.rows)
    text = f"Partners accepted {_count(accepted, 'request', 'requests')} and declined {declined:,}."
    median = table.extra.get("median_hours")
    if median is not None:
        text += f" Half of the answers came within {median} hours of the request."
    return text


def summary_cancellations(table: q.Table) -> str:
    cancelled = sum(r[1] for r in table.rows)
    missed = sum(r[2] for r in table.rows)
    total = sum(r[3] for r in table.rows)
    return (
        f"{_count(cancelled, 'chat was', 'chats were')} cancelled and {_count(missed, 'booker', 'bookers')} "
        f"did not attend, out of {_count(total, 'booking', 'bookings')}."
    )


def summary_ladder(table: q.Table) -> str:
    up, compared = table.extra["up"], table.extra["compared"]
    return (
        f"{_count(up, 'project', 'projects')} moved up the ladder, out of "
        f"{_count(compared, 'project', 'projects')} with a rung at booking and in feedback."
    )


def summary_usefulness(table: q.Table) -> str:
    scores = table.extra["scores"]
    total = sum(scores.values())
    useful = scores.get(4, 0) + scores.get(5, 0)
    if not total:
        return "No feedback in these dates."
    return (
        f"{_count(useful, 'answer', 'answers')} of {total:,} ({round(100 * useful / total)}%) "
        "found the chat useful (4 or 5 out of 5)."
    )


def summary_payments(table: q.Table) -> str:
    total = sum((r[1] for r in table.rows), Decimal("0.00"))
    return f"£{total:,} in involvement payments over {_count(len(table.rows), 'month', 'months')}."


@dataclass(frozen=True)
class Report:
    slug: str
    title: str
    about: str
    query: Callable[..., q.Table]
    summary: Callable[[q.Table], str]
    chart: str  # "bar" (grouped) or "stacked"
    y_title: str
    period_note: str = "Dates are the days of the chats, UK time."
    by_choices: bool = False


REPORTS = [
    Report(
        "bookings",
        "Bookings per month",
        "Every booking, by the month of the chat (UK time), whatever happened to it afterwards.",
        q.bookings_by_month,
        summary_bookings,
        "stacked",
        "Bookings",
        by_choices=True,
    ),
    Report(
        "requests",
        "Requests accepted and declined",
        "Requests that waited for a partner's answer, by the month of the chat, and how long "
        "partners took to answer (the median: half answered sooner).",
        q.requests_answered,
        summary_requests,
        "bar",
        "Requests",
    ),
    Report(
        "cancellations",
        "Cancellations and missed chats",
        "Chats cancelled (by anyone) and chats the booker did not attend, by the month of the chat.",
        q.cancellations_by_month,
        summary_cancellations,
        "bar",
        "Chats",
    ),
    Report(
        "ladder",
        "Movement on the ladder",
        "The project's rung on the co-production ladder when booking against the rung the booker "
        "gave in their feedback after the chat.",
        q.ladder_movement,
        summary_ladder,
        "bar",
        "Projects",
    ),
    Report(
        "usefulness",
        "How useful chats were",
        "How many feedback answers gave each score, from 1 (not useful) to 5 (very useful).",
        q.usefulness,
        summary_usefulness,
        "bar",
        "Answers",
    ),
    Report(
        "payments",
        "Involvement payments per month",
        "The total of payment lines by the month they are paid in, corrections included.",
        q.payments_by_month,
        summary_payments,
        "bar",
        "Pounds",
        period_note="Dates pick the months the payments are paid in.",
    ),
]
BY_SLUG = {r.slug: r for r in REPORTS}
PERMISSION = "bookings.view_booking"


def _report(slug) -> Report:
    if slug not in BY_SLUG:
        raise Http404("No such report")
    return BY_SLUG[slug]


def _by(request, report: Report) -> str:
    by = request.GET.get("by", "offer")
    return by if report.by_choices and by in q.BY_CHOICES else "offer"


def _table(request, report: Report) -> tuple[PeriodForm, q.Table, str]:
    form = PeriodForm(request.GET or None)
    kwargs = {"by": _by(request, report)} if report.by_choices else {}
    return form, report.query(form.period(), **kwargs), kwargs.get("by", "")


def title_of(report: Report, by: str) -> str:
    return f"{report.title} by {q.BY_LABELS[by]}" if by else report.title


def chart_svg(report: Report, table: q.Table, title: str) -> bytes:
    chart_class = pygal.StackedBar if report.chart == "stacked" else pygal.Bar
    chart = chart_class(
        style=CHART_STYLE,
        js=[],  # no script: the SVG is a picture only
        disable_xml_declaration=False,
        width=800,
        height=400,
        legend_at_bottom=True,
        show_y_guides=True,
        y_title=report.y_title,
        x_label_rotation=0,
        print_values=True,  # the figures are written on the bars, not told by colour alone
        print_zeroes=False,
        title=title,
    )
    chart.x_labels = [_label(r[0]) for r in table.rows]
    for index in table.series:
        chart.add(table.columns[index], [float(r[index]) for r in table.rows])
    return SCRIPT.sub(b"", chart.render())


@staff_permission(PERMISSION)
def index(request):
    context = {
        "reports": REPORTS,
        "header_title": "Reports",
        "page_title": "Reports",
        "header_icon": "table",
    }
    return render(request, "bookings/staff/reports.html", context)


@staff_permission(PERMISSION)
def report(request, report):
    definition = _report(report)
    form, table, by = _table(request, definition)
    title = title_of(definition, by)
    query = request.GET.urlencode()
    suffix = f"?{query}" if query else ""
    context = {
        "report": definition,
        "reports": REPORTS,
        "form": form,
        "table": table,
        "title": title,
        "by": by,
        "by_choices": list(q.BY_LABELS.items()) if definition.by_choices else [],
        "rows": [[_label(r[0]), *r[1:]] for r in table.rows],
        "summary": definition.summary(table) if table.rows else "",
        "chart_url": reverse("staff_ops:report_chart", args=[definition.slug]) + suffix,
        "csv_url": reverse("staff_ops:report_csv", args=[definition.slug]) + suffix,
        "header_title": definition.title,
        "page_title": definition.title,
        "header_icon": "table",
    }
    return render(request, "bookings/staff/report.html", context)


@staff_permission(PERMISSION)
def report_chart(request, report):
    definition = _report(report)
    _form, table, by = _table(request, definition)
    response = HttpResponse(
        chart_svg(definition, table, title_of(definition, by)), content_type="image/svg+xml"
    )
    # Even opened on its own, the picture may style itself and nothing else.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


def _csv_value(value):
    if isinstance(value, date):
        return f"{value:%Y-%m}"
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        # A partner's name or an offer's title must not run as a spreadsheet formula.
        return "'" + value
    return "" if value is None else value


@staff_permission(PERMISSION)
def report_csv(request, report):
    definition = _report(report)
    _form, table, by = _table(request, definition)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = definition.slug + (f"-by-{by}" if by else "")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    writer = csv.writer(response)
    writer.writerow([_csv_value(c) for c in table.columns])
    for row in table.rows:
        writer.writerow([_csv_value(v) for v in row])
    return response
