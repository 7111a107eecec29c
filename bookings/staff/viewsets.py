"""Wagtail admin for bookings (bakerydemo's breads/wagtail_hooks.py is the model).

Bookings themselves are read-only here: every status change must go through bookings.services
so that it is re-checked, recorded in the history and announced to the people involved.
"""

from django import forms
from django.db import transaction
from django.urls import path
from django.utils import timezone
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import Column, StatusTagColumn
from wagtail.admin.views.generic.models import CreateView, DeleteView, EditView, IndexView
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup

from bookings import staff_services
from bookings.models import AvailabilityRule, Booking, Offer, Partner, TimeOff
from bookings.staff.booking_page import BookingActionView, BookingPageView
from bookings.staff.listing import BookingIndexView
from bookings.staff.on_behalf import OnBehalfView
from bookings.staff.partner_page import PartnerEditView, PartnerForm, PartnerLinksPanel
from bookings.staff.payments import PaymentLineViewSet, PaymentRuleViewSet
from bookings.staff.waitlist import WaitlistViewSet
from bookings.staff.widgets import WagtailRecurrenceWidget


class JoiningDetailsEditView(EditView):
    """Saving an offer whose joining details changed sends updated invites for the upcoming chats
    that use them, in the same transaction as the save (docs/bookings.md). Partners have their
    own edit view, which does the same (bookings/staff/partner_page.py)."""

    def save_instance(self):
        before = type(self.object).objects.get(pk=self.object.pk)
        instance = super().save_instance()
        staff_services.admin_saved(before, instance, now=timezone.now(), actor=self.request.user)
        return instance


class OpensTimesCreateView(CreateView):
    """A new free time saved by staff tells the people waiting (docs/bookings.md#waiting-list)."""

    def save_instance(self):
        instance = super().save_instance()
        staff_services.partners_times_changed([instance.partner], now=timezone.now())
        return instance


class OpensTimesEditView(EditView):
    """A changed free time or time off may open times, for the partner it was or now is for."""

    def save_instance(self):
        before = type(self.object).objects.select_related("partner").get(pk=self.object.pk).partner
        instance = super().save_instance()
        staff_services.partners_times_changed([before, instance.partner], now=timezone.now())
        return instance


class OpensTimesDeleteView(DeleteView):
    """Removing time off opens its times: the deletion and the emails share one transaction."""

    def delete_action(self):
        partner = self.object.partner
        with transaction.atomic():
            super().delete_action()
            staff_services.partners_times_changed([partner], now=timezone.now())


def calendar_account(partner: Partner) -> str:
    """The partner's CalDAV account state in words (docs/caldav.md, "Staff"), never its details."""
    connection = getattr(partner, "caldav", None)
    if connection is None:
        return "None"
    return connection.get_state_display()


class PartnerIndexView(IndexView):
    # The CalDAV account comes with each row (one query for the page); its password is not loaded.
    queryset = Partner.objects.select_related("caldav").defer("caldav__password_encrypted")


class PartnerViewSet(ModelViewSet):
    model = Partner
    edit_view_class = PartnerEditView
    icon = "user"
    menu_label = "Partners"
    index_view_class = PartnerIndexView
    # Words, not Wagtail's default "True"/"False" for a boolean field (docs/staff-operations.md).
    list_display = [
        "display_name",
        StatusTagColumn(
            "active",
            label="Status",
            accessor=lambda partner: "Active" if partner.active else "Deactivated",
            primary=lambda partner: partner.active,
            sort_key="active",
        ),
        StatusTagColumn(
            "accepting_bookings",
            label="New bookings",
            accessor=lambda partner: "Accepting bookings" if partner.accepting_bookings else "Paused",
            primary=lambda partner: partner.accepting_bookings,
            sort_key="accepting_bookings",
        ),
        "time_zone",
        Column("calendar_account", label="Calendar account", accessor=calendar_account),
    ]
    list_filter = ["active", "accepting_bookings"]
    # The "User" choice offers only accounts that can be a partner's (partner_page.PartnerForm).
    edit_handler = ObjectList(
        [
            PartnerLinksPanel(heading="About this partner"),
            FieldPanel("display_name"),
            FieldPanel("bio"),
            FieldPanel("photo"),
            FieldPanel("email"),
            FieldPanel("user"),
            FieldPanel("time_zone"),
            FieldPanel("meeting_link"),
            FieldRowPanel([FieldPanel("active"), FieldPanel("accepting_bookings")]),
            MultiFieldPanel(
                [
                    FieldPanel("max_chats_per_day"),
                    FieldPanel("max_chats_per_week"),
                    FieldPanel("rest_minutes"),
                ],
                heading="Wellbeing limits",
            ),
            MultiFieldPanel(
                [FieldPanel("nation"), FieldPanel("works_bank_holidays")],
                heading="Bank holidays",
            ),
            MultiFieldPanel(
                [FieldPanel("declines_payment"), FieldPanel("payment_declined_reason")],
                heading="Involvement payments",
            ),
        ],
        base_form_class=PartnerForm,
    )


class OfferViewSet(ModelViewSet):
    model = Offer
    edit_view_class = JoiningDetailsEditView
    icon = "tasks"
    menu_label = "Offers"
    list_display = ["title", "duration_minutes", "requires_acceptance", "active"]
    list_filter = ["active"]
    panels = [
        FieldPanel("title"),
        FieldPanel("description"),
        FieldRowPanel(
            [
                FieldPanel("duration_minutes"),
                FieldPanel("buffer_before_minutes"),
                FieldPanel("buffer_after_minutes"),
            ]
        ),
        MultiFieldPanel(
            [FieldPanel("offers_video"), FieldPanel("offers_phone"), FieldPanel("offers_in_person")],
            heading="Formats",
        ),
        FieldPanel("requires_acceptance"),
        FieldPanel("video_link_on_accept"),
        MultiFieldPanel([FieldPanel("venue_address"), FieldPanel("venue_access_notes")], heading="In person"),
        FieldPanel("active"),
        FieldPanel("partners", widget=forms.CheckboxSelectMultiple),
    ]


class AvailabilityRuleViewSet(ModelViewSet):
    model = AvailabilityRule
    add_view_class = OpensTimesCreateView
    edit_view_class = OpensTimesEditView
    icon = "time"
    menu_label = "Availability"
    list_display = ["__str__", "partner", "starts_on"]
    list_filter = ["partner"]
    # Wagtail's edit views render form media, so django-recurrence's JS/CSS load with the form;
    # the widget subclass makes it share Wagtail's jQuery (see bookings/staff/widgets.py).
    panels = [
        FieldPanel("partner"),
        FieldPanel(
            "recurrence",
            widget=WagtailRecurrenceWidget,
            help_text="Which days, for example weekly on Mondays; add dates to skip.",
        ),
        FieldRowPanel([FieldPanel("start_time"), FieldPanel("end_time")]),
        FieldPanel("starts_on"),
    ]


class TimeOffViewSet(ModelViewSet):
    model = TimeOff
    edit_view_class = OpensTimesEditView
    delete_view_class = OpensTimesDeleteView
    icon = "date"
    menu_label = "Time off"
    list_display = ["partner", "start", "end"]
    list_filter = ["partner"]
    panels = [
        FieldPanel("partner"),
        FieldRowPanel([FieldPanel("start"), FieldPanel("end")]),
        FieldPanel("reason"),
    ]


class BookingViewSet(ModelViewSet):
    """Bookings: the listing (bookings/staff/listing.py), each booking's page and actions
    (booking_page.py) and booking on someone's behalf (on_behalf.py). Wagtail's own add, edit,
    delete, copy and history views are replaced: every change goes through bookings.staff_services."""

    model = Booking
    icon = "calendar-check"
    menu_label = "Bookings"
    index_view_class = BookingIndexView
    inspect_view_enabled = True
    copy_view_enabled = False
    form_fields = ["status"]  # required by ModelViewSet; its edit form is never served

    def get_urlpatterns(self):
        page = BookingPageView.as_view()
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("new/", OnBehalfView.as_view(), name="add"),
            path("<int:pk>/", page, name="inspect"),
            # The listing links a row to "edit" for people who may change bookings: the same page.
            path("<int:pk>/edit/", page, name="edit"),
            path("<int:pk>/do/<slug:action>/", BookingActionView.as_view(), name="act"),
        ]


class BookingsGroup(ModelViewSetGroup):
    menu_label = "Bookings"
    menu_icon = "calendar"
    menu_order = 250
    items = (
        BookingViewSet,
        PartnerViewSet,
        OfferViewSet,
        AvailabilityRuleViewSet,
        TimeOffViewSet,
        WaitlistViewSet,
        PaymentRuleViewSet,
        PaymentLineViewSet,
    )
