"""The booker's manage link: GET never changes anything; cancel and rebook by POST; dead links 404."""

import logging
import re
import uuid
from datetime import timedelta

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Site

from bookings import manage_links, services
from bookings.journey.pages import BookingPage
from bookings.models import Booking, BookingEvent, BookingStatus, EmailNotification
from bookings.services import BookerDetails
from bookings.zones import format_moment, iso_utc
from tests.support.slots import available_slots

from .factories import AvailabilityRuleFactory, BookingFactory, OfferFactory, PartnerFactory


@pytest.fixture
def partner(db):
    partner = PartnerFactory(display_name="Robin Example")
    AvailabilityRuleFactory(partner=partner)  # every day 09:00-17:00 UK time
    return partner


@pytest.fixture
def offer(partner):
    return OfferFactory(title="Thinking-partner chat", partners=[partner])


def free_starts(offer, partner):
    now = timezone.now()
    return [s.start for s in available_slots(offer, now, now + timedelta(days=14), now, partner=partner)]


@pytest.fixture
def booking(offer, partner):
    return services.place_booking(
        offer=offer,
        start=free_starts(offer, partner)[0],
        partner=partner,
        booker=BookerDetails(
            name="Alex Example",
            email="alex@example.org",
            project_description="Private notes about the project",
            time_zone="Europe/London",
        ),
        now=timezone.now(),
    )


@pytest.fixture
def booking_page(db):
    root = Site.objects.get(is_default_site=True).root_page
    page = BookingPage(title="Book a chat", slug="book")
    root.add_child(instance=page)
    return page


def url(name, booking_or_token):
    token = (
        booking_or_token if isinstance(booking_or_token, str) else manage_links.make_token(booking_or_token)
    )
    return reverse(f"bookings:{name}", args=[token])


def state(booking):
    return (
        Booking.objects.filter(pk=booking.pk).values().get(),
        BookingEvent.objects.count(),
        EmailNotification.objects.count(),
    )


def test_a_thousand_gets_change_nothing(client, booking):
    before = state(booking)
    manage, rebook, cancel = url("manage", booking), url("rebook", booking), url("cancel", booking)
    for _ in range(1000):
        response = client.get(manage)
        assert response.status_code == 200
    assert client.get(rebook).status_code == 200
    assert client.get(cancel).status_code == 405  # a scanner following the form's action
    assert client.head(manage).status_code == 200
    assert state(booking) == before
    assert client.get(manage).status_code == 200  # the link still works


def test_manage_page_shows_the_booking_with_private_headers(client, booking):
    response = client.get(url("manage", booking))
    html = response.content.decode()
    assert "Robin Example" in html and "Thinking-partner chat" in html
    assert "UK time (Europe/London)" in html
    assert "Cancel this chat" in html and "Choose a new time" in html
    assert "Private notes about the project" not in html
    assert response["Cache-Control"] == "private, no-store"
    # Never sent off-site; see bookings/journey/manage_views.py.
    assert response["Referrer-Policy"] == "same-origin"
    assert 'method="post"' in html


def test_cancel_asks_are_you_sure_then_says_what_was_cancelled_and_the_link_is_dead(
    client, booking, booking_page
):
    token = manage_links.make_token(booking)
    asked = client.post(url("cancel", token))  # the manage page's "Cancel this chat" button
    html = asked.content.decode()
    assert asked.status_code == 200
    assert "Are you sure you want to cancel this chat?" in html
    assert 'name="confirm" value="yes"' in html and f'href="{url("manage", token)}"' in html
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED  # one click changes nothing
    assert not booking.events.filter(action="cancelled").exists()

    response = client.post(url("cancel", token), {"confirm": "yes"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Your chat has been cancelled" in html
    assert format_moment(booking.start, "Europe/London") in html and "UK time (Europe/London)" in html
    assert re.search(rf'<a class="button" href="{re.escape(booking_page.url)}">Book another chat</a>', html)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert booking.events.filter(action="cancelled", actor_label="booker").count() == 1
    assert client.get(url("manage", token)).status_code == 404
    assert client.post(url("cancel", token)).status_code == 404


def test_rebook_moves_the_same_booking_and_supersedes_the_link(client, booking, offer, partner):
    old_token, old_start, public_id = manage_links.make_token(booking), booking.start, booking.public_id
    page = client.get(url("rebook", old_token))
    html = page.content.decode()
    offered = re.findall(r'name="start" value="([^"]+)"', html)
    assert offered and iso_utc(old_start) not in offered

    response = client.post(url("rebook", old_token), {"start": offered[-1]})
    assert response.status_code == 200
    assert "Your chat has moved" in response.content.decode()
    booking.refresh_from_db()
    assert booking.public_id == public_id and iso_utc(booking.start) == offered[-1]
    assert booking.sequence == 1
    assert Booking.objects.count() == 1
    assert client.get(url("manage", old_token)).status_code == 404  # stale after the move
    assert client.get(url("manage", booking)).status_code == 200  # the new link (sent by email)


def test_rebook_to_a_taken_time_says_so_and_changes_nothing(client, booking, offer, partner):
    target = free_starts(offer, partner)[-1]
    BookingFactory(partner=partner, offer=offer, start=target)
    before = state(booking)
    response = client.post(url("rebook", booking), {"start": iso_utc(target)})
    html = response.content.decode()
    assert response.status_code == 409
    assert "There is a problem" in html and "just been taken" in html
    assert re.search(r"<title>Error: ", html)
    assert state(booking) == before
    garbage = client.post(url("rebook", booking), {"start": "not-a-time"})
    assert garbage.status_code == 409


def test_dead_tokens_all_get_the_same_404(client, booking, offer, partner):
    cancelled = BookingFactory(
        partner=partner, offer=offer, start=free_starts(offer, partner)[-1], status=BookingStatus.CANCELLED
    )
    good = manage_links.make_token(booking)
    tokens = {
        "tampered": good[:-2] + ("AA" if not good.endswith("AA") else "BB"),
        "unknown": signing.dumps([uuid.uuid4().hex, 0], salt=manage_links.SALT, compress=False),
        "wrong version": signing.dumps([booking.public_id.hex, 5], salt=manage_links.SALT, compress=False),
        "wrong salt": signing.dumps([booking.public_id.hex, 0], salt="something-else", compress=False),
        "not a token": "hello",
        "cancelled booking": manage_links.make_token(cancelled),
    }
    bodies = set()
    for label, token in tokens.items():
        for name in ("manage", "rebook"):
            response = client.get(url(name, token))
            assert response.status_code == 404, label
            assert response["Cache-Control"] == "private, no-store"
            bodies.add(response.content)
        assert client.post(url("cancel", token)).status_code == 404, label
    assert len(bodies) == 1
    assert b"Alex" not in bodies.pop()
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.CONFIRMED


def test_changes_close_before_the_chat(client, offer, partner, settings):
    settings.MANAGE_CHANGES_CLOSE_HOURS = 24
    soon = BookingFactory(partner=partner, offer=offer, start=timezone.now() + timedelta(hours=3))
    token = manage_links.make_token(soon)
    page = client.get(url("manage", token)).content.decode()
    assert "Changes are now closed" in page and settings.BOOKINGS_MAILBOX in page
    assert "Cancel this chat" not in page
    assert client.post(url("cancel", token)).status_code == 403
    assert (
        client.post(url("rebook", token), {"start": iso_utc(soon.start + timedelta(days=3))}).status_code
        == 403
    )
    soon.refresh_from_db()
    assert soon.status == BookingStatus.CONFIRMED and soon.sequence == 0


def test_posts_need_the_csrf_token(booking):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(url("cancel", booking)).status_code == 403
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def test_refused_requests_never_log_the_token(client, booking, caplog):
    """Django logs the path of 4xx answers and CSRF refusals; the token must never reach a log."""
    token = manage_links.make_token(booking)
    with caplog.at_level(logging.DEBUG):
        client.get(f"/bookings/manage/{token}/cancel/")  # 405: POST only
        client.put(f"/bookings/manage/{token}/")  # 405
        Client(enforce_csrf_checks=True).post(f"/bookings/manage/{token}/cancel/")  # 403: no CSRF
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "/bookings/manage/[redacted]" in logged
    assert token not in logged


# --- A link is for one chat (docs/privacy.md, "Manage links") ------------------------------


def test_a_link_signed_400_days_ago_no_longer_opens(client, booking, monkeypatch):
    fresh = url("manage", booking)
    signed_at = signing.time.time() - 400 * 86400
    with monkeypatch.context() as frozen:
        frozen.setattr(signing.time, "time", lambda: signed_at)
        old = url("manage", booking)  # the same booking and sequence, signed 400 days ago
    assert old != fresh
    assert client.get(fresh).status_code == 200
    response = client.get(old)
    assert response.status_code == 404
    assert "Alex Example" not in response.content.decode()
    assert manage_links.booking_for_token(old.split("/")[-2]) is None


def test_a_chat_eleven_days_ago_says_it_has_happened(client, offer, partner):
    start = timezone.now() - timedelta(days=11)
    past = BookingFactory(offer=offer, partner=partner, start=start, booker_name="Alex Example")
    before = state(past)
    for response in (
        client.get(url("manage", past)),
        client.get(url("rebook", past)),
        client.post(url("cancel", past)),
        client.post(url("rebook", past), {"start": iso_utc(free_starts(offer, partner)[0])}),
    ):
        html = response.content.decode()
        assert response.status_code == 410
        assert "This chat has happened" in html
        assert "starts in less than" not in html
        assert "Cancel this chat" not in html and "Choose a new time" not in html
        assert response["Cache-Control"] == "private, no-store"
    assert state(past) == before


def test_a_chat_under_way_says_it_has_started(client, offer, partner):
    started = BookingFactory(offer=offer, partner=partner, start=timezone.now() - timedelta(minutes=10))
    html = client.get(url("manage", started)).content.decode()
    assert "This chat has started" in html
    assert "starts in less than" not in html
