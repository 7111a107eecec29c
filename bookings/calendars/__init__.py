"""Calendars: the iCalendar writer, what partners' feeds hold, and reading partners' own
calendars for busy times (fetch → busy → sync). docs/calendar.md, docs/feeds.md,
docs/busy-calendar.md."""
