"""A coordinator's Monday morning (docs/staff-operations.md, "A partner's page" and "This week"):
the screens link to one another, the partner form cannot deactivate someone with chats to come,
a hand-edited week address never fails, and the payments screen names the chats still to mark
before a month is approved."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from bookings import services
from bookings.models import Booking, BookingStatus, PaymentRule
from tests.support.outbox import install_clock
from tests.support.second_factor import sign_in_verified

from .factories import AvailabilityRuleFactory, BookingFactory, OfferFactory, PartnerFactory
from .staff_people import partner_form

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 5, 4, 6, tzinfo=UTC)  # a Monday, 07:00 UK time
CHAT = datetime(2026, 5, 6, 10, tzinfo=UTC)  # Wednesday of the same week


@pytest.fixture
def clock(monkeypatch):
    return install_clock(monkeypatch, NOW)


@pytest.fixture
def desk(client, django_user_model, clock):
    user = django_user_model.objects.create_user("cora", "cora@example.org", "pw")
    user.groups.add(Group.objects.get(name="Staff"))
    sign_in_verified(client, user)
    return client


@pytest.fixture
def partner():
    partner = PartnerFactory(display_name="Fern First", email="fern@example.org", works_bank_holidays=True)
    AvailabilityRuleFactory(partner=partner)
    return partner


@pytest.fixture
def offer(partner):
    return OfferFactory(partners=[partner], title="Intro chat")


# --- the partner form does not drop chats --------------------------------------------------------


def test_unticking_active_is_refused_while_the_partner_has_chats_to_come(desk, partner, offer):
    BookingFactory(partner=partner, offer=offer, start=CHAT, status=BookingStatus.CONFIRMED)
    BookingFactory(partner=partner, offer=offer, start=CHAT + timedelta(days=1), status=BookingStatus.PENDING)
    url = reverse("partner:edit", args=[partner.pk])
    response = desk.post(url, partner_form(partner, active=None, bio="Changed bio"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Not saved: Fern First still has 2 chats to come." in page
    assert "Deactivate, step by step" in page
    assert reverse("staff_ops:deactivate", args=[partner.pk]) in page
    partner.refresh_from_db()
    assert partner.active and partner.bio != "Changed bio"  # nothing of the save was kept


def test_unticking_active_saves_once_no_chat_is_to_come(desk, partner, offer):
    past = NOW - timedelta(days=2)
    BookingFactory(partner=partner, offer=offer, start=past, status=BookingStatus.COMPLETED)
    BookingFactory(partner=partner, offer=offer, start=CHAT, status=BookingStatus.CANCELLED)
    response = desk.post(reverse("partner:edit", args=[partner.pk]), partner_form(partner, active=None))
    assert response.status_code == 302, response.content.decode()[:2000]
    partner.refresh_from_db()
    assert not partner.active


def test_pausing_a_partner_with_chats_to_come_still_saves(desk, partner, offer):
    BookingFactory(partner=partner, offer=offer, start=CHAT, status=BookingStatus.CONFIRMED)
    url = reverse("partner:edit", args=[partner.pk])
    response = desk.post(url, partner_form(partner, accepting_bookings=None))
    assert response.status_code == 302, response.content.decode()[:2000]
    partner.refresh_from_db()
    assert partner.active and not partner.accepting_bookings


# --- every screen about a partner or a chat links to the others ----------------------------------


def test_a_partners_page_links_to_their_chats_times_time_off_and_invitation(desk, partner):
    page = desk.get(reverse("partner:edit", args=[partner.pk])).content.decode()
    assert 'aria-label="More about this partner"' in page
    for address in (
        f"{reverse('booking:index')}?partner={partner.pk}",
        f"{reverse('availabilityrule:index')}?partner={partner.pk}",
        f"{reverse('timeoff:index')}?partner={partner.pk}",
        reverse("staff_ops:invitation", args=[partner.pk]),
        reverse("staff_ops:deactivate", args=[partner.pk]),
    ):
        assert f'href="{address}"' in page, address
    # The links go where they say: the listings are filtered to this partner.
    own = partner.availability_rules.get()
    other = AvailabilityRuleFactory(partner=PartnerFactory(display_name="Sol Second"))
    times = desk.get(reverse("availabilityrule:index"), {"partner": partner.pk}).content.decode()
    assert reverse("availabilityrule:edit", args=[own.pk]) in times
    assert reverse("availabilityrule:edit", args=[other.pk]) not in times


def test_a_new_partners_form_has_no_links_yet(desk):
    page = desk.get(reverse("partner:add")).content.decode()
    assert "More about this partner" not in page


def test_a_bookings_page_links_to_its_partner_and_its_week(desk, partner, offer):
    booking = BookingFactory(partner=partner, offer=offer, start=CHAT, status=BookingStatus.CONFIRMED)
    page = desk.get(reverse("booking:inspect", args=[booking.pk])).content.decode()
    assert f'<a href="{reverse("partner:edit", args=[partner.pk])}">Fern First</a>' in page
    assert f'href="{reverse("staff_ops:week")}?week=2026-05-06"' in page


def test_this_week_links_each_chat_to_its_page(desk, partner, offer):
    confirmed = BookingFactory(partner=partner, offer=offer, start=CHAT, status=BookingStatus.CONFIRMED)
    request = BookingFactory(
        partner=partner, offer=offer, start=CHAT + timedelta(hours=3), status=BookingStatus.PENDING
    )
    page = desk.get(reverse("staff_ops:week")).content.decode()
    for booking in (confirmed, request):
        assert f'href="{reverse("booking:inspect", args=[booking.pk])}"' in page
    assert Booking.objects.count() == 2


@pytest.mark.parametrize("week", ["0001-01-01", "0001-01-03", "9999-12-31", "9999-12-27"])
def test_a_week_address_at_the_edge_of_the_calendar_shows_this_week(desk, week):
    response = desk.get(reverse("staff_ops:week"), {"week": week})
    assert response.status_code == 200
    assert "Week of Monday 4 May 2026" in response.content.decode()


# --- approving a month's payments: the chats still to mark are named first ------------------------


def test_the_payments_screen_names_a_months_chats_still_to_mark(desk, partner, offer):
    PaymentRule.objects.create(offer=offer, effective_from=date(2026, 1, 1), amount=Decimal("20.00"))
    done = BookingFactory(partner=partner, offer=offer, start=datetime(2026, 3, 10, 10, tzinfo=UTC))
    services.mark_completed(done, now=datetime(2026, 3, 10, 12, tzinfo=UTC))
    # 23:30 UTC on 31 March is 00:30 on 1 April in the UK: an April chat, not a March one.
    april = BookingFactory(partner=partner, offer=offer, start=datetime(2026, 3, 31, 23, 30, tzinfo=UTC))
    unmarked = BookingFactory(partner=partner, offer=offer, start=datetime(2026, 3, 20, 10, tzinfo=UTC))
    assert {b.status for b in (april, unmarked)} == {BookingStatus.CONFIRMED}
    page = desk.get(reverse("staff_ops:payments")).content.decode()
    assert "1 chat ended with no attendance recorded</strong>" in page
    listing = f"{reverse('booking:index')}?status=confirmed&amp;start_from=2026-03-01&amp;start_to=2026-03-31"
    assert f'<a href="{listing}">mark it completed or missed</a> first' in page
    # The link lists exactly that chat.
    rows = desk.get(listing.replace("&amp;", "&")).content.decode()
    assert reverse("booking:inspect", args=[unmarked.pk]) in rows
    assert reverse("booking:inspect", args=[april.pk]) not in rows
    assert reverse("booking:inspect", args=[done.pk]) not in rows
    # Marked, the warning goes.
    services.mark_no_show(unmarked, now=NOW)
    assert "no attendance recorded" not in desk.get(reverse("staff_ops:payments")).content.decode()


# --- booking for a caller: browsing times keeps what was typed ----------------------------------


def test_earlier_and_later_times_keep_the_callers_details(desk, partner, offer):
    url = reverse("booking:add") + f"?offer={offer.pk}&partner={partner.pk}"
    first = desk.get(url).content.decode()
    assert 'name="show_from"' in first and ">Later times</button>" in first
    later = first.split('name="show_from" value="')[1].split('"')[0]
    typed = {
        "key": "b" * 32,
        "name": "Erin Caller",
        "email": "erin@example.org",
        "organisation": "North Trust",
        "access_needs": "Captions, please",
        "format": "video",
        "show_from": later,
    }
    response = desk.post(url, typed)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="Erin Caller"' in page and 'value="erin@example.org"' in page
    assert 'value="North Trust"' in page and "Captions, please</textarea>" in page
    assert '<input type="radio" name="format" value="video" required id="id_format_0" checked>' in page
    assert 'value="' + "b" * 32 + '"' in page
    assert "error-message" not in page  # browsing is not a failed booking
    assert ">Earlier times</button>" in page
    assert not Booking.objects.exists()
