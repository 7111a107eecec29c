"""Mail server faults against a real SMTP conversation on loopback (docs/reliability.md, promises 5, 6):
SMTP down, a server that hangs, temporary (4xx) and permanent (5xx) refusals."""

from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from bookings import services
from bookings.models import Booking, EmailNotification, NotificationStatus
from bookings.outbox import tasks
from bookings.services import BookerDetails
from tests.support.outbox import install_clock, run_worker, with_email
from tests.support.second_factor import sign_in_verified
from tests.support.smtp_server import HangingServer, SmtpServer, free_port, use_smtp

pytestmark = pytest.mark.django_db(transaction=True)

NOW = datetime(2026, 5, 1, 9, tzinfo=UTC)
CHAT = datetime(2026, 6, 2, 10, tzinfo=ZoneInfo("Europe/London"))
PARTNER = "partner@example.org"
S = NotificationStatus


@pytest.fixture
def clock(monkeypatch):
    return install_clock(monkeypatch, NOW)


@pytest.fixture
def emailable(partner, django_user_model):
    return with_email(partner, django_user_model, PARTNER)


def place(offer, partner, policy, clock, *, start=CHAT, email="sam@example.org"):
    details = BookerDetails(name="Sam Example", email=email)
    return services.place_booking(
        offer=offer, start=start, partner=partner, booker=details, now=clock(), policy=policy
    )


def confirmations():
    return EmailNotification.objects.filter(kind="confirmed")


def test_smtp_down_while_50_bookings_are_made_then_every_email_arrives_once(
    offer, emailable, policy, clock, settings
):
    port = free_port()  # nothing listens here yet
    use_smtp(settings, port)
    placed = [
        place(offer, emailable, policy, clock, start=CHAT + timedelta(days=i), email=f"booker{i}@example.org")
        for i in range(50)
    ]
    assert len(placed) == Booking.objects.count() == 50  # no booker saw an error
    run_worker()
    assert {(n.status, n.last_error) for n in confirmations()} == {(S.RETRYING, "ConnectionRefusedError")}
    assert confirmations().count() == 100

    with SmtpServer(port) as server:
        clock.advance(seconds=settings.EMAIL_RETRY_BASE_SECONDS)
        run_worker()
        run_worker()  # nothing left to do: no second copies
        received = server.received

    assert len(received) == 100
    assert len({r.message["Message-ID"] for r in received}) == 100
    by_recipient = Counter(tuple(r.rcpt_tos) for r in received)
    assert by_recipient == {(PARTNER,): 50, **{(f"booker{i}@example.org",): 1 for i in range(50)}}
    assert {(n.status, n.attempts) for n in confirmations()} == {(S.SENT, 2)}


def test_a_hanging_server_times_out_each_attempt_and_the_email_goes_later(
    offer, emailable, policy, clock, settings
):
    with HangingServer() as hanging:
        use_smtp(settings, hanging.port, timeout=1)
        place(offer, emailable, policy, clock)
        run_worker()
        # Each attempt gave up on its own timeout: the server's 30-second safety net would
        # have shown up as a plain disconnect instead.
        assert {(n.status, n.last_error, n.attempts) for n in confirmations()} == {
            (S.RETRYING, "TimeoutError", 1)
        }
        assert hanging.accepted == 2
    with SmtpServer(hanging.port) as server:
        clock.advance(seconds=settings.EMAIL_RETRY_BASE_SECONDS)
        run_worker()
        assert sorted(r.rcpt_tos[0] for r in server.received) == [PARTNER, "sam@example.org"]
    assert {n.status for n in confirmations()} == {S.SENT}


def test_a_temporary_refusal_is_retried_with_back_off(offer, emailable, policy, clock, settings):
    with SmtpServer() as server:
        use_smtp(settings, server.port)
        server.mode = "temporary"
        place(offer, emailable, policy, clock)
        run_worker()
        assert server.received == []
        rows = list(confirmations())
        assert {(n.status, n.last_error) for n in rows} == {(S.RETRYING, "SMTPRecipientsRefused 451")}
        assert {n.send_after for n in rows} == {
            clock() + timedelta(seconds=settings.EMAIL_RETRY_BASE_SECONDS)
        }
        server.mode = "accept"
        run_worker()  # not due yet
        assert server.received == []
        clock.advance(seconds=settings.EMAIL_RETRY_BASE_SECONDS)
        run_worker()
        assert len(server.received) == 2
    assert {n.status for n in confirmations()} == {S.SENT}


def test_a_permanent_refusal_fails_once_and_staff_can_see_it(
    offer, emailable, policy, clock, settings, client, django_user_model
):
    with SmtpServer() as server:
        use_smtp(settings, server.port)
        server.mode = "permanent"
        booking = place(offer, emailable, policy, clock, email="nobody@example.org")
        run_worker()
        clock.advance(hours=2)
        run_worker()
        assert server.received == []
    rows = list(confirmations())
    assert {(n.status, n.last_error, n.attempts) for n in rows} == {
        (S.FAILED, "SMTPRecipientsRefused 550", 1)
    }
    # The task finished normally, so no traceback (which could hold personal data) was stored.
    for row in DBTaskResult.objects.filter(task_path=tasks.deliver_notification.module_path).exclude(
        status="READY"
    ):
        assert (row.status, row.return_value, row.traceback) == ("SUCCESSFUL", "failed", "")

    admin = django_user_model.objects.create_superuser("admin", "admin@example.org", "pw")
    sign_in_verified(client, admin)
    response = client.get(reverse("email_outbox:index"), {"status": "failed"})
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("SMTPRecipientsRefused 550") == 2
    assert "Failed (needs a person)" in page and str(booking.offer) in page
    assert "nobody@example.org" not in page
    inspect = client.get(reverse("email_outbox:inspect", args=[rows[0].pk]))
    assert inspect.status_code == 200 and "SMTPRecipientsRefused 550" in inspect.content.decode()
    assert client.get(reverse("email_outbox:edit", args=[rows[0].pk])).status_code in {302, 403}
