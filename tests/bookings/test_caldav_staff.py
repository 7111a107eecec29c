"""What staff see of CalDAV (docs/caldav.md, "Staff"): the push rows in the admin (status,
attempts, last error, a link to the chat), read-only like the email outboxes, and the partner's
connection state on the booking page, never their user name or password."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from bookings.calendars.caldav_secrets import encrypt_password
from bookings.models import BookingStatus, CalDAVConnection, CalDAVPush, CalDAVState
from bookings.outbox import caldav, notifications
from bookings.staff.listing import reference
from tests.support.caldav_servers import FaultServer
from tests.support.second_factor import sign_in_verified

from .factories import BookingFactory, OfferFactory, PartnerFactory
from .staff_people import coordinator, plain_editor

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 10, 1, 9, tzinfo=UTC)
APP_PASSWORD = "staff-never-see-this-password-77"
USERNAME = "partner-caldav-login"


@pytest.fixture
def refusing_server():
    server = FaultServer(401)
    yield server
    server.close()


@pytest.fixture
def failed_push(refusing_server):
    """A partner whose server refused the password: the push failed and the connection too."""
    partner = PartnerFactory(display_name="Pat Partner")
    CalDAVConnection.objects.create(
        partner=partner,
        server_url=refusing_server.url,
        username=USERNAME,
        password_encrypted=encrypt_password(APP_PASSWORD),
        calendar_url=refusing_server.url,
        calendar_name="Pat Chats",
        state=CalDAVState.ACTIVE,
        created_at=NOW - timedelta(days=1),
    )
    booking = BookingFactory(
        partner=partner,
        offer=OfferFactory(partners=[partner]),
        start=NOW + timedelta(days=3),
        status=BookingStatus.CONFIRMED,
    )
    notifications.booking_changed(booking, "confirmed", now=NOW)
    row = CalDAVPush.objects.get(booking=booking)
    outcome = caldav.push(row.pk, now=NOW, schedule=lambda *a: None, fallback=lambda *a, **k: None)
    assert outcome == "failed"
    row.refresh_from_db()
    return booking, row


def test_staff_see_push_rows_with_status_attempts_error_and_a_link_to_the_chat(client, failed_push):
    booking, row = failed_push
    sign_in_verified(client, coordinator())
    response = client.get(reverse("caldav_pushes:index"), {"status": "failed"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Calendar pushes" in page
    assert "Failed (needs a person)" in page and "refused credentials" in page
    assert f'href="{reverse("booking:inspect", args=[booking.pk])}"' in page and reference(booking) in page
    assert "Write" in page  # the action
    for secret in (APP_PASSWORD, USERNAME, booking.booker_name, booking.booker_email):
        assert secret not in page

    inspect = client.get(reverse("caldav_pushes:inspect", args=[row.pk]))
    assert inspect.status_code == 200 and "refused credentials" in inspect.content.decode()
    # Read-only: nobody edits, adds or deletes a push row.
    assert client.get(reverse("caldav_pushes:edit", args=[row.pk])).status_code in {302, 403}
    assert client.post(reverse("caldav_pushes:delete", args=[row.pk])).status_code in {302, 403}
    assert CalDAVPush.objects.filter(pk=row.pk, status="failed").exists()
    # Rows still waiting are listed too, and the filter tells them apart.
    other = BookingFactory(partner=booking.partner, offer=booking.offer, start=NOW + timedelta(days=4))
    CalDAVPush.objects.create(booking=other, version="0:confirmed", action="put", send_after=NOW)
    waiting = client.get(reverse("caldav_pushes:index"), {"status": "queued"}).content.decode()
    assert reference(other) in waiting and reference(booking) not in waiting


def test_the_listing_costs_the_same_few_queries_for_many_rows(
    client, failed_push, django_assert_max_num_queries
):
    booking, _row = failed_push
    for days in range(5, 25):
        chat = BookingFactory(partner=booking.partner, offer=booking.offer, start=NOW + timedelta(days=days))
        CalDAVPush.objects.create(booking=chat, version="0:confirmed", action="put", send_after=NOW)
    sign_in_verified(client, coordinator())
    with django_assert_max_num_queries(20):
        assert client.get(reverse("caldav_pushes:index")).status_code == 200


def test_people_outside_staff_do_not_see_push_rows(client, failed_push):
    _booking, row = failed_push
    sign_in_verified(client, plain_editor())
    for url in (reverse("caldav_pushes:index"), reverse("caldav_pushes:inspect", args=[row.pk])):
        response = client.get(url)
        assert response.status_code in {302, 403}
        assert "refused credentials" not in response.content.decode()
    client.logout()
    assert client.get(reverse("caldav_pushes:index")).status_code == 302


def test_the_booking_page_shows_the_partners_connection_state_and_the_pushes(client, failed_push):
    booking, _row = failed_push
    sign_in_verified(client, coordinator())
    page = client.get(reverse("booking:inspect", args=[booking.pk])).content.decode()
    assert "The partner's calendar account" in page
    assert "Not working (chats go by email)" in page
    assert "refused the user name or app password" in page  # the partner's own message
    assert "127.0.0.1" in page and "Pat Chats" in page
    assert "refused credentials" in page  # this chat's push row
    assert APP_PASSWORD not in page and USERNAME not in page


def test_the_booking_page_says_when_there_is_no_calendar_account(client):
    booking = BookingFactory(partner=PartnerFactory(display_name="Nia Nocal"))
    sign_in_verified(client, coordinator())
    page = client.get(reverse("booking:inspect", args=[booking.pk])).content.decode()
    assert "Nia Nocal has not connected a calendar account" in page


def test_the_partner_listing_shows_each_calendar_account_state(
    client, failed_push, django_assert_max_num_queries
):
    for n in range(10):
        PartnerFactory(display_name=f"Nocal {n}")
    sign_in_verified(client, coordinator())
    with django_assert_max_num_queries(20):  # no query per partner
        page = client.get(reverse("partner:index"))
    html = page.content.decode()
    assert page.status_code == 200 and "Calendar account" in html
    assert "Not working (chats go by email)" in html and "None" in html
    assert APP_PASSWORD not in html and USERNAME not in html
