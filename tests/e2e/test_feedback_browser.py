"""The feedback form after a chat in a real browser (docs/impact.md): axe-core finds no WCAG 2.2
A/AA violation on the form, its error state, the thanks page and the withdrawal page; it works
by keyboard and labels alone and fits a 320px phone. The partner's payments page and reflection
form likewise."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from bookings import feedback, services
from bookings.models import BookingStatus, Feedback, PaymentRule
from home.models import Testimonial
from tests.bookings.factories import BookingFactory, PartnerFactory
from tests.home.factories import LadderRungFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "a browser test password"


def no_sideways_scroll(page, label):
    page.set_viewport_size({"width": 320, "height": 640})
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    page.set_viewport_size({"width": 1280, "height": 900})
    assert overflow <= 0, f"{label} scrolls sideways by {overflow}px at 320px"


def test_the_feedback_form_is_accessible_from_link_to_withdrawal(live_server, page, assert_accessible):
    LadderRungFactory(name="Informing", explanation="People are told what will happen.")
    LadderRungFactory(name="Co-production", explanation="People share power from the start.")
    booking = BookingFactory(status=BookingStatus.COMPLETED, start=timezone.now() - timedelta(days=1))
    page.goto(f"{live_server.url}/bookings/feedback/{feedback.make_token(booking)}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("How did your chat go?")
    assert_accessible("feedback form")
    no_sideways_scroll(page, "feedback form")

    page.get_by_role("button", name="Send feedback").click()
    expect(page.locator(".error-summary")).to_contain_text("Select how useful the chat was")
    assert_accessible("feedback form with errors")
    page.locator(".error-summary a").first.click()
    expect(page.get_by_label("5: very useful")).to_be_focused()

    page.get_by_label("4: useful").check()
    page.get_by_role("group", name="Where does your project sit on the ladder now?").get_by_label(
        "Co-production"
    ).check()
    page.get_by_label("What will you do next? (optional)").fill("Ask partners onto our steering group.")
    page.get_by_label("A few words we may publish (optional)").fill("Warm, honest and practical.")
    page.get_by_label("Yes, anonymously").check()
    page.get_by_role("button", name="Send feedback").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for your feedback")
    assert_accessible("thanks")
    assert Feedback.objects.get(booking=booking).usefulness == 4
    assert not Testimonial.objects.get().live

    page.goto(f"{live_server.url}/bookings/feedback/{feedback.make_token(booking)}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your feedback")
    assert_accessible("feedback already given")
    page.get_by_role("button", name="Withdraw permission").click()
    expect(page.get_by_role("status")).to_contain_text("Permission withdrawn")
    assert_accessible("permission withdrawn")
    no_sideways_scroll(page, "permission withdrawn")


def test_the_partners_payments_and_reflection_are_accessible(
    live_server, page, assert_accessible, django_user_model
):
    user = django_user_model.objects.create_user("ada", "ada@example.org", PASSWORD)
    partner = PartnerFactory(display_name="Ada Partner", user=user)
    booking = BookingFactory(partner=partner, start=timezone.now() - timedelta(days=2))
    PaymentRule.objects.create(
        offer=booking.offer, effective_from=booking.start.date() - timedelta(days=30), amount=Decimal("25.00")
    )
    services.mark_completed(booking, now=timezone.now())
    page.goto(f"{live_server.url}/partners/chats/{booking.public_id}/")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Your reflection").fill("I would slow down next time.")
    page.get_by_role("button", name="Save your reflection").click()
    expect(page.get_by_role("status")).to_contain_text("Your reflection is saved")
    assert_accessible("chat with reflection")
    page.get_by_role("link", name="Payments").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your involvement payments")
    expect(page.locator("main")).to_contain_text(re.compile(r"£25\.00"))
    assert_accessible("payments")
    no_sideways_scroll(page, "payments")
