"""The journey's shared cache of each partner's free times, behind generation tokens.

docs/performance.md, "The time step". A listing (the time step, the manage link's move) is made
of one piece per partner: the starts the engine packs for them in the range
(bookings/availability.py, `partner_starts`), with the moment they stop holding as the clock
moves on. Pieces are kept in the `default` cache, so a listing for whoever is free reads every
partner's piece in one `get_many` (one Redis MGET) and runs the loader and the engine only for
the partners whose piece is missing, stale or outrun by the clock (bookings/slots.py,
`_displayed_slots`).

Tokens (home/generations.py, the page cache's pattern) say which pieces are current. Each partner
has one, renewed once a transaction that changed anything of theirs a piece holds commits: a
booking, availability rule, time off, busy time, own calendar or the partner's own row
(bookings/signal_handlers.py), and QuerySet `update`, `bulk_create` and `bulk_update` on those
models (`SlotDataQuerySet`), which send no signals. A booking moved to another partner renews
both (`SlotDataModel` remembers the partner it was loaded with). So a booking with one partner
leaves every other partner's piece warm. The roster (who offers an offer, and is active and
taking bookings) has a token of its own, renewed by partners, offers and who offers what. An
epoch token, part of every piece's check, is renewed when it cannot be told whose data changed
(`changed`), and by the booking settings. What is not a token is in the key: the offer's length
and buffers, the range, the notice and step, the booking left out, the staleness setting and the
shape of what is stored, so a change there, or code deployed anew, never reads an old piece.

A piece loaded across a change is stored under the old token and never served.
`SLOT_CACHE_SECONDS` (300 with Redis, off without) is a backstop for a change made outside
Django (raw SQL, a restored backup): it is shown for at most that long. 0 turns the cache off.

Only display reads it. The booking services check a start under the partner's lock against the
database (bookings/services.py, staff_services, reassignment), so a stale listing can offer a
time that has just gone, never book it twice.
"""

from django.conf import settings
from django.core.cache import caches
from django.db import models

from home import generations

EPOCH_KEY = "slot-cache:generation"
ROSTER_KEY = "slot-cache:roster-generation"


def _cache():
    return caches["default"]


def _partner_key(partner_id) -> str:
    return f"slot-cache:partner:{partner_id}"


def enabled() -> bool:
    return settings.SLOT_CACHE_SECONDS > 0


def changed(**kwargs) -> None:
    """Anything may have changed: every piece and roster is stale once the transaction commits.
    A signal receiver, and for writes whose partners cannot be told."""
    generations.renew_on_commit(_cache, EPOCH_KEY)
    generations.renew_on_commit(_cache, ROSTER_KEY)


def changed_roster(**kwargs) -> None:
    """Who offers what, or who is active and taking bookings, may have changed."""
    generations.renew_on_commit(_cache, ROSTER_KEY)


def changed_partners(partner_ids) -> None:
    """Something of these partners' that their pieces hold changed."""
    for partner_id in sorted(set(partner_ids)):
        generations.renew_on_commit(_cache, _partner_key(partner_id))


def roster(offer_id: int, load) -> tuple:
    """(epoch token, the ids of the partners `load()` finds for the offer), read with the roster
    token in one `get_many` and loaded on a miss. The epoch is read here, before any piece is
    loaded, so a piece is stored under the epoch that held when its data was read."""
    cache = _cache()
    key = f"slot-cache:roster:{offer_id}"
    tokens, found = generations.read_many(cache, [EPOCH_KEY, ROSTER_KEY], [key])
    stored = found.get(key)
    if stored is not None and stored[0] == tokens[ROSTER_KEY]:
        return tokens[EPOCH_KEY], stored[1]
    ids = tuple(load())
    cache.set(key, (tokens[ROSTER_KEY], ids), settings.SLOT_CACHE_SECONDS)
    return tokens[EPOCH_KEY], ids


class Pieces:
    """The pieces under `key` for some partners, read with their tokens in one `get_many`."""

    def __init__(self, key: str, epoch, partner_ids):
        self.cache = _cache()
        self.keys = {i: f"slot-cache:{key}.{i}" for i in partner_ids}
        token_keys = {i: _partner_key(i) for i in partner_ids}
        tokens, found = generations.read_many(self.cache, list(token_keys.values()), list(self.keys.values()))
        self.tokens = {i: (epoch, tokens[token_keys[i]]) for i in partner_ids}
        self.found = {}
        for i, k in self.keys.items():
            stored = found.get(k)
            if stored is not None and stored[0] == self.tokens[i]:
                self.found[i] = stored[1]

    def store(self, values: dict) -> None:
        """Keep each partner's value, loaded after their token was read, under that token."""
        stored = {self.keys[i]: (self.tokens[i], value) for i, value in values.items()}
        self.cache.set_many(stored, settings.SLOT_CACHE_SECONDS)


class SlotDataModel:
    """A model whose rows pieces hold (a mixin before models.Model). `slot_cache_partner` names
    the attribute holding the partner's id; the id it was loaded with is remembered, so a save
    that moves the row to another partner renews the old partner's token too."""

    slot_cache_partner = "partner_id"

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._slot_cache_loaded_partner = instance.__dict__.get(cls.slot_cache_partner)
        return instance

    def slot_cache_partners(self):
        """The partners a write of this row touches; None when they cannot be told (the
        partner's column was not loaded)."""
        current = self.__dict__.get(self.slot_cache_partner)
        if current is None:
            return None
        loaded = getattr(self, "_slot_cache_loaded_partner", None)
        return {current} if loaded is None else {current, loaded}


def instance_changed(model, instance) -> None:
    """A row of `model` was saved or deleted: its partners' tokens, the roster's if the model
    says rows change who is listed (`slot_cache_roster`), and all of them for any other model."""
    roster = getattr(model, "slot_cache_roster", False)
    if roster:
        changed_roster()
    if isinstance(instance, SlotDataModel):
        partners = instance.slot_cache_partners()
        if partners is None:
            changed()
        else:
            changed_partners(partners)
    elif not roster:
        changed()


class SlotDataQuerySet(models.QuerySet):
    """The querysets of the models pieces hold: their bulk writes send no signals, so they renew
    tokens themselves. `slot_cache_ignores` on a model names fields no piece reads (a booking's
    feed text), whose updates need none."""

    def _changes_slots(self, fields) -> bool:
        ignored = getattr(self.model, "slot_cache_ignores", frozenset())
        return not fields or not set(fields) <= ignored

    def _changed(self, partner_ids) -> None:
        roster = getattr(self.model, "slot_cache_roster", False)
        if roster:
            changed_roster()
        if issubclass(self.model, SlotDataModel):
            changed_partners(partner_ids)
        elif not roster:
            changed()

    # Renewed after the write, never before: outside a transaction the token is set at once, and
    # a reader between a new token and the write would store the old rows under the new token.
    def update(self, **kwargs):
        if not self._changes_slots(kwargs):
            return super().update(**kwargs)
        partner_ids = set()
        if issubclass(self.model, SlotDataModel):
            # The partners of the rows about to change, and any they are moved to.
            column = self.model.slot_cache_partner
            partner_ids = set(self.order_by().values_list(column, flat=True).distinct())
            moved_to = kwargs.get(column, kwargs.get(column.removesuffix("_id")))
            moved_to = getattr(moved_to, "pk", moved_to)
            if moved_to is not None and not isinstance(moved_to, int):
                partner_ids = None  # an expression (bulk_update's Case): whose cannot be told
            elif moved_to is not None:
                partner_ids.add(moved_to)
        rows = super().update(**kwargs)
        if partner_ids is None:
            changed()
        else:
            self._changed(partner_ids)
        return rows

    def bulk_create(self, objs, *args, **kwargs):
        created = super().bulk_create(objs, *args, **kwargs)
        if issubclass(self.model, SlotDataModel) and any(o.slot_cache_partners() is None for o in created):
            changed()
        else:
            self._changed(set().union(*(o.slot_cache_partners() or () for o in created)))
        return created
