"""With a task backend outside the database (RQ in production, docs/operations.md "RQ"), a task
queued inside a booking's transaction could run before the commit, or after a rollback. So no task
may be queued while a state change is still open: ours wait for the commit
(`bookings.task_queue.enqueue_on_commit`), and Wagtail's reference index, which queues straight
from `post_save`, skips the outbox and booking records it would only re-index on every write."""

from datetime import datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.urls import resolve
from django.utils import timezone
from django_tasks import default_task_backend
from wagtail.models import ReferenceIndex

from bookings import services
from bookings.services import BookerDetails
from tests.support.outbox import with_email

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def dummy_backend(settings):
    resolve("/admin/")  # loading the admin's URLs registers the viewsets' models with Wagtail
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    default_task_backend.clear()
    yield default_task_backend
    default_task_backend.clear()


def queued(backend):
    """Task names; Wagtail's reference-index task also names the model it would index."""
    names = (r.task.name + (str(r.args[:2]) if "reference" in r.task.name else "") for r in backend.results)
    return sorted(names)


def test_placing_and_cancelling_a_booking_queues_nothing_before_the_commit(
    dummy_backend, offer, partner, policy, django_user_model, django_capture_on_commit_callbacks
):
    with_email(partner, django_user_model)
    now = timezone.now()  # the edge: this test stands in for the booking view
    start = datetime.combine(
        (now.astimezone(LONDON) + timedelta(days=10)).date(), clock_time(10), tzinfo=LONDON
    )
    dummy_backend.clear()  # the fixtures' own saves
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        booking = services.place_booking(
            offer=offer,
            start=start,
            partner=partner,
            now=now,
            policy=policy,
            booker=BookerDetails(name="Sam Example", email="sam@example.org"),
        )
        assert queued(dummy_backend) == []  # nothing may run before the booking exists
    assert callbacks  # the emails' tasks were handed to the commit
    after_commit = queued(dummy_backend)
    assert after_commit and all(name.startswith("deliver") for name in after_commit), after_commit

    dummy_backend.clear()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        services.cancel(booking, now=now)
        assert queued(dummy_backend) == []
    assert "update_reference_index_task" not in queued(dummy_backend)


def test_no_bookings_model_but_the_booking_page_is_in_wagtail_s_reference_index():
    """A model added to the app must opt out too, or its saves queue tasks inside transactions."""
    resolve("/admin/")
    tracked = {m._meta.label for m in ReferenceIndex.tracked_models if m._meta.app_label == "bookings"}
    assert tracked == {"bookings.BookingPage"}
