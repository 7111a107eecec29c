"""The scheduler (`manage.py run_scheduler`): what one pass does besides the email sweep
(that part is tested in test_tasks.py)."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from bookings.models import ExternalCalendar

from .factories import PartnerFactory

pytestmark = pytest.mark.django_db


def test_the_scheduler_queues_reads_of_calendars_that_are_due():
    partner = PartnerFactory()
    ExternalCalendar.objects.create(
        partner=partner, url="https://calendar.example/a.ics", saved_at=timezone.now()
    )
    call_command("run_scheduler", "--once", verbosity=0)
    queued = DBTaskResult.objects.filter(task_path="bookings.calendars.sync.sync_partner_calendar")
    assert [row.args_kwargs["args"][0] for row in queued] == [partner.pk]


def test_the_scheduler_deletes_expired_sessions():
    Session.objects.create(
        session_key="old", session_data="x", expire_date=timezone.now() - timedelta(days=1)
    )
    Session.objects.create(
        session_key="new", session_data="x", expire_date=timezone.now() + timedelta(days=1)
    )
    call_command("run_scheduler", "--once", verbosity=0)
    assert list(Session.objects.values_list("session_key", flat=True)) == ["new"]
