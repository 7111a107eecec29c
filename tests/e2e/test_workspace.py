"""The partner workspace in a real browser: sign in, answer a request, add free time, pause and
resume, make a calendar link, connect a CalDAV calendar; axe-core finds 0 WCAG 2.2 A/AA
violations on every page, and no page scrolls sideways on a 320px phone."""

import re
from datetime import timedelta

import pytest
from caldav import DAVClient
from django.utils import timezone
from playwright.sync_api import expect

from bookings.models import (
    AvailabilityRule,
    BookingStatus,
    CalDAVConnection,
    CalDAVState,
    Partner,
    PartnerFeed,
)
from tests.bookings.factories import AvailabilityRuleFactory, BookingFactory, PartnerFactory, weekly
from tests.support.caldav_servers import PASSWORD as DAV_PASSWORD
from tests.support.caldav_servers import USER as DAV_USER
from tests.support.second_factor import pass_second_factor

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "a browser test password"
PAGES = [
    "/partners/",
    "/partners/availability/",
    "/partners/time-off/",
    "/partners/limits/",
    "/partners/calendar/",
]


@pytest.fixture
def partner(django_user_model):
    user = django_user_model.objects.create_user("ada", "ada@example.org", PASSWORD)
    partner = PartnerFactory(display_name="Ada Partner", user=user)
    AvailabilityRuleFactory(partner=partner, recurrence=weekly(0))
    now = timezone.now()
    pending = BookingFactory(
        partner=partner,
        status=BookingStatus.PENDING,
        start=now + timedelta(days=5),
        booker_name="Casey Booker",
        project_description="A new discharge plan, written with patients.",
        access_needs="Please speak slowly.",
    )
    BookingFactory(
        partner=partner, offer=pending.offer, start=now - timedelta(days=1), booker_name="Dee Past"
    )
    return partner


def sign_in(page, live_server, path="/partners/"):
    page.goto(f"{live_server.url}{path}")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your chats")


def test_partner_journey(partner, live_server, page, assert_accessible):
    sign_in(page, live_server)
    assert_accessible("workspace home")

    # Times read as on the public site: "9:30am to 10:30am".
    page.get_by_role("link", name=re.compile(r"\d{1,2}(:\d\d)?[ap]m to \d{1,2}(:\d\d)?[ap]m")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("on ")
    expect(page.locator("main")).to_contain_text("Please speak slowly.")
    assert_accessible("chat detail")
    page.get_by_role("button", name="Decline this request").click()
    expect(page.locator(".error-summary")).to_contain_text("Choose what we should tell them.")
    assert_accessible("chat detail with an error")
    page.get_by_role("button", name="Accept this chat").click()
    expect(page.get_by_role("status")).to_contain_text("You accepted this chat")

    page.get_by_role("link", name="Free times").click()
    page.get_by_role("group", name=re.compile("Days")).get_by_label("Wednesday").check()
    page.get_by_label("From").fill("10:00")
    page.get_by_label("Until").fill("12:30")
    page.get_by_role("button", name="Add free time").click()
    expect(page.get_by_role("status")).to_contain_text("Added 10am to 12:30pm on Wednesday")
    assert AvailabilityRule.objects.filter(partner=partner).count() == 2
    assert_accessible("free times")

    page.get_by_role("link", name="Your chats").click()
    page.get_by_role("button", name="Pause new bookings").click()
    expect(page.locator("main")).to_contain_text("You are paused")
    assert Partner.objects.get(pk=partner.pk).accepting_bookings is False
    page.get_by_role("button", name="Start taking bookings again").click()
    expect(page.locator("main")).to_contain_text("You are taking new bookings")

    page.get_by_role("link", name="Calendar").click()
    page.get_by_role("button", name="Create my calendar link").click()
    link = page.get_by_label("Your private calendar link").input_value()
    assert re.search(r"/partners/feed/[\w-]+\.ics$", link)
    assert PartnerFeed.objects.filter(partner=partner).exists()
    assert_accessible("new calendar link")
    feed = page.request.get(link)
    assert feed.status == 200 and "BEGIN:VCALENDAR" in feed.text()


def test_every_workspace_page_is_accessible_and_fits_a_phone(partner, live_server, page, assert_accessible):
    sign_in(page, live_server)
    page.set_viewport_size({"width": 320, "height": 640})
    rule = AvailabilityRule.objects.get(partner=partner)
    past = partner.bookings.get(booker_name="Dee Past")
    extra = [f"/partners/availability/{rule.pk}/change/", f"/partners/chats/{past.public_id}/"]
    for path in PAGES + extra:
        page.goto(live_server.url + path)
        expect(page.locator("h1")).to_have_count(1)
        assert_accessible(path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 320px"
    # Forms showing their error summary and field errors.
    page.goto(live_server.url + "/partners/time-off/")
    page.get_by_role("button", name="Add time off").click()
    expect(page.locator(".error-summary")).to_contain_text("Enter the first day.")
    assert_accessible("time off with errors")
    page.goto(live_server.url + "/partners/limits/")
    page.get_by_label("Most chats in one day").fill("9")
    page.get_by_label("Most chats in one week").fill("2")
    page.get_by_role("button", name="Save my limits").click()
    expect(page.locator(".error-summary")).to_contain_text("cannot be more than chats in a week")
    assert_accessible("limits with errors")


def test_sign_in_pages_are_accessible(live_server, page, assert_accessible):
    page.set_viewport_size({"width": 320, "height": 640})
    for path in ["/accounts/login/", "/accounts/password_reset/"]:
        page.goto(live_server.url + path)
        assert_accessible(path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 320px"
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".error-summary")).to_be_visible()
    assert_accessible("login with errors")


def test_refusal_page_for_someone_who_is_not_a_partner(
    live_server, page, assert_accessible, django_user_model
):
    django_user_model.objects.create_user("eddie", "eddie@example.org", PASSWORD, is_staff=True)
    page.goto(f"{live_server.url}/accounts/login/?next=/partners/")
    page.get_by_label("Username").fill("eddie")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    pass_second_factor(page, "eddie")  # staff need it before the workspace too (docs/security.md)
    expect(page.get_by_role("heading", level=1)).to_have_text("This area is for thinking partners")
    assert_accessible("not a partner")


def test_connecting_a_caldav_calendar(partner, live_server, page, assert_accessible, dav_servers):
    """The CalDAV screens (docs/caldav.md, "The screens") with a real Radicale: the form, its
    errors, the choice of calendar and the connected state, each axe-clean and 320px wide."""
    radicale = dav_servers["radicale"]
    with DAVClient(url=radicale.url, username=DAV_USER, password=DAV_PASSWORD, timeout=10) as client:
        if not client.principal().calendars():
            client.principal().make_calendar(name="Chats")
    sign_in(page, live_server)
    page.set_viewport_size({"width": 320, "height": 640})

    def check(label):
        assert_accessible(label)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{label} scrolls sideways by {overflow}px at 320px"

    page.goto(live_server.url + "/partners/calendar/")
    expect(page.get_by_role("note", name="How your chats reach your calendar")).to_contain_text(
        "each chat comes to you as an email invite"
    )
    connect = page.get_by_role("button", name="Connect and find my calendars")
    connect.click()
    expect(page.locator(".error-summary")).to_contain_text("Enter the address of your calendar server.")
    check("calendar page, CalDAV form with errors")

    page.get_by_label("Calendar server address").fill(radicale.url)
    page.get_by_label("User name").fill(DAV_USER)
    page.get_by_label("App password").fill("not-the-right-one")
    connect.click()
    expect(page.locator(".error-summary")).to_contain_text("did not accept that user name and app password")
    expect(page.get_by_label("App password")).to_have_value("")
    expect(page.get_by_label("User name")).to_have_value(DAV_USER)
    assert not CalDAVConnection.objects.exists()

    page.get_by_label("App password").fill(DAV_PASSWORD)
    page.get_by_role("button", name="Connect and find my calendars").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a calendar")
    check("choose a calendar")
    page.get_by_role("button", name="Put my chats in this calendar").click()
    expect(page.locator(".error-summary")).to_contain_text("Choose a calendar.")
    check("choose a calendar with an error")
    page.get_by_role("group", name="Which calendar should your chats go into?").get_by_role(
        "radio"
    ).first.check()
    page.get_by_role("button", name="Put my chats in this calendar").click()
    expect(page.get_by_role("status")).to_contain_text("Your chats now go into your calendar")
    expect(page.locator("main")).to_contain_text("Connected to your calendar")
    assert CalDAVConnection.objects.get(partner=partner).state == CalDAVState.ACTIVE
    check("calendar page, connected")
    assert DAV_PASSWORD not in page.content()

    page.get_by_role("button", name="Disconnect my calendar account").click()
    expect(page.get_by_role("status")).to_contain_text("forgotten its app password")
    assert not CalDAVConnection.objects.exists()
