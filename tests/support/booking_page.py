"""The booking page the journey tests publish under a site's root page."""

from bookings.journey.pages import BookingPage


def publish_booking_page(parent) -> BookingPage:
    page = BookingPage(
        title="Book a chat",
        slug="book",
        intro="<p>Talk to someone who has been there.</p>",
        what_happens_next="<p>We will email you the details.</p>",
        privacy_notice_url="https://example.org/privacy",
    )
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page
