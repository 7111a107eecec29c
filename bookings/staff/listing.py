"""The staff bookings listing: search, filters, ordering and Wagtail's own CSV/XLSX export.

Every listing and every export is logged as an AccessRecord (who, when, which filter, how many
rows: docs/staff.md). The query count does not grow with the number of bookings
(tests/bookings/test_staff_listing.py pins it).
"""

import re
import uuid
import zoneinfo
from datetime import datetime, time, timedelta

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.functional import cached_property
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.admin.views.generic import IndexView

from bookings.access_log import record_access
from bookings.models import (
    AccessAction,
    Booking,
    BookingStatus,
    EmailNotification,
    Format,
    NotificationStatus,
    Offer,
    Partner,
)
from bookings.zones import DEFAULT_TIME_ZONE

UK = zoneinfo.ZoneInfo(DEFAULT_TIME_ZONE)
REFERENCE = re.compile(r"^[0-9a-fA-F]{8}$")
# What an export holds. Project notes and access needs stay out: they may be special-category
# data and a spreadsheet travels (docs/staff.md); coordinators read them on the booking's page.
EXPORT_FIELDS = [
    "reference",
    "start_uk",
    "end_uk",
    "status_label",
    "offer.title",
    "partner.display_name",
    "format_label",
    "booker_name",
    "booker_email",
    "organisation",
    "role",
    "needs_attention",
]
EXPORT_HEADINGS = {
    "reference": "Reference",
    "start_uk": "Starts (UK time)",
    "end_uk": "Ends (UK time)",
    "status_label": "Status",
    "offer.title": "Offer",
    "partner.display_name": "Partner",
    "format_label": "Format",
    "booker_name": "Booker",
    "booker_email": "Booker email",
    "organisation": "Organisation",
    "role": "Role",
    "needs_attention": "Needs attention",
}


def reference(booking: Booking) -> str:
    """What bookers are shown as their reference: the public id's first eight characters."""
    return str(booking.public_id)[:8].upper()


def reference_range(text: str) -> tuple[uuid.UUID, uuid.UUID]:
    prefix = text.lower()
    return uuid.UUID(prefix + "0" * 24), uuid.UUID(prefix + "f" * 24)


def with_attention(queryset, now):
    """Annotate `needs_attention`: a request still waiting, an email that failed, or a chat that
    has ended with no attendance recorded."""
    failed = EmailNotification.objects.filter(booking=OuterRef("pk"), status=NotificationStatus.FAILED)
    return queryset.annotate(
        email_failed=Exists(failed),
    ).annotate(
        attention=Q(status=BookingStatus.PENDING)
        | Q(email_failed=True)
        | Q(status=BookingStatus.CONFIRMED, end__lt=now)
    )


class BookingFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(choices=BookingStatus.choices, empty_label="Any status")
    partner = django_filters.ModelChoiceFilter(queryset=Partner.objects.order_by("display_name"))
    offer = django_filters.ModelChoiceFilter(queryset=Offer.objects.order_by("title"))
    format = django_filters.ChoiceFilter(choices=Format.choices, empty_label="Any format")
    start = django_filters.DateFromToRangeFilter(
        label="Date of chat", widget=DateRangePickerWidget, method="filter_start"
    )
    needs_attention = django_filters.BooleanFilter(
        label="Needs attention",
        method="filter_attention",
        widget=django_filters.widgets.BooleanWidget,
    )

    class Meta:
        model = Booking
        fields = ["status", "partner", "offer", "format", "start", "needs_attention"]

    def filter_start(self, queryset, name, value):
        # Whole UK days, both ends included.
        zone = UK
        if value.start:
            queryset = queryset.filter(start__gte=_day_start(value.start, zone))
        if value.stop:
            queryset = queryset.filter(start__lt=_day_start(value.stop, zone) + timedelta(days=1))
        return queryset

    def filter_attention(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(attention=value)


def _day_start(day, zone):
    return datetime.combine(day, time(0), zone)


class BookingIndexView(IndexView):
    filterset_class = BookingFilterSet
    search_fields = ["booker_name", "booker_email", "organisation"]
    search_backend_name = None  # plain database look-ups (Booking is not in the search index)
    list_export = EXPORT_FIELDS
    export_headings = EXPORT_HEADINGS
    export_filename = "bookings"
    default_ordering = "-start"

    def setup(self, request, *args, **kwargs):
        self.now = timezone.now()  # the edge reads the clock once (docs/conventions.md 3)
        super().setup(request, *args, **kwargs)

    @cached_property
    def columns(self):
        return [
            TitleColumn(
                "booker_name",
                label="Booker",
                sort_key="booker_name",
                get_url=lambda booking: self.get_inspect_url(booking),
            ),
            Column("reference", label="Reference", accessor=reference),
            Column("organisation", label="Organisation", sort_key="organisation"),
            DateColumn("start", label="Chat", sort_key="start"),
            Column("partner", label="Partner", sort_key="partner__display_name"),
            Column("offer", label="Offer", accessor="offer.title", sort_key="offer__title"),
            Column("status", label="Status", accessor="get_status_display", sort_key="status"),
            Column("attention", label="Needs attention", accessor=_attention_word, sort_key="attention"),
        ]

    def get_base_queryset(self):
        queryset = Booking.objects.select_related("partner", "offer")
        return with_attention(queryset, self.now)

    def search_queryset(self, queryset):
        if not self.is_searching:
            return queryset
        text = self.search_query.strip()
        query = Q()
        # Every word somewhere, in any order: "Smith Carol" finds Carol Smith (docs/staff.md).
        for word in text.split():
            query &= (
                Q(booker_name__icontains=word)
                | Q(booker_email__icontains=word)
                | Q(organisation__icontains=word)
            )
        if REFERENCE.match(text):
            low, high = reference_range(text)
            query |= Q(public_id__gte=low, public_id__lte=high)
        return queryset.filter(query)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = context.get("page_obj")
        rows = page.paginator.count if page is not None else len(context.get("object_list", []))
        record_access(
            self.request.user, AccessAction.LISTED, now=self.now, query=self._query_text(), rows=rows,
            shown="booker name, organisation, chat, partner, status",
        )  # fmt: skip
        return context

    def as_spreadsheet(self, queryset, spreadsheet_format):
        rows = [_exportable(booking) for booking in queryset]
        record_access(
            self.request.user,
            AccessAction.EXPORTED,
            now=self.now,
            query=self._query_text(),
            rows=len(rows),
            shown=f"{spreadsheet_format}: " + ", ".join(EXPORT_HEADINGS.values()),
        )
        return super().as_spreadsheet(_Rows(rows), spreadsheet_format)

    def _query_text(self) -> str:
        params = self.request.GET.copy()
        for key in ("export", "p"):
            params.pop(key, None)
        return params.urlencode()


class _Rows(list):
    """A list that still tells Wagtail's export which model its headings come from."""

    model = Booking


def _attention_word(booking) -> str:
    return "Yes" if booking.attention else ""


def _exportable(booking: Booking) -> Booking:
    zone = UK
    booking.reference = reference(booking)
    booking.start_uk = booking.start.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    booking.end_uk = booking.end.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    booking.status_label = booking.get_status_display()
    booking.format_label = booking.get_format_display()
    booking.needs_attention = "yes" if booking.attention else "no"
    return booking
