"""How the core finds the booking page without importing the journey that defines it."""


class BookingEntryPage:
    """Mixed into the journey's page model (bookings/journey/pages.py). The core asks Wagtail
    for live pages of this type (``Page.objects.type(BookingEntryPage)``) to link to "book
    another chat", so imports keep running from the journey to the core (docs/architecture.md).
    """
