"""Public booking URLs outside the page tree: the booker's manage and feedback links and the
waiting list's emailed links (the journey itself is
served by BookingPage, wherever editors put it)."""

from django.urls import path

from bookings.journey import feedback_views, waitlist_views
from bookings.journey import manage_views as views

app_name = "bookings"

urlpatterns = [
    path("manage/<str:token>/", views.manage, name="manage"),
    path("manage/<str:token>/cancel/", views.cancel, name="cancel"),
    path("manage/<str:token>/rebook/", views.rebook, name="rebook"),
    path("waiting-list/<str:token>/", waitlist_views.claim, name="waitlist_claim"),
    path("waiting-list/<str:token>/leave/", waitlist_views.leave, name="waitlist_leave"),
    path("feedback/<str:token>/", feedback_views.feedback_form, name="feedback"),
    path("feedback/<str:token>/withdraw/", feedback_views.withdraw, name="feedback_withdraw"),
]
