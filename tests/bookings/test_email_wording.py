"""Editors word the opening paragraph of the booker's emails in Wagtail (Email wording), with safe
placeholders; structure stays in code, plain text stays, values are escaped in the HTML part, and
the admin previews both parts (docs/bookings.md, "Email wording"). Also: both time zones."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from bookings import services
from bookings.models import Booking, EmailNotification, EmailOpening, Recipient
from bookings.models.email_wording import placeholder_problem
from bookings.outbox.emails import build_message
from bookings.services import BookerDetails
from tests.support.outbox import with_email

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 5, 1, 9, tzinfo=UTC)
CHAT = datetime(2026, 6, 2, 10, tzinfo=ZoneInfo("Europe/London"))


@pytest.fixture
def emailable(partner, django_user_model):
    return with_email(partner, django_user_model)


def place(offer, partner, policy, name="Sam Example", time_zone=""):
    booker = BookerDetails(name=name, email="sam@example.org", time_zone=time_zone)
    return services.place_booking(
        offer=offer, start=CHAT, partner=partner, booker=booker, now=NOW, policy=policy
    )


def message(booking, kind="confirmed", recipient=Recipient.BOOKER):
    row = EmailNotification.objects.get(booking=booking, kind=kind, recipient=recipient, lead_minutes=0)
    built = build_message(row, now=NOW)
    html = next(content for content, mimetype in built.alternatives if mimetype == "text/html")
    return built.body, html


@pytest.mark.parametrize(
    "text",
    [
        "Hello {name}",
        "Hi {first_name.__class__}",
        "On {date:%Y}",
        "{offer!r} booked",
        "{0} and {}",
        "Oops {first_name",
    ],
)
def test_unknown_or_clever_placeholders_are_refused_kindly(text):
    problem = placeholder_problem(text)
    assert problem.startswith(("We do not know the placeholder", "Check the curly brackets"))
    with pytest.raises(ValidationError):
        EmailOpening(kind="confirmed", text=text).full_clean()


def test_the_known_placeholders_and_doubled_brackets_pass():
    assert placeholder_problem("Hi {first_name}, {offer} on {date} is booked {{really}}.") == ""


def test_the_admin_refuses_an_unknown_placeholder_at_save(admin_client):
    url = reverse("wagtailsnippets_bookings_emailopening:add")
    response = admin_client.post(url, {"kind": "confirmed", "text": "Dear {title} {surname}"})
    assert response.status_code == 200
    assert "We do not know the placeholder {title}" in response.content.decode()
    assert not EmailOpening.objects.exists()


def test_the_opening_is_filled_in_escaped_in_html_and_the_structure_stays(offer, emailable, policy):
    offer.title = "Plans & <i>ideas</i>"
    offer.save()
    EmailOpening.objects.create(
        kind="confirmed", text="Great news, {first_name}: your {offer} on {date} is booked. <b>Really</b>."
    )
    booking = place(offer, emailable, policy, name="<Sam> O'Brien")
    text, html = message(booking)
    assert (
        "Great news, <Sam>: your Plans & <i>ideas</i> on Tuesday 2 June 2026 is booked. <b>Really</b>."
        in text
    )
    assert "A calendar invite is attached" in text  # structural sentence kept, from code
    assert "Great news, &lt;Sam&gt;: your Plans &amp; &lt;i&gt;ideas&lt;/i&gt; on Tuesday 2 June 2026" in html
    assert "&lt;b&gt;Really&lt;/b&gt;" in html and "<b>Really</b>" not in html and "<i>ideas" not in html
    assert "A calendar invite is attached" in html
    # The partner's email keeps the wording in code.
    partner_text, _ = message(booking, recipient=Recipient.PARTNER)
    assert "Great news" not in partner_text and "You have a chat booked with" in partner_text


def test_without_editor_wording_the_code_wording_is_used(offer, emailable, policy):
    text, html = message(place(offer, emailable, policy))
    assert "Your chat with" in text and "is booked." in text and "Your chat with" in html


def test_a_cancel_opening_is_used_for_the_cancellation(offer, emailable, policy):
    EmailOpening.objects.create(kind="cancelled", text="Sorry {first_name}, {offer} is off.")
    booking = services.cancel(place(offer, emailable, policy), now=NOW)
    text, _ = message(booking, kind="cancelled")
    assert f"Sorry Sam, {offer.title} is off." in text
    assert "The attached calendar update removes it from your calendar." in text


def test_the_admin_preview_shows_the_text_and_html_parts(admin_client):
    url = reverse("wagtailsnippets_bookings_emailopening:preview_on_add")
    data = {"kind": "reminder", "text": "See you soon, {first_name}! <script>x</script>"}
    assert admin_client.post(url, data).json()["is_valid"] is True
    page = admin_client.get(url).content.decode()
    assert "Plain text part" in page and "HTML part" in page
    assert "See you soon, Sam! <script>x</script>" not in page.split("HTML part")[1]
    assert "See you soon, Sam! &lt;script&gt;x&lt;/script&gt;" in page


def test_the_booker_sees_uk_time_and_their_own_zone_in_both_parts(offer, emailable, policy):
    booking = place(offer, emailable, policy, time_zone="America/New_York")
    assert Booking.objects.get(pk=booking.pk).booker_time_zone == "America/New_York"
    text, html = message(booking)
    for part in (text, html):
        assert "Tuesday 2 June 2026, 10am to 10:30am (UK time)" in part
        assert "Tuesday 2 June 2026, 5am to 5:30am (America/New York)" in part
