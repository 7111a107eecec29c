"""The staff impact screens in a real browser (docs/impact.md): involvement payments (approve a
month, after marking the chat it names as still to mark) and the bookings-per-month report, whose
chart image loads and whose table carries the figures. axe-core checks our part of each screen, as
for the other staff screens."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from bookings import services
from bookings.models import PaymentLine, PaymentRule, PaymentStatus
from tests.bookings.factories import BookingFactory
from tests.support.second_factor import pass_second_factor

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "a coordinator's browser password"


def test_staff_approve_payments_and_read_the_report(live_server, page, django_user_model, check_our_part):
    booking = BookingFactory(start=datetime(2025, 3, 4, 10, tzinfo=UTC))
    PaymentRule.objects.create(
        offer=booking.offer, effective_from=datetime(2025, 1, 1).date(), amount=Decimal("25")
    )
    services.mark_completed(booking, now=datetime(2025, 3, 4, 12, tzinfo=UTC))
    # A March chat nobody marked: the screen says so before March is approved.
    unmarked = BookingFactory(start=datetime(2025, 3, 11, 10, tzinfo=UTC), offer=booking.offer)
    staff = django_user_model.objects.create_user("cora", "cora@example.org", PASSWORD)
    staff.groups.add(Group.objects.get(name="Staff"))
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", "cora")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    pass_second_factor(page, staff)
    page.wait_for_url(f"{live_server.url}/admin/")

    page.goto(f"{live_server.url}/admin/staff/payments/")
    expect(page.get_by_role("rowheader", name="March 2025")).to_be_visible()
    expect(page.locator("main")).to_contain_text("1 chat ended with no attendance recorded")
    check_our_part("involvement payments")
    page.get_by_role("link", name="mark it completed or missed").click()
    page.wait_for_url("**/admin/booking/?*")
    page.locator(f"a[href='/admin/booking/{unmarked.pk}/']").first.click()
    page.wait_for_url(f"**/admin/booking/{unmarked.pk}/")
    page.get_by_role("button", name="Mark as missed").click()
    expect(page.locator("main")).to_contain_text("The chat is marked as missed.")
    page.goto(f"{live_server.url}/admin/staff/payments/")
    expect(page.locator("main")).not_to_contain_text("no attendance recorded")
    page.get_by_role("button", name="Approve March 2025").click()
    expect(page.locator("main")).to_contain_text("Approved on")
    assert set(PaymentLine.objects.values_list("status", flat=True)) == {PaymentStatus.APPROVED}
    check_our_part("involvement payments, approved")

    page.goto(f"{live_server.url}/admin/staff/reports/bookings/")
    chart = page.get_by_role("img", name="Bar chart: bookings per month by offer.", exact=False)
    expect(chart).to_be_visible()
    assert page.evaluate("document.querySelector('.staff-report-chart img').naturalWidth") > 0
    expect(page.get_by_role("table", name="Bookings per month by offer")).to_contain_text("March 2025")
    check_our_part("bookings per month")
