"""What the booker picked in steps 1-3 of the booking journey: the offer, the partner (or
whoever is free), the time and the zone to show times in.

Parsed from query or form data, never trusted: unknown or inactive ids are a 404, a strange zone
falls back to UK time, and a start that is not an aware UTC time is treated as not chosen yet.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlencode

from django.http import Http404

from bookings.models import Offer, Partner
from bookings.zones import iso_utc, parse_day, parse_iso_utc, resolve_zone

ANY = "any"
# ASCII digits only, and few enough to fit a database integer (str.isdigit accepts "²").
ID = re.compile(r"[0-9]{1,18}")


@dataclass(frozen=True)
class Choice:
    """Steps 1-3's answers: what, with whom (None: whoever is free), when, shown in which zone,
    and, on the time step, which fortnight (`first_day`) and day (`day`) the booker is looking at."""

    offer: Offer
    partner: Partner | None
    start: datetime | None
    zone: str
    zone_rejected: bool = False
    first_day: date | None = None
    day: date | None = None

    def params(self, *, with_start: bool = True) -> dict:
        params = {
            "offer": self.offer.pk,
            "partner": self.partner.pk if self.partner else ANY,
            "tz": self.zone,
        }
        if with_start and self.start is not None:
            params["start"] = iso_utc(self.start)
        return params


def query(**params) -> str:
    return "?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})


def parse_choice(data, *, need_partner: bool = True) -> Choice:
    """Offer, partner and zone from query or form data. Unknown ids are a 404, never a 500."""
    raw_offer, raw_partner = str(data.get("offer", "")), str(data.get("partner", ""))
    if not ID.fullmatch(raw_offer):
        raise Http404("Unknown offer")
    partner = None
    if need_partner and raw_partner != ANY:
        if not ID.fullmatch(raw_partner):
            raise Http404("Unknown partner")
        # One query for both: the offer-partner link row, joined to each end.
        link = (
            Offer.partners.through.objects.select_related("offer", "partner")
            .filter(
                offer_id=int(raw_offer),
                offer__active=True,
                partner_id=int(raw_partner),
                partner__active=True,
                partner__accepting_bookings=True,
            )
            .first()
        )
        if link is None:
            raise Http404("Unknown offer or partner")
        offer, partner = link.offer, link.partner
    else:
        offer = Offer.objects.filter(pk=int(raw_offer), active=True).first()
        if offer is None:
            raise Http404("Unknown offer")
    zone, rejected = resolve_zone(data.get("tz"))
    start = parse_iso_utc(data.get("start"))
    first_day, day = parse_day(data.get("from")), parse_day(data.get("day"))
    return Choice(offer, partner, start, zone, rejected, first_day, day)


def choice_from_draft(draft: dict) -> Choice:
    """Steps 1-3's answers as kept in the session draft, checked again (offers change)."""
    params = {"offer": draft["offer"], "partner": draft["partner"] or ANY, "tz": draft["tz"]}
    return parse_choice({**params, "start": draft["start"]})
