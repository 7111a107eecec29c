"""People for the workspace tests: a partner who signs in, another partner, an editor."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from bookings.models import BookingStatus
from tests.bookings.factories import (
    AvailabilityRuleFactory,
    BookingFactory,
    PartnerFactory,
    TimeOffFactory,
    weekly,
)


def partner_with_login(username: str, display_name: str):
    user = get_user_model().objects.create_user(username, f"{username}@example.org", "pw-not-used")
    return PartnerFactory(display_name=display_name, user=user)


def editor():
    """A Wagtail editor: staff with admin access, but no partner."""
    return get_user_model().objects.create_user("editor", "editor@example.org", "pw", is_staff=True)


def owner_world():
    """The owner's data every matrix request must not reveal, with a chat in each state."""
    owner = partner_with_login("owner", "Ophelia Ownerpartner")
    now = timezone.now()
    common = {
        "partner": owner,
        "booker_name": "Bartholomew Bookerperson",
        "organisation": "Northfield Secret Trust",
        "project_description": "Redesigning the zebrafish ward discharge leaflet",
    }
    pending = BookingFactory(
        status=BookingStatus.PENDING,
        start=now + timedelta(days=3),
        booker_email="bart@bookers.example",
        **common,
    )
    past = BookingFactory(
        status=BookingStatus.CONFIRMED,
        start=now - timedelta(days=2),
        booker_email="bart2@bookers.example",
        offer=pending.offer,
        **common,
    )
    rule = AvailabilityRuleFactory(partner=owner, recurrence=weekly(0))
    time_off = TimeOffFactory(partner=owner, start=now + timedelta(days=20), end=now + timedelta(days=21))
    return {"owner": owner, "pending": pending, "past": past, "rule": rule, "time_off": time_off}


SECRETS = (
    "Ophelia Ownerpartner",
    "Bartholomew Bookerperson",
    "bart@bookers.example",
    "Northfield Secret Trust",
    "zebrafish",
)
