"""Staff: involvement payments (docs/impact.md). The rules per offer and the lines (a read-only
listing with Wagtail's CSV/XLSX export, which uses openpyxl like the bookings export), and the
months screen where staff approve a finished month, which locks its lines, and reverse a line.
Every change is a POST calling one function of bookings/payments.py."""

import zoneinfo
from datetime import date, timedelta
from decimal import Decimal

import django_filters
from django import forms
from django.contrib import messages
from django.db.models import Count, DateField, Sum
from django.db.models.functions import TruncMonth
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.panels import FieldPanel, FieldRowPanel
from wagtail.admin.ui.tables import TitleColumn
from wagtail.admin.viewsets.model import ModelViewSet

from bookings import payments
from bookings.errors import BookingError
from bookings.models import (
    Booking,
    BookingStatus,
    Partner,
    PaymentKind,
    PaymentLine,
    PaymentMonth,
    PaymentRule,
    PaymentStatus,
)
from bookings.staff.guards import staff_permission
from bookings.zones import DEFAULT_TIME_ZONE

UK = zoneinfo.ZoneInfo(DEFAULT_TIME_ZONE)

EXPORT_FIELDS = [
    "partner.display_name",
    "chat_date",
    "offer.title",
    "get_kind_display",
    "amount",
    "get_status_display",
    "month",
    "reason",
]
EXPORT_HEADINGS = {
    "partner.display_name": "Partner",
    "chat_date": "Date of chat (UK)",
    "offer.title": "Offer",
    "get_kind_display": "What for",
    "amount": "Amount (£)",
    "get_status_display": "Status",
    "month": "Paid in month",
    "reason": "Reason",
}


class PaymentRuleViewSet(ModelViewSet):
    model = PaymentRule
    icon = "form"
    menu_label = "Payment rules"
    list_display = [
        "offer",
        "effective_from",
        "basis",
        "amount",
        "late_cancel_amount",
        "late_cancel_window_hours",
    ]
    list_filter = ["offer"]
    copy_view_enabled = False
    panels = [
        FieldPanel("offer"),
        FieldPanel("effective_from"),
        FieldRowPanel([FieldPanel("basis"), FieldPanel("amount")]),
        FieldRowPanel([FieldPanel("late_cancel_amount"), FieldPanel("late_cancel_window_hours")]),
    ]


class PaymentLineFilterSet(WagtailFilterSet):
    month = django_filters.DateFilter(label="Paid in month (its first day, YYYY-MM-01)")
    partner = django_filters.ModelChoiceFilter(queryset=Partner.objects.all())
    status = django_filters.ChoiceFilter(choices=PaymentStatus.choices)
    kind = django_filters.ChoiceFilter(choices=PaymentKind.choices, label="What for")

    class Meta:
        model = PaymentLine
        fields = ["month", "partner", "status", "kind"]


class PaymentLineViewSet(ModelViewSet):
    """Read only (the policy refuses add, change and delete): lines change by reversal only."""

    model = PaymentLine
    icon = "list-ul"
    menu_label = "Payment lines"
    filterset_class = PaymentLineFilterSet
    list_display = [
        "partner",
        "chat_date",
        "offer",
        "kind",
        "amount",
        "status",
        "month",
        TitleColumn(
            "correct",
            label="Correct",
            accessor=lambda line: "" if line.kind == PaymentKind.REVERSAL else "Reverse this payment",
            get_url=lambda line: reverse("staff_ops:payments_reverse", args=[line.pk]),
        ),
    ]
    list_export = EXPORT_FIELDS
    export_headings = EXPORT_HEADINGS
    export_filename = "payment-lines"
    inspect_view_enabled = True
    copy_view_enabled = False
    form_fields = ["reason"]  # required by ModelViewSet; the policy refuses add and edit
    inspect_view_fields = [
        "partner",
        "booking",
        "offer",
        "kind",
        "chat_date",
        "month",
        "amount",
        "status",
        "reason",
        "reverses",
        "created_at",
    ]

    def get_queryset(self, request):
        return PaymentLine.objects.select_related("partner", "offer")


def _month_param(value: str) -> date | None:
    try:
        return date.fromisoformat(f"{value}-01")
    except ValueError:
        return None


def unmarked_by_month(now) -> dict[date, int]:
    """Confirmed chats that have ended with no attendance recorded, by the UK month of the chat.
    Each earns its line only once marked, in the next open month if its own is approved by then
    (docs/impact.md), so staff are told before they approve."""
    rows = (
        Booking.objects.filter(status=BookingStatus.CONFIRMED, end__lt=now)
        .annotate(chat_month=TruncMonth("start", output_field=DateField(), tzinfo=UK))
        .values("chat_month")
        .annotate(count=Count("pk"))
    )
    return {row["chat_month"]: row["count"] for row in rows}


def unmarked_url(month: date) -> str:
    """The bookings listing: that month's confirmed chats (all ended, so all still to mark)."""
    last = (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return f"{reverse('booking:index')}?status=confirmed&start_from={month:%Y-%m-%d}&start_to={last:%Y-%m-%d}"


@staff_permission("bookings.view_paymentline")
def months(request):
    """Each month with lines: total, number of lines, approved or not, its export links, and for an
    open month the chats still to mark (completed or missed) before approving it."""
    unmarked = unmarked_by_month(timezone.now())
    rows = (
        PaymentLine.objects.values("month")
        .annotate(total=Sum("amount"), lines=Count("pk"))
        .order_by("-month")
    )
    approved = {m.month: m for m in PaymentMonth.objects.filter(approved_at__isnull=False)}
    lines_url = reverse("paymentline:index")
    context = {
        "months": [
            {
                "month": row["month"],
                "key": f"{row['month']:%Y-%m}",
                # SQLite sums decimals as floats: back to pounds and pence.
                "total": Decimal(str(row["total"] or 0)).quantize(payments.PENNY),
                "lines": row["lines"],
                "approved": approved.get(row["month"]),
                "lines_url": f"{lines_url}?month={row['month']:%Y-%m-%d}",
                "unmarked": unmarked.get(row["month"], 0),
                "unmarked_url": unmarked_url(row["month"]),
            }
            for row in rows
        ],
        "can_approve": request.user.has_perm("bookings.change_paymentmonth"),
        "header_title": "Involvement payments",
        "page_title": "Involvement payments",
        "header_icon": "list-ul",
    }
    return render(request, "bookings/staff/payments.html", context)


@staff_permission("bookings.change_paymentmonth")
def approve(request, month):
    if request.method != "POST":
        return redirect("staff_ops:payments")
    first = _month_param(month)
    if first is None:
        messages.error(request, "That is not a month we know.")
        return redirect("staff_ops:payments")
    try:
        payments.approve_month(first, now=timezone.now(), actor=request.user)
    except BookingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{first:%B %Y} is approved. Its lines are locked; export it for finance.")
    return redirect("staff_ops:payments")


class ReverseForm(forms.Form):
    reason = forms.CharField(
        label="Why is this payment being reversed?",
        max_length=200,
        error_messages={"required": "Say why this payment is being reversed"},
    )


@staff_permission("bookings.change_paymentmonth")
def reverse_line(request, line_id):
    line = get_object_or_404(PaymentLine.objects.select_related("partner", "offer"), pk=line_id)
    form = ReverseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reversal = payments.reverse_line(
                line, reason=form.cleaned_data["reason"], now=timezone.now(), actor=request.user
            )
        except BookingError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Reversed: £{reversal.amount} in {reversal.month:%B %Y}.")
            return redirect("staff_ops:payments")
    context = {
        "line": line,
        "form": form,
        "header_title": "Reverse a payment",
        "page_title": "Reverse a payment",
        "header_icon": "list-ul",
    }
    return render(request, "bookings/staff/payment_reverse.html", context, status=400 if form.errors else 200)
