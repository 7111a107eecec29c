"""Involvement payments (docs/impact.md): what a chat earns its partner, and approving a month.

`accrue` is called by services._transition inside the same transaction as the status change
(completed, no-show, cancelled), so a line exists exactly when the change does. Lines are never
edited; `reverse_line` adds a line of the opposite amount. Each month has a PaymentMonth row that
accruals, reversals and the approval lock, so a line can never land in a month being approved
(on SQLite the IMMEDIATE transaction serialises them anyway). A line whose own month is already
approved goes to the next open month.
"""

import zoneinfo
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta
from django.db import transaction

from bookings.errors import InvalidTransition
from bookings.models import (
    DEFAULT_TIME_ZONE,
    Booking,
    BookingStatus,
    PaymentBasis,
    PaymentKind,
    PaymentLine,
    PaymentMonth,
    PaymentRule,
    PaymentStatus,
)

UK = zoneinfo.ZoneInfo(DEFAULT_TIME_ZONE)
PENNY = Decimal("0.01")
DECLINED = "The partner declined payment"


def uk_date(moment: datetime) -> date:
    return moment.astimezone(UK).date()


def month_of(day: date) -> date:
    return day.replace(day=1)


def rule_for(offer_id: int, day: date) -> PaymentRule | None:
    """The offer's rule in force on `day`: the latest one starting on or before it."""
    rules = PaymentRule.objects.filter(offer_id=offer_id, effective_from__lte=day)
    return rules.order_by("-effective_from").first()


def chat_amount(rule: PaymentRule, booking: Booking) -> Decimal:
    if rule.basis == PaymentBasis.PER_HOUR:
        minutes = Decimal((booking.end - booking.start) // timedelta(minutes=1))
        return (rule.amount * minutes / 60).quantize(PENNY, rounding=ROUND_HALF_UP)
    return rule.amount


def _open_month(first: date) -> date:
    """`first`, or the next month after it that is not approved; its row is locked for us."""
    month = first
    while True:
        PaymentMonth.objects.get_or_create(month=month)
        locked = PaymentMonth.objects.select_for_update().get(month=month)
        if not locked.is_approved:
            return month
        month += relativedelta(months=1)


def _kind_for(booking: Booking, action: str, from_status: str, now: datetime, rule: PaymentRule):
    if action == "completed":
        return PaymentKind.COMPLETED
    if action == "no_show":
        return PaymentKind.NO_SHOW
    # Only a confirmed chat was promised to the partner; a request nobody accepted earns nothing.
    late = booking.start - now < timedelta(hours=rule.late_cancel_window_hours)
    if action == "cancelled" and from_status == BookingStatus.CONFIRMED and late:
        return PaymentKind.LATE_CANCEL
    return None


def accrue(
    booking: Booking, action: str, from_status: str, *, now: datetime, actor=None
) -> PaymentLine | None:
    """Record what `action` on `booking` earns its partner; called inside the service's transaction.

    Completed: the rule's amount (per chat, or per hour of the chat's length). Booker no-show, and
    a confirmed chat cancelled within the rule's window before it starts: the late-cancellation
    amount. Earlier cancellations, and offers with no rule for that day, earn nothing (no line).
    A partner who declines payment gets a £0 line with their reason. The rule is the one in force
    on the chat's UK day, and the amount is copied, so later rule changes leave the line alone.
    """
    if action not in ("completed", "no_show", "cancelled"):
        return None
    day = uk_date(booking.start)
    rule = rule_for(booking.offer_id, day)
    if rule is None:
        return None
    kind = _kind_for(booking, action, from_status, now, rule)
    if kind is None:
        return None
    amount = chat_amount(rule, booking) if kind == PaymentKind.COMPLETED else rule.late_cancel_amount
    partner = booking.partner
    reason = ""
    if partner.declines_payment:
        amount, reason = Decimal("0.00"), (partner.payment_declined_reason or DECLINED)[:200]
    elif amount == 0 and kind != PaymentKind.COMPLETED:
        return None
    return PaymentLine.objects.create(
        partner=partner,
        booking=booking,
        offer_id=booking.offer_id,
        rule=rule,
        kind=kind,
        chat_date=day,
        month=_open_month(month_of(day)),
        amount=amount,
        reason=reason,
        created_at=now,
        created_by=actor,
    )


def reverse_line(line: PaymentLine, *, reason: str, now: datetime, actor) -> PaymentLine:
    """Cancel a line's effect with a line of the opposite amount (staff, docs/impact.md).

    Invariant: a line is reversed at most once and a reversal is never reversed; the reversal
    goes in the line's own month while that is open, else in the next open month after it, so an
    approved month's total never changes.
    """
    reason = reason.strip()[:200]
    if not reason:
        raise InvalidTransition("Please say why this payment is being reversed.")
    with transaction.atomic():
        locked = PaymentLine.objects.select_for_update().get(pk=line.pk)
        if locked.kind == PaymentKind.REVERSAL:
            raise InvalidTransition("This line is itself a reversal, so it cannot be reversed.")
        if PaymentLine.objects.filter(reverses=locked).exists():
            raise InvalidTransition("This payment has already been reversed.")
        return PaymentLine.objects.create(
            partner_id=locked.partner_id,
            booking_id=locked.booking_id,
            offer_id=locked.offer_id,
            rule_id=locked.rule_id,
            kind=PaymentKind.REVERSAL,
            chat_date=locked.chat_date,
            month=_open_month(locked.month),
            amount=-locked.amount,
            reverses=locked,
            reason=reason,
            created_at=now,
            created_by=actor,
        )


def approve_month(month: date, *, now: datetime, actor) -> PaymentMonth:
    """Approve a finished month's lines for finance; from then on that month is locked.

    Invariant: only a month that has ended (UK time) and is not yet approved; every line of the
    month is marked approved in the same transaction, and later lines go to the next open month.
    """
    month = month_of(month)
    if month_of(uk_date(now)) <= month:
        raise InvalidTransition(f"{month:%B %Y} has not ended yet, so it cannot be approved.")
    with transaction.atomic():
        PaymentMonth.objects.get_or_create(month=month)
        locked = PaymentMonth.objects.select_for_update().get(month=month)
        if locked.is_approved:
            raise InvalidTransition(f"{month:%B %Y} has already been approved.")
        locked.approved_at = now
        locked.approved_by = actor
        locked.save(update_fields=["approved_at", "approved_by"])
        PaymentLine.objects.filter(month=month).update(status=PaymentStatus.APPROVED)
    return locked


def monthly_totals(lines) -> list[tuple[date, Decimal, int, bool]]:
    """(month, total, number of lines, approved) for a partner's lines, newest month first."""
    approved = set(PaymentMonth.objects.filter(approved_at__isnull=False).values_list("month", flat=True))
    totals: dict[date, list] = {}
    for line in lines:
        entry = totals.setdefault(line.month, [Decimal("0.00"), 0])
        entry[0] += line.amount
        entry[1] += 1
    return [(m, t, n, m in approved) for m, (t, n) in sorted(totals.items(), reverse=True)]
