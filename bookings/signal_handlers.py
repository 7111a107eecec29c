"""Keep bookings/slot_cache.py honest: a new token whenever a model a slot snapshot holds is
saved or deleted (docs/bookings.md, "The loader"). Bulk writes on those models set one
themselves (slot_cache.SlotDataQuerySet)."""

from django.db.models.signals import m2m_changed, post_delete, post_save

from . import slot_cache
from .models import (
    AvailabilityRule,
    Booking,
    BookingSettings,
    BusyInterval,
    ExternalCalendar,
    Offer,
    Partner,
    TimeOff,
)

SLOT_MODELS = (
    Booking,
    Partner,
    Offer,
    AvailabilityRule,
    TimeOff,
    BusyInterval,
    ExternalCalendar,
    BookingSettings,
)


def saved(sender, update_fields=None, **kwargs):
    ignored = getattr(sender, "slot_cache_ignores", frozenset())
    if not update_fields or not set(update_fields) <= ignored:
        slot_cache.changed()


def register():
    for model in SLOT_MODELS:
        name = model._meta.model_name
        post_save.connect(saved, sender=model, dispatch_uid=f"bookings-slots-{name}-saved")
        post_delete.connect(slot_cache.changed, sender=model, dispatch_uid=f"bookings-slots-{name}-deleted")
    # Who offers what: the loader's partners are those of the offer.
    m2m_changed.connect(
        slot_cache.changed, sender=Offer.partners.through, dispatch_uid="bookings-slots-offered"
    )
