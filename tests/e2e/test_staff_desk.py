"""The staff desk in a real browser (docs/staff.md): a coordinator signs in, finds a chat by the
booker's surname, exports the listing as CSV, moves one chat, passes one to another partner and
books one for a caller; axe-core checks each staff screen for WCAG 2.2 A/AA violations."""

import csv
import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from bookings import staff_services
from bookings.models import Booking
from bookings.services import BookerDetails
from bookings.slots import free_slots, policy_for_site
from tests.bookings.factories import AvailabilityRuleFactory, OfferFactory, PartnerFactory
from tests.bookings.staff_people import coordinator
from tests.conftest import WCAG_TAGS, format_violations
from tests.support.second_factor import pass_second_factor

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
PASSWORD = "pw"  # tests/bookings/staff_people.py
ADMIN_TIMEOUT_MS = 20_000
# Violations from Wagtail's own templates, not ours, listed so they stay visible:
# - wagtailadmin/generic/listing_results.html announces the number of search matches with
#   `<h2 role="alert">` (axe aria-allowed-role, minor, best practice). Wagtail 8.0.1.
WAGTAIL_OWN = {("aria-allowed-role", 'h2[role="alert"]')}


@pytest.fixture
def assert_accessible(page, axe_source):
    """Like tests/conftest.py's, but fails only on violations our templates cause; Wagtail's own
    (WAGTAIL_OWN above) are reported in the output instead of hidden."""

    def check(label):
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.evaluate(axe_source)
        opts = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
        violations = page.evaluate("([opts]) => axe.run(document, opts)", [opts])["violations"]
        ours = []
        for violation in violations:
            nodes = [
                n for n in violation["nodes"] if (violation["id"], " ".join(n["target"])) not in WAGTAIL_OWN
            ]
            if nodes:
                ours.append({**violation, "nodes": nodes})
            elif violation["nodes"]:
                print(f"Wagtail's own on {label}: {violation['id']}")  # noqa: T201
        assert not ours, f"axe violations on {label}:\n{format_violations(ours)}"

    return check


@pytest.fixture
def world():
    first = PartnerFactory(display_name="Ada Partner", email="ada@example.org")
    second = PartnerFactory(display_name="Bea Partner", email="bea@example.org")
    for partner in (first, second):
        AvailabilityRuleFactory(partner=partner)
    offer = OfferFactory(partners=[first, second], title="Thinking-partner chat")
    now = timezone.now()
    policy = policy_for_site()
    slots = free_slots(offer, first, now + timedelta(days=3), now + timedelta(days=6), now, policy)
    for slot, name in zip(slots[::4], ("Carol Smith", "Dev Patel"), strict=False):
        staff_services.place_on_behalf(
            offer=offer,
            start=slot.start,
            partner=first,
            booker=BookerDetails(name=name, email=f"{name.split()[0].lower()}@example.org"),
            now=now,
            actor=None,
            policy=policy,
        )
    coordinator()
    return {"first": first, "second": second, "offer": offer}


def test_coordinator_runs_the_desk(world, live_server, page, assert_accessible):
    page.set_default_timeout(ADMIN_TIMEOUT_MS)
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill("coordinator")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    pass_second_factor(page, "coordinator")
    expect(page).to_have_url(re.compile(r"/admin/$"))

    page.goto(f"{live_server.url}/admin/booking/?q=Smith")
    expect(page.locator("main")).to_contain_text("Carol Smith")
    expect(page.locator("main")).not_to_contain_text("Dev Patel")
    assert_accessible("bookings listing")

    page.get_by_role("button", name="Actions").click()  # Wagtail puts the downloads in this menu
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text())))
    assert rows[0][0] == "Reference" and len(rows) == 2 and rows[1][7] == "Carol Smith"

    page.get_by_role("link", name="Carol Smith").click()
    expect(page.get_by_role("heading", level=2, name="History")).to_be_visible()
    assert_accessible("booking page")

    page.get_by_role("link", name="Move to another time").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Move this chat")
    assert_accessible("move")
    page.locator("input[name=start]").nth(2).check()
    page.get_by_role("button", name="Move the chat").click()
    expect(page.locator(".messages")).to_contain_text("The chat is moved.")

    page.get_by_role("link", name="Pass to another partner").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Pass to another partner")
    assert_accessible("reassign")
    page.get_by_label("Bea Partner").check()
    page.get_by_role("button", name="Pass it on").click()
    expect(page.locator(".messages")).to_contain_text("The chat has a new partner.")
    carol = Booking.objects.get(booker_name="Carol Smith")
    assert carol.partner == world["second"]
    assert set(carol.events.values_list("action", flat=True)) == {"placed", "rescheduled", "reassigned"}

    page.goto(f"{live_server.url}/admin/booking/new/")
    page.get_by_role("button", name="Show free times").click()
    expect(page.get_by_role("button", name="Book the chat")).to_be_visible()
    assert_accessible("book on behalf")
    # The caller's details typed first survive looking at later times, and back.
    page.get_by_label("Booker's full name").fill("Erin Caller")
    page.get_by_label("Booker's email address").fill("erin@example.org")
    page.get_by_role("button", name="Later times").click()
    expect(page.get_by_role("button", name="Earlier times")).to_be_visible()
    assert_accessible("book on behalf, later times")
    page.get_by_role("button", name="Earlier times").click()
    expect(page.get_by_label("Booker's full name")).to_have_value("Erin Caller")
    expect(page.get_by_label("Booker's email address")).to_have_value("erin@example.org")
    page.locator("input[name=start]").first.check()
    page.get_by_label("Video call").check()
    page.get_by_role("button", name="Book the chat").click()
    expect(page.locator(".messages")).to_contain_text("The chat is booked.")
    erin = Booking.objects.get(booker_name="Erin Caller")
    assert erin.events.get().actor_label == "staff"
