"""The workspace's CalDAV screens (docs/caldav.md, "The screens"): connect with a real Radicale on
loopback (tests/support/caldav_servers.py), choose a calendar, see the state, disconnect; kind
form errors with nothing stored; nobody else reaches them; the app password is never shown,
stored unencrypted, put in a task row, logged or put in an error report."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from caldav import DAVClient
from caldav.lib.error import NotFoundError
from django.db import connection as db_connection
from django.test import Client
from django.utils import timezone
from django.views.debug import ExceptionReporter
from icalendar import Calendar

from bookings import partner_caldav
from bookings.calendars.caldav_secrets import encrypt_password
from bookings.models import (
    BookingStatus,
    CalDAVConnection,
    CalDAVPush,
    CalDAVState,
    EmailNotification,
)
from bookings.outbox import caldav, notifications
from bookings.outbox.deliverer import WAITING
from tests.support.caldav_servers import PASSWORD, USER
from tests.support.workspace_people import partner_with_login

from .factories import BookingFactory, OfferFactory

pytestmark = pytest.mark.django_db
CALDAV = "/partners/calendar/caldav/"
CHOOSE = "/partners/calendar/caldav/choose/"
OFF = "/partners/calendar/caldav/off/"
PAGE = "/partners/calendar/"


@pytest.fixture
def radicale(dav_servers):
    server = dav_servers["radicale"]
    with DAVClient(url=server.url, username=USER, password=PASSWORD, timeout=10) as client:
        principal = client.principal()
        if not principal.calendars():
            principal.make_calendar(name="Chats")
    return server


@pytest.fixture
def partner():
    return partner_with_login("casey", "Casey Partner")


@pytest.fixture
def partner_client(client, partner):
    client.force_login(partner.user)
    return client


def run_pushes() -> list[str]:
    """What the worker does with every waiting push."""
    return [
        caldav.push(pk, now=timezone.now(), schedule=lambda *a: None, fallback=lambda *a, **k: None)
        for pk in CalDAVPush.objects.filter(status__in=WAITING).order_by("pk").values_list("pk", flat=True)
    ]


def server_uids(server) -> list[str]:
    uids = []
    with DAVClient(url=server.url, username=USER, password=PASSWORD, timeout=10) as client:
        for cal in client.principal().calendars():
            for obj in cal.objects():
                try:
                    obj.load()
                except NotFoundError:  # listed a moment ago, gone now (other tests share the server)
                    continue
                if obj.data:
                    uids += [str(e["UID"]) for e in Calendar.from_ical(obj.data).walk("VEVENT")]
    return uids


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def connect(client, server_url, password=PASSWORD, username=USER):
    return client.post(CALDAV, {"server_url": server_url, "username": username, "password": password})


def only_calendar(server) -> str:
    return partner_caldav.discover_caldav_calendars(server.url, USER, PASSWORD)[0][0]


def test_connect_choose_and_a_booked_chat_is_written_to_the_server(partner_client, partner, radicale):
    offer = OfferFactory(partners=[partner])
    earlier = BookingFactory(
        partner=partner, offer=offer, start=timezone.now() + timedelta(days=3), status=BookingStatus.CONFIRMED
    )
    page = partner_client.get(PAGE).content.decode()
    assert "Connect your calendar account" in page and 'type="password"' in page

    response = connect(partner_client, radicale.url)
    assert response.status_code == 302 and response["Location"] == CHOOSE
    stored = CalDAVConnection.objects.get(partner=partner)
    assert stored.state == CalDAVState.CHOOSING and stored.password_encrypted != PASSWORD

    choose = partner_client.get(CHOOSE)
    assert choose.status_code == 200
    assert b'type="radio"' in choose.content and b"Put my chats in this calendar" in choose.content
    refused = partner_client.post(CHOOSE, {})
    assert "Choose a calendar." in refused.content.decode()
    target = only_calendar(radicale)
    chosen = partner_client.post(CHOOSE, {"calendar": target}, follow=True)
    assert any("writing your 1 upcoming chat" in m for m in messages_of(chosen))
    stored.refresh_from_db()
    assert stored.state == CalDAVState.ACTIVE and stored.calendar_url == target
    page = chosen.content.decode()
    assert "Connected" in page and f"“{stored.calendar_name}”" in page
    assert "Disconnect my calendar account" in page

    # The chat from before, and a chat booked now, are both written into the server.
    later = BookingFactory(
        partner=partner, offer=offer, start=timezone.now() + timedelta(days=5), status=BookingStatus.PENDING
    )
    notifications.booking_changed(later, "placed", now=timezone.now())
    assert run_pushes() == ["sent", "sent"]
    uids = server_uids(radicale)
    assert earlier.ical_uid in uids and later.ical_uid in uids


def test_a_wrong_password_is_a_kind_form_error_and_nothing_is_stored(partner_client, partner, radicale):
    wrong = "wrong-app-password-31337"
    response = connect(partner_client, radicale.url, password=wrong)
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html and "did not accept that user name and app password" in html
    assert wrong not in html  # the password box is empty again
    assert f'value="{radicale.url}"' in html and f'value="{USER}"' in html  # the rest is kept
    assert not CalDAVConnection.objects.exists()
    assert response.context["caldav_form"]["password"].value() == wrong  # bound, yet not rendered


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"server_url": "http://127.0.0.1:9/", "username": "u", "password": "p"}, "could not reach"),
        (
            {"server_url": "ftp://calendar.example.org/", "username": "u", "password": "p"},
            "starting with https://",
        ),
        ({"server_url": "", "username": "", "password": ""}, "Enter the address of your calendar server."),
        ({"server_url": "not a web address", "username": "u", "password": "p"}, "Enter a web address"),
    ],
)
def test_bad_input_or_an_unreachable_server_is_explained(partner_client, data, message):
    response = partner_client.post(CALDAV, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not CalDAVConnection.objects.exists()


def test_a_failed_connection_is_shown_with_its_message_and_can_be_reconnected(
    partner_client, partner, radicale
):
    CalDAVConnection.objects.create(
        partner=partner,
        server_url=radicale.url,
        username=USER,
        password_encrypted=encrypt_password("an-old-revoked-password"),
        calendar_url=only_calendar(radicale),
        calendar_name="Chats",
        state=CalDAVState.FAILED,
        error_message="Your calendar server refused the user name or app password. Until you connect "
        "it again, your chats come to you as email invites.",
        created_at=timezone.now() - timedelta(days=3),
        failed_at=timezone.now() - timedelta(hours=2),
    )
    html = partner_client.get(PAGE).content.decode()
    assert "Not working." in html and "refused the user name or app password" in html
    assert "your chats come to you as email invites" in html
    assert "Connect again" in html and f'value="{radicale.url}"' in html  # address kept, password asked
    assert "an-old-revoked-password" not in html
    assert "CalDAV over" not in html  # plain words, not jargon:
    assert "If you have neither, each chat comes to you as an email invite." in html

    assert connect(partner_client, radicale.url)["Location"] == CHOOSE
    assert CalDAVConnection.objects.get(partner=partner).state == CalDAVState.CHOOSING
    partner_client.post(CHOOSE, {"calendar": only_calendar(radicale)})
    assert CalDAVConnection.objects.get(partner=partner).state == CalDAVState.ACTIVE


def test_an_account_that_stopped_working_is_explained_on_the_choose_page(partner_client, partner):
    CalDAVConnection.objects.create(
        partner=partner,
        server_url="http://127.0.0.1:9/",
        username=USER,
        password_encrypted=encrypt_password(PASSWORD),
        created_at=timezone.now(),
    )
    response = partner_client.get(CHOOSE)
    assert response.status_code == 200
    assert "We could not reach a calendar server" in response.content.decode()


def test_choose_without_an_account_goes_back_to_the_calendar_page(partner_client):
    response = partner_client.get(CHOOSE, follow=True)
    assert response.redirect_chain[-1][0] == PAGE
    assert messages_of(response) == ["Connect your calendar account first."]


def test_disconnect_forgets_the_account_and_emails_invites(partner_client, partner, radicale):
    chat = BookingFactory(
        partner=partner,
        offer=OfferFactory(partners=[partner]),
        start=timezone.now() + timedelta(days=2),
        status=BookingStatus.CONFIRMED,
    )
    connect(partner_client, radicale.url)
    partner_client.post(CHOOSE, {"calendar": only_calendar(radicale)})
    response = partner_client.post(OFF, follow=True)
    assert not CalDAVConnection.objects.filter(partner=partner).exists()
    assert "forgotten its app password" in messages_of(response)[-1]
    assert EmailNotification.objects.filter(booking=chat, kind="calendar_copy", recipient="partner").exists()
    assert "Connect your calendar account" in response.content.decode()
    assert partner_client.get(OFF).status_code == 405  # POST only


def test_another_partner_or_a_stranger_cannot_reach_the_account(client, partner, radicale):
    CalDAVConnection.objects.create(
        partner=partner,
        server_url=radicale.url,
        username="casey-caldav-name",
        password_encrypted=encrypt_password(PASSWORD),
        calendar_url=only_calendar(radicale),
        calendar_name="Casey's chats",
        state=CalDAVState.ACTIVE,
        created_at=timezone.now(),
    )
    for url in (CHOOSE, OFF, CALDAV):
        anonymous = Client().post(url)
        assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    client.force_login(partner_with_login("ivy", "Ivy Intruder").user)
    page = client.get(PAGE).content.decode()
    assert "casey-caldav-name" not in page and "Casey's chats" not in page
    assert client.get(CHOOSE).status_code == 302  # they have no account of their own
    client.post(OFF)
    client.post(CHOOSE, {"calendar": only_calendar(radicale)})
    connection = CalDAVConnection.objects.get(partner=partner)
    assert connection.state == CalDAVState.ACTIVE and connection.username == "casey-caldav-name"
    assert not CalDAVConnection.objects.exclude(partner=partner).exists()


# --- the password never leaks --------------------------------------------------------------------


def every_value_holding(secret: str) -> list[str]:
    """Tables with a value containing `secret`: every column of every table, task rows included."""
    found = []
    with db_connection.cursor() as cursor:
        for table in db_connection.introspection.table_names():
            columns = [c.name for c in db_connection.introspection.get_table_description(cursor, table)]
            quoted = ", ".join(db_connection.ops.quote_name(c) for c in columns)
            cursor.execute(f"SELECT {quoted} FROM {db_connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                found += [table for value in row if secret in str(value)]
    return found


def test_the_app_password_is_nowhere_after_submitting_it(partner_client, partner, radicale, caplog):
    caplog.set_level(logging.DEBUG)
    BookingFactory(
        partner=partner,
        offer=OfferFactory(partners=[partner]),
        start=timezone.now() + timedelta(days=2),
        status=BookingStatus.CONFIRMED,
    )
    wrong = "a-wrong-app-password-8812"
    pages = [connect(partner_client, radicale.url, password=wrong)]
    pages.append(connect(partner_client, radicale.url))
    pages.append(partner_client.get(CHOOSE))
    pages.append(partner_client.post(CHOOSE, {"calendar": only_calendar(radicale)}, follow=True))
    pages.append(partner_client.get(PAGE))
    run_pushes()
    assert CalDAVPush.objects.filter(status="sent").exists()  # the pushes did use the password

    for response in pages:
        body = response.content.decode() + response.get("Location", "")
        assert PASSWORD not in body and wrong not in body
    assert every_value_holding(PASSWORD) == [] and every_value_holding(wrong) == []
    assert "django_tasks_database_dbtaskresult" in db_connection.introspection.table_names()
    assert PASSWORD not in caplog.text and wrong not in caplog.text


def test_an_error_report_from_the_connect_form_hides_the_password(partner_client, monkeypatch, caplog):
    """Django's error report (the DEBUG 500 page, the admins' email) lists the POST data and each
    frame's variables: the password must be hidden in both."""

    class Exploding:
        def __init__(self, url, username, password, timeout):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def principal(self):
            raise RuntimeError("the server library broke")

    monkeypatch.setattr(partner_caldav, "DAVClient", Exploding)
    secret = "error-page-app-password-5521"
    partner_client.raise_request_exception = False
    caplog.set_level(logging.ERROR, logger="django.request")
    response = connect(partner_client, "https://caldav.example.org/", password=secret)
    assert response.status_code == 500
    (record,) = [r for r in caplog.records if r.exc_info]
    data = ExceptionReporter(record.request, *record.exc_info).get_traceback_data()
    # This test's own frames are in the traceback (the test client runs the view in-process) and
    # hold the secret by design; every frame of the site's code, and the rest, must not.
    data.pop("lastframe")  # the raising frame: Exploding.principal, above
    site_frames = [f for f in data.pop("frames") if "/tests/" not in f["filename"]]
    assert any(f["function"] == "connect_caldav" for f in site_frames)  # the report is real
    assert dict(data["filtered_POST_items"])["password"] == "********************"
    assert secret not in str(data)
    for frame in site_frames:
        assert secret not in str(frame["vars"]), frame["function"]
    assert secret not in caplog.text and secret not in response.content.decode()
