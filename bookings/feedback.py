"""Feedback after a chat, and the partner's private reflection (docs/impact.md).

A day after a chat is marked completed the booker gets one email (kind "feedback_request",
queued by the outbox inside the completing service's transaction) with a signed link. The link
names the booking only; GET shows the form, only POST records, so mail scanners change nothing.
One feedback per chat. A quote offered with consent becomes a *draft* Testimonial that an
editor moderates in Wagtail before it can appear; the same link lets the person withdraw their
consent, which unpublishes it.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction

from bookings.errors import InvalidInput, InvalidTransition
from bookings.models import Booking, BookingStatus, Feedback, PartnerReflection, QuoteConsent
from bookings.payments import uk_date
from home.models import LadderRung, Testimonial

SALT = "bookings.feedback-link"
# A backstop: nobody answers a year later, and a leaked old link should be dead.
MAX_AGE = timedelta(days=400)
AFTER_CHAT = (BookingStatus.COMPLETED,)
REFLECTION_AFTER = (BookingStatus.COMPLETED, BookingStatus.NO_SHOW)


class AlreadyGiven(InvalidTransition):
    message = (
        "Thank you, we already have your feedback on this chat, so there is nothing more to send. "
        "You can still withdraw permission to publish your words below."
    )


def consent_wording(consent: str) -> str:
    """The exact words a person agrees to; stored with their answer and on the testimonial."""
    site = settings.WAGTAIL_SITE_NAME
    if consent == QuoteConsent.NAMED:
        how = "with my role and organisation (not my name)"
    elif consent == QuoteConsent.ANONYMOUS:
        how = "anonymously, without my name, role or organisation"
    else:
        return ""
    return (
        f"I agree that {site} may publish the words I wrote above on its website, {how}, after an "
        "editor has checked them. I can withdraw this at any time from the link in the feedback email."
    )


def make_token(booking: Booking) -> str:
    return signing.dumps(booking.public_id.hex, salt=SALT, compress=False)


def booking_for_token(token: str) -> Booking | None:
    """The completed chat a feedback token names, or None whatever went wrong (one 404)."""
    try:
        public_hex = signing.loads(token, salt=SALT, max_age=MAX_AGE)
        bookings = Booking.objects.select_related("offer", "partner")
        return bookings.filter(public_id=public_hex, status__in=AFTER_CHAT).first()
    except (signing.BadSignature, TypeError, ValueError):
        return None


@dataclass(frozen=True)
class Answers:
    """What the feedback form hands over, already cleaned."""

    usefulness: int
    ladder_rung_id: int | None
    next_steps: str = ""
    quote: str = ""
    consent: str = QuoteConsent.NONE


def submit(booking: Booking, answers: Answers, *, now: datetime) -> Feedback:
    """Record the booker's feedback on one completed chat.

    Invariant: one Feedback per chat (a second submit raises AlreadyGiven, and the one-to-one
    backs that up); a quote with consent (named or anonymous) creates, in the same transaction, a
    draft Testimonial (never live) carrying the consent date and wording; without consent, or
    without a quote, none is created.
    """
    if not 1 <= answers.usefulness <= 5:
        raise InvalidInput("Please choose how useful the chat was, from 1 to 5.")
    quote = answers.quote.strip()[:1500]
    consent = answers.consent if quote else QuoteConsent.NONE
    with transaction.atomic():
        locked = Booking.objects.select_for_update().get(pk=booking.pk)
        if locked.status not in AFTER_CHAT or locked.anonymised_at is not None:
            raise InvalidTransition("Feedback can only be given on a chat that has taken place.")
        if Feedback.objects.filter(booking=locked).exists():
            raise AlreadyGiven()
        rung = (
            LadderRung.objects.filter(pk=answers.ladder_rung_id).first() if answers.ladder_rung_id else None
        )
        wording = consent_wording(consent)
        feedback = Feedback.objects.create(
            booking=locked,
            submitted_at=now,
            usefulness=answers.usefulness,
            ladder_rung=rung,
            next_steps=answers.next_steps.strip()[:1000],
            quote=quote,
            consent=consent,
            consent_wording=wording,
            consent_given_at=now if wording else None,
        )
        if wording:
            feedback.testimonial = _draft_testimonial(locked, quote, consent, wording, now)
            feedback.save(update_fields=["testimonial"])
    return feedback


def _draft_testimonial(booking, quote, consent, wording, now) -> Testimonial:
    named = consent == QuoteConsent.NAMED
    testimonial = Testimonial(
        quote=quote,
        role=booking.role[:160] if named else "",
        organisation=booking.organisation[:160] if named else "",
        consent_given_on=uk_date(now),
        consent_wording=wording,
        live=False,
    )
    testimonial.save()
    # A revision, so the editor's listing, preview, moderation and publish all work as for any draft.
    testimonial.save_revision(log_action=True)
    return testimonial


def withdraw_consent(booking: Booking, *, now: datetime) -> Feedback:
    """The person takes back permission to publish their words.

    Invariant: the testimonial made from their quote is unpublished at once (if it was live), and
    its consent date is cleared, so it cannot be published again without new consent (the admin
    form requires the date); the withdrawal is recorded on the feedback.
    """
    with transaction.atomic():
        feedback = Feedback.objects.select_for_update().filter(booking=booking).first()
        if feedback is None or feedback.consent == QuoteConsent.NONE:
            raise InvalidTransition(
                "You did not give permission to publish anything, so there is nothing to withdraw."
            )
        if feedback.consent_withdrawn_at is not None:
            raise InvalidTransition("You have already withdrawn permission. Your words are not published.")
        feedback.consent_withdrawn_at = now
        feedback.save(update_fields=["consent_withdrawn_at"])
        testimonial = feedback.testimonial
        if testimonial is not None:
            if testimonial.live:
                testimonial.unpublish()
            Testimonial.objects.filter(pk=testimonial.pk).update(
                consent_given_on=None, consent_wording=f"Consent withdrawn on {uk_date(now):%d %B %Y}."
            )
    return feedback


def save_reflection(partner, public_id, note: str, *, now: datetime, actor=None) -> PartnerReflection:
    """A partner's private note on one of their own chats that has taken place.

    Invariant: only the partner's own completed or missed chat; one reflection per chat, updated
    in place; never shown to the booker (no email, page or export of theirs carries it).
    """
    with transaction.atomic():
        try:
            booking = Booking.objects.select_for_update().get(partner=partner, public_id=public_id)
        except Booking.DoesNotExist:
            raise InvalidInput("This chat is not yours.") from None
        if booking.status not in REFLECTION_AFTER:
            raise InvalidTransition(
                "You can add a reflection once the chat has been marked as completed or missed."
            )
        reflection, _ = PartnerReflection.objects.update_or_create(
            booking=booking, defaults={"partner": partner, "note": note.strip()[:3000], "updated_at": now}
        )
    return reflection
