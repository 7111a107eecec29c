"""A generation token in the shared cache, so a whole family of cached entries can be made
unreachable at once without finding or deleting them (docs/performance.md, "Page cache").

Each entry is stored as (token, value). A reader fetches the current token and the entry in
one `get_many` (one Redis MGET, one query with the database cache) and uses the value only if it
was stored under the current token. A writer sets a new random token once its transaction
commits, so a reader that loaded the old data in between stores it under the old token, which no
one is served. Tokens are uuid4s, never a counter: an evicted counter could come back at a value
an old entry still carries. Used by home/page_cache.py and bookings/slot_cache.py.
"""

import uuid

from django.db import transaction


def fresh(cache, generation_key: str):
    """The current token, making one if there is none (first use, or evicted): never an old one
    reused. None only if the cache keeps nothing (the dummy cache)."""
    cache.add(generation_key, uuid.uuid4().hex, timeout=None)
    return cache.get(generation_key)


def read(cache, generation_key: str, key: str):
    """(current token, the value stored under `key` if it was stored under that token, else None)."""
    tokens, found = read_many(cache, [generation_key], [key])
    generation, stored = tokens[generation_key], found.get(key)
    return generation, stored[1] if stored is not None and stored[0] == generation else None


def read_many(cache, generation_keys, keys):
    """(current token of each generation key, the values found of `keys`) in one `get_many`;
    the caller compares each value's stored token with the one it depends on."""
    found = cache.get_many([*generation_keys, *keys])
    tokens = {k: found.get(k) or fresh(cache, k) for k in generation_keys}
    return tokens, found


class _Batch:
    """Renewals asked for on one connection until one of them has run: the first to run sets the
    new token, the others (the same commit's, already covered) then do nothing."""

    done = False


class _Renewal:
    def __init__(self, get_cache, generation_key: str, batch: _Batch, write):
        self.get_cache, self.generation_key, self.batch, self.write = get_cache, generation_key, batch, write

    def __call__(self):
        if self.batch.done:
            return
        self.batch.done = True
        self.write(self.get_cache(), self.generation_key, uuid.uuid4().hex)


def set_token(cache, generation_key: str, token: str) -> None:
    cache.set(generation_key, token, timeout=None)


def renew_on_commit(get_cache, generation_key: str, write=set_token) -> None:
    """Set a new token once the current transaction commits (at once outside one); nothing if
    it rolls back. `get_cache` is called then, so a test's or a setting's cache is the one used.

    One cache write per commit: a write that touches many rows (a calendar import deleting and
    adding hundreds of busy times) registers one renewal per row, all sharing a batch, and only
    the first to run writes. Each is still its own on_commit callback, so a savepoint rolled back
    drops only its own; whichever survives runs. A failed cache write is logged, not raised: the
    data has committed, and entries expire on their own (their timeouts). `write(cache, key,
    token)` stores the new token (the page cache's also announces it, home/page_cache.py).
    """
    connection = transaction.get_connection()
    batches = connection.__dict__.setdefault("_generation_batches", {})
    batch = batches.get((get_cache, generation_key))
    if batch is None or batch.done:
        batch = batches[(get_cache, generation_key)] = _Batch()
    transaction.on_commit(_Renewal(get_cache, generation_key, batch, write), robust=True)
