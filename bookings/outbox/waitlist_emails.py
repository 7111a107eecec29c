"""Render one WaitlistEmail row into the email that goes out: "a time has opened".

The address is read from the entry at send time and the claim and leave links are made here,
so the row and its task hold no personal data (docs/operations.md). It names the offer and, if
they chose one, the partner; never another person's details.
"""

from __future__ import annotations

import re
from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from bookings import waitlist_links
from bookings.calendars.ical import clean_text
from bookings.models import ICAL_DOMAIN, WaitlistEmail

SUBJECT = "A time has opened up for a chat"


class NotWanted(Exception):
    """The email should no longer go (the person left, booked or their entry expired)."""


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def build_message(row: WaitlistEmail, *, now) -> EmailMultiAlternatives:
    entry = row.entry
    if entry.expires_at <= now:
        raise NotWanted("entry expired")
    ctx = {
        "site_name": settings.WAGTAIL_SITE_NAME,
        "name": clean_text(entry.name),
        "offer_title": clean_text(entry.offer.title),
        "partner_name": clean_text(entry.partner.display_name) if entry.partner_id else "",
        "claim_url": _absolute(
            reverse("bookings:waitlist_claim", args=[waitlist_links.make(entry, waitlist_links.CLAIM)])
        ),
        "leave_url": _absolute(
            reverse("bookings:waitlist_leave", args=[waitlist_links.make(entry, waitlist_links.LEAVE)])
        ),
        "expires": entry.expires_at,
    }
    template = "bookings/email/waitlist_opening"
    message = EmailMultiAlternatives(
        subject=SUBJECT,
        body=re.sub(r"\n{3,}", "\n\n", render_to_string(f"{template}.txt", ctx)).strip() + "\n",
        from_email=formataddr((settings.WAGTAIL_SITE_NAME, settings.BOOKINGS_MAILBOX)),
        to=[entry.email],
        headers={
            "Message-ID": f"<waitlist-email-{row.pk}@{ICAL_DOMAIN}>",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(render_to_string(f"{template}.html", ctx), "text/html")
    return message
