"""The partner workspace, mounted at /partners/ (config/urls.py). Every view here is wrapped in
``partner_required``; tests/bookings/test_authorisation.py walks this list, so a new URL that
names an object must get a filler there or that test fails."""

from django.urls import path

from bookings.workspace import availability, caldav, calendar, hand_back, impact
from bookings.workspace import chats as views

app_name = "workspace"

urlpatterns = [
    path("", views.home, name="home"),
    path("chats/<uuid:public_id>/", views.booking_detail, name="booking"),
    path("chats/<uuid:public_id>/accept/", views.booking_action, {"action": "accept"}, name="accept"),
    path("chats/<uuid:public_id>/decline/", views.booking_action, {"action": "decline"}, name="decline"),
    path("chats/<uuid:public_id>/completed/", views.booking_action, {"action": "complete"}, name="complete"),
    path("chats/<uuid:public_id>/missed/", views.booking_action, {"action": "no_show"}, name="no_show"),
    path("chats/<uuid:public_id>/hand-back/", hand_back.hand_back, name="hand_back"),
    path("chats/<uuid:public_id>/reflection/", impact.reflection, name="reflection"),
    path("payments/", impact.payment_lines, name="payments"),
    path("pause/", views.pause_or_resume, name="pause"),
    path("limits/", views.limits, name="limits"),
    path("joining/", views.joining, name="joining"),
    path("availability/", availability.availability, name="availability"),
    path("availability/bank-holidays/", availability.bank_holidays_save, name="bank_holidays"),
    path("availability/<int:rule_id>/change/", availability.range_change, name="range_change"),
    path("availability/<int:rule_id>/remove/", availability.range_remove, name="range_remove"),
    path("time-off/", availability.time_off, name="time_off"),
    path("time-off/<int:time_off_id>/remove/", availability.time_off_remove, name="time_off_remove"),
    path("calendar/", calendar.calendar, name="calendar"),
    path("calendar/link/", calendar.feed_create, name="feed_create"),
    path("calendar/link/off/", calendar.feed_disable, name="feed_disable"),
    path("calendar/link/details/", calendar.feed_joining_details, name="feed_joining_details"),
    path("calendar/own/", calendar.own_calendar_save, name="own_calendar"),
    path("calendar/own/check/", calendar.own_calendar_check, name="own_calendar_check"),
    path("calendar/own/remove/", calendar.own_calendar_remove, name="own_calendar_remove"),
    path("calendar/caldav/", caldav.caldav_connect, name="caldav_connect"),
    path("calendar/caldav/choose/", caldav.caldav_choose, name="caldav_choose"),
    path("calendar/caldav/off/", caldav.caldav_disconnect, name="caldav_disconnect"),
]
