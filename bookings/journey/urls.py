"""Public booking URLs outside the page tree: the booker's manage link (the journey itself is
served by BookingPage, wherever editors put it)."""

from django.urls import path

from bookings.journey import manage_views as views

app_name = "bookings"

urlpatterns = [
    path("manage/<str:token>/", views.manage, name="manage"),
    path("manage/<str:token>/cancel/", views.cancel, name="cancel"),
    path("manage/<str:token>/rebook/", views.rebook, name="rebook"),
]
