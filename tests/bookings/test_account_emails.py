"""Account emails through the outbox: invitations and password resets are queued (a row and a
task carrying its id only), built at send time with their one-time link, sent over real SMTP,
retried or failed like booking emails, and rate-limited without saying so
(docs/operations.md, "Account emails"; docs/staff-operations.md, "Invitations")."""

import re
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from bookings import accounts, partner_accounts
from bookings.errors import InvalidInput
from bookings.models import AccountEmail, AccountEmailKind, NotificationStatus, Partner
from bookings.outbox import tasks
from tests.support.outbox import body, install_clock
from tests.support.second_factor import sign_in_verified
from tests.support.smtp_server import SmtpServer, use_smtp

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 5, 1, 9, tzinfo=UTC)
NEW = "nia.newpartner@example.org"
S = NotificationStatus
LINK = re.compile(r"https?://\S+/accounts/(?:welcome|reset)/\S+/\S+/")


@pytest.fixture
def clock(monkeypatch):
    return install_clock(monkeypatch, NOW)


@pytest.fixture
def smtp(settings):
    with SmtpServer() as server:
        use_smtp(settings, server.port)
        yield server


@pytest.fixture
def coordinator(django_user_model):
    user = django_user_model.objects.create_user("cora", "cora@example.org", "pw")
    user.groups.add(Group.objects.get(name="Staff"))
    return user


def deliver_all() -> list[str]:
    due = AccountEmail.objects.filter(status__in=(S.QUEUED, S.RETRYING)).order_by("pk")
    return [tasks.deliver_account_email.call(pk) for pk in due.values_list("pk", flat=True)]


def link_in(received) -> str:
    found = LINK.findall(body(received.message, "plain"))
    assert len(found) == 1, body(received.message, "plain")
    return found[0]


def invite(coordinator, clock):
    return partner_accounts.invite_partner(display_name="Nia New", email=NEW, now=clock(), actor=coordinator)


def set_password(client, link, password="a-long-new-password-2026"):  # noqa: S107
    """Open the emailed link and choose a password, as a person would."""
    path = link.split("://", 1)[1].split("/", 1)[1]
    opened = client.get("/" + path)
    if opened.status_code != 302:
        return opened
    form_url = opened["Location"]
    return client.post(form_url, {"new_password1": password, "new_password2": password})


def test_an_invitation_is_a_row_and_an_id_only_task_with_no_token(coordinator, clock):
    partner = invite(coordinator, clock)
    user = partner.user
    assert user.groups.filter(name="Thinking partners").exists()
    assert Partner.objects.get(user=user).email == NEW
    assert not user.has_usable_password()
    row = AccountEmail.objects.get()
    assert (row.kind, row.user_id, row.status) == (AccountEmailKind.INVITATION, user.pk, S.QUEUED)
    task = DBTaskResult.objects.get(task_path=tasks.deliver_account_email.module_path)
    assert task.args_kwargs == {"args": [row.pk], "kwargs": {}}


def test_the_invited_partner_sets_a_password_once_and_lands_in_the_workspace(
    client, coordinator, clock, smtp
):
    invite(coordinator, clock)
    assert deliver_all() == ["sent"]
    (received,) = smtp.to(NEW)
    assert received.message["Subject"] == "You are invited to the thinking-partner workspace"
    link = link_in(received)
    # The token is in the email only: not in the row, nor in any task.
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert token not in str(list(DBTaskResult.objects.values_list("args_kwargs", flat=True)))
    done = set_password(client, link)
    assert done.status_code == 302 and done["Location"] == reverse("workspace:home")
    assert client.get(reverse("workspace:home")).status_code == 200
    user = get_user_model().objects.get(username=NEW)
    assert user.check_password("a-long-new-password-2026")
    # Single use: the same link is dead now the password has changed.
    client.logout()
    again = set_password(client, link, "another-password-2026x")
    assert "This link does not work" in again.content.decode()
    user.refresh_from_db()
    assert user.check_password("a-long-new-password-2026")


def test_an_invitation_link_expires(client, coordinator, clock, smtp, settings):
    invite(coordinator, clock)
    deliver_all()
    link = link_in(smtp.to(NEW)[0])
    clock.advance(seconds=settings.INVITATION_TIMEOUT_SECONDS + 60)
    response = set_password(client, link)
    assert "This link does not work" in response.content.decode()
    assert not get_user_model().objects.get(username=NEW).has_usable_password()


def test_a_link_just_inside_its_time_still_works(client, coordinator, clock, smtp, settings):
    invite(coordinator, clock)
    deliver_all()
    link = link_in(smtp.to(NEW)[0])
    clock.advance(seconds=settings.INVITATION_TIMEOUT_SECONDS - 60)
    assert set_password(client, link).status_code == 302


def test_revoking_kills_the_link_and_a_queued_invitation_is_not_sent(client, coordinator, clock, smtp):
    partner = invite(coordinator, clock)
    deliver_all()
    link = link_in(smtp.to(NEW)[0])
    partner_accounts.resend_invitation(partner, now=clock(), actor=coordinator)  # queued, not sent
    partner_accounts.revoke_invitation(Partner.objects.get(pk=partner.pk), now=clock(), actor=coordinator)
    assert deliver_all() == ["obsolete"]
    assert len(smtp.to(NEW)) == 1
    assert "This link does not work" in set_password(client, link).content.decode()


def test_resending_replaces_the_earlier_link(client, coordinator, clock, smtp):
    partner = invite(coordinator, clock)
    deliver_all()
    first = link_in(smtp.to(NEW)[0])
    assert partner_accounts.resend_invitation(partner, now=clock(), actor=coordinator)
    deliver_all()
    second = link_in(smtp.to(NEW)[1])
    assert first != second
    assert "This link does not work" in set_password(client, first).content.decode()
    assert set_password(client, second).status_code == 302


def test_an_address_already_in_use_is_refused_kindly(coordinator, clock):
    invite(coordinator, clock)
    with pytest.raises(Exception, match="already has an account"):
        invite(coordinator, clock)


def test_invitations_are_limited_per_staff_member_kindly_with_nothing_lost(
    client, coordinator, clock, settings, django_user_model
):
    settings.INVITATIONS_PER_STAFF_PER_HOUR = 2
    sign_in_verified(client, coordinator)
    url = reverse("staff_ops:invite")

    def ask(email):
        return client.post(url, {"display_name": "Nia New", "email": email, "time_zone": "Europe/London"})

    assert ask("one@example.org").status_code == 302
    first = Partner.objects.get(email="one@example.org")
    assert partner_accounts.resend_invitation(first, now=clock(), actor=coordinator)  # counts too
    refused = ask("three@example.org")
    page = refused.content.decode()
    assert refused.status_code == 429
    assert "a lot of invitations in the last hour" in page
    assert 'value="three@example.org"' in page  # what was typed is kept
    assert not Partner.objects.filter(email="three@example.org").exists()
    assert not partner_accounts.resend_invitation(first, now=clock(), actor=coordinator)
    assert AccountEmail.objects.count() == 2

    # Another staff member is not held back, and after the hour this one may invite again.
    other = django_user_model.objects.create_user("olu", "olu@example.org", "pw")
    partner_accounts.invite_partner(display_name="Olu", email="four@example.org", now=clock(), actor=other)
    clock.advance(hours=1, seconds=1)
    assert ask("three@example.org").status_code == 302
    assert AccountEmail.objects.count() == 4


def test_a_refused_invitation_does_not_use_up_the_allowance(coordinator, clock, settings):
    settings.INVITATIONS_PER_STAFF_PER_HOUR = 2
    invite(coordinator, clock)
    with pytest.raises(InvalidInput, match="already has an account"):
        invite(coordinator, clock)  # refused: nothing went out, so nothing is counted
    second = partner_accounts.invite_partner(
        display_name="Two", email="two@example.org", now=clock(), actor=coordinator
    )
    assert second.pk
    with pytest.raises(partner_accounts.TooManyInvitations):
        partner_accounts.invite_partner(
            display_name="Three", email="three@example.org", now=clock(), actor=coordinator
        )


# --- Password reset -------------------------------------------------------------------------


@pytest.fixture
def member(django_user_model):
    return django_user_model.objects.create_user("pat", "pat@example.org", "old-password-2026")


def test_password_reset_queues_instead_of_sending_in_the_request(client, member, clock, smtp):
    response = client.post(reverse("password_reset"), {"email": "pat@example.org"})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert smtp.received == []  # nothing sent inside the request
    row = AccountEmail.objects.get()
    assert (row.kind, row.user_id) == (AccountEmailKind.PASSWORD_RESET, member.pk)
    assert deliver_all() == ["sent"]
    link = link_in(smtp.to("pat@example.org")[0])
    assert set_password(client, link, "brand-new-password-2026").status_code == 302
    member.refresh_from_db()
    assert member.check_password("brand-new-password-2026")


def test_an_unknown_address_gets_the_same_answer_and_nothing_is_queued(client, member, clock):
    known = client.post(reverse("password_reset"), {"email": "pat@example.org"})
    unknown = client.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert AccountEmail.objects.count() == 1


def test_password_resets_are_rate_limited_per_person_and_look_the_same(client, member, clock, settings):
    answers = [client.post(reverse("password_reset"), {"email": "pat@example.org"}) for _ in range(6)]
    assert {(a.status_code, a["Location"]) for a in answers} == {(302, reverse("password_reset_done"))}
    assert AccountEmail.objects.count() == settings.ACCOUNT_EMAILS_PER_HOUR
    clock.advance(hours=1, seconds=1)
    client.post(reverse("password_reset"), {"email": "pat@example.org"})
    assert AccountEmail.objects.count() == settings.ACCOUNT_EMAILS_PER_HOUR + 1


def test_the_limit_also_holds_per_address(member, django_user_model, clock, settings):
    twin = django_user_model.objects.create_user("pat2", "PAT@example.org", "pw-2026-twin")
    for _ in range(settings.ACCOUNT_EMAILS_PER_HOUR):
        assert accounts.queue(member, AccountEmailKind.PASSWORD_RESET, now=clock()) is not None
    assert accounts.queue(twin, AccountEmailKind.PASSWORD_RESET, now=clock()) is None


def test_account_emails_retry_and_fail_visibly_like_booking_emails(member, clock, smtp, settings):
    accounts.queue(member, AccountEmailKind.PASSWORD_RESET, now=clock())
    smtp.mode = "temporary"
    assert deliver_all() == ["retrying"]
    row = AccountEmail.objects.get()
    assert row.last_error.endswith("451") and row.send_after > clock()
    clock.advance(seconds=settings.EMAIL_RETRY_MAX_SECONDS)
    smtp.mode = "permanent"
    assert deliver_all() == ["failed"]
    row.refresh_from_db()
    assert row.status == S.FAILED and "550" in row.last_error and "pat@" not in row.last_error


def test_the_sweeper_requeues_an_account_email_whose_task_was_lost(member, clock, settings):
    accounts.queue(member, AccountEmailKind.PASSWORD_RESET, now=clock())
    DBTaskResult.objects.filter(task_path=tasks.deliver_account_email.module_path).delete()
    clock.advance(seconds=settings.EMAIL_LOST_TASK_GRACE_SECONDS + 1)
    out = StringIO()
    call_command("run_scheduler", "--once", stdout=out)
    assert "account emails: 0 reclaimed, 1 lost emails queued again" in out.getvalue()
    assert DBTaskResult.objects.filter(task_path=tasks.deliver_account_email.module_path).count() == 1


def test_staff_see_account_emails_in_the_admin(client, coordinator, member, clock):
    accounts.queue(member, AccountEmailKind.PASSWORD_RESET, now=clock())
    sign_in_verified(client, coordinator)
    response = client.get(reverse("account_emails:index"))
    assert response.status_code == 200
    assert "Password reset" in response.content.decode()
