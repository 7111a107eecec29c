"""Changes partners make from their workspace: their chats, free times, time off, pause and
limits. One transaction each, like services.py. Their calendars have modules of their own:
partner_calendars.py (the feed, their own calendar) and partner_caldav.py (a CalDAV calendar).

Each function takes the partner the signed-in user is linked to and looks every object up
*within that partner*, so a view that forgot its own ownership check still cannot touch another
partner's rows (an unknown or foreign id raises the model's DoesNotExist: the views 404).
"""

from datetime import date, datetime, time

from django.db import transaction
from wagtail.log_actions import log as wagtail_log

from bookings import accounts, bank_holidays, errors, waitlist, weekly_ranges
from bookings.joining_changes import joining_details_changed, upcoming_video_chats_on_standing_link
from bookings.models import (
    AvailabilityRule,
    Booking,
    BookingEvent,
    BookingStatus,
    Format,
    HandBack,
    HandBackReason,
    Partner,
    TimeOff,
    is_meeting_link,
)

# Still importable from here for bench/feed.py; everything else imports bookings.partner_calendars.
from bookings.partner_calendars import create_or_rotate_feed  # noqa: F401
from bookings.services import confirm, decline, mark_completed, mark_no_show
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
