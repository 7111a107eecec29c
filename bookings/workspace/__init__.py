"""The partner's room: the workspace at /partners/ (chats, free times, time off, calendar) and
the private feed. Imports the core, never the other rooms."""
