"""A shorthand for tests and benchmarks: the free times of an offer, with the site's policy
unless one is given. The core's one way of asking is bookings.slots.free_slots."""

from datetime import timedelta

from django.utils import timezone

from bookings import slots
from bookings.slots import free_slots, policy_for_site


def available_slots(offer, range_start, range_end, now, *, policy=None, partner=None):
    return free_slots(offer, partner, range_start, range_end, now, policy or policy_for_site())


def first_free(offer):
    """The offer's first free time in the next fortnight, from the real clock (browser tests)."""
    now = timezone.now()
    return available_slots(offer, now, now + timedelta(days=14), now)[0].start


def counted_calls(monkeypatch, name: str) -> list:
    """Each call of `bookings.slots.<name>` from now on (its positional and keyword arguments),
    still made."""
    calls = []
    real = getattr(slots, name)

    def counting(*args, **kwargs):
        calls.append((args, kwargs))
        return real(*args, **kwargs)

    monkeypatch.setattr(slots, name, counting)
    return calls
