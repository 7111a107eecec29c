"""A partner's calendars, changed from their workspace (docs/feeds.md): the private feed they
subscribe to (bookings/calendars/feeds.py) and their own calendar whose busy times close their
slots (bookings/calendars/sync.py). One transaction each, like services.py; the background read is
queued inside it, so it exists exactly when the saved address does.
"""

from datetime import datetime

from django.db import transaction

from bookings.calendars.fetch import CalendarFetchError, normalise_calendar_url
from bookings.calendars.sync import sync_partner_calendar
from bookings.errors import InvalidInput
from bookings.models import BusyInterval, ExternalCalendar, Partner, PartnerFeed, hash_token
from bookings.outbox.notifications import partner_reinvited
from bookings.task_queue import enqueue_on_commit

MAX_CALENDAR_URL_LENGTH = 2000  # ExternalCalendar.url's column


def create_or_rotate_feed(partner: Partner, *, now: datetime) -> str:
    """Turn the partner's feed on, or give it a new address; returns the new raw token.

    Invariant: a partner has at most one feed and only the sha256 of its token is stored; once
    this returns, the previous address answers 404. The raw token is returned once, to be shown
    to the partner, and never stored or logged. Rotating keeps created_at, so which chats the
    feed carries (and which reach the partner as invites instead) does not change.
    """
    token = PartnerFeed.new_token()
    with transaction.atomic():
        list(Partner.objects.select_for_update().filter(pk=partner.pk))  # one rotation at a time
        updated = PartnerFeed.objects.filter(partner_id=partner.pk).update(
            token_hash=hash_token(token), rotated_at=now
        )
        if not updated:
            PartnerFeed.objects.create(partner_id=partner.pk, token_hash=hash_token(token))
    return token


def disable_feed(partner: Partner, *, now: datetime) -> None:
    """Turn the partner's feed off. Invariant: afterwards no address serves this partner's chats,
    their later emails carry calendar invites again (feeds.booking_in_partner_feed), and every
    upcoming confirmed chat is sent to them as an invite in the same transaction, so none is left
    in no calendar once their app drops the dead subscription (docs/feeds.md, "Channels")."""
    with transaction.atomic():
        deleted, _ = PartnerFeed.objects.filter(partner_id=partner.pk).delete()
        if deleted:
            partner_reinvited(partner.pk, now=now)


def note_duplicates_told(partner: Partner, *, now: datetime) -> None:
    """Record that the partner has been told, once, that chats already sent as invites also
    appear in their feed."""
    PartnerFeed.objects.filter(partner_id=partner.pk, duplicates_told_at__isnull=True).update(
        duplicates_told_at=now
    )


def set_external_calendar(partner: Partner, url: str, *, now: datetime) -> ExternalCalendar:
    """Save the address of the partner's own calendar and queue a first read of it.

    Invariant: only an http(s) address (webcal:// is stored as https://) with a host and no
    user name or password is saved; a new address drops the busy times read from the old one
    and starts the staleness clock again; the read is queued (partner id only) in the same
    transaction. Raises InvalidInput with a plain-English message for an address we cannot use.
    """
    url = (url or "").strip()
    if not url:
        raise InvalidInput("Please paste the address of your calendar.")
    if len(url) > MAX_CALENDAR_URL_LENGTH:
        raise InvalidInput("That address is too long to be a calendar address. Please check it.")
    try:
        url = normalise_calendar_url(url)
    except CalendarFetchError as exc:
        raise InvalidInput(exc.message) from None
    with transaction.atomic():
        calendar = ExternalCalendar.objects.select_for_update().filter(partner_id=partner.pk).first()
        if calendar is not None and calendar.url == url:
            # The same address again: keep its busy times and history, but read it now.
            enqueue_on_commit(sync_partner_calendar, partner.pk, True)
            return calendar
        BusyInterval.objects.filter(partner_id=partner.pk).delete()
        calendar, _ = ExternalCalendar.objects.update_or_create(
            partner_id=partner.pk,
            defaults={
                "url": url,
                "saved_at": now,
                "last_checked_at": None,
                "last_success_at": None,
                "error_code": "",
                "error_message": "",
            },
        )
        enqueue_on_commit(sync_partner_calendar, partner.pk, True)
    return calendar


def request_calendar_sync(partner: Partner) -> bool:
    """The partner's "Try again now": queue a read of their calendar (partner id only).
    Returns False if they have no calendar saved. Invariant: queues at most one task."""
    with transaction.atomic():
        if not ExternalCalendar.objects.filter(partner_id=partner.pk).exists():
            return False
        enqueue_on_commit(sync_partner_calendar, partner.pk, True)
    return True


def remove_external_calendar(partner: Partner) -> None:
    """Forget the partner's own calendar. Invariant: its address and every busy time read from
    it are deleted together, so their slots follow their rules and time off alone at once."""
    with transaction.atomic():
        BusyInterval.objects.filter(partner_id=partner.pk).delete()
        ExternalCalendar.objects.filter(partner_id=partner.pk).delete()
