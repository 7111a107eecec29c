"""Data for bench/booking_http.py and bench/soak.py: runs inside the app's settings (the caller's
DJANGO_SETTINGS_MODULE, else config.settings.bench; DATABASE_URL from the caller).

Without arguments: adds 20 bench partners with no caps, free 09:00-17:00 on weekdays, each with
an account whose email address (on the reserved example.org domain) receives their booking emails.
With --plan: prints the booking page URL, the offer id, a ladder rung id, then one
"partner_id start_iso" line per distinct slot (one per partner per day, so none overlap).
"""

import os
import sys
from datetime import time as dtime
from datetime import timedelta

from common import setup_django

setup_django(os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.bench"))

import recurrence  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.utils import timezone  # noqa: E402

from bookings.journey.pages import BookingPage  # noqa: E402
from bookings.models import AvailabilityRule, Offer, Partner  # noqa: E402
from home.models import LadderRung  # noqa: E402
from tests.support.slots import available_slots  # noqa: E402

WEEKDAYS = [recurrence.MO, recurrence.TU, recurrence.WE, recurrence.TH, recurrence.FR]


def offer():
    return Offer.objects.filter(requires_acceptance=False, active=True).order_by("pk").first()


def add_partners():
    o = offer()
    for i in range(20):
        user, _ = get_user_model().objects.get_or_create(
            username=f"bench-partner-{i:02d}", defaults={"email": f"bench-partner-{i:02d}@example.org"}
        )
        partner, created = Partner.objects.get_or_create(
            display_name=f"Bench Partner {i:02d}",
            defaults={"user": user, "max_chats_per_day": None, "max_chats_per_week": None, "rest_minutes": 0},
        )
        if created:
            rule = recurrence.Recurrence(rrules=[recurrence.Rule(recurrence.WEEKLY, byday=WEEKDAYS)])
            AvailabilityRule.objects.create(
                partner=partner,
                recurrence=rule,
                start_time=dtime(9),
                end_time=dtime(17),
                starts_on=timezone.localdate() - timedelta(days=7),
            )
        o.partners.add(partner)


def plan():
    o = offer()
    now = timezone.now()
    page = BookingPage.objects.live().first()
    print(page.url, o.pk, LadderRung.objects.first().pk)
    seen = set()
    for slot in available_slots(o, now, now + timedelta(days=90), now):
        for pid in slot.partner_ids:
            day = (pid, slot.start.date())
            if day not in seen:
                seen.add(day)
                print(pid, slot.start.isoformat().replace("+00:00", "Z"))


if __name__ == "__main__":
    plan() if "--plan" in sys.argv else add_partners()
