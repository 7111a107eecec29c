"""Involvement payments follow chats exactly (docs/impact.md): completed, late and early
cancellation, no-show, a mid-month rate change, per-hour rules, declining payment, and an
approved month that stays locked."""

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.urls import reverse

from bookings import payments, services, staff_services
from bookings.errors import InvalidTransition
from bookings.models import BookingStatus, PaymentBasis, PaymentLine, PaymentRule, PaymentStatus
from tests.support.second_factor import sign_in_verified

from .factories import BookingFactory, OfferFactory, PartnerFactory

pytestmark = pytest.mark.django_db


def at(month, day, hour=10):
    return datetime(2026, month, day, hour, tzinfo=UTC)


@pytest.fixture
def offer():
    offer = OfferFactory(duration_minutes=60)
    PaymentRule.objects.create(
        offer=offer,
        effective_from=date(2026, 6, 1),
        amount=Decimal("25.00"),
        late_cancel_amount=Decimal("10.00"),
        late_cancel_window_hours=24,
    )
    return offer


@pytest.fixture
def partner():
    return PartnerFactory()


def chat(partner, offer, start, **kwargs):
    return BookingFactory(partner=partner, offer=offer, start=start, **kwargs)


def lines():
    return [(line.kind, line.amount, line.chat_date, line.month) for line in PaymentLine.objects.all()]


def test_a_completed_chat_earns_the_rule_amount_once(partner, offer):
    booking = chat(partner, offer, at(6, 10))
    services.mark_completed(booking, now=at(6, 10, 12))
    assert lines() == [("completed", Decimal("25.00"), date(2026, 6, 10), date(2026, 6, 1))]
    line = PaymentLine.objects.get()
    assert (line.partner, line.booking, line.status) == (partner, booking, PaymentStatus.OPEN)


def test_late_cancellation_earns_the_late_amount_and_early_earns_nothing(partner, offer):
    late = chat(partner, offer, at(6, 20))
    services.cancel(late, now=at(6, 20) - timedelta(hours=23), actor_label="booker")
    early = chat(partner, offer, at(6, 21))
    services.cancel(early, now=at(6, 21) - timedelta(hours=25), actor_label="booker")
    assert lines() == [("late_cancel", Decimal("10.00"), date(2026, 6, 20), date(2026, 6, 1))]


def test_a_staff_cancellation_inside_the_window_counts_as_late(partner, offer, django_user_model):
    booking = chat(partner, offer, at(6, 20))
    staff = django_user_model.objects.create_user("cora")
    staff_services.cancel(booking, reason="", now=at(6, 20) - timedelta(hours=2), actor=staff)
    assert [line[0] for line in lines()] == ["late_cancel"]
    assert PaymentLine.objects.get().created_by == staff


def test_a_request_nobody_accepted_earns_nothing_when_cancelled_late(partner, offer):
    pending = chat(partner, offer, at(6, 20), status=BookingStatus.PENDING)
    services.cancel(pending, now=at(6, 20) - timedelta(hours=1))
    assert lines() == []


def test_a_no_show_earns_the_late_amount(partner, offer):
    booking = chat(partner, offer, at(6, 12))
    services.mark_no_show(booking, now=at(6, 12, 11))
    assert lines() == [("no_show", Decimal("10.00"), date(2026, 6, 12), date(2026, 6, 1))]


def test_a_mid_month_rate_change_applies_from_its_day_and_never_rewrites_history(partner, offer):
    before = chat(partner, offer, at(6, 10))
    services.mark_completed(before, now=at(6, 10, 12))
    PaymentRule.objects.create(
        offer=offer,
        effective_from=date(2026, 6, 15),
        amount=Decimal("30.00"),
        late_cancel_amount=Decimal("12.50"),
    )
    on_the_day = chat(partner, offer, at(6, 15, 9))
    services.mark_completed(on_the_day, now=at(6, 15, 12))
    after_late = chat(partner, offer, at(6, 25))
    services.cancel(after_late, now=at(6, 25, 8))
    # A chat held before the change but marked later is paid by the rule of its own day.
    held_before = chat(partner, offer, at(6, 14))
    services.mark_completed(held_before, now=at(6, 16))
    assert [(k, a, d) for k, a, d, _ in lines()] == [
        ("completed", Decimal("25.00"), date(2026, 6, 10)),
        ("completed", Decimal("25.00"), date(2026, 6, 14)),
        ("completed", Decimal("30.00"), date(2026, 6, 15)),
        ("late_cancel", Decimal("12.50"), date(2026, 6, 25)),
    ]


def test_the_rule_day_is_the_uk_day(partner, offer):
    PaymentRule.objects.create(offer=offer, effective_from=date(2026, 7, 1), amount=Decimal("40.00"))
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (BST).
    booking = chat(partner, offer, datetime(2026, 6, 30, 23, 30, tzinfo=UTC))
    services.mark_completed(booking, now=at(7, 1, 12))
    assert lines() == [("completed", Decimal("40.00"), date(2026, 7, 1), date(2026, 7, 1))]


def test_a_per_hour_rule_pays_for_the_chats_length(partner):
    offer = OfferFactory(duration_minutes=90)
    PaymentRule.objects.create(
        offer=offer, effective_from=date(2026, 1, 1), basis=PaymentBasis.PER_HOUR, amount=Decimal("20.00")
    )
    booking = chat(partner, offer, at(6, 3))
    services.mark_completed(booking, now=at(6, 3, 12))
    assert PaymentLine.objects.get().amount == Decimal("30.00")


def test_a_partner_who_declines_payment_gets_a_zero_line_with_the_reason(offer):
    partner = PartnerFactory(declines_payment=True, payment_declined_reason="I volunteer through my employer")
    booking = chat(partner, offer, at(6, 3))
    services.mark_completed(booking, now=at(6, 3, 12))
    line = PaymentLine.objects.get()
    assert (line.amount, line.reason) == (Decimal("0.00"), "I volunteer through my employer")


def test_an_offer_without_a_rule_earns_no_line(partner):
    booking = chat(partner, OfferFactory(), at(6, 3))
    services.mark_completed(booking, now=at(6, 3, 12))
    assert lines() == []


def test_an_approved_month_is_locked_and_corrections_go_to_the_next_open_month(
    partner, offer, django_user_model
):
    staff = django_user_model.objects.create_user("cora")
    june = chat(partner, offer, at(6, 10))
    services.mark_completed(june, now=at(6, 10, 12))
    with pytest.raises(InvalidTransition, match="has not ended yet"):
        payments.approve_month(date(2026, 6, 1), now=at(6, 30, 12), actor=staff)
    payments.approve_month(date(2026, 6, 1), now=at(7, 2), actor=staff)
    line = PaymentLine.objects.get()
    assert line.status == PaymentStatus.APPROVED
    with pytest.raises(InvalidTransition, match="already been approved"):
        payments.approve_month(date(2026, 6, 1), now=at(7, 3), actor=staff)

    # Lines are never edited, and the rule that paid them cannot change.
    line.amount = Decimal("99.00")
    with pytest.raises(ValidationError):
        line.save()
    rule = PaymentRule.objects.get()
    rule.amount = Decimal("26.00")
    with pytest.raises(ValidationError, match="add a new rule"):
        rule.full_clean()

    # A June chat marked completed after June was approved is paid in July.
    late_mark = chat(partner, offer, at(6, 29))
    services.mark_completed(late_mark, now=at(7, 4))
    # A reversal of an approved line goes to the next open month; June's total stays.
    reversal = payments.reverse_line(line, reason="Marked completed by mistake", now=at(7, 5), actor=staff)
    assert (reversal.amount, reversal.month, reversal.kind) == (
        Decimal("-25.00"),
        date(2026, 7, 1),
        "reversal",
    )
    with pytest.raises(InvalidTransition, match="already been reversed"):
        payments.reverse_line(line, reason="Again", now=at(7, 5), actor=staff)
    with pytest.raises(InvalidTransition, match="itself a reversal"):
        payments.reverse_line(reversal, reason="Undo", now=at(7, 5), actor=staff)
    with pytest.raises(InvalidTransition, match="say why"):
        payments.reverse_line(
            PaymentLine.objects.get(booking=late_mark), reason=" ", now=at(7, 5), actor=staff
        )
    totals = {m: t for m, t, _, _ in payments.monthly_totals(PaymentLine.objects.all())}
    assert totals == {date(2026, 6, 1): Decimal("25.00"), date(2026, 7, 1): Decimal("0.00")}
    assert PaymentLine.objects.get(pk=line.pk).amount == Decimal("25.00")


def test_a_reversal_in_an_open_month_stays_in_that_month(partner, offer, django_user_model):
    booking = chat(partner, offer, at(6, 10))
    services.mark_completed(booking, now=at(6, 10, 12))
    reversal = payments.reverse_line(
        PaymentLine.objects.get(), reason="Wrong chat", now=at(6, 11), actor=None
    )
    assert reversal.month == date(2026, 6, 1)


def test_a_failed_status_change_leaves_no_line(partner, offer):
    booking = chat(partner, offer, at(6, 10))
    with pytest.raises(InvalidTransition):
        services.mark_completed(booking, now=at(6, 9))  # not started yet
    assert lines() == []


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_user("coordinator", password="pw")  # noqa: S106
    user.groups.add(Group.objects.get(name="Staff"))
    return sign_in_verified(client, user)


def test_staff_approve_a_month_and_export_it_for_finance(staff_client, partner, offer, monkeypatch):
    booking = chat(partner, offer, datetime(2020, 6, 10, 10, tzinfo=UTC))
    PaymentRule.objects.create(offer=offer, effective_from=date(2020, 1, 1), amount=Decimal("18.50"))
    services.mark_completed(booking, now=datetime(2020, 6, 10, 12, tzinfo=UTC))
    page = staff_client.get(reverse("staff_ops:payments"))
    assert page.status_code == 200
    assert "June 2020" in page.content.decode() and "£18.50" in page.content.decode()
    response = staff_client.post(reverse("staff_ops:payments_approve", args=["2020-06"]))
    assert response.status_code == 302
    assert PaymentLine.objects.get().status == PaymentStatus.APPROVED
    again = staff_client.post(reverse("staff_ops:payments_approve", args=["2020-06"]), follow=True)
    assert "already been approved" in again.content.decode()

    index = reverse("paymentline:index")
    exported = staff_client.get(f"{index}?month=2020-06-01&export=csv")
    assert exported.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(exported.streaming_content).decode("utf-8-sig"))))
    assert rows == [
        {
            "Partner": partner.display_name,
            "Date of chat (UK)": "2020-06-10",
            "Offer": offer.title,
            "What for": "Chat completed",
            "Amount (£)": "18.50",
            "Status": "Approved",
            "Paid in month": "2020-06-01",
            "Reason": "",
        }
    ]
    xlsx = staff_client.get(f"{index}?month=2020-06-01&export=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][:5] == ["Partner", "Date of chat (UK)", "Offer", "What for", "Amount (£)"]
    assert values[1][4] in (18.5, "18.50", Decimal("18.50"))


def test_staff_reverse_a_line_with_a_reason(staff_client, partner, offer):
    booking = chat(partner, offer, at(6, 10))
    services.mark_completed(booking, now=at(6, 10, 12))
    line = PaymentLine.objects.get()
    url = reverse("staff_ops:payments_reverse", args=[line.pk])
    assert staff_client.get(url).status_code == 200
    assert staff_client.post(url, {"reason": ""}).status_code == 400
    assert staff_client.post(url, {"reason": "Booked twice"}).status_code == 302
    assert PaymentLine.objects.get(reverses=line).amount == Decimal("-25.00")
    refused = staff_client.post(url, {"reason": "Again"})
    assert refused.status_code == 400 and "already been reversed" in refused.content.decode()


def test_partners_see_their_own_lines_and_monthly_totals(client, offer, django_user_model):
    mine = PartnerFactory(user=django_user_model.objects.create_user("pat"))
    theirs = PartnerFactory()
    for partner, day in ((mine, 3), (mine, 4), (theirs, 5)):
        services.mark_completed(chat(partner, offer, at(6, day)), now=at(6, day, 12))
    services.mark_no_show(chat(mine, offer, at(7, 1)), now=at(7, 1, 12))
    client.force_login(mine.user)
    html = client.get(reverse("workspace:payments")).content.decode()
    assert "June 2026" in html and "£50.00" in html and "July 2026" in html and "£10.00" in html
    assert html.count("Chat completed") == 2 and "Booker did not attend" in html
