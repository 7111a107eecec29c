"""The professional's room: the booking journey (BookingPage and its steps), its forms, the
bot guard and the booker's manage link. Imports the core, never the other rooms."""
