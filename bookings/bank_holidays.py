"""UK bank holidays by nation, from the `holidays` package (docs/bookings.md#bank-holidays).

The loader (bookings/slots.py) asks for a partner's closed dates over the range it loads and
hands them to the pure engine as data, so availability.py never reads a calendar of holidays.
No database and no clock: years are parameters.
"""

from datetime import date
from functools import lru_cache

import holidays

# Partner.nation stores these codes, which are also the package's UK subdivision codes.
ENGLAND, WALES, SCOTLAND, NORTHERN_IRELAND = "ENG", "WLS", "SCT", "NIR"
NATIONS = (
    (ENGLAND, "England"),
    (WALES, "Wales"),
    (SCOTLAND, "Scotland"),
    (NORTHERN_IRELAND, "Northern Ireland"),
)


@lru_cache(maxsize=64)
def _year(nation: str, year: int) -> dict[date, str]:
    # The day itself and, when it falls at a weekend, its substitute weekday ("observed"): a
    # partner free on Saturdays is not offered on Christmas Day either.
    return dict(holidays.UK(subdiv=nation, years=year, observed=True).items())


def bank_holidays(nation: str, first: date, last: date) -> dict[date, str]:
    """The nation's bank holidays in [first, last], date → name, in date order."""
    found: dict[date, str] = {}
    for year in range(first.year, last.year + 1):
        for day, name in sorted(_year(nation, year).items()):
            if first <= day <= last:
                found[day] = name
    return found


@lru_cache(maxsize=256)
def closed_dates(nation: str, first: date, last: date) -> frozenset[date]:
    return frozenset(bank_holidays(nation, first, last))
