"""The staff desk's rough edges found on a coordinator's Monday (docs/staff-operations.md, "Rough
edges still open"), each fixed here with a test that fails without its fix: words instead of
stored names, the partners listing and its "User" choice, one cancel form with a message to the
booker, search in any word order, the privacy screen's own explanation, and moves only to offered
times."""

import html as html_text
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from bookings import staff_services
from bookings.outbox.emails import KINDS
from bookings.services import BookerDetails
from bookings.staff import wording
from tests.support.outbox import install_clock
from tests.support.second_factor import sign_in_verified

from .factories import AvailabilityRuleFactory, BookingFactory, OfferFactory, PartnerFactory
from .staff_people import coordinator, partner_form, plain_editor

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 5, 1, 9, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def clock(monkeypatch):
    return install_clock(monkeypatch, NOW)


@pytest.fixture
def staff_user():
    return coordinator()


@pytest.fixture
def desk(client, staff_user, clock):
    sign_in_verified(client, staff_user)
    return client


@pytest.fixture
def fern():
    partner = PartnerFactory(display_name="Fern First", email="fern@example.org")
    AvailabilityRuleFactory(partner=partner)  # every day 09:00-17:00 London
    return partner


def place(offer, partner, policy, start, name="Carol Smith"):
    booker = BookerDetails(name=name, email=f"{name.split()[0].lower()}@example.org")
    return staff_services.place_on_behalf(
        offer=offer, start=start, partner=partner, booker=booker, now=NOW, actor=None, policy=policy
    )


def section(html: str, heading_id: str) -> str:
    start = html.index(f'id="{heading_id}"')
    return html[start : html.index("</section>", start)]


def cells(html: str) -> list[str]:
    found = re.findall(r"<td>(.*?)</td>", html, re.S)
    return [html_text.unescape(re.sub(r"\s+", " ", cell).strip()) for cell in found]


# --- 1. a booking's history and emails in words ---------------------------------------------------


def test_a_bookings_history_and_emails_are_in_words_not_stored_names(desk, fern, policy, staff_user):
    offer = OfferFactory(partners=[fern], requires_acceptance=True, title="Intro chat")
    booking = place(offer, fern, policy, datetime(2026, 6, 2, 10, tzinfo=LONDON))
    staff_services.resend_invite(booking, to="booker", now=NOW, actor=staff_user)
    html = desk.get(reverse("booking:inspect", args=[booking.pk])).content.decode()

    history = cells(section(html, "history-heading"))
    assert "Booked" in history and "Invite sent again" in history
    assert "– → Waiting for the partner" in history
    assert "Waiting for the partner → Waiting for the partner" in history
    assert "Booked on the booker's behalf." in history and "Sent to the booker." in history
    emails = cells(section(html, "emails-heading"))
    assert "Request received" in emails and "Request to accept or decline" in emails
    for stored in ("placed", "pending", "resent", "request_sent", "request_to_accept"):
        assert stored not in history + emails, stored


def test_every_email_kind_and_history_action_has_words():
    assert {kind for kind in KINDS if kind not in wording.EMAILS} == set()
    assert wording.event_label("handed_back") == "Handed back by the partner"
    assert wording.status_label("no_show") == "Did not attend"
    # A name added later without words is still readable, never blank.
    assert wording.email_label("partner_digest") == "Partner digest"


def test_the_email_outbox_names_each_email_in_words(desk, fern, policy):
    offer = OfferFactory(partners=[fern], requires_acceptance=True)
    place(offer, fern, policy, datetime(2026, 6, 2, 10, tzinfo=LONDON))
    html = desk.get(reverse("email_outbox:index")).content.decode()
    assert "Request received" in html and "Request to accept or decline" in html
    assert "request_sent" not in html


# --- 2. the partners listing in words ---------------------------------------------------------


def test_the_partners_listing_says_active_paused_and_deactivated_in_words(desk):
    PartnerFactory(display_name="Ada Accepting")
    PartnerFactory(display_name="Pat Paused", accepting_bookings=False)
    PartnerFactory(display_name="Dee Gone", active=False, accepting_bookings=False)
    html = desk.get(reverse("partner:index")).content.decode()
    start = html.index('<table class="listing"')
    table = html[start : html.index("</table>", start)]
    assert "True" not in table and "False" not in table
    rows = {
        name: re.sub(r"<[^>]+>|\s+", " ", row)
        for row in table.split("<tr")
        for name in ("Ada Accepting", "Pat Paused", "Dee Gone")
        if name in row
    }
    assert "Active" in rows["Ada Accepting"] and "Accepting bookings" in rows["Ada Accepting"]
    assert "Active" in rows["Pat Paused"] and "Paused" in rows["Pat Paused"]
    assert "Deactivated" in rows["Dee Gone"] and "Paused" in rows["Dee Gone"]


# --- 3. a partner's "User" choice -------------------------------------------------------------


def test_a_partners_user_choice_offers_only_free_partner_accounts(desk, django_user_model, staff_user):
    partners_group = Group.objects.get(name="Thinking partners")

    def account(username, **extra):
        user = django_user_model.objects.create_user(username, f"{username}@example.org", "pw", **extra)
        user.groups.add(partners_group)
        return user

    mine, free, taken = account("mine"), account("free"), account("taken")
    editor = plain_editor()
    superuser = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    fern = PartnerFactory(display_name="Fern First", user=mine)
    PartnerFactory(display_name="Other Partner", user=taken)
    url = reverse("partner:edit", args=[fern.pk])
    html = desk.get(url).content.decode()
    select = html[html.index('name="user"') : html.index("</select>", html.index('name="user"'))]
    offered = set(re.findall(r'<option value="(\d+)"', select))
    assert offered == {str(mine.pk), str(free.pk)}
    for shut_out in (staff_user, editor, superuser, taken):
        assert f'value="{shut_out.pk}"' not in select
    # A hand-made POST naming a staff account is refused, and nothing changes.
    response = desk.post(url, partner_form(fern, user=staff_user.pk))
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    fern.refresh_from_db()
    assert fern.user == mine
    # The new-partner form offers the free account too, and not the linked one.
    html = desk.get(reverse("partner:add")).content.decode()
    assert f'value="{free.pk}"' in html and f'value="{mine.pk}"' not in html


# --- 4. the hand-back's cancel asks for the message to the booker ------------------------------


def test_cancelling_from_the_hand_back_page_uses_the_booking_pages_cancel_form(desk, fern, policy):
    offer = OfferFactory(partners=[fern])
    booking = place(offer, fern, policy, datetime(2026, 6, 2, 10, tzinfo=LONDON))
    settle = reverse("staff_ops:settle", args=[booking.public_id])
    cancel = reverse("booking:act", args=[booking.pk, "cancel"])
    page = desk.get(settle).content.decode()
    link = f'href="{cancel}?next={settle}"'
    assert link in page and "Cancel this chat" in page

    # A POST to the hand-back page cannot cancel without a word to the booker: it leads to the form.
    response = desk.post(settle, {"action": "cancel", "next": settle})
    assert response.status_code == 302 and response["Location"].startswith(cancel + "?next=")
    booking.refresh_from_db()
    assert booking.status == "confirmed"

    form = desk.get(cancel, {"next": settle}).content.decode()
    assert "Message to the booker" in form and f'name="next" value="{settle}"' in form
    assert f'href="{settle}">Go back</a>' in form
    refused = desk.post(cancel, {"reason": "", "next": settle})
    assert "Write a short message telling the booker why" in refused.content.decode()
    done = desk.post(cancel, {"reason": "Your partner is unwell; we will be in touch.", "next": settle})
    assert done["Location"] == settle
    booking.refresh_from_db()
    assert booking.status == "cancelled"
    assert booking.cancel_reason == "Your partner is unwell; we will be in touch."


# --- 5. search in any word order -------------------------------------------------------------


def test_the_bookings_search_matches_every_word_in_any_order(desk, fern):
    offer = OfferFactory(partners=[fern])
    carol = BookingFactory(offer=offer, partner=fern, booker_name="Carol Smith",
                           booker_email="carol.smith@example.org", organisation="North Trust")  # fmt: skip
    BookingFactory(offer=offer, partner=fern, booker_name="Carol Jones", booker_email="cj@example.org",
                   organisation="South Trust", start=datetime(2026, 6, 3, 10, tzinfo=UTC))  # fmt: skip

    def names(query):
        html = desk.get(reverse("booking:index"), {"q": query}).content.decode()
        return {name for name in ("Carol Smith", "Carol Jones") if name in html}

    assert names("Carol Smith") == {"Carol Smith"}
    assert names("Smith Carol") == {"Carol Smith"}
    assert names("  smith   CAROL ") == {"Carol Smith"}
    assert names("carol") == {"Carol Smith", "Carol Jones"}
    assert names("Jones carol.smith") == set()  # every word must match
    assert names("smith@example north") == {"Carol Smith"}  # email and organisation words too
    assert names(str(carol.public_id)[:8]) == {"Carol Smith"}


# --- 6. the privacy screen explains itself ---------------------------------------------------


def test_the_privacy_screen_says_what_each_choice_does_without_pointing_to_a_file(desk):
    html = desk.get(reverse("bookings_privacy_requests")).content.decode()
    assert "docs/privacy.md" not in html and ".md" not in html
    assert "What each choice does" in html
    assert "Nothing is changed" in html  # the download
    assert "does nothing until you confirm" in html and "It cannot be reversed" in html  # erasure


# --- 7. a move only to a time the slot engine offers ------------------------------------------


def test_a_move_to_a_time_off_the_offered_grid_is_refused_kindly_with_the_form_kept(desk, fern, policy):
    offer = OfferFactory(partners=[fern])
    booking = place(offer, fern, policy, datetime(2026, 6, 2, 10, tzinfo=LONDON))
    version = booking.sequence
    url = reverse("booking:act", args=[booking.pk, "move"])
    offered = desk.get(url, {"from": "2026-06-02"}).content.decode()
    assert 'value="2026-06-02T10:30:00Z"' in offered  # 11:30 UK time is on the grid
    assert 'value="2026-06-02T10:31:00Z"' not in offered

    # 11:31 UK time: inside Fern's free hours and free, but not a time the page offers.
    response = desk.post(url + "?from=2026-06-02", {"start": "2026-06-02T10:31:00Z"})
    assert response.status_code == 200
    page = html_text.unescape(response.content.decode())
    assert "is not one of the free times we offer" in page
    assert 'value="2026-06-02T10:30:00Z"' in page and "Move the chat" in page  # the form is kept
    booking.refresh_from_db()
    assert booking.start == datetime(2026, 6, 2, 9, tzinfo=UTC) and booking.sequence == version
    assert not booking.events.filter(action="rescheduled").exists()

    # A time on the grid, on a later page than the one shown, still moves the chat.
    moved = desk.post(url, {"start": "2026-06-20T10:30:00Z"})
    assert moved.status_code == 302
    booking.refresh_from_db()
    assert booking.start == datetime(2026, 6, 20, 10, 30, tzinfo=UTC)
