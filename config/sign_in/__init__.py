"""Signing in safely (docs/security.md): the second factor for the admin, the lockout rule and
the password-reset limit per address. A config-level app: it guards every room's sign-in, so no
room owns it, and it imports only the core's `bookings.clients`."""
