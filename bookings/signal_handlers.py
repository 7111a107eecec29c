"""Keep bookings/slot_cache.py honest: new tokens whenever a model the journey's cached free
times depend on is saved or deleted (docs/performance.md, "The time step"): the partner's, the
roster's, or all of them (slot_cache.instance_changed). Bulk writes on those models renew them
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


def saved(sender, instance, update_fields=None, **kwargs):
    ignored = getattr(sender, "slot_cache_ignores", frozenset())
    if not update_fields or not set(update_fields) <= ignored:
        slot_cache.instance_changed(sender, instance)


def deleted(sender, instance, **kwargs):
    slot_cache.instance_changed(sender, instance)


def register():
    for model in SLOT_MODELS:
        name = model._meta.model_name
        post_save.connect(saved, sender=model, dispatch_uid=f"bookings-slots-{name}-saved")
        post_delete.connect(deleted, sender=model, dispatch_uid=f"bookings-slots-{name}-deleted")
    # Who offers what: the loader's partners are those of the offer.
    m2m_changed.connect(
        slot_cache.changed_roster, sender=Offer.partners.through, dispatch_uid="bookings-slots-offered"
    )
