"""Changes partners make from their workspace: their chats, free times, time off, pause,
limits, calendar feed and own calendar. One transaction each, like services.py.

Each function takes the partner the signed-in user is linked to and looks every object up
*within that partner*, so a view that forgot its own ownership check still cannot touch another
partner's rows (an unknown or foreign id raises the model's DoesNotExist: the views 404).
"""

from datetime import date, datetime, time

from caldav import DAVClient
from caldav.lib.error import AuthorizationError, DAVError
from django.conf import settings
from django.db import transaction
from django.views.decorators.debug import sensitive_variables
from wagtail.log_actions import log as wagtail_log

from bookings import accounts, bank_holidays, errors, waitlist, weekly_ranges
from bookings.calendars.caldav_secrets import decrypt_password, encrypt_password
from bookings.calendars.fetch import CalendarFetchError, normalise_calendar_url
from bookings.calendars.sync import sync_partner_calendar
from bookings.errors import InvalidInput
from bookings.models import (
    AvailabilityRule,
    Booking,
    BookingEvent,
    BookingStatus,
    BusyInterval,
    CalDAVConnection,
    CalDAVEvent,
    CalDAVState,
    ExternalCalendar,
    Format,
    HandBack,
    HandBackReason,
    Partner,
    PartnerFeed,
    TimeOff,
    hash_token,
    is_meeting_link,
)
from bookings.outbox import caldav
from bookings.outbox.notifications import partner_reinvited
from bookings.outbox.tasks import schedule_push
from bookings.services import (
    confirm,
    decline,
    joining_details_changed,
    mark_completed,
    mark_no_show,
    upcoming_video_chats_on_standing_link,
)
from bookings.task_queue import enqueue_on_commit
from bookings.zones import format_clock

# --- Chats, free times, time off, limits ---


def hand_back(
    partner: Partner, public_id, *, reason: str, note: str = "", now: datetime, actor=None
) -> HandBack:
    """A partner gives one of their confirmed chats back to staff (docs/staff-operations.md).

    Invariant: only the partner's own confirmed chat still to come; the chat keeps its status
    and keeps blocking the partner's time (they are unwell: that time must not be offered to
    anyone else), the booker is told nothing, history records the reason's key (never the note,
    which stays with staff), and every staff member gets an email at once. Staff then reassign
    or cancel it, and the booker gets the normal email for that.
    """
    if reason not in HandBackReason.values:
        raise errors.InvalidInput("Please choose a reason for the team.")
    with transaction.atomic():
        try:
            booking = Booking.objects.select_for_update().get(partner=partner, public_id=public_id)
        except Booking.DoesNotExist:
            raise errors.InvalidInput("This chat is not yours to hand back.") from None
        if booking.status != BookingStatus.CONFIRMED or booking.start <= now:
            raise errors.InvalidTransition(
                "Only a confirmed chat that has not started yet can be handed back."
            )
        if HandBack.objects.filter(booking=booking, partner=partner).exists():
            raise errors.InvalidTransition(
                "You have already handed this chat back. The team will sort it out."
            )
        record = HandBack.objects.create(
            booking=booking, partner=partner, at=now, reason=reason, note=note[:500]
        )
        BookingEvent.objects.create(
            booking=booking,
            at=now,
            actor=actor,
            actor_label="partner",
            action="handed_back",
            from_status=booking.status,
            to_status=booking.status,
            details={"reason": reason},
        )
        accounts.tell_staff_handed_back(booking, now=now)
    return record


# Kind words for the booker; only the key is stored in the booking's history.
DECLINE_REASONS = {
    "not_available": "I'm not available at that time after all.",
    "not_my_area": "This isn't something I can help with. The team will suggest someone else.",
    "too_much_on": "I have too much on at the moment to give this the time it deserves.",
}
PARTNER_ACTIONS = {"accept": confirm, "complete": mark_completed, "no_show": mark_no_show}
MAX_CHATS_LIMIT = 50
MAX_REST_MINUTES = 240


def needs_link_on_accept(booking: Booking) -> bool:
    """Whether accepting this request asks the partner for its video link (docs/bookings.md)."""
    return booking.format == Format.VIDEO and booking.offer.video_link_on_accept


def act_on_booking(
    partner: Partner,
    public_id,
    action: str,
    *,
    now: datetime,
    actor=None,
    reason: str = "",
    meeting_link: str = "",
) -> Booking:
    """Accept, decline, complete or mark a no-show on one of *this partner's* bookings.

    Invariant: the booking is found only among the partner's own; the status rules, history and
    notifications are those of confirm/decline/mark_completed/mark_no_show. A decline records the
    reason's key, never free text, in the history (history outlives the retention purge). Accepting
    a video chat whose offer asks for a link per chat needs that link, and stores it."""
    booking = Booking.objects.select_related("offer").get(partner=partner, public_id=public_id)
    if action == "accept":
        link = meeting_link.strip()
        if needs_link_on_accept(booking) and not link:
            raise errors.InvalidInput("Give the video link for this chat, so we can send it to them.")
        return confirm(booking, now=now, actor=actor, actor_label="partner", meeting_link=link)
    if action == "decline":
        if reason not in DECLINE_REASONS:
            raise errors.InvalidInput("Please choose a reason to give the person who asked.")
        return decline(booking, now=now, actor=actor, actor_label="partner", reason=reason)
    if action not in PARTNER_ACTIONS:
        raise errors.InvalidInput("That is not something you can do to a chat.")
    return PARTNER_ACTIONS[action](booking, now=now, actor=actor, actor_label="partner")


def set_meeting_link(partner: Partner, link: str, *, now: datetime, actor=None) -> int:
    """Save the partner's standing video link (docs/bookings.md, "Joining details").

    Invariant: only a plain http(s) link (or none); if it changed, every confirmed video chat
    still to come that uses the standing link gets an updated invite (same UID, SEQUENCE + 1) in
    the same transaction. Returns how many chats were updated. The audit log records that the
    link changed, never the link."""
    link = link.strip()
    if link and not is_meeting_link(link):
        raise errors.InvalidInput("Enter a link that starts with https:// (or http://), with no spaces.")
    with transaction.atomic():
        locked = Partner.objects.select_for_update().get(pk=partner.pk)
        if locked.meeting_link == link:
            return 0
        locked.meeting_link = link
        locked.save(update_fields=["meeting_link"])
        partner.meeting_link = link
        _audit(locked, actor, "meeting_link_changed")
        changed = joining_details_changed(
            list(upcoming_video_chats_on_standing_link(locked, now)),
            now=now,
            actor=actor,
            actor_label="partner",
            what="video link",
        )
    return sum(1 for b in changed if b.status == BookingStatus.CONFIRMED)


def set_feed_joining_details(partner: Partner, shown: bool) -> Partner:
    """Whether the partner's feed (and CalDAV calendar) carries the video link or address of each
    chat. Off by default: a feed URL is a bearer secret (docs/feeds.md). Phone numbers never go in."""
    with transaction.atomic():
        Partner.objects.filter(pk=partner.pk).update(feed_shows_joining_details=shown)
        partner.feed_shows_joining_details = shown
    return partner


def save_weekly_range(
    partner: Partner,
    *,
    weekdays,
    start_time: time,
    end_time: time,
    rule: AvailabilityRule | int | None = None,
    starts_on: date | None = None,
    actor=None,
    now: datetime | None = None,
) -> list[AvailabilityRule]:
    """Add a weekly free range on each of `weekdays` (one rule per day, so each can be changed or
    removed alone), or change `rule` to cover exactly `weekdays` at the new times.

    Invariant: the partner's ranges never overlap on the same weekday (touching is fine); the
    check runs with the partner row locked, so two tabs cannot race a pair of overlaps in.
    With `now` (the workspace passes it), people waiting for a time are told if one opened."""
    days = sorted({int(d) for d in weekdays})
    if not days or any(d not in weekly_ranges.ALL_DAYS for d in days):
        raise errors.InvalidInput("Choose at least one day of the week.")
    if end_time <= start_time:
        raise errors.InvalidInput("The end time must be later than the start time.")
    with transaction.atomic():
        list(Partner.objects.select_for_update().filter(pk=partner.pk))
        existing = AvailabilityRule.objects.select_for_update().filter(partner=partner)
        target = None
        if rule is not None:
            target = existing.get(pk=getattr(rule, "pk", rule))
            existing = existing.exclude(pk=target.pk)
        for other in existing:
            shared = weekly_ranges.weekdays_of(other.recurrence).intersection(days)
            if shared and weekly_ranges.overlaps(start_time, end_time, other.start_time, other.end_time):
                times = f"{format_clock(other.start_time)} to {format_clock(other.end_time)}"
                raise errors.InvalidInput(
                    f"This overlaps your {times} range on "
                    f"{weekly_ranges.day_list(shared)}. Change that range instead, or pick other times."
                )
        if target is not None:
            target.recurrence = weekly_ranges.weekly(days)
            target.start_time, target.end_time = start_time, end_time
            target.save(update_fields=["recurrence", "start_time", "end_time"])
            _audit(partner, actor, "availability_changed")
            _opened(partner, now)
            return [target]
        extra = {"starts_on": starts_on} if starts_on else {}
        _audit(partner, actor, "availability_added")
        created = [
            AvailabilityRule.objects.create(
                partner=partner,
                recurrence=weekly_ranges.weekly([day]),
                start_time=start_time,
                end_time=end_time,
                **extra,
            )
            for day in days
        ]
        _opened(partner, now)
        return created


def remove_rule(partner: Partner, rule_id: int, *, actor=None) -> None:
    """Delete one of the partner's own availability rules. Existing chats are kept."""
    with transaction.atomic():
        AvailabilityRule.objects.select_for_update().get(partner=partner, pk=rule_id).delete()
        _audit(partner, actor, "availability_removed")


def add_time_off(
    partner: Partner, *, start: datetime, end: datetime, now: datetime, reason: str = "", actor=None
) -> TimeOff:
    """Record time off (aware datetimes). Invariant: it ends after it starts and after `now`.
    Chats already booked in that time are not cancelled: the partner sees them and decides."""
    if end <= start:
        raise errors.InvalidInput("The end of your time off must be later than its start.")
    if end <= now:
        raise errors.InvalidInput("That time is already in the past.")
    with transaction.atomic():
        _audit(partner, actor, "time_off_added")
        return TimeOff.objects.create(partner=partner, start=start, end=end, reason=reason[:200])


def remove_time_off(partner: Partner, time_off_id: int, *, actor=None, now: datetime | None = None) -> None:
    """Delete one of the partner's own time-off entries (with `now`, tell people waiting)."""
    with transaction.atomic():
        TimeOff.objects.select_for_update().get(partner=partner, pk=time_off_id).delete()
        _audit(partner, actor, "time_off_removed")
        _opened(partner, now)


def pause(partner: Partner, *, actor=None) -> Partner:
    """Stop new bookings for this partner. Existing chats and pending requests are untouched."""
    return _set_accepting(partner, False, actor)


def resume(partner: Partner, *, actor=None, now: datetime | None = None) -> Partner:
    """Open this partner's free times to new bookings again (with `now`, tell people waiting)."""
    return _set_accepting(partner, True, actor, now)


def _set_accepting(partner: Partner, accepting: bool, actor, now: datetime | None = None) -> Partner:
    with transaction.atomic():
        Partner.objects.filter(pk=partner.pk).update(accepting_bookings=accepting)
        _audit(partner, actor, "resumed" if accepting else "paused")
        partner.accepting_bookings = accepting
        if accepting:
            _opened(partner, now)
    return partner


def set_limits(
    partner: Partner,
    per_day: int | None,
    per_week: int | None,
    rest_minutes: int,
    *,
    actor=None,
    now: datetime | None = None,
) -> Partner:
    """Save the partner's wellbeing limits (None = no limit). Invariant: limits are between 1 and
    MAX_CHATS_LIMIT, a day never allows more than the week, rest is 0 to MAX_REST_MINUTES."""
    for value in (per_day, per_week):
        if value is not None and not 1 <= value <= MAX_CHATS_LIMIT:
            raise errors.InvalidInput(f"Limits must be between 1 and {MAX_CHATS_LIMIT}, or left empty.")
    if per_day is not None and per_week is not None and per_day > per_week:
        raise errors.InvalidInput("Chats in a day cannot be more than chats in a week.")
    if not 0 <= rest_minutes <= MAX_REST_MINUTES:
        raise errors.InvalidInput(f"Rest after a chat must be between 0 and {MAX_REST_MINUTES} minutes.")
    with transaction.atomic():
        Partner.objects.filter(pk=partner.pk).update(
            max_chats_per_day=per_day, max_chats_per_week=per_week, rest_minutes=rest_minutes
        )
        _audit(partner, actor, "limits_changed")
        _opened(partner, now)
    partner.max_chats_per_day, partner.max_chats_per_week = per_day, per_week
    partner.rest_minutes = rest_minutes
    return partner


def set_bank_holidays(
    partner: Partner, nation: str, works_bank_holidays: bool, *, actor=None, now: datetime | None = None
) -> Partner:
    """Save whose bank holidays close the partner's free times, and whether they work on them
    (docs/bookings.md#bank-holidays). Invariant: nation is one of bank_holidays.NATIONS."""
    if nation not in dict(bank_holidays.NATIONS):
        raise errors.InvalidInput("Choose England, Wales, Scotland or Northern Ireland.")
    with transaction.atomic():
        Partner.objects.filter(pk=partner.pk).update(nation=nation, works_bank_holidays=works_bank_holidays)
        _audit(partner, actor, "bank_holidays_changed")
        _opened(partner, now)
    partner.nation, partner.works_bank_holidays = nation, works_bank_holidays
    return partner


def _opened(partner: Partner, now: datetime | None) -> None:
    """A change that may have opened free times: tell the people waiting, in this transaction
    (docs/bookings.md#waiting-list). Callers without a clock reading (scripts) skip it."""
    if now is not None:
        waitlist.partner_opened(partner, now=now)


def _audit(partner: Partner, actor, change: str) -> None:
    # Shows in the partner's history in the Wagtail admin, so staff can see who paused whom and
    # when. Only a fixed key is stored: never times typed, notes or reasons.
    wagtail_log(instance=partner, action="wagtail.edit", user=actor, data={"workspace": change})


# --- Partners' calendars ---
# The private feed a partner subscribes to (bookings/calendars/feeds.py) and their own calendar whose busy
# times close their slots (bookings/calendars/sync.py). Each function is one transaction; the
# background read is queued inside it, so it exists exactly when the saved address does.


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


# --- A partner's CalDAV calendar (docs/caldav.md) ---
# The site writes each chat into the calendar the partner chooses. The app password is encrypted
# before it is stored and never shown again; discovery and every write use the `caldav` library.

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
