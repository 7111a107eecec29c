"""The changes only staff make to a booking (docs/staff.md), one transaction each, with the same
locks, re-checks, history and emails as bookings/services.py, whose functions they reuse.

Every staff change is recorded with `actor_label="staff"`, the signed-in user as actor, and
`inside_change_window: true` in the details when it happens within MANAGE_CHANGES_CLOSE_HOURS of
the chat (when bookers can no longer change it themselves, docs/bookings.md).
"""

from dataclasses import replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from bookings import joining_changes, reassignment, services, waitlist
from bookings.availability import Policy, free_partners
from bookings.models import BLOCKING_STATUSES, Booking, Partner, Recipient
from bookings.outbox import notifications
from bookings.services import BookerDetails
from bookings.slots import PARTNER_SPEC_FIELDS, load_snapshot, policy_for_site

STAFF = "staff"
CANCEL_REASON_MAX = 500


def inside_change_window(booking: Booking, now: datetime) -> bool:
    """True once bookers can no longer change the chat themselves (docs/bookings.md)."""
    return booking.start - now < timedelta(hours=settings.MANAGE_CHANGES_CLOSE_HOURS)


def staff_details(booking: Booking, now: datetime, **extra) -> dict:
    details = {"by": STAFF, **extra}
    if inside_change_window(booking, now):
        details["inside_change_window"] = True
    return details


def cancel(booking: Booking, *, reason: str, now: datetime, actor) -> Booking:
    """Cancel for the team, telling the booker why.

    Invariant: the reason is saved on the booking (it is shown only in the booker's cancellation
    email and is erased with the booking) in the same transaction as the cancellation; if the
    cancellation is refused (already cancelled, say), the reason is not saved either.
    """
    reason = reason.strip()[:CANCEL_REASON_MAX]
    with transaction.atomic():
        Booking.objects.filter(pk=booking.pk).update(cancel_reason=reason)
        return services.cancel(
            booking,
            now=now,
            actor=actor,
            actor_label=STAFF,
            details=staff_details(booking, now, with_reason=bool(reason)),
        )


def move(booking: Booking, new_start: datetime, *, now: datetime, actor, policy: Policy | None = None):
    """Move to another free time of the same partner: services.reschedule, recorded as staff."""
    return services.reschedule(
        booking, new_start, now=now, actor=actor, actor_label=STAFF, policy=policy,
        details=staff_details(booking, now),
    )  # fmt: skip


def accept(booking: Booking, *, now: datetime, actor) -> Booking:
    return services.confirm(
        booking, now=now, actor=actor, actor_label=STAFF, details=staff_details(booking, now)
    )


def decline(booking: Booking, *, reason: str, now: datetime, actor) -> Booking:
    return services.decline(
        booking, now=now, actor=actor, actor_label=STAFF, reason=reason, details=staff_details(booking, now)
    )


def mark_completed(booking: Booking, *, now: datetime, actor) -> Booking:
    return services.mark_completed(
        booking, now=now, actor=actor, actor_label=STAFF, details=staff_details(booking, now)
    )


def mark_no_show(booking: Booking, *, now: datetime, actor) -> Booking:
    return services.mark_no_show(
        booking, now=now, actor=actor, actor_label=STAFF, details=staff_details(booking, now)
    )


def _staff_policy(policy: Policy | None) -> Policy:
    # A partner who falls ill is often replaced on the day: staff may hand a chat on inside the
    # minimum notice (which protects partners from surprises, and the new one is asked by staff).
    return replace(policy or policy_for_site(), notice=timedelta(0))


def partners_free_for(booking: Booking, *, now: datetime, policy: Policy | None = None) -> list[Partner]:
    """Other partners offering this chat who are free at its time (the slot engine decides)."""
    offer = booking.offer
    others = list(offer.partners.exclude(pk=booking.partner_id).order_by("display_name", "pk"))
    if not others:
        return []
    spec, snapshot = load_snapshot(
        offer, booking.start, booking.end, partner_ids=[p.pk for p in others], exclude_booking_id=booking.pk
    )
    free = set(free_partners(snapshot, spec, _staff_policy(policy), booking.start, now))
    return [p for p in others if p.pk in free]


def reassign(
    booking: Booking, to_partner: Partner, *, now: datetime, actor, policy: Policy | None = None
) -> Booking:
    """Give a pending or confirmed chat, at the same time, to another partner who is free then
    (reassignment.reassign), recorded as a staff action and whether it was inside the change window."""
    return reassignment.reassign(
        booking,
        to_partner,
        now=now,
        actor=actor,
        actor_label=STAFF,
        details=staff_details(booking, now),
        policy=policy,
    )


RESEND_TO = {"booker": (Recipient.BOOKER,), "partner": (Recipient.PARTNER,)}


def resend_invite(booking: Booking, *, to: str, now: datetime, actor) -> Booking:
    """Send the current invite (or, for a request, the request) again to the booker or partner.

    Invariant: a resend is a new version (SEQUENCE + 1), so it is a new outbox row with its own
    Message-ID under the one-row-per-version rule, the calendar update supersedes the lost one, and
    the booker's older manage links stop working in favour of the one in this email. Reminders
    move to the new version. Only pending or confirmed chats have an invite to resend.
    """
    recipients = RESEND_TO[to]
    with transaction.atomic():
        locked = Booking.objects.select_for_update().get(pk=booking.pk)
        services.require_status(locked, "resent", BLOCKING_STATUSES)
        locked.sequence += 1
        locked.save(update_fields=["sequence", "updated_at"])
        details = staff_details(locked, now, to=to)
        services.record_event(locked, "resent", locked.status, now, actor, STAFF, details)
        notifications.invite_resent(locked, recipients, now=now)
    return locked


def place_on_behalf(
    *,
    offer,
    start: datetime,
    partner: Partner | None,
    booker: BookerDetails,
    now: datetime,
    actor,
    idempotency_key: str | None = None,
    policy: Policy | None = None,
) -> Booking:
    """Book for someone who phoned or wrote: services.place_booking with every public check and
    email (the booker gets the normal emails and manage link), recorded as placed by staff."""
    return services.place_booking(
        offer=offer,
        start=start,
        partner=partner,
        booker=booker,
        now=now,
        idempotency_key=idempotency_key,
        policy=policy,
        actor=actor,
        actor_label=STAFF,
        details={"by": STAFF, "on_behalf": True},
    )


# Partner fields whose change in the admin may open free times (docs/bookings.md#waiting-list):
# every field the slot engine reads of a partner.
OPENING_FIELDS = PARTNER_SPEC_FIELDS


def admin_saved(before, after, *, now: datetime, actor) -> None:
    """Staff saved a partner or an offer in the Wagtail admin, inside its save transaction: send
    the updated invites its joining details need, and if a partner's change may have opened free
    times (back from a pause, limits raised, say), tell the people waiting, as the partner's own
    workspace does (bookings/partner_services.py)."""
    joining_details_edited(before, after, now=now, actor=actor)
    if isinstance(after, Partner) and any(
        getattr(before, name) != getattr(after, name) for name in OPENING_FIELDS
    ):
        waitlist.partner_opened(after, now=now)


def partners_times_changed(partners, *, now: datetime) -> None:
    """Staff added or changed a partner's free times, or changed or removed their time off, in
    the Wagtail admin (inside its save transaction): tell the people waiting, as the workspace's
    own changes do (docs/bookings.md#waiting-list)."""
    for partner in {p.pk: p for p in partners if p is not None}.values():
        waitlist.partner_opened(partner, now=now)


def joining_details_edited(before, after, *, now: datetime, actor) -> int:
    """Staff saved a partner or an offer in the admin: if its joining details changed (a partner's
    standing video link, an offer's address or access notes), every confirmed chat still to come
    that uses them gets an updated invite, in the admin's save transaction (docs/bookings.md,
    "Joining details"). Returns how many chats were updated."""
    if isinstance(after, Partner):
        if before.meeting_link == after.meeting_link:
            return 0
        affected, what = joining_changes.upcoming_video_chats_on_standing_link(after, now), "video link"
    else:
        same = (before.venue_address, before.venue_access_notes) == (
            after.venue_address,
            after.venue_access_notes,
        )
        if same:
            return 0
        affected, what = joining_changes.upcoming_in_person_chats(after, now), "venue"
    changed = joining_changes.joining_details_changed(
        list(affected), now=now, actor=actor, actor_label=STAFF, what=what
    )
    return sum(1 for booking in changed if booking.status == "confirmed")
