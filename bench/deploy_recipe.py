"""docs/deploy.md, followed step by step on loopback, then one chat booked over HTTP.

    .venv/bin/python bench/deploy_recipe.py

PostgreSQL (127.0.0.1:5432, a throwaway database), Redis (127.0.0.1:6379, database 5), moto's
S3 server, an aiosmtpd server, gunicorn, an RQ worker and the scheduler, all on 127.0.0.1 with
free ports, under config.settings.production. Steps: migrate, collectstatic, bootstrap_site
(twice: the second must change nothing), check --deploy; then a partner and an offer are added
as staff would, a chat is booked through the real form, and the confirmation emails must reach
the SMTP server through the RQ worker. Every wait is bounded; everything is stopped at the end.
"""

import os
import sys
import time
from urllib.parse import urlencode

from booking_http import Session, hidden_fields
from stack import Stack

REDIS_URL = os.environ.get("RECIPE_REDIS_URL", "redis://127.0.0.1:6379/5")

STAFF_SETUP = """
from datetime import time, timedelta
import recurrence
from django.contrib.auth import get_user_model
from django.utils import timezone
from bookings.models import AvailabilityRule, Offer, Partner
from home.models import LadderRung
user = get_user_model().objects.create_user("recipe-partner", email="partner@example.org")
partner = Partner.objects.create(display_name="Recipe Partner", user=user, max_chats_per_day=None,
                                 max_chats_per_week=None, rest_minutes=0)
AvailabilityRule.objects.create(partner=partner, start_time=time(9), end_time=time(17),
    starts_on=timezone.localdate() - timedelta(days=1),
    recurrence=recurrence.Recurrence(rrules=[recurrence.Rule(recurrence.DAILY)]))
offer = Offer.objects.create(title="A first chat", duration_minutes=30)
offer.partners.add(partner)
rung = LadderRung.objects.create(name="Co-production", explanation="Sharing power as equals.")
print(offer.pk, rung.pk, partner.pk)
"""

PLAN = """
from datetime import timedelta
from django.utils import timezone
from bookings.journey.pages import BookingPage
from bookings.models import Offer
from tests.support.slots import available_slots
offer = Offer.objects.get()
now = timezone.now()
slot = next(iter(available_slots(offer, now, now + timedelta(days=30), now)))
print(BookingPage.objects.live().get().url, slot.start.isoformat().replace("+00:00", "Z"))
"""

COUNT_SENT = """
from bookings.models import EmailNotification
print(EmailNotification.objects.filter(status="sent").count(), EmailNotification.objects.count())
"""


def main() -> int:
    db_name = os.environ.get("RECIPE_DATABASE", f"deploy_recipe_{os.getpid()}")
    with Stack(db_name, REDIS_URL, {"BOOKING_MIN_FILL_SECONDS": "0"}) as stack:
        return recipe(stack)


def recipe(stack: Stack) -> int:
    manage = stack.manage
    # docs/deploy.md, "First run", steps 2-5.
    manage("migrate", "--noinput", "-v0")
    manage("collectstatic", "--noinput", "-v0")
    manage("bootstrap_site")
    again = manage("bootstrap_site")
    assert "Nothing changed." in again, again
    manage("check", "--deploy")
    # Step 6: the processes.
    stack.start_services(workers=2)
    # Step 7, as staff would in the admin: a partner who can receive email, an offer, a rung.
    offer_id, rung_id, _ = manage("shell", "-c", STAFF_SETUP, capture=True).split()
    page_url, slot = manage("shell", "-c", PLAN, capture=True).split()

    browser = Session(stack.web_port)
    status, _, html = browser.request("GET", "/")
    assert status == 200, status
    status, _, html = browser.request("GET", page_url)
    assert status == 200, status
    query = urlencode({"offer": offer_id, "partner": "any", "start": slot, "tz": "Europe/London"})
    status, _, html = browser.request("GET", f"{page_url}details/?{query}")
    assert status == 200, (status, html[:300])
    form = hidden_fields(html)
    form.update(
        name="Recipe Booker",
        email="booker@example.org",
        organisation="Example NHS Trust",
        role="Nurse",
        project_description="A first chat.",
        ladder_rung=rung_id,
        format="video",
        access_needs="",
        privacy="on",
        website="",
    )
    status, location, html = browser.request("POST", f"{page_url}details/", urlencode(form))
    assert status == 302 and location.endswith("check/"), (status, location, html[:800])
    status, _, html = browser.request("GET", f"{page_url}check/")
    assert status == 200, status
    status, location, _ = browser.request("POST", f"{page_url}check/", urlencode(hidden_fields(html)))
    assert status == 302 and "/done/" in location, (status, location)
    print(f"booked a chat at {slot} over HTTP ({stack.elapsed()})")

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and stack.inbox.count() < 2:
        time.sleep(0.5)
    recipients = sorted(r for rcpts, _ in stack.inbox.messages for r in rcpts)
    assert recipients == ["booker@example.org", "partner@example.org"], recipients
    print("emails received:", recipients, manage("shell", "-c", COUNT_SENT, capture=True).strip())
    print(f"deploy recipe: OK in {stack.elapsed()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
