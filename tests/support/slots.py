"""A shorthand for tests and benchmarks: the free times of an offer, with the site's policy
unless one is given. The core's one way of asking is bookings.slots.free_slots."""

from bookings.slots import free_slots, policy_for_site


def available_slots(offer, range_start, range_end, now, *, policy=None, partner=None):
    return free_slots(offer, partner, range_start, range_end, now, policy or policy_for_site())
