"""The staff room: what coordinators use in the Wagtail admin (bookings, partners, offers, the
email outbox). Imports the core, never the other rooms."""
