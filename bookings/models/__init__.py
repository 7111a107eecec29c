"""The bookings core's models, one module per concern; imported from here everywhere else.

partners: partners, offers, weekly free times, time off. booking: chats and their history.
outbox: the emails a change must send. calendars: partners' feeds and own calendars.
site_settings: the booking rules editors set. waitlist: people waiting for a time to open.
privacy: retention periods. impact: feedback and reflections. payments: involvement payments.
The journey's BookingPage is a model of this app
too (app label ``bookings``) but lives with the journey, which imports this package, never the
other way round (docs/architecture.md).
"""

from ..zones import DEFAULT_TIME_ZONE
from .access import AccessAction, AccessRecord
from .account import AccountEmail, AccountEmailKind, HandBack, HandBackReason
from .booking import BLOCKING_STATUSES, ICAL_DOMAIN, Booking, BookingEvent, BookingQuerySet, BookingStatus
from .caldav import CalDAVConnection, CalDAVEvent, CalDAVPush, CalDAVState
from .calendars import BusyInterval, ExternalCalendar, PartnerFeed, hash_token
from .email_wording import EmailOpening, WordedKind
from .entry import BookingEntryPage
from .impact import Feedback, PartnerReflection, QuoteConsent
from .joining import is_meeting_link, validate_meeting_link
from .outbox import EmailNotification, NotificationStatus, Recipient
from .partners import AvailabilityRule, Format, Offer, Partner, TimeOff, validate_time_zone
from .payments import PaymentBasis, PaymentKind, PaymentLine, PaymentMonth, PaymentRule, PaymentStatus
from .privacy import PrivacySettings
from .site_settings import BookingSettings
from .waitlist import PartOfDay, WaitlistEmail, WaitlistEntry

__all__ = [
    "AccessAction",
    "AccessRecord",
    "AccountEmail",
    "AccountEmailKind",
    "HandBack",
    "HandBackReason",
    "BLOCKING_STATUSES",
    "DEFAULT_TIME_ZONE",
    "ICAL_DOMAIN",
    "AvailabilityRule",
    "Booking",
    "BookingEntryPage",
    "BookingEvent",
    "BookingQuerySet",
    "BookingSettings",
    "BookingStatus",
    "BusyInterval",
    "CalDAVConnection",
    "CalDAVEvent",
    "CalDAVPush",
    "CalDAVState",
    "EmailNotification",
    "EmailOpening",
    "WordedKind",
    "ExternalCalendar",
    "Feedback",
    "Format",
    "NotificationStatus",
    "Offer",
    "Partner",
    "PartnerFeed",
    "PartOfDay",
    "PartnerReflection",
    "PaymentBasis",
    "PaymentKind",
    "PaymentLine",
    "PaymentMonth",
    "PaymentRule",
    "PaymentStatus",
    "PrivacySettings",
    "QuoteConsent",
    "Recipient",
    "TimeOff",
    "WaitlistEmail",
    "WaitlistEntry",
    "hash_token",
    "is_meeting_link",
    "validate_meeting_link",
    "validate_time_zone",
]
