"""Password guessing against django-axes (docs/security.md, "Lockout rule"): locked per username
AND address only, so a shared address and the owner elsewhere still get in; guesses spread over
many addresses slow that username down instead of locking it out everywhere. Password reset is
limited per address and per person without revealing who has an account."""

import pytest
from django.test import Client
from django.urls import reverse

from bookings.models import AccountEmail
from config.sign_in import spread

pytestmark = pytest.mark.django_db

PASSWORD = "the right one 2026"


@pytest.fixture
def users(django_user_model):
    return [
        django_user_model.objects.create_user(name, f"{name}@example.org", PASSWORD)
        for name in ("sam", "alex")
    ]


@pytest.fixture
def pauses(monkeypatch):
    """What the spread-guessing slowdown asked to wait, without waiting."""
    asked = []
    monkeypatch.setattr(spread, "pause", asked.append)
    return asked


def attempt(username, password, address="198.51.100.7"):
    client = Client(REMOTE_ADDR=address)
    return client.post("/accounts/login/", {"username": username, "password": password})


def sign_in(username, password, address="198.51.100.7"):
    return attempt(username, password, address).status_code == 302


def test_after_ten_wrong_passwords_even_the_right_one_is_refused_for_a_while(users, settings, pauses):
    assert settings.LOGIN_FAILURES_PER_CLIENT == settings.AXES_FAILURE_LIMIT == 10
    for _ in range(10):
        assert not sign_in("sam", "guess")
    locked = attempt("sam", PASSWORD)
    assert locked.status_code == 429
    assert b"Too many tries" in locked.content and b"Other people can still sign in" in locked.content


def test_a_colleague_behind_the_same_address_can_still_sign_in(users, pauses):
    for _ in range(12):
        sign_in("sam", "guess")
    assert sign_in("alex", PASSWORD)


def test_the_account_owner_from_elsewhere_is_not_locked_out_by_one_guesser(users, pauses):
    for _ in range(12):
        sign_in("sam", "guess", address="203.0.113.66")
    assert sign_in("sam", PASSWORD, address="198.51.100.7")


def test_a_hundred_guesses_over_ten_addresses_never_lock_the_owner_out_from_a_fresh_one(users, pauses):
    for i in range(100):
        sign_in("sam", "guess", address=f"203.0.113.{i % 10}")
    assert not sign_in("sam", PASSWORD, address="203.0.113.3")  # that address is locked for sam
    assert sign_in("sam", PASSWORD, address="198.51.100.7")
    assert sign_in("alex", PASSWORD, address="203.0.113.3")  # and not for anyone else there


def test_guesses_spread_over_many_addresses_slow_that_username_down(users, settings, pauses):
    settings.LOGIN_FAILURES_PER_ACCOUNT = 30
    for i in range(29):
        sign_in("sam", "guess", address=f"203.0.113.{i}")
    assert pauses == []  # below the threshold nobody waits
    sign_in("sam", "guess", address="203.0.113.200")
    assert sign_in("sam", PASSWORD, address="198.51.100.7")  # slowed, never locked out
    assert pauses == [settings.LOGIN_SPREAD_DELAY_SECONDS]
    assert sign_in("alex", PASSWORD, address="198.51.100.7")
    assert len(pauses) == 1  # other usernames are not slowed


def test_a_success_clears_that_addresses_count(users, pauses):
    for _ in range(9):
        sign_in("sam", "guess")
    assert sign_in("sam", PASSWORD)
    for _ in range(9):
        sign_in("sam", "guess")
    assert sign_in("sam", PASSWORD)


def test_password_reset_is_limited_per_address_with_a_kind_message(users, settings):
    settings.PASSWORD_RESETS_PER_ADDRESS_PER_HOUR = 4
    client = Client(REMOTE_ADDR="198.51.100.9")
    # Unknown addresses count too, so the message says nothing about who has an account.
    for email in ("nobody@example.org", "sam@example.org", "x@example.org", "alex@example.org"):
        answer = client.post(reverse("password_reset"), {"email": email})
        assert answer.status_code == 302 and answer["Location"] == reverse("password_reset_done")
    for email in ("sam@example.org", "nobody@example.org"):
        limited = client.post(reverse("password_reset"), {"email": email})
        assert limited.status_code == 429
        assert b"a lot of password reset requests from your connection" in limited.content
        assert email.encode() in limited.content  # what they typed is kept
    assert AccountEmail.objects.count() == 2  # sam and alex, once each

    elsewhere = Client(REMOTE_ADDR="203.0.113.1")
    assert elsewhere.post(reverse("password_reset"), {"email": "sam@example.org"}).status_code == 302
    assert AccountEmail.objects.count() == 3


def test_password_reset_is_limited_per_person_silently(users, settings):
    for i in range(settings.ACCOUNT_EMAILS_PER_HOUR + 3):
        answer = Client(REMOTE_ADDR=f"203.0.113.{i}").post(
            reverse("password_reset"), {"email": "sam@example.org"}
        )
        assert answer.status_code == 302 and answer["Location"] == reverse("password_reset_done")
    assert AccountEmail.objects.filter(user__username="sam").count() == settings.ACCOUNT_EMAILS_PER_HOUR
