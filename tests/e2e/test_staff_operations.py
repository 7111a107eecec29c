"""Staff operations in a real browser: a coordinator opens "This week" and invites a new
partner; the partner opens the emailed link (received over real SMTP), chooses a password and
lands in the workspace. axe-core checks our part of each staff screen (Wagtail's own chrome is
Wagtail's; see docs/staff-operations.md) and every page of ours in full."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import expect

from bookings.models import AccountEmail, BookingStatus
from bookings.outbox import tasks
from tests.bookings.factories import BookingFactory, PartnerFactory
from tests.support.outbox import body
from tests.support.second_factor import pass_second_factor
from tests.support.smtp_server import SmtpServer, use_smtp

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "a coordinator's browser password"


@pytest.fixture
def smtp(settings):
    with SmtpServer() as server:
        use_smtp(settings, server.port)
        yield server


def test_staff_invite_a_partner_who_sets_a_password_and_sees_the_workspace(
    live_server, page, smtp, django_user_model, check_our_part, assert_accessible
):
    staff = django_user_model.objects.create_user("cora", "cora@example.org", PASSWORD)
    staff.groups.add(Group.objects.get(name="Staff"))
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", "cora")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    pass_second_factor(page, "cora")
    page.wait_for_url(f"{live_server.url}/admin/")

    page.goto(f"{live_server.url}/admin/staff/week/")
    expect(page.get_by_role("heading", name=re.compile("Week of"))).to_be_visible()
    page.get_by_role("link", name="Next week").click()
    expect(page).to_have_url(re.compile(r"\?week=\d{4}-\d\d-\d\d"))
    expect(page.get_by_role("heading", name=re.compile("Week of"))).to_be_visible()
    check_our_part("this week")
    page.set_viewport_size({"width": 320, "height": 800})
    assert page.evaluate("document.querySelector('.staff-week').scrollWidth <= window.innerWidth")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto(f"{live_server.url}/admin/staff/partners/invite/")
    check_our_part("invite a partner")
    page.get_by_label("Name shown to people booking").fill("Nia New")
    page.get_by_label("Email address").fill("nia@example.org")
    page.get_by_role("button", name="Create the partner and send the invitation").click()
    expect(page.locator("main")).to_contain_text("Invited, password not chosen yet")
    check_our_part("invitation")

    for pk in AccountEmail.objects.values_list("pk", flat=True):
        assert tasks.deliver_account_email.call(pk) == "sent"
    (received,) = smtp.to("nia@example.org")
    path = re.search(r"/accounts/welcome/\S+/", body(received.message, "plain")).group(0)
    link = f"{live_server.url}{path}"  # emails use SITE_URL; the browser goes to the live server

    page.context.clear_cookies()
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome: choose your password")
    assert_accessible("welcome")
    page.get_by_label("New password", exact=True).fill("nia's own long password")
    page.get_by_label("New password confirmation").fill("nia's own long password")
    page.get_by_role("button", name="Save my password and open my workspace").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your chats")
    assert_accessible("workspace after the invitation")

    page.goto(link)  # the link was for one use
    expect(page.get_by_role("heading", level=1)).to_have_text("This link does not work")


def test_a_partner_hands_back_a_chat_and_staff_see_it_highlighted(
    live_server, page, django_user_model, check_our_part, assert_accessible
):
    user = django_user_model.objects.create_user("ada", "ada@example.org", PASSWORD)
    partner = PartnerFactory(display_name="Ada Partner", user=user)
    BookingFactory(partner=partner, status=BookingStatus.CONFIRMED, start=timezone.now() + timedelta(days=2))
    staff = django_user_model.objects.create_user("cora", "cora@example.org", PASSWORD)
    staff.groups.add(Group.objects.get(name="Staff"))

    page.goto(f"{live_server.url}/accounts/login/?next=/partners/")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name=re.compile(r"\d(:\d\d)?[ap]m to \d+(:\d\d)?[ap]m")).first.click()
    page.get_by_role("link", name="Hand this chat back to the team").click()
    assert_accessible("hand back")
    page.get_by_role("button", name="Hand this chat back to the team").click()
    expect(page.locator(".error-summary")).to_contain_text("Choose a reason for the team.")
    assert_accessible("hand back with an error")
    page.get_by_label("I am unwell").check()
    page.get_by_role("button", name="Hand this chat back to the team").click()
    expect(page.get_by_role("status")).to_contain_text("The team will take it from here")
    assert_accessible("chat after handing back")

    page.context.clear_cookies()
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", "cora")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    pass_second_factor(page, "cora")
    page.wait_for_url(f"{live_server.url}/admin/")
    page.goto(f"{live_server.url}/admin/staff/week/")
    attention = page.get_by_role("region", name="Needs attention")
    expect(attention).to_contain_text("Handed back:")
    expect(attention).to_contain_text("I am unwell")
    check_our_part("this week with a hand-back")
    # From the week to the chat's page, on to its partner's page, and back to the week.
    page.locator(".staff-entry").get_by_role("link", name=re.compile("confirmed")).click()
    page.wait_for_url("**/admin/booking/*/")
    check_our_part("a booking's page")
    page.get_by_role("link", name="Ada Partner").click()
    page.wait_for_url("**/admin/partner/edit/*/")
    links = page.get_by_role("navigation", name="More about this partner")
    expect(links.get_by_role("link", name="Deactivate, step by step")).to_be_visible()
    check_our_part("a partner's page")
    page.set_viewport_size({"width": 320, "height": 800})
    assert page.evaluate("document.querySelector('.staff-link-list').scrollWidth <= window.innerWidth")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.go_back()
    page.get_by_role("link", name="See that week").click()
    attention = page.get_by_role("region", name="Needs attention")
    attention.get_by_role("link", name="Give it to another partner or cancel it").click()
    page.wait_for_url("**/settle/")
    page.wait_for_selector(".nice-padding")
    check_our_part("settle a chat")
    # The booking page's own cancel form, with its message to the booker, then back here.
    page.get_by_role("link", name="Cancel this chat").click()
    page.wait_for_url("**/do/cancel/**")
    page.wait_for_selector(".nice-padding")
    check_our_part("cancel from a hand-back")
    page.get_by_label("Message to the booker").fill("Your partner is unwell. We will be in touch.")
    page.get_by_role("button", name="Cancel the chat").click()
    page.wait_for_url("**/settle/")
    expect(page.locator("main")).to_contain_text("The chat is cancelled")
