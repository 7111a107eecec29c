"""Partner accounts, run by staff: invite, resend or revoke the invitation, deactivate
(docs/staff-operations.md). One transaction each; emails through the account outbox."""

from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import transaction

from bookings import accounts
from bookings.clients import count_attempt
from bookings.errors import InvalidInput
from bookings.models import BLOCKING_STATUSES, AccountEmailKind, Booking, Partner
from bookings.zones import DEFAULT_TIME_ZONE

INVITATION_WINDOW_SECONDS = 3600


class TooManyInvitations(InvalidInput):
    message = (
        "You have sent a lot of invitations in the last hour. Please wait an hour and try again. "
        "Nothing has been sent, and what you typed is still here."
    )


def _staff_key(actor, now: datetime) -> str:
    # One count per staff member per clock hour of `now`, like the booking rate limit
    # (bookings/journey/bot_guard.py): the hour comes from `now`, never from the cache's clock.
    return f"invitations-by-staff:{actor.pk}:{int(now.timestamp() // INVITATION_WINDOW_SECONDS)}"


def over_staff_limit(actor, now: datetime) -> bool:
    """True once this staff member sent INVITATIONS_PER_STAFF_PER_HOUR invitations (new or
    resent) in the hour `now` falls in (docs/staff-operations.md). Per address, the account-email
    limit already holds back resends (bookings/accounts.py), and an address is invited only once.
    Only invitations that went out are counted, with the shared `count_attempt` (docs/security.md,
    "Rate limits"), so a refused one never uses up the allowance."""
    if actor is None or actor.pk is None:
        return False
    return cache.get(_staff_key(actor, now), 0) >= settings.INVITATIONS_PER_STAFF_PER_HOUR


def _count_for_staff(actor, now: datetime) -> None:
    if actor is None or actor.pk is None:
        return
    # Kept two windows, so the count outlives its hour whatever the cache's clock says.
    count_attempt(_staff_key(actor, now), timeout=2 * INVITATION_WINDOW_SECONDS)


def invite_partner(
    *, display_name: str, email: str, now: datetime, actor, time_zone: str = DEFAULT_TIME_ZONE
) -> Partner:
    """Create a partner, their account in the "Thinking partners" group (no usable password
    yet) and queue the invitation with its one-time set-password link. Raises
    TooManyInvitations, with nothing created, once the staff member's hourly allowance is used."""
    if over_staff_limit(actor, now):
        raise TooManyInvitations()
    email = email.strip()
    User = get_user_model()
    with transaction.atomic():
        if (
            User.objects.filter(username__iexact=email).exists()
            or User.objects.filter(email__iexact=email).exists()
        ):
            raise InvalidInput("Someone already has an account with this email address.")
        user = User.objects.create_user(username=email, email=email)  # no password: unusable
        user.groups.add(Group.objects.get(name=settings.PARTNER_GROUP))
        partner = Partner.objects.create(
            display_name=display_name, email=email, user=user, time_zone=time_zone
        )
        accounts.queue(user, AccountEmailKind.INVITATION, now=now, limited=False)
    _count_for_staff(actor, now)
    return partner


def invitation_pending(partner: Partner) -> bool:
    """An account that has not set its password yet (an invitation may be outstanding)."""
    return partner.user is not None and not partner.user.has_usable_password()


def resend_invitation(partner: Partner, *, now: datetime, actor) -> bool:
    """A fresh invitation; earlier links stop working. False, with nothing changed, when held
    back by a rate limit (per person and address, or the staff member's own)."""
    user = _invited_user(partner)
    if over_staff_limit(actor, now):
        return False
    with transaction.atomic():
        user.is_active = True
        user.set_unusable_password()  # a new random marker: older tokens no longer match
        user.save(update_fields=["is_active", "password"])
        queued = accounts.queue(user, AccountEmailKind.INVITATION, now=now) is not None
        if not queued:
            transaction.set_rollback(True)  # keep the earlier link working: nothing was sent
    if queued:
        _count_for_staff(actor, now)
    return queued


def revoke_invitation(partner: Partner, *, now: datetime, actor) -> None:
    """The emailed link stops working at once, and a queued invitation is not sent."""
    user = _invited_user(partner)
    with transaction.atomic():
        user.is_active = False
        user.set_unusable_password()
        user.save(update_fields=["is_active", "password"])


def _invited_user(partner: Partner):
    if not invitation_pending(partner):
        raise InvalidInput("This partner has already set a password, so there is no invitation to change.")
    return partner.user


def future_chats(partner: Partner, now: datetime):
    """The partner's pending and confirmed chats still to come: what deactivation must settle."""
    return (
        Booking.objects.filter(partner=partner, status__in=BLOCKING_STATUSES, end__gt=now)
        .select_related("offer")
        .order_by("start", "pk")
    )


def deactivate_partner(partner: Partner, *, now: datetime, actor) -> Partner:
    """Deactivate a partner once none of their future chats is left: never silently. Their
    account can no longer reach the workspace, and nobody can book them."""
    with transaction.atomic():
        locked = Partner.objects.select_for_update().get(pk=partner.pk)
        if future_chats(locked, now).exists():
            raise InvalidInput(
                "This partner still has chats to come. Give each to someone else or cancel it first."
            )
        locked.active = False
        locked.accepting_bookings = False
        locked.save(update_fields=["active", "accepting_bookings"])
    return locked
