"""Keeps bearer secrets out of log lines.

Booker manage links and partner feed addresses carry their token in the URL path, and Django
logs the path of every 4xx/5xx response and every CSRF refusal (django.request,
django.security.csrf) before our views can stop it. This filter sits on the log handlers, so
whatever logger wrote the line, the token is replaced before the line is written anywhere.
"""

import logging
import re

SECRET_PATHS = re.compile(r"(/bookings/manage/|/partners/feed/)[^/\s'\"?]+")


def redact(text: str) -> str:
    return SECRET_PATHS.sub(r"\1[redacted]", text)


class RedactSecretPaths(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
