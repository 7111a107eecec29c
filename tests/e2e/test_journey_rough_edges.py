"""Rough edges found in the browser: the journey at 320 px with long answers."""

import pytest
from playwright.sync_api import expect

from bookings.zones import iso_utc
from tests.support.slots import first_free

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

LONG_EMAIL = "alexandra.longsurname-worthington.ward-manager@example-nhs-foundation-trust.org"


@pytest.fixture(autouse=True)
def _human_speed_is_instant(settings):
    settings.BOOKING_MIN_FILL_SECONDS = 0


def details_url(live_server, journey):
    offer, partner = journey["offer"], journey["partner"]
    start = iso_utc(first_free(offer))
    query = f"?offer={offer.pk}&partner={partner.pk}&tz=Europe/London&start={start}"
    return live_server.url + journey["page"].url + "details/" + query


def test_check_your_answers_does_not_scroll_sideways_at_320px_with_a_long_email(
    journey,
    live_server,
    page,
    assert_accessible,
):
    page.set_viewport_size({"width": 320, "height": 800})
    page.goto(details_url(live_server, journey))
    page.get_by_label("Full name", exact=True).fill("Alexandra Longsurname-Worthington")
    page.get_by_label("Email address").fill(LONG_EMAIL)
    page.get_by_label("Your role").fill("Ward manager")
    page.get_by_label("Tell us about your project").fill("Supercalifragilisticexpialidocious" * 3)
    page.get_by_role("radio", name="Co-production").check()
    page.get_by_role("radio", name="Video call").check()
    page.get_by_role("checkbox", name="I have read the privacy notice", exact=False).check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Check your answers")
    expect(page.locator("main")).to_contain_text(LONG_EMAIL)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"the page is {width}px wide at a 320px viewport"
    assert_accessible("check your answers at 320px")
    page.context.close()  # no connection left open to the live server when the test ends
