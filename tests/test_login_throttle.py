"""Password guessing is slowed per account and address, without locking out a shared address."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

PASSWORD = "the right one 2026"


@pytest.fixture
def users(django_user_model):
    return [django_user_model.objects.create_user(name, password=PASSWORD) for name in ("sam", "alex")]


def sign_in(username, password, address="198.51.100.7"):
    client = Client(REMOTE_ADDR=address)
    response = client.post("/accounts/login/", {"username": username, "password": password})
    return response.status_code == 302


def test_after_ten_wrong_passwords_even_the_right_one_is_refused_for_a_while(users, settings):
    assert settings.LOGIN_FAILURES_PER_CLIENT == 10
    for _ in range(10):
        assert not sign_in("sam", "guess")
    assert not sign_in("sam", PASSWORD)


def test_a_colleague_behind_the_same_address_can_still_sign_in(users):
    for _ in range(12):
        sign_in("sam", "guess")
    assert sign_in("alex", PASSWORD)


def test_the_account_owner_from_elsewhere_is_not_locked_out_by_one_guesser(users):
    for _ in range(12):
        sign_in("sam", "guess", address="203.0.113.66")
    assert sign_in("sam", PASSWORD, address="198.51.100.7")


def test_guesses_spread_over_many_addresses_hit_the_account_limit(users, settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = 30
    for i in range(30):
        sign_in("sam", "guess", address=f"203.0.113.{i}")
    assert not sign_in("sam", PASSWORD, address="198.51.100.7")


def test_a_success_clears_that_addresses_count(users):
    for _ in range(9):
        sign_in("sam", "guess")
    assert sign_in("sam", PASSWORD)
    for _ in range(9):
        sign_in("sam", "guess")
    assert sign_in("sam", PASSWORD)
