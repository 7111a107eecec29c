"""The second factor in a real browser (docs/security.md): a staff member cannot reach the admin
with only a password; they set up an app from the page (typing the printed key, as someone who
cannot scan would), see their recovery codes once, and next time enter a recovery code. axe-core
finds 0 WCAG 2.2 A/AA violations on the set-up, codes and check pages; none scrolls sideways at 320px."""

import base64
import re

import pytest
from django.contrib.auth.models import Group
from django_otp.oath import totp
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "a browser test password"


def fits_320(page) -> bool:
    page.set_viewport_size({"width": 320, "height": 800})
    fits = page.evaluate("document.documentElement.scrollWidth <= 320")
    page.set_viewport_size({"width": 1280, "height": 900})
    return fits


def sign_in(page, live_server):
    page.goto(f"{live_server.url}/admin/booking/")
    expect(page).to_have_url(re.compile(r"/admin/login/"))
    page.get_by_label("Username").fill("cora")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_staff_set_up_the_app_then_sign_in_with_a_recovery_code(
    live_server, page, django_user_model, assert_accessible
):
    staff = django_user_model.objects.create_user("cora", "cora@example.org", PASSWORD)
    staff.groups.add(Group.objects.get(name="Staff"))

    sign_in(page, live_server)
    expect(page).to_have_url(re.compile(r"/accounts/second-factor/set-up/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up a second step for signing in")
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    assert_accessible("second factor set-up")
    assert fits_320(page)
    page.goto(f"{live_server.url}/admin/")  # still not in
    expect(page).to_have_url(re.compile(r"/accounts/second-factor/set-up/"))

    page.get_by_role("button", name="Check the code and continue").click()
    expect(page.locator(".error-summary")).to_contain_text("Enter the six numbers your app shows.")
    assert_accessible("second factor set-up with an error")

    key = page.locator(".setup-key").inner_text().replace(" ", "")
    code = totp(base64.b32decode(key))
    page.get_by_label("Code from your app").fill(f"{code:06d}")
    page.get_by_role("button", name="Check the code and continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    assert_accessible("recovery codes")
    assert fits_320(page)
    page.get_by_role("link", name="I have kept my codes, continue").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))  # where they last tried to go

    page.context.clear_cookies()
    sign_in(page, live_server)
    expect(page).to_have_url(re.compile(r"/accounts/second-factor/check/"))
    assert_accessible("second factor check")
    assert fits_320(page)
    page.get_by_label("Code").fill("000000" if code != 0 else "111111")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".error-summary")).to_contain_text("That code did not work")
    assert_accessible("second factor check with an error")
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/admin/booking/$"))
