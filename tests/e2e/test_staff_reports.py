"""Every staff report in a real browser (docs/impact.md, "Reports"): the chart image loads with its
text alternative, the table carries the figures, the date filter works without JavaScript and
explains bad dates; axe-core checks our part of each page, at desktop width and at 320 px
without sideways scrolling."""

import re

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from bookings.staff.reports import REPORTS
from tests.support import report_data
from tests.support.second_factor import pass_second_factor

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "a coordinator's browser password"


def test_staff_read_every_report(live_server, page, django_user_model, check_our_part):
    report_data.build(200)
    staff = django_user_model.objects.create_user("cora", "cora@example.org", PASSWORD)
    staff.groups.add(Group.objects.get(name="Staff"))
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", "cora")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    pass_second_factor(page, staff)
    page.wait_for_url(f"{live_server.url}/admin/")

    # The chart images are fetched one at a time below, never beside a page load: the live server's
    # threads share the test's one in-memory SQLite connection, and a slow chart query overlapping
    # another request there was seen to hang the run.
    page.route(re.compile(r"/chart\.svg"), lambda route: route.abort())
    page.goto(f"{live_server.url}/admin/staff/reports/")
    check_our_part("the list of reports")
    for report in REPORTS:
        page.goto(f"{live_server.url}/admin/staff/reports/")
        page.get_by_role("link", name=report.title, exact=True).click()
        page.get_by_label("From (optional)").fill("2023-01-01")
        page.get_by_label("To (optional)").fill("2023-01-31")
        page.get_by_role("button", name="Show these figures").click()
        expect(page).to_have_url(
            f"{live_server.url}/admin/staff/reports/{report.slug}/?start=2023-01-01&end=2023-01-31"
            + ("&by=offer" if report.by_choices else "")
        )
        chart = page.get_by_role("img", name="Bar chart:", exact=False)
        expect(chart).to_have_count(1)
        page.wait_for_load_state("networkidle")
        svg = page.request.get(live_server.url + chart.get_attribute("src"))
        assert svg.ok and svg.headers["content-type"].startswith("image/svg+xml"), report.slug
        assert b"<svg" in svg.body() and b"<script" not in svg.body()
        expect(page.get_by_role("table", name=report.title, exact=False)).to_be_visible()
        check_our_part(report.title)
        page.set_viewport_size({"width": 320, "height": 800})
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), report.slug
        page.set_viewport_size({"width": 1280, "height": 800})

    page.goto(f"{live_server.url}/admin/staff/reports/bookings/?start=2023-02-01&end=2023-01-01")
    expect(page.get_by_role("alert")).to_contain_text(
        "The last day must be the same as or after the first day."
    )
    check_our_part("a report with bad dates")
