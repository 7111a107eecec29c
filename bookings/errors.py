"""Domain errors raised by bookings.services. Each carries a plain-English `.message` that a view
can show as it is; none of them should ever surface as a server error."""


class BookingError(Exception):
    message = "Sorry, something went wrong with this booking. Please try again."

    def __init__(self, message: str | None = None):
        if message:
            self.message = message
        super().__init__(self.message)


class SlotUnavailable(BookingError):
    """The chosen time is taken, outside the partner's availability, or too soon or too far ahead."""

    message = "Sorry, that time is no longer available. Please choose another time."


class InvalidBooking(BookingError):
    """The request itself does not fit the offer (a format it does not have, an inactive offer)."""

    message = "Sorry, this chat cannot be booked as requested."


class InvalidTransition(BookingError):
    """The booking's current status does not allow the requested change."""

    message = "This booking cannot be changed in that way."


class InvalidInput(BookingError):
    """Something a person typed (such as a calendar address) cannot be used as it is."""

    message = "Sorry, we could not use what you entered. Please check it and try again."
