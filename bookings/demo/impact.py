"""Demo impact (docs/impact.md): payment rules for the demo offers, and a few chats that have
taken place, with the booker's feedback, a quote waiting for an editor, a partner's reflection
and the payment lines they earned, so a fresh `make run` shows every screen with something on it.

The chats are made straight through the ORM (they lie in the past, which the booking service
rightly refuses) and then completed or marked missed through the services, exactly as a partner
would, so their payment lines and emails are the real ones. Idempotent: the demo bookers'
addresses mark what an earlier run made.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal

from bookings import feedback, services
from bookings.models import Booking, BookingStatus, Offer, Partner, PaymentBasis, PaymentRule
from home.models import LadderRung

MARK = "@impact.demo.example.org"
RULES = {
    "Thinking-partner chat": (PaymentBasis.PER_CHAT, Decimal("25.00")),
    "Project planning session": (PaymentBasis.PER_HOUR, Decimal("20.00")),
}
# (days ago, booker, role, organisation, what happened, feedback answers or None)
CHATS = [
    (
        24,
        "Alex Demo",
        "Ward manager",
        "Northshire Mental Health Trust",
        "completed",
        (
            5,
            "Ask two partners to join our steering group.",
            "It helped me see our discharge "
            "letters the way a patient reads them. We are rewriting them together.",
            "named",
        ),
    ),
    (
        12,
        "Bea Demo",
        "Commissioner",
        "Eastvale Council",
        "completed",
        (4, "Budget for paid involvement in the next tender.", "", "none"),
    ),
    (9, "Cam Demo", "Psychologist", "Riverside Clinic", "no_show", None),
    (
        3,
        "Dee Demo",
        "Occupational therapist",
        "Hillside Community Team",
        "completed",
        (3, "", "Honest, warm and practical.", "anonymous"),
    ),
    # Older chats, so the staff reports show a few months on a fresh `make run`; no quotes.
    (38, "Eli Demo", "Team leader", "Northshire Mental Health Trust", "completed", (4, "", "", "none")),
    (52, "Fay Demo", "Service manager", "Eastvale Council", "completed", (5, "", "", "none")),
    (67, "Gus Demo", "Nurse", "Riverside Clinic", "no_show", None),
    (85, "Hal Demo", "Researcher", "Hillside Community Team", "completed", (3, "", "", "none")),
    (110, "Ivy Demo", "Peer support lead", "Northshire Mental Health Trust", "completed", None),
]


def ensure_rules(offers: list[Offer]) -> None:
    for offer in offers:
        basis, amount = RULES.get(offer.title, (PaymentBasis.PER_CHAT, Decimal("25.00")))
        PaymentRule.objects.get_or_create(
            offer=offer,
            effective_from=date(2025, 1, 1),
            defaults={"basis": basis, "amount": amount, "late_cancel_amount": Decimal("10.00")},
        )


def ensure_past_chats(partner: Partner, offer: Offer, *, now: datetime) -> int:
    """The demo chats above with `partner`; returns how many were made (0 on a second run)."""
    if Booking.objects.filter(booker_email__endswith=MARK).exists():
        return 0
    rungs = list(LadderRung.objects.all())
    made = 0
    for days_ago, name, role, organisation, outcome, answers in CHATS:
        start = (now - timedelta(days=days_ago)).replace(hour=10, minute=0, second=0, microsecond=0)
        booking = Booking(
            partner=partner,
            offer=offer,
            status=BookingStatus.CONFIRMED,
            booker_name=name,
            booker_email=f"{name.split()[0].lower()}{MARK}",
            organisation=organisation,
            role=role,
            project_description="A demo project: making our service easier to use.",
            ladder_rung=rungs[0] if rungs else None,
        )
        booking.set_times(start, offer)
        booking.save()
        after = booking.end + timedelta(minutes=5)
        if outcome == "no_show":
            services.mark_no_show(booking, now=after, actor_label="partner")
        else:
            services.mark_completed(booking, now=after, actor_label="partner")
        if answers:
            usefulness, next_steps, quote, consent = answers
            rung = rungs[min(len(rungs) - 1, usefulness - 2)].pk if rungs else None
            feedback.submit(
                booking,
                feedback.Answers(usefulness, rung, next_steps=next_steps, quote=quote, consent=consent),
                now=after + timedelta(days=1),
            )
        if days_ago == 24:
            feedback.save_reflection(
                partner,
                booking.public_id,
                "A demo reflection: I shared my own story too early; next time I will ask first.",
                now=after,
            )
        made += 1
    return made
