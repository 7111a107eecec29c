"""Every service, its legal transitions and its refusals."""

from datetime import UTC, datetime, timedelta

import pytest

from bookings import services
from bookings.errors import BookingError, InvalidBooking, InvalidTransition, SlotUnavailable
from bookings.models import Booking, BookingStatus, Format
from bookings.outbox import notifications
from bookings.services import BookerDetails

from .conftest import NOW
from .factories import AvailabilityRuleFactory, BookingFactory, OfferFactory, PartnerFactory

pytestmark = pytest.mark.django_db
S = BookingStatus
SLOT = datetime(2026, 6, 1, 10, tzinfo=UTC)  # 11:00 London, inside 09:00-17:00
BOOKER = BookerDetails(
    name="Sam Example", email="sam@example.org", organisation="Example Trust", format=Format.VIDEO
)


@pytest.fixture
def events(monkeypatch):
    seen = []
    monkeypatch.setattr(
        notifications, "booking_changed", lambda booking, event, *, now: seen.append((booking.pk, event))
    )
    return seen


def place(offer, partner, policy, start=SLOT, **kwargs):
    kwargs.setdefault("booker", BOOKER)
    return services.place_booking(offer=offer, start=start, partner=partner, now=NOW, policy=policy, **kwargs)


def test_place_booking_confirms_and_records(offer, partner, policy, events):
    booking = place(offer, partner, policy)
    assert booking.status == S.CONFIRMED
    assert (booking.start, booking.end) == (SLOT, SLOT + timedelta(minutes=30))
    assert (booking.blocked_start, booking.blocked_end) == (SLOT, SLOT + timedelta(minutes=40))
    assert booking.ical_uid == f"{booking.public_id}@testserver" and booking.sequence == 0
    event = booking.events.get()
    assert (event.action, event.from_status, event.to_status, event.actor_label) == (
        "placed",
        "",
        "confirmed",
        "booker",
    )
    assert "sam" not in str(event.details).lower()
    assert events == [(booking.pk, "placed")]


def test_offer_needing_acceptance_starts_pending(partner, policy):
    offer = OfferFactory(partners=[partner], requires_acceptance=True)
    assert place(offer, partner, policy).status == S.PENDING


def test_taken_time_gives_a_clear_conflict(offer, partner, policy):
    place(offer, partner, policy)
    for start in (SLOT, SLOT + timedelta(minutes=35), SLOT - timedelta(minutes=20)):
        with pytest.raises(SlotUnavailable) as err:
            place(offer, partner, policy, start=start, booker=BOOKER)
        assert "no longer available" in err.value.message
    assert Booking.objects.count() == 1


@pytest.mark.parametrize(
    "start",
    [
        datetime(2026, 6, 1, 7, tzinfo=UTC),  # 08:00 London: before the window
        datetime(2026, 6, 1, 15, 45, tzinfo=UTC),  # runs past 17:00 London
        NOW + timedelta(hours=2),  # inside the notice period
        NOW + timedelta(days=400),  # past the horizon
    ],
)
def test_times_outside_availability_are_refused(offer, partner, policy, start):
    with pytest.raises(SlotUnavailable):
        place(offer, partner, policy, start=start)


def test_paused_partner_cannot_be_booked(offer, partner, policy):
    partner.accepting_bookings = False
    partner.save()
    with pytest.raises(SlotUnavailable):
        place(offer, partner, policy)


def test_partner_who_does_not_offer_it_and_wrong_format(offer, policy):
    with pytest.raises(InvalidBooking, match="does not offer"):
        place(offer, PartnerFactory(), policy)
    with pytest.raises(InvalidBooking, match="format"):
        place(
            offer,
            None,
            policy,
            booker=BookerDetails(name="A", email="a@example.org", format=Format.IN_PERSON),
        )


def test_idempotency_key_returns_the_same_booking(offer, partner, policy, events):
    first = place(offer, partner, policy, idempotency_key="k" * 32)
    again = place(offer, partner, policy, idempotency_key="k" * 32)
    assert first.pk == again.pk and Booking.objects.count() == 1 and len(events) == 1


def test_whoever_is_free_picks_the_least_busy_partner(policy):
    a, b = PartnerFactory(), PartnerFactory()
    for p in (a, b):
        AvailabilityRuleFactory(partner=p)
    offer = OfferFactory(partners=[a, b])
    BookingFactory(partner=a, offer=offer, start=SLOT + timedelta(days=1))
    assert place(offer, None, policy).partner == b
    assert place(offer, None, policy).partner == a  # b is busy at that time now
    with pytest.raises(SlotUnavailable):
        place(offer, None, policy)


def test_cancelled_and_declined_bookings_free_the_time(offer, partner, policy):
    services.cancel(place(offer, partner, policy), now=NOW)
    pending_offer = OfferFactory(partners=[partner], requires_acceptance=True)
    services.decline(place(pending_offer, partner, policy), now=NOW)
    assert place(offer, partner, policy).status == S.CONFIRMED


def test_confirm_decline_cancel_bump_sequence_and_record(partner, policy, events):
    offer = OfferFactory(partners=[partner], requires_acceptance=True)
    booking = services.confirm(place(offer, partner, policy), now=NOW)
    assert (booking.status, booking.sequence) == (S.CONFIRMED, 1)
    booking = services.cancel(booking, now=NOW, actor_label="partner")
    assert (booking.status, booking.sequence) == (S.CANCELLED, 2)
    assert [e.action for e in booking.events.all()] == ["placed", "confirmed", "cancelled"]
    assert [e for _, e in events] == ["placed", "confirmed", "cancelled"]


@pytest.mark.parametrize(
    ("setup", "action", "message"),
    [
        ([services.cancel], services.cancel, "has already been cancelled, so it cannot be cancelled"),
        ([services.decline], services.confirm, "has been declined, so it cannot be confirmed"),
        ([services.confirm], services.confirm, "is already confirmed, so it cannot be confirmed"),
        ([services.confirm], services.decline, "is already confirmed, so it cannot be declined"),
        ([services.cancel], services.mark_completed, "has already been cancelled"),
        ([], services.mark_no_show, "still waiting for the partner"),
    ],
)
def test_illegal_transitions_give_clear_errors(partner, policy, setup, action, message):
    offer = OfferFactory(partners=[partner], requires_acceptance=True)
    booking = place(offer, partner, policy)
    for step in setup:
        booking = step(booking, now=NOW)
    before = (booking.status, booking.sequence, booking.events.count())
    with pytest.raises(InvalidTransition) as err:
        action(booking, now=NOW)
    assert message in err.value.message
    booking.refresh_from_db()
    assert (booking.status, booking.sequence, booking.events.count()) == before


def test_completed_and_no_show_only_after_the_start(offer, partner, policy):
    booking = place(offer, partner, policy)
    with pytest.raises(InvalidTransition, match="has not started yet"):
        services.mark_completed(booking, now=NOW)
    assert services.mark_completed(booking, now=SLOT + timedelta(minutes=31)).status == S.COMPLETED
    other = place(offer, partner, policy, start=SLOT + timedelta(hours=2))
    assert services.mark_no_show(other, now=SLOT + timedelta(hours=3)).status == S.NO_SHOW


def test_reschedule_keeps_identity_and_bumps_sequence(offer, partner, policy, events):
    booking = place(offer, partner, policy)
    moved = services.reschedule(
        booking, SLOT + timedelta(minutes=15), now=NOW, policy=policy
    )  # into its own time
    assert (moved.pk, moved.public_id, moved.ical_uid) == (booking.pk, booking.public_id, booking.ical_uid)
    assert (moved.start, moved.sequence, moved.status) == (SLOT + timedelta(minutes=15), 1, S.CONFIRMED)
    assert moved.blocked_end == moved.end + timedelta(minutes=10)
    event = moved.events.last()
    assert event.action == "rescheduled" and event.details["from_start"] == SLOT.isoformat()
    assert events[-1] == (booking.pk, "rescheduled")


def test_reschedule_into_a_taken_time_or_from_a_final_state_fails(offer, partner, policy):
    booking = place(offer, partner, policy)
    place(offer, partner, policy, start=SLOT + timedelta(hours=2))
    with pytest.raises(SlotUnavailable):
        services.reschedule(booking, SLOT + timedelta(hours=2, minutes=15), now=NOW, policy=policy)
    booking.refresh_from_db()
    assert (booking.start, booking.sequence) == (SLOT, 0)
    services.cancel(booking, now=NOW)
    with pytest.raises(InvalidTransition, match="cannot be moved"):
        services.reschedule(booking, SLOT + timedelta(hours=4), now=NOW, policy=policy)


def test_a_failure_after_the_insert_leaves_nothing_behind(offer, partner, policy, monkeypatch):
    def boom(booking, event, *, now):
        raise RuntimeError("queue unavailable")

    monkeypatch.setattr(notifications, "booking_changed", boom)
    with pytest.raises(RuntimeError):
        place(offer, partner, policy)
    assert Booking.objects.count() == 0


def test_every_domain_error_has_a_plain_message():
    for cls in (BookingError, SlotUnavailable, InvalidBooking, InvalidTransition):
        assert cls().message and cls().message.endswith(".")
        assert cls("Custom words.").message == "Custom words."


def test_a_manage_link_version_already_used_cannot_act_again(offer, partner, policy):
    """A cancel and a move sent at once with one link: the second finds a newer version."""
    booking = place(offer, partner, policy)
    stale = Booking.objects.get(pk=booking.pk)  # what the second request looked up
    services.reschedule(
        booking, SLOT + timedelta(minutes=15), now=NOW, policy=policy, expected_sequence=booking.sequence
    )
    with pytest.raises(InvalidTransition, match="just been changed"):
        services.cancel(stale, now=NOW, expected_sequence=stale.sequence)
    with pytest.raises(InvalidTransition, match="just been changed"):
        services.reschedule(
            stale, SLOT + timedelta(hours=2), now=NOW, policy=policy, expected_sequence=stale.sequence
        )
    booking.refresh_from_db()
    assert (booking.status, booking.start, booking.sequence) == (S.CONFIRMED, SLOT + timedelta(minutes=15), 1)
