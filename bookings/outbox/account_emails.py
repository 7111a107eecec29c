"""Render one AccountEmail row into the email that goes out.

The set-password link is made here, at send time, and exists only in the message: it is never
stored in the row or a task (docs/operations.md, "Account emails"). Staff notices name the
offer, the time, the partner and the booking's reference, never the booker's details or the
partner's note.
"""

from __future__ import annotations

import re
from datetime import datetime
from email.utils import formataddr

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from bookings import attention
from bookings.calendars.ical import clean_text
from bookings.invitation_tokens import invitation_tokens
from bookings.models import DEFAULT_TIME_ZONE, ICAL_DOMAIN, AccountEmail, AccountEmailKind
from bookings.zones import format_day, format_time, local

K = AccountEmailKind
_SUBJECTS = {
    K.INVITATION: "You are invited to the thinking-partner workspace",
    K.PASSWORD_RESET: "Reset your password",
    K.DIGEST: "Bookings: what needs attention today",
    K.HANDED_BACK: "A partner has handed back a chat",
}


class NotWanted(Exception):
    """The email should no longer go (the account changed since it was queued)."""


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _link(user, view_name: str, generator) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return _absolute(reverse(view_name, kwargs={"uidb64": uid, "token": generator.make_token(user)}))


def when(booking) -> str:
    start = local(booking.start, DEFAULT_TIME_ZONE)
    return f"{format_day(start.date())} at {format_time(booking.start, DEFAULT_TIME_ZONE)} UK time"


def _staff_only(user) -> None:
    if not user.is_active or not user.groups.filter(name=settings.STAFF_GROUP).exists():
        raise NotWanted("no longer on the staff")


def context(row: AccountEmail, now: datetime) -> dict:
    user = row.user
    ctx = {"site_name": settings.WAGTAIL_SITE_NAME, "site_url": settings.SITE_URL, "kind": row.kind}
    if row.kind == K.INVITATION:
        if not user.is_active:
            raise NotWanted("invitation revoked")
        if user.has_usable_password():
            raise NotWanted("password already set")
        partner = getattr(user, "bookings_partner", None)
        ctx["name"] = clean_text(partner.display_name if partner else user.get_username())
        ctx["link"] = _link(user, "partner_welcome", invitation_tokens)
        ctx["days"] = settings.INVITATION_TIMEOUT_SECONDS // 86400
    elif row.kind == K.PASSWORD_RESET:
        if not user.is_active or not user.has_usable_password():
            raise NotWanted("account cannot sign in")
        ctx["link"] = _link(user, "password_reset_confirm", default_token_generator)
        ctx["hours"] = settings.PASSWORD_RESET_TIMEOUT // 3600
    elif row.kind == K.DIGEST:
        _staff_only(user)
        found = attention.attention(now)
        ctx["attention"] = found
        ctx["waiting"] = [(b, when(b)) for b in found.waiting]
        ctx["hand_backs"] = [(h, when(h.booking)) for h in found.hand_backs]
        ctx["admin_url"] = _absolute(reverse("staff_ops:week"))
    elif row.kind == K.HANDED_BACK:
        _staff_only(user)
        hand_back = attention.open_hand_backs(now).filter(booking=row.booking_id).first()
        if hand_back is None:
            raise NotWanted("already dealt with")
        ctx["hand_back"] = hand_back
        ctx["when"] = when(hand_back.booking)
        ctx["partner_name"] = clean_text(hand_back.partner.display_name)
        ctx["offer_title"] = clean_text(hand_back.booking.offer.title)
        ctx["admin_url"] = _absolute(reverse("staff_ops:week"))
    else:
        raise ValueError(f"unknown account email kind {row.kind!r}")
    return ctx


def build_message(row: AccountEmail, *, now: datetime) -> EmailMultiAlternatives:
    if not row.user.email:
        raise NotWanted("no email address")
    ctx = context(row, now)
    template = f"bookings/email/account/{row.kind}"
    message = EmailMultiAlternatives(
        subject=_SUBJECTS[row.kind],
        body=re.sub(r"\n{3,}", "\n\n", render_to_string(f"{template}.txt", ctx)).strip() + "\n",
        from_email=formataddr((settings.WAGTAIL_SITE_NAME, settings.BOOKINGS_MAILBOX)),
        to=[row.user.email],
        headers={"Message-ID": f"<account-email-{row.pk}@{ICAL_DOMAIN}>", "Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(render_to_string(f"{template}.html", ctx), "text/html")
    return message
