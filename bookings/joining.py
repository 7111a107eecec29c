"""How people join a chat: the video link, the phone call or the address (docs/bookings.md,
"Joining details").

One place decides what a booking's joining details are, so the invite, the feed (when the partner
opts in), both emails, the manage page and the workspace always agree. The booker's phone number is
deliberately not part of `JoiningDetails`: it is shown to the partner only, by the templates that
ask for it (`partner_phone`), and never reaches a calendar file, a feed, a task or a log.
"""

import hashlib
from dataclasses import dataclass

from bookings.models import Booking, Format

VIDEO_LABEL = "Join the video call"


@dataclass(frozen=True)
class JoiningDetails:
    format: str
    format_label: str
    link: str = ""  # video: the link both people use
    address: str = ""  # in person: where
    access_notes: str = ""  # in person: how to find it and get in

    @property
    def is_video(self) -> bool:
        return self.format == Format.VIDEO

    @property
    def is_phone(self) -> bool:
        return self.format == Format.PHONE

    @property
    def is_in_person(self) -> bool:
        return self.format == Format.IN_PERSON

    @property
    def link_to_come(self) -> bool:
        """A video chat whose link is not known yet (the partner gives it when they accept)."""
        return self.is_video and not self.link

    def location(self) -> str:
        """LOCATION of the invite: the link, the address on one line, or the format's name."""
        if self.link:
            return self.link
        if self.address:
            return ", ".join(line.strip() for line in self.address.splitlines() if line.strip())
        return self.format_label

    def description(self) -> str:
        """The joining part of an invite's DESCRIPTION (never the phone number)."""
        if self.link:
            return f"{self.format_label}. Join here: {self.link}"
        if self.is_video:
            return f"{self.format_label}. The link to join will follow by email."
        if self.is_phone:
            return f"{self.format_label}. Your partner will phone at the start time."
        if self.address:
            notes = f"\n{self.access_notes}" if self.access_notes else ""
            return f"{self.format_label} at {self.location()}.{notes}"
        return f"{self.format_label}."

    def fingerprint(self) -> str:
        """Changes whenever what the calendar shows about joining changes."""
        basis = "|".join((self.format, self.link, self.address, self.access_notes))
        return hashlib.sha256(basis.encode()).hexdigest()[:16]


def joining_details(booking: Booking) -> JoiningDetails:
    """The booking's joining details as they stand now (partner's and offer's current values)."""
    return details_from_values(
        booking.format,
        booking_link=booking.meeting_link,
        partner_link=booking.partner.meeting_link,
        address=booking.offer.venue_address,
        access_notes=booking.offer.venue_access_notes,
    )


def details_from_values(fmt, *, booking_link, partner_link, address, access_notes) -> JoiningDetails:
    label = Format(fmt).label if fmt in Format.values else ""
    if fmt == Format.VIDEO:
        return JoiningDetails(fmt, label, link=booking_link or partner_link or "")
    if fmt == Format.IN_PERSON:
        return JoiningDetails(fmt, label, address=address.strip(), access_notes=access_notes.strip())
    return JoiningDetails(fmt, label)


def partner_phone(booking: Booking) -> str:
    """The booker's number for the partner to call, readable (international form), or ""."""
    if booking.format != Format.PHONE or not booking.booker_phone:
        return ""
    return booking.booker_phone.as_international
