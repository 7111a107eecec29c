"""The staff reports (docs/impact.md, "Reports"): each report's figures agree with counts made
here from the rows themselves; the page's table, the chart and the CSV carry the same rows; the
date filter limits them and explains bad dates kindly; each page runs a fixed number of queries
(100 against 10,000 bookings); staff only."""

import csv
import io
import re
import statistics
import zoneinfo
from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bookings.models import Booking, BookingEvent, BookingStatus, Feedback, PaymentLine
from bookings.staff import report_queries as q
from bookings.staff.reports import REPORTS
from home.models import LadderRung
from tests.support import report_data
from tests.support.second_factor import sign_in_verified

from .factories import BookingFactory, OfferFactory

pytestmark = pytest.mark.django_db
UK = zoneinfo.ZoneInfo("Europe/London")


def uk_month(moment) -> date:
    return moment.astimezone(UK).date().replace(day=1)


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_user("coordinator", password="pw")  # noqa: S106
    user.groups.add(Group.objects.get(name="Staff"))
    return sign_in_verified(client, user)


@pytest.fixture
def rows():
    report_data.build(400)


def test_bookings_by_uk_month_and_offer():
    chat, session = OfferFactory(title="Chat"), OfferFactory(title="Session")
    for start, offer in (
        (datetime(2026, 5, 4, 10, tzinfo=UTC), chat),
        (datetime(2026, 5, 5, 10, tzinfo=UTC), chat),
        (datetime(2026, 5, 6, 10, tzinfo=UTC), session),
        # 23:30 UTC on 30 June is 1 July in London: a UK month.
        (datetime(2026, 6, 30, 23, 30, tzinfo=UTC), chat),
    ):
        BookingFactory(offer=offer, start=start)
    table = q.bookings_by_month()
    assert table.columns == ["Month", "Chat", "Session", "All"]
    assert table.rows == [[date(2026, 5, 1), 2, 1, 3], [date(2026, 7, 1), 1, 0, 1]]


@pytest.mark.parametrize(
    ("by", "attribute"),
    [("offer", "offer.title"), ("format", "get_format_display"), ("partner", "partner.display_name")],
)
def test_bookings_report_agrees_with_the_rows(rows, by, attribute):
    expected = Counter()
    for b in Booking.objects.select_related("offer", "partner"):
        value = b
        for part in attribute.split("."):
            value = getattr(value, part)
        expected[(uk_month(b.start), value() if callable(value) else value)] += 1
    table = q.bookings_by_month(by=by)
    got = {(r[0], name): r[i] for r in table.rows for i, name in enumerate(table.columns[1:-1], 1) if r[i]}
    assert got == dict(expected)
    assert sum(r[-1] for r in table.rows) == Booking.objects.count()


def test_requests_report_agrees_with_the_history(rows):
    placed = {e.booking_id: e.at for e in BookingEvent.objects.filter(action="placed")}
    accepted, declined, waits = Counter(), Counter(), defaultdict(list)
    for e in BookingEvent.objects.filter(from_status="pending").select_related("booking"):
        month = uk_month(e.booking.start)
        if e.action == "confirmed":
            accepted[month] += 1
        elif e.action == "declined":
            declined[month] += 1
        else:
            continue
        waits[month].append((e.at - placed[e.booking_id]).total_seconds() / 3600)
    table = q.requests_answered()
    assert accepted and declined
    for month, got_accepted, got_declined, median in table.rows:
        assert (got_accepted, got_declined) == (accepted[month], declined[month])
        assert median == Decimal(str(statistics.median(waits[month]))).quantize(Decimal("0.1"))
    assert {r[0] for r in table.rows} == set(accepted) | set(declined)
    every = [h for hours in waits.values() for h in hours]
    assert table.extra["median_hours"] == Decimal(str(statistics.median(every))).quantize(Decimal("0.1"))


def test_cancellations_report_agrees_with_the_rows(rows):
    expected = defaultdict(lambda: [0, 0, 0])
    for b in Booking.objects.all():
        counts = expected[uk_month(b.start)]
        counts[0] += b.status == BookingStatus.CANCELLED
        counts[1] += b.status == BookingStatus.NO_SHOW
        counts[2] += 1
    assert {r[0]: r[1:] for r in q.cancellations_by_month().rows} == dict(expected)


def test_ladder_report_agrees_with_the_rows(rows):
    position = {r.pk: i for i, r in enumerate(LadderRung.objects.order_by("sort_order", "pk"))}
    moves = Counter()
    for f in Feedback.objects.select_related("booking"):
        if f.booking.ladder_rung_id is None or f.ladder_rung_id is None:
            moves["none"] += 1
        else:
            moves[position[f.ladder_rung_id] - position[f.booking.ladder_rung_id]] += 1
    table = q.ladder_movement()
    expected = {
        q._movement(k) if k != "none" else "Rung not given at booking or in feedback": n
        for k, n in moves.items()
    }
    assert dict(table.rows) == expected
    assert table.extra["up"] == sum(n for k, n in moves.items() if k != "none" and k > 0) > 0
    assert "Moved up 2 rungs" in expected and "Moved down 1 rung" in expected


def test_usefulness_report_agrees_with_the_rows(rows):
    scores = Counter(Feedback.objects.values_list("usefulness", flat=True))
    assert [n for _, n in q.usefulness().rows] == [scores[s] for s in range(1, 6)]


def test_payments_report_agrees_with_the_rows(rows):
    totals = defaultdict(Decimal)
    for line in PaymentLine.objects.all():
        totals[line.month] += line.amount
    table = q.payments_by_month()
    assert {r[0]: r[1] for r in table.rows} == dict(totals)
    assert all(isinstance(r[1], Decimal) for r in table.rows)


def test_the_period_keeps_only_chats_on_those_uk_days(rows):
    period = q.Period(date(2023, 1, 15), date(2023, 2, 10))
    inside = [
        b
        for b in Booking.objects.all()
        if date(2023, 1, 15) <= b.start.astimezone(UK).date() <= date(2023, 2, 10)
    ]
    table = q.bookings_by_month(period)
    assert [r[0] for r in table.rows] == [date(2023, 1, 1), date(2023, 2, 1)]
    assert sum(r[-1] for r in table.rows) == len(inside)
    assert [r[0] for r in q.payments_by_month(period).rows] == [date(2023, 1, 1), date(2023, 2, 1)]


@pytest.mark.parametrize("report", [r.slug for r in REPORTS])
def test_page_table_chart_and_csv_agree(rows, staff_client, report):
    query = {"start": "2023-01-01", "end": "2023-06-30"}
    html = staff_client.get(reverse("staff_ops:report", args=[report]), query).content.decode()
    definition = next(r for r in REPORTS if r.slug == report)
    table = definition.query(q.Period(date(2023, 1, 1), date(2023, 6, 30)))
    assert table.rows
    assert f"<caption>{definition.title}" in html
    assert 'alt="Bar chart: ' in html and "The same figures are in the table below." in html
    assert 'class="staff-report-summary"' in html
    first = table.rows[0]
    label = f"{first[0]:%B %Y}" if isinstance(first[0], date) else first[0]
    assert f'<th scope="row">{label}</th>' in html

    chart = staff_client.get(reverse("staff_ops:report_chart", args=[report]), query)
    assert chart["Content-Type"] == "image/svg+xml"
    svg = chart.content.decode()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "<script" not in svg.lower()
    # Nothing the picture would fetch: no links, imports or external fonts.
    assert not re.search(r"href=.https?:|url\(|@import|src=", svg)
    assert label in svg

    response = staff_client.get(reverse("staff_ops:report_csv", args=[report]), query)
    got = list(csv.reader(io.StringIO(response.content.decode())))
    assert got[0] == table.columns
    assert len(got) == len(table.rows) + 1
    assert got[1][1:] == ["" if v is None else str(v) for v in first[1:]]


def test_the_bookings_report_counts_by_format(rows, staff_client):
    html = staff_client.get(reverse("staff_ops:report", args=["bookings"]), {"by": "format"}).content.decode()
    assert "<caption>Bookings per month by format</caption>" in html
    assert '<th scope="col">Phone call</th>' in html
    rows_ = list(
        csv.reader(
            io.StringIO(
                staff_client.get(
                    reverse("staff_ops:report_csv", args=["bookings"]), {"by": "format"}
                ).content.decode()
            )
        )
    )
    assert rows_[0] == ["Month", "In person", "Phone call", "Video call", "All"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"start": "soon"}, "Enter the first day as a date, for example 2026-04-01."),
        (
            {"start": "2024-05-01", "end": "2024-04-01"},
            "The last day must be the same as or after the first day.",
        ),
    ],
)
def test_bad_dates_are_explained_and_all_dates_shown(rows, staff_client, query, message):
    response = staff_client.get(reverse("staff_ops:report", args=["bookings"]), query)
    html = response.content.decode()
    assert response.status_code == 200
    assert "These dates need fixing" in html and message in html
    assert 'aria-invalid="true"' in html
    assert f"{Booking.objects.count():,} bookings in these months." in html


def test_an_unknown_report_is_not_found(staff_client):
    assert staff_client.get("/admin/staff/reports/nothing/").status_code == 404


def test_the_reports_list_links_every_report(staff_client):
    html = staff_client.get(reverse("staff_ops:reports")).content.decode()
    for r in REPORTS:
        assert reverse("staff_ops:report", args=[r.slug]) in html


def test_only_staff_see_the_reports(client, django_user_model, rows):
    client.force_login(django_user_model.objects.create_user("eddie", is_staff=True))
    assert client.get(reverse("staff_ops:reports")).status_code in (302, 403)
    for r in REPORTS:
        for name in ("report", "report_chart", "report_csv"):
            assert client.get(reverse(f"staff_ops:{name}", args=[r.slug])).status_code in (302, 403)


@pytest.mark.slow
def test_each_report_page_runs_the_same_queries_for_100_and_10000_bookings(
    staff_client, django_assert_num_queries
):
    report_data.build(100)
    staff_client.get(reverse("staff_ops:reports"))  # the session and menus settle first
    counts = {}
    for r in REPORTS:
        with CaptureQueriesContext(connection) as ctx:
            assert staff_client.get(reverse("staff_ops:report", args=[r.slug])).status_code == 200
        counts[r.slug] = len(ctx.captured_queries)
    report_data.build(9900, offset=100)
    assert Booking.objects.count() == 10000
    for r in REPORTS:
        with django_assert_num_queries(counts[r.slug]):
            response = staff_client.get(reverse("staff_ops:report", args=[r.slug]))
        assert response.status_code == 200


def test_csv_cells_never_run_as_formulas(staff_client):
    BookingFactory(offer=OfferFactory(title="=HYPERLINK(1)"))
    response = staff_client.get(reverse("staff_ops:report_csv", args=["bookings"]))
    header = next(csv.reader(io.StringIO(response.content.decode())))
    assert header == ["Month", "'=HYPERLINK(1)", "All"]
