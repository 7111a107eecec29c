"""Staff operations: reassigning a chat, handing one back, deactivating a partner through the
guided step, the "This week" calendar and the daily digest (docs/staff-operations.md)."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from bookings import accounts, partner_accounts, partner_services, reassignment
from bookings.errors import BookingError, SlotUnavailable
from bookings.models import (
    AccountEmail,
    AccountEmailKind,
    Booking,
    BookingEvent,
    BookingStatus,
    EmailNotification,
    NotificationStatus,
    Recipient,
)
from bookings.outbox import tasks
from tests.support.outbox import body, install_clock, with_email
from tests.support.second_factor import sign_in_verified
from tests.support.smtp_server import SmtpServer, use_smtp

from .factories import AvailabilityRuleFactory, BookingFactory, OfferFactory, PartnerFactory, TimeOffFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 5, 4, 6, tzinfo=UTC)  # a Monday, 07:00 UK time
CHAT = datetime(2026, 5, 6, 10, tzinfo=UTC)  # Wednesday of the same week
S = BookingStatus


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


@pytest.fixture
def two(django_user_model):
    """Two partners who both offer the chat and are free all day, with email addresses. They work
    on bank holidays: NOW is the early May bank holiday."""
    fern = PartnerFactory(display_name="Fern First", works_bank_holidays=True)
    first = with_email(fern, django_user_model, "fern@example.org")
    second = PartnerFactory(display_name="Sol Second", email="sol@example.org", works_bank_holidays=True)
    for p in (first, second):
        AvailabilityRuleFactory(partner=p)
    offer = OfferFactory(partners=[first, second], title="Intro chat")
    return first, second, offer


def chat(partner, offer, start=CHAT, status=S.CONFIRMED, **kw):
    return BookingFactory(partner=partner, offer=offer, start=start, status=status, **kw)


def deliver_booking_emails():
    due = EmailNotification.objects.filter(status=NotificationStatus.QUEUED).order_by("pk")
    return [tasks.deliver_notification.call(pk) for pk in due.values_list("pk", flat=True)]


def deliver_account_emails():
    due = AccountEmail.objects.filter(status=NotificationStatus.QUEUED).order_by("pk")
    return [tasks.deliver_account_email.call(pk) for pk in due.values_list("pk", flat=True)]


# --- reassign -------------------------------------------------------------------------------


def test_reassign_moves_the_chat_tells_the_booker_and_both_partners(two, coordinator, clock, smtp):
    first, second, offer = two
    booking = chat(first, offer, booker_email="bea@example.org")
    done = reassignment.reassign(booking, second, now=clock(), actor=coordinator, actor_label="staff")
    assert (done.partner_id, done.sequence, done.status) == (second.pk, booking.sequence + 1, S.CONFIRMED)
    event = BookingEvent.objects.get(booking=booking, action="reassigned")
    assert event.details == {"from_partner": first.pk, "to_partner": second.pk}
    assert (event.actor, event.actor_label) == (coordinator, "staff")
    kinds = sorted(EmailNotification.objects.filter(send_after__lte=clock()).values_list("kind", "recipient"))
    # The former partner gets a calendar CANCEL addressed to them (the booking no longer names them).
    expected = [("confirmed", Recipient.PARTNER), ("reassigned", Recipient.BOOKER)]
    assert kinds == sorted([*expected, ("reassigned_away", Recipient.PARTNER)])
    deliver_booking_emails()
    (to_booker,) = smtp.to("bea@example.org")
    assert "now be with Sol Second" in body(to_booker.message, "plain")
    assert to_booker.message["Subject"].startswith("New partner for your chat")
    assert len(smtp.to("sol@example.org")) == 1


def test_reassign_refuses_a_partner_who_is_not_free(two, coordinator, clock):
    first, second, offer = two
    booking = chat(first, offer)
    chat(second, offer)  # the second partner already has a chat then
    with pytest.raises(SlotUnavailable):
        reassignment.reassign(booking, second, now=clock(), actor=coordinator)
    TimeOffFactory(partner=second, start=CHAT - timedelta(days=1), end=CHAT + timedelta(days=1))
    assert Booking.objects.get(pk=booking.pk).partner_id == first.pk


def test_reassign_refuses_the_same_partner_and_finished_chats(two, coordinator, clock):
    first, second, offer = two
    booking = chat(first, offer)
    with pytest.raises(BookingError, match="already with that partner"):
        reassignment.reassign(booking, first, now=clock(), actor=coordinator)
    cancelled = chat(first, offer, start=CHAT + timedelta(hours=2), status=S.CANCELLED)
    with pytest.raises(BookingError, match="cancelled"):
        reassignment.reassign(cancelled, second, now=clock(), actor=coordinator)


def test_staff_may_reassign_inside_the_minimum_notice(two, coordinator, clock):
    first, second, offer = two
    soon = chat(first, offer, start=NOW + timedelta(hours=4))  # notice is 48 hours for bookers
    assert reassignment.reassign(soon, second, now=clock(), actor=coordinator).partner_id == second.pk


# --- hand back ------------------------------------------------------------------------------


def test_a_partner_hands_back_staff_hear_at_once_the_booker_hears_nothing(two, coordinator, clock, smtp):
    first, second, offer = two
    booking = chat(first, offer, booker_email="bea@example.org")
    partner_services.hand_back(
        first, booking.public_id, reason="ill", note="SECRET-PARTNER-NOTE", now=clock(), actor=first.user
    )
    booking.refresh_from_db()
    assert booking.status == S.CONFIRMED and booking.is_blocking  # their time is still held
    event = BookingEvent.objects.get(booking=booking, action="handed_back")
    assert event.details == {"reason": "ill"}
    assert not EmailNotification.objects.exists()  # nothing to the booker or partner
    assert deliver_account_emails() == ["sent"]
    (to_staff,) = smtp.received
    assert to_staff.rcpt_tos == ["cora@example.org"]
    text = body(to_staff.message, "plain")
    assert "Fern First has handed back a chat" in text and "I am unwell" in text
    assert "SECRET-PARTNER-NOTE" not in text and booking.booker_name not in text
    # Staff act: the booker now gets the normal email, and the hand-back is closed.
    reassignment.reassign(booking, second, now=clock(), actor=coordinator)
    deliver_booking_emails()
    assert len(smtp.to("bea@example.org")) == 1
    assert not accounts.attention.open_hand_backs(clock()).exists()


def test_only_a_confirmed_future_chat_of_ones_own_can_be_handed_back(two, clock):
    first, second, offer = two
    pending = chat(first, offer, status=S.PENDING)
    past = chat(first, offer, start=NOW - timedelta(days=1))
    others = chat(second, offer)
    for booking in (pending, past, others):
        with pytest.raises(BookingError):
            partner_services.hand_back(first, booking.public_id, reason="ill", now=clock())
    with pytest.raises(BookingError, match="reason"):
        partner_services.hand_back(
            first, chat(first, offer, start=CHAT + timedelta(hours=3)).public_id, reason="x", now=clock()
        )


def test_the_workspace_hands_back_by_post(client, two, clock):
    first, _, offer = two
    booking = chat(first, offer)
    sign_in_verified(client, first.user)
    url = reverse("workspace:hand_back", args=[booking.public_id])
    page = client.get(url)
    assert page.status_code == 200 and "Hand this chat back" in page.content.decode()
    refused = client.post(url, {"note": "no reason given"})
    assert refused.status_code == 200 and "Choose a reason" in refused.content.decode()
    done = client.post(url, {"reason": "ill"}, follow=True)
    assert "The team will take it from here" in done.content.decode()
    assert booking.hand_backs.count() == 1


# --- deactivation ----------------------------------------------------------------------------


def test_deactivation_waits_until_every_future_chat_is_settled(client, two, coordinator, clock):
    first, second, offer = two
    one = chat(first, offer)
    other = chat(first, offer, start=CHAT + timedelta(days=1), status=S.PENDING)
    sign_in_verified(client, coordinator)
    url = reverse("staff_ops:deactivate", args=[first.pk])
    page = client.get(url).content.decode()
    assert "Step 1: their chats still to come (2)" in page and "Sol Second" in page
    refused = client.post(url, follow=True)
    assert "still has chats to come" in refused.content.decode()
    first.refresh_from_db()
    assert first.active
    settle = reverse("staff_ops:settle", args=[one.public_id])
    client.post(settle, {"action": "reassign", "partner": second.pk, "next": url})
    # Cancelling goes through the booking page's cancel form, with a message to the booker.
    cancel = reverse("booking:act", args=[other.pk, "cancel"])
    done = client.post(cancel, {"reason": "Your partner is unwell.", "next": url})
    assert done["Location"] == url
    assert Booking.objects.get(pk=one.pk).partner_id == second.pk
    assert Booking.objects.get(pk=other.pk).status == S.CANCELLED
    assert "None: every chat is settled" in client.get(url).content.decode()
    client.post(url)
    first.refresh_from_db()
    assert not first.active and not first.accepting_bookings
    # Their account no longer reaches the workspace.
    sign_in_verified(client, first.user)
    assert client.get(reverse("workspace:home")).status_code == 403


def test_settle_refuses_an_outside_next_address(client, two, coordinator, clock):
    first, _, offer = two
    booking = chat(first, offer)
    sign_in_verified(client, coordinator)
    url = reverse("staff_ops:settle", args=[booking.public_id])
    response = client.post(url, {"action": "reassign", "next": "https://evil.example/"})
    assert response["Location"] == url
    cancel = reverse("booking:act", args=[booking.pk, "cancel"])
    response = client.post(cancel, {"reason": "Sorry.", "next": "https://evil.example/"})
    assert response["Location"] == reverse("booking:inspect", args=[booking.pk])


# --- this week ------------------------------------------------------------------------------


def test_this_week_shows_chats_requests_time_off_load_and_highlights(client, two, coordinator, clock):
    first, second, offer = two
    first.max_chats_per_week = 1
    first.save()
    chat(first, offer)
    chat(first, offer, start=CHAT + timedelta(days=1))
    waiting = chat(second, offer, status=S.PENDING, start=CHAT + timedelta(hours=2))
    Booking.objects.filter(pk=waiting.pk).update(created_at=NOW - timedelta(hours=30))
    fresh = chat(second, offer, status=S.PENDING, start=CHAT + timedelta(hours=4))
    Booking.objects.filter(pk=fresh.pk).update(created_at=NOW - timedelta(hours=1))
    handed = chat(second, offer, start=CHAT + timedelta(days=2))
    partner_services.hand_back(
        second, handed.public_id, reason="emergency", note="NOTE-FOR-STAFF", now=clock()
    )
    TimeOffFactory(partner=second, start=CHAT + timedelta(days=3), end=CHAT + timedelta(days=3, hours=2))
    sign_in_verified(client, coordinator)
    page = client.get(reverse("staff_ops:week")).content.decode()
    assert "Week of Monday 4 May 2026" in page
    assert page.count("Waiting too long") == 1
    handed_url = reverse("booking:inspect", args=[handed.pk])
    assert f'Handed back:</strong> <a href="{handed_url}">Intro chat</a>' in page and "NOTE-FOR-STAFF" in page
    assert "Time off" in page
    assert '2 of 1 <strong class="staff-flag">over the limit</strong>' in page
    # No JavaScript needed to change week: plain links.
    assert 'href="?week=2026-04-27"' in page and 'href="?week=2026-05-11"' in page
    later = client.get(reverse("staff_ops:week"), {"week": "2026-05-13"}).content.decode()
    assert "Week of Monday 11 May 2026" in later and "Nothing booked." in later
    assert client.get(reverse("staff_ops:week"), {"week": "nonsense"}).status_code == 200


@pytest.mark.parametrize("count", [10, 1000])
def test_this_week_query_count_is_constant(client, two, coordinator, clock, count, django_assert_num_queries):
    first, second, offer = two
    bookings = []
    for i in range(count):
        partner = first if i % 2 else second
        start = NOW + timedelta(hours=2, minutes=40 * (i // 2))
        bookings.append(
            Booking(partner=partner, offer=offer, start=start, booker_name="x", booker_email="x@e.org")
        )
        bookings[-1].set_times(start, offer)
        bookings[-1].ical_uid = f"load-{i}@test"
    Booking.objects.bulk_create(bookings)
    sign_in_verified(client, coordinator)
    client.get(reverse("staff_ops:week"))  # warm the session and the site settings cache
    with django_assert_num_queries(QUERIES):
        assert client.get(reverse("staff_ops:week")).status_code == 200


# The same for 10 and 1,000 bookings: nothing is fetched per booking. One of them is django-otp
# loading the session's second-factor device, so a removed device stops counting (docs/security.md).
QUERIES = 16


# --- the daily digest -------------------------------------------------------------------------


def test_the_digest_goes_once_a_day_to_active_staff_with_an_email(
    two, coordinator, django_user_model, clock, smtp, settings
):
    first, _, offer = two
    staff = Group.objects.get(name="Staff")
    inactive = django_user_model.objects.create_user("gone", "gone@example.org", "pw", is_active=False)
    no_email = django_user_model.objects.create_user("noemail", "", "pw")
    staff.user_set.add(inactive, no_email)
    waiting = chat(first, offer, status=S.PENDING)
    Booking.objects.filter(pk=waiting.pk).update(created_at=NOW - timedelta(days=2))
    clock.now = NOW.replace(hour=5)  # 06:00 UK: before the digest hour
    assert accounts.queue_daily_digest(clock()) == 0
    clock.now = NOW  # 07:00 UK
    for _ in range(3):
        out = StringIO()
        call_command("run_scheduler", "--once", stdout=out)
    assert AccountEmail.objects.filter(kind=AccountEmailKind.DIGEST).count() == 1
    assert deliver_account_emails() == ["sent"]
    (digest,) = smtp.received
    assert digest.rcpt_tos == ["cora@example.org"]
    text = body(digest.message, "plain")
    assert "Requests waiting too long for their partner (1)" in text
    assert waiting.booker_name not in text and waiting.booker_email not in text
    clock.advance(days=1)
    assert accounts.queue_daily_digest(clock()) == 1  # the next day, one more


def test_no_digest_on_a_quiet_day(coordinator, clock):
    assert accounts.queue_daily_digest(clock()) == 0
    assert not AccountEmail.objects.exists()


def test_the_digest_counts_handed_back_chats_and_failed_emails(two, coordinator, clock, smtp):
    first, _, offer = two
    booking = chat(first, offer)
    partner_services.hand_back(first, booking.public_id, reason="ill", now=clock())
    EmailNotification.objects.create(
        booking=booking, kind="confirmed", recipient="booker", sequence=0, send_after=NOW, status="failed"
    )
    AccountEmail.objects.all().delete()
    assert accounts.queue_daily_digest(clock()) == 1
    deliver_account_emails()
    text = body(smtp.received[0].message, "plain")
    assert "Chats handed back by their partner (1)" in text
    assert "1 about bookings, 0 about accounts" in text


def test_inviting_through_the_admin(client, coordinator, clock):
    sign_in_verified(client, coordinator)
    response = client.post(
        reverse("staff_ops:invite"),
        {"display_name": "Nia New", "email": "nia@example.org", "time_zone": "Europe/London"},
    )
    partner = partner_accounts.Partner.objects.get(display_name="Nia New")
    assert response["Location"] == reverse("staff_ops:invitation", args=[partner.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Invited, password not chosen yet" in page
    bad = client.post(
        reverse("staff_ops:invite"), {"display_name": "X", "email": "nope", "time_zone": "Mars/Base"}
    )
    assert bad.status_code == 200 and "time zone" in bad.content.decode()
    client.post(reverse("staff_ops:invitation_revoke", args=[partner.pk]))
    assert "Invitation revoked" in client.get(response["Location"]).content.decode()
