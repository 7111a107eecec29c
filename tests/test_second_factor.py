"""The second factor (docs/security.md): staff, editors and superusers cannot reach the admin
without it; enrolment with a real app code; recovery codes work once; wrong codes are slowed;
partners may opt in; the break-glass command removes a person's devices."""

import logging
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from config.sign_in import devices
from tests.bookings.staff_people import coordinator, plain_editor
from tests.support.second_factor import code_for, enrol, sign_in_verified
from tests.support.workspace_people import partner_with_login

pytestmark = pytest.mark.django_db

ENROL, VERIFY = "/accounts/second-factor/set-up/", "/accounts/second-factor/check/"


def app_code(device) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def superuser():
    return get_user_model().objects.create_superuser("root", "root@example.org", "pw")


@pytest.mark.parametrize(
    "person", [coordinator, plain_editor, superuser], ids=["staff", "editor", "superuser"]
)
@pytest.mark.parametrize("path", ["/admin/", "/admin/booking/", "/admin/pages/", "/django-admin/"])
def test_signed_in_but_no_second_factor_never_reaches_the_admin(client, person, path):
    client.force_login(person())
    response = client.get(path)
    assert response.status_code == 302
    where = urlsplit(response["Location"])
    assert where.path == ENROL and parse_qs(where.query)["next"] == [path]


def test_with_an_app_but_no_code_yet_the_admin_asks_for_the_code(client):
    user = coordinator()
    enrol(user)
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)


def test_the_shared_helper_lets_admin_tests_in(client):
    sign_in_verified(client, coordinator())
    assert client.get("/admin/").status_code == 200


def test_enrolment_with_a_real_app_code_then_recovery_codes_shown_once(client, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # a person takes longer than django-otp's 1 s wait
    user = coordinator()
    client.force_login(user)
    page = client.get(f"{ENROL}?next=/admin/booking/")
    html = page.content.decode()
    assert page.status_code == 200 and "<svg" in html and 'role="img"' in html
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert devices.manual_key(device) in html
    assert "http" not in html.split("<svg", 1)[1].split("</svg>", 1)[0].replace("http://www.w3.org", "")

    wrong = client.post(ENROL, {"code": "000000" if app_code(device) != "000000" else "111111"})
    assert wrong.status_code == 400 and b"did not work" in wrong.content
    assert client.get("/admin/").status_code == 302  # still not through

    done = client.post(ENROL, {"code": app_code(device), "next": "/admin/booking/"})
    assert done.status_code == 302 and done["Location"].startswith(
        "/accounts/second-factor/set-up/recovery-codes/"
    )
    shown = client.get(done["Location"])
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", shown.content.decode())
    assert len(codes) == 10 and set(codes) == set(
        StaticToken.objects.filter(device__user=user).values_list("token", flat=True)
    )
    assert b'href="/admin/booking/"' in shown.content
    again = client.get("/accounts/second-factor/set-up/recovery-codes/")
    assert again.status_code == 302 and b"<code>" not in again.content  # never shown twice
    assert client.get("/admin/").status_code == 200
    assert TOTPDevice.objects.get(user=user).confirmed


def _signed_in_with_codes(client, user):
    device = devices.pending_device(user)
    codes = devices.confirm_enrolment(user, device, app_code(device))
    client.force_login(user)
    return device, codes


def test_a_code_from_the_app_passes_the_check_and_returns_to_where_they_were_going(client):
    user = coordinator()
    device, _ = _signed_in_with_codes(client, user)
    assert client.get(f"{VERIFY}?next=/admin/booking/").status_code == 200
    response = client.post(VERIFY, {"code": code_for(device), "next": "/admin/booking/"})
    assert response.status_code == 302 and response["Location"] == "/admin/booking/"
    assert client.get("/admin/booking/").status_code == 200


def test_a_recovery_code_works_once(client):
    user = coordinator()
    _, codes = _signed_in_with_codes(client, user)
    spaced = f"{codes[0][:4].upper()} {codes[0][4:]}"  # as someone might type it from paper
    assert client.post(VERIFY, {"code": spaced, "next": "/admin/"}).status_code == 302
    assert client.get("/admin/").status_code == 200
    assert StaticToken.objects.filter(device__user=user).count() == 9

    client.logout()
    client.force_login(user)
    refused = client.post(VERIFY, {"code": codes[0], "next": "/admin/"})
    assert refused.status_code == 400 and b"did not work" in refused.content
    assert client.get("/admin/").status_code == 302


def test_wrong_codes_are_slowed_and_say_so_kindly(client, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 3600  # a wait no test run can outlast
    user = coordinator()
    device, _ = _signed_in_with_codes(client, user)
    right = app_code(device)
    wrong = "000000" if right != "000000" else "111111"
    assert b"did not work" in client.post(VERIFY, {"code": wrong}).content
    answer = client.post(VERIFY, {"code": right})
    assert answer.status_code == 400 and b"Too many wrong codes" in answer.content
    assert client.get("/admin/").status_code == 302


def test_the_code_page_never_sends_someone_to_another_site(client):
    user = coordinator()
    device, _ = _signed_in_with_codes(client, user)
    response = client.post(VERIFY, {"code": code_for(device), "next": "https://evil.example/"})
    assert response["Location"] == "/admin/"


def test_a_blank_code_is_a_clear_error_not_a_crash(client):
    user = coordinator()
    _signed_in_with_codes(client, user)
    response = client.post(VERIFY, {"code": ""})
    assert response.status_code == 400 and b"Enter the code" in response.content


def test_partners_are_offered_it_and_once_enrolled_it_guards_their_workspace(client):
    partner = partner_with_login("ada", "Ada Partner")
    client.force_login(partner.user)
    home = client.get("/partners/")
    assert home.status_code == 200 and ENROL.encode() in home.content  # offered, not forced
    offer = client.get(ENROL)
    assert b"You do not have to" in offer.content

    enrol(partner.user)
    client.logout()
    client.force_login(partner.user)
    response = client.get("/partners/")
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    assert client.get("/partners/feed/nothing.ics").status_code == 404  # feeds are not behind it


def test_a_partner_who_is_also_staff_must_have_it(client):
    partner = partner_with_login("ada", "Ada Partner")
    partner.user.groups.add(coordinator("other").groups.get())
    client.force_login(partner.user)
    assert client.get("/partners/")["Location"].startswith(ENROL)


def test_break_glass_removes_the_devices_and_logs_who_without_secrets(client, caplog):
    user = coordinator()
    device, codes = _signed_in_with_codes(client, user)
    client.post(VERIFY, {"code": code_for(device)})
    assert client.get("/admin/").status_code == 200
    with caplog.at_level(logging.INFO, logger="config.sign_in"):
        call_command("reset_second_factor", "coordinator", by="Robin Ops")
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not StaticToken.objects.filter(device__user=user).exists()
    logged = caplog.text
    assert "coordinator" in logged and "Robin Ops" in logged
    assert device.key not in logged and devices.manual_key(device).replace(" ", "") not in logged
    assert not any(code in logged for code in codes)
    # The session that passed with the removed app no longer counts.
    assert client.get("/admin/")["Location"].startswith(ENROL)


def test_break_glass_refuses_unknown_people_and_needs_a_name(db):
    with pytest.raises(CommandError, match="No account"):
        call_command("reset_second_factor", "nobody", by="Robin Ops")
    coordinator()
    with pytest.raises(CommandError):
        call_command("reset_second_factor", "coordinator", by="  ")
