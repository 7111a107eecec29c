"""The staff report "bookings per month by offer" (docs/impact.md): the same figures in the chart,
the table and the CSV; the chart is an SVG with no script; staff only."""

import csv
import io
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from bookings.staff.reports import bookings_by_month
from tests.support.second_factor import sign_in_verified

from .factories import BookingFactory, OfferFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def bookings():
    chat, session = OfferFactory(title="Chat"), OfferFactory(title="Session")
    for start, offer in (
        (datetime(2026, 5, 4, 10, tzinfo=UTC), chat),
        (datetime(2026, 5, 5, 10, tzinfo=UTC), chat),
        (datetime(2026, 5, 6, 10, tzinfo=UTC), session),
        # 23:30 UTC on 30 June is 1 July in London: a UK month.
        (datetime(2026, 6, 30, 23, 30, tzinfo=UTC), chat),
    ):
        BookingFactory(offer=offer, start=start)


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_user("coordinator", password="pw")  # noqa: S106
    user.groups.add(Group.objects.get(name="Staff"))
    return sign_in_verified(client, user)


def test_counts_are_by_uk_month_and_offer(bookings):
    months, offers, counts = bookings_by_month()
    assert [f"{m:%Y-%m}" for m in months] == ["2026-05", "2026-07"]
    assert offers == ["Chat", "Session"]
    assert counts == {(months[0], "Chat"): 2, (months[0], "Session"): 1, (months[1], "Chat"): 1}


def test_page_table_chart_and_csv_agree(bookings, staff_client):
    html = staff_client.get(reverse("staff_ops:report_bookings")).content.decode()
    assert "<caption>Bookings per month by offer</caption>" in html
    assert '<th scope="row">May 2026</th><td>2</td><td>1</td><td>3</td>' in html
    assert '<th scope="row">July 2026</th><td>1</td><td>0</td><td>1</td>' in html
    assert 'alt="Bar chart of bookings per month by offer.' in html

    chart = staff_client.get(reverse("staff_ops:report_bookings_chart"))
    assert chart["Content-Type"] == "image/svg+xml"
    svg = chart.content.decode()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "<script" not in svg.lower()
    assert "May 2026" in svg and "Session" in svg

    response = staff_client.get(reverse("staff_ops:report_bookings_csv"))
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [
        ["Month", "Offer", "Bookings"],
        ["2026-05", "Chat", "2"],
        ["2026-05", "Session", "1"],
        ["2026-07", "Chat", "1"],
        ["2026-07", "Session", "0"],
    ]


def test_only_staff_see_the_report(client, django_user_model, bookings):
    client.force_login(django_user_model.objects.create_user("eddie", is_staff=True))
    for name in ("report_bookings", "report_bookings_chart", "report_bookings_csv"):
        assert client.get(reverse(f"staff_ops:{name}")).status_code in (302, 403)
