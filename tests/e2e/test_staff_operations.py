"""Staff operations in a real browser: a coordinator opens "This week" and invites a new
partner; the partner opens the emailed link (received over real SMTP), chooses a password and
lands in the workspace. axe-core checks our part of each staff screen (Wagtail's own chrome is
Wagtail's; see docs/staff-operations.md) and every page of ours in full."""

import re

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from bookings.models import AccountEmail
from bookings.outbox import tasks
from tests.conftest import WCAG_TAGS
from tests.support.outbox import body
from tests.support.smtp_server import SmtpServer, use_smtp

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "a coordinator's browser password"


@pytest.fixture
def smtp(settings):
    with SmtpServer() as server:
        use_smtp(settings, server.port)
        yield server


@pytest.fixture
def check_our_part(page, axe_source):
    """axe on the admin page's content area, which our templates render."""

    def check(label):
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.evaluate(axe_source)
        opts = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
        result = page.evaluate("([opts]) => axe.run({include: [['.nice-padding']]}, opts)", [opts])
        lines = [f"{v['id']}: {v['help']} {[n['target'] for n in v['nodes']]}" for v in result["violations"]]
        assert not lines, f"axe violations on {label}:\n" + "\n".join(lines)

    return check


def test_staff_invite_a_partner_who_sets_a_password_and_sees_the_workspace(
    live_server, page, smtp, django_user_model, check_our_part, assert_accessible
):
    staff = django_user_model.objects.create_user("cora", "cora@example.org", PASSWORD)
    staff.groups.add(Group.objects.get(name="Staff"))
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", "cora")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")

    page.goto(f"{live_server.url}/admin/staff/week/")
    expect(page.get_by_role("heading", name=re.compile("Week of"))).to_be_visible()
    page.get_by_role("link", name="Next week").click()
    expect(page).to_have_url(re.compile(r"\?week=\d{4}-\d\d-\d\d"))
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
