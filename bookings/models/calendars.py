"""Models for partners' calendars: the private feed they subscribe to, and their own calendar
whose busy times close their slots."""

import hashlib
import secrets

from django.db import models

from ..slot_cache import SlotDataModel, SlotDataQuerySet
from .partners import Partner


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class PartnerFeed(models.Model):
    """A partner's private calendar feed. Only a hash of the token is stored, so a database
    leak does not hand out working feed addresses; rotating replaces the hash at once."""

    partner = models.OneToOneField(Partner, on_delete=models.CASCADE, related_name="feed")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)
    # When the partner was told that chats already sent as invites now also appear in the feed
    # (docs/feeds.md, "Channels"): told once, on the page that shows the new link.
    duplicates_told_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Calendar feed for {self.partner}"

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(24)  # 192 random bits


class ExternalCalendar(SlotDataModel, models.Model):
    """The address of a partner's own calendar (a secret: never logged, shown masked)."""

    partner = models.OneToOneField(Partner, on_delete=models.CASCADE, related_name="external_calendar")
    url = models.URLField(max_length=2000)
    saved_at = models.DateTimeField()
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    error_code = models.CharField(max_length=32, blank=True)
    error_message = models.CharField(max_length=300, blank=True)

    # Bulk writes renew the partner's slot-cache token too (bookings/slot_cache.py); a check that failed
    # changes nothing a piece holds (its freshness is the last success, or when saved).
    objects = SlotDataQuerySet.as_manager()
    slot_cache_ignores = frozenset({"last_checked_at", "error_code", "error_message"})

    def __str__(self):
        return f"Own calendar of {self.partner}"


class BusyInterval(SlotDataModel, models.Model):
    """A busy time read from a partner's own calendar; the slot engine treats it as time off.
    Holds no titles or details from the partner's calendar, only the times."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="busy_intervals")
    start = models.DateTimeField()
    end = models.DateTimeField()

    # Bulk writes renew the partner's slot-cache token too (bookings/slot_cache.py).
    objects = SlotDataQuerySet.as_manager()

    class Meta:
        ordering = ["start", "pk"]
        indexes = [models.Index(fields=["partner", "end"], name="busy_partner_end")]

    def __str__(self):
        return f"{self.partner}: busy {self.start:%Y-%m-%d %H:%M}"
