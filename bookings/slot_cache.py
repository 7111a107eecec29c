"""The journey's shared cache of loaded slot data, behind a generation token.

docs/bookings.md, "The loader", and docs/performance.md, "The time step". What the loader reads
for an offer, a partner choice and a range (bookings/slots.py, `load_snapshot`) depends on no
clock, so the time step and the manage link's listing keep it in the `default` cache: a
repeated request reads the token and the snapshot in one `get_many` (one Redis MGET, one query
with the database cache) instead of the loader's two queries and row work. `now` is still
applied to it on every request by the engine (notice, horizon, calendar freshness).

The token (home/generations.py, the page cache's pattern) is read before the database, and a
new one is set once a transaction that changed anything a snapshot holds commits: every save
and delete of a booking, partner, offer (and who offers it), availability rule, time off, busy
time, own calendar or booking settings (bookings/signal_handlers.py), and every QuerySet
`update`, `bulk_create` and `bulk_update` on those models (`SlotDataQuerySet`), which send no
signals. A snapshot loaded across a change is stored under the old token and never served.
`SLOT_CACHE_SECONDS` (60 with Redis, off without) is a backstop for a change made outside Django
(raw SQL, another program): it is shown for at most that long. 0 turns the cache off.

Only display reads it. The booking services check a start under the partner's lock against the
database (bookings/services.py, staff_services, reassignment), so a stale listing can offer a
time that has just gone, never book it twice.
"""

from django.conf import settings
from django.core.cache import caches
from django.db import models

from home import generations

GENERATION_KEY = "slot-cache:generation"


def _cache():
    return caches["default"]


def changed(**kwargs) -> None:
    """Something a snapshot holds changed: a new token once the transaction commits. A signal
    receiver, and called by the bulk paths below."""
    generations.renew_on_commit(_cache, GENERATION_KEY)


def lookup(key: str):
    """(token, the snapshot stored under `key` for that token or None); (None, None) when off."""
    if settings.SLOT_CACHE_SECONDS <= 0:
        return None, None
    return generations.read(_cache(), GENERATION_KEY, f"slot-cache:{key}")


def store(key: str, generation, value) -> None:
    """Keep `value`, loaded after `generation` was read, under that token."""
    if generation is not None and settings.SLOT_CACHE_SECONDS > 0:
        _cache().set(f"slot-cache:{key}", (generation, value), settings.SLOT_CACHE_SECONDS)


class SlotDataQuerySet(models.QuerySet):
    """The querysets of the models a snapshot holds: their bulk writes send no signals, so they
    set a new token themselves. `slot_cache_ignores` on a model names fields no snapshot reads
    (a booking's feed text), whose updates need none."""

    def _changes_slots(self, fields) -> bool:
        ignored = getattr(self.model, "slot_cache_ignores", frozenset())
        return not fields or not set(fields) <= ignored

    # After the write, never before: outside a transaction the token is set at once, and a
    # reader between a new token and the write would store the old rows under the new token.
    def update(self, **kwargs):
        rows = super().update(**kwargs)
        if self._changes_slots(kwargs):
            changed()
        return rows

    def bulk_create(self, objs, *args, **kwargs):
        created = super().bulk_create(objs, *args, **kwargs)
        changed()
        return created
