"""A partner's CalDAV calendar, changed from their workspace (docs/caldav.md).

The site writes each chat into the calendar the partner chooses. The app password is encrypted
before it is stored and never shown again; discovery and every write use the `caldav` library.
One transaction each, like services.py.
"""

from datetime import datetime

from caldav import DAVClient
from caldav.lib.error import AuthorizationError, DAVError
from django.conf import settings
from django.db import transaction
from django.views.decorators.debug import sensitive_variables

from bookings.calendars.caldav_secrets import decrypt_password, encrypt_password
from bookings.errors import InvalidInput
from bookings.models import CalDAVConnection, CalDAVEvent, CalDAVState, Partner
from bookings.outbox import caldav
from bookings.outbox.notifications import partner_reinvited
from bookings.outbox.tasks import schedule_push

_CALDAV_REFUSED = "Your calendar server did not accept that user name and app password. Please check them."
_CALDAV_UNREACHABLE = "We could not reach a calendar server at that address. Please check it and try again."
_CALDAV_NONE = "We found no calendars for that account. Make one in your calendar app, then try again."


@sensitive_variables("password")
def discover_caldav_calendars(server_url: str, username: str, password: str) -> list[tuple[str, str]]:
    """(address, name) of every calendar the account has: principal, then its calendar home set,
    then the calendars in it. Raises InvalidInput with plain words (never the password)."""
    if not server_url.lower().startswith(("https://", "http://")):
        raise InvalidInput("Enter the server address starting with https://.")
    try:
        with DAVClient(
            url=server_url, username=username, password=password, timeout=settings.CALDAV_TIMEOUT
        ) as client:
            calendars = client.principal().calendars()
            found = [(str(c.url), (c.get_display_name() or "") or str(c.url)) for c in calendars]
    except AuthorizationError:
        raise InvalidInput(_CALDAV_REFUSED) from None
    except (OSError, DAVError, ValueError):
        raise InvalidInput(_CALDAV_UNREACHABLE) from None
    if not found:
        raise InvalidInput(_CALDAV_NONE)
    return found


@sensitive_variables("password")
def connect_caldav(
    partner: Partner, server_url: str, username: str, password: str, *, now: datetime
) -> list[tuple[str, str]]:
    """Check the account, store it with the password encrypted, and return its calendars for the
    partner to choose from. Nothing is written to it until a calendar is chosen."""
    calendars = discover_caldav_calendars(server_url, username, password)
    with transaction.atomic():
        CalDAVConnection.objects.update_or_create(
            partner_id=partner.pk,
            defaults={
                "server_url": server_url,
                "username": username,
                "password_encrypted": encrypt_password(password),
                "calendar_url": "",
                "calendar_name": "",
                "state": CalDAVState.CHOOSING,
                "error_message": "",
                "created_at": now,
                "failed_at": None,
            },
        )
    return calendars


@sensitive_variables("password")
def caldav_calendars(partner: Partner) -> list[tuple[str, str]]:
    """The calendars of the partner's stored account (asked again, so a choice is always real)."""
    connection = CalDAVConnection.objects.get(partner_id=partner.pk)
    try:
        password = decrypt_password(connection.password_encrypted)
    except ValueError:
        raise InvalidInput("Please connect your calendar again.") from None
    return discover_caldav_calendars(connection.server_url, connection.username, password)


def choose_caldav_calendar(partner: Partner, calendar_url: str, *, now: datetime) -> int:
    """Start writing chats into this calendar: every upcoming chat is queued at once (no silent
    gaps). Returns how many. From now on the partner's emails carry no invite for chats booked
    after this moment; older chats keep their invites too (docs/caldav.md, "Channels")."""
    choices = dict(caldav_calendars(partner))
    if calendar_url not in choices:
        raise InvalidInput("Choose one of the calendars listed.")
    with transaction.atomic():
        CalDAVConnection.objects.filter(partner_id=partner.pk).update(
            calendar_url=calendar_url,
            calendar_name=choices[calendar_url][:200],
            state=CalDAVState.ACTIVE,
            error_message="",
            created_at=now,
            failed_at=None,
        )
        return caldav.queue_upcoming(partner.pk, now=now, schedule=schedule_push)


def disconnect_caldav(partner: Partner, *, now: datetime) -> None:
    """Forget the account (and its password). Chats already written stay in that calendar but no
    longer change, so every upcoming chat is sent as an emailed invite (docs/caldav.md)."""
    with transaction.atomic():
        deleted, _ = CalDAVConnection.objects.filter(partner_id=partner.pk).delete()
        CalDAVEvent.objects.filter(booking__partner_id=partner.pk).delete()
        if deleted:
            partner_reinvited(partner.pk, now=now)
