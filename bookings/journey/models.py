"""Registers the journey's page model with Django (BookingPage, app label ``bookings``)."""

from bookings.journey.pages import BookingPage

__all__ = ["BookingPage"]
