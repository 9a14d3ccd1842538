"""A period of service dates, as statements and reports read it.

A period is two calendar days, both included, as people write them:
2026-01-01 to 2026-03-31 is the first quarter. It may end today at the
latest (nothing has been served after that) and spans at most ten years.
The ledger's half-open range is service_from = first_day, service_before =
the day after last_day.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from marshmallow import Schema, fields

from timebank.errors import InvalidPeriod

# Ten years, leap days included.
MAX_PERIOD_DAYS = 3653


@dataclass(frozen=True)
class Period:
    """The service dates first_day to last_day, both included."""

    first_day: date
    last_day: date

    @property
    def day_after(self) -> date:
        """Return the first day after the period: the ledger's service_before."""
        return self.last_day + timedelta(days=1)

    def __str__(self) -> str:
        return f"{self.first_day.isoformat()} to {self.last_day.isoformat()}"


def check_period(first_day: date, last_day: date, *, today: date) -> Period:
    """Return the period; refuse one that runs backwards, ends later, or is absurd."""
    if first_day > last_day:
        raise InvalidPeriod("The last day must be on or after the first day.")
    if last_day > today:
        raise InvalidPeriod(
            f"A period ends today ({today.isoformat()}) at the latest: "
            "nothing has been served after that."
        )
    if (last_day - first_day).days + 1 > MAX_PERIOD_DAYS:
        raise InvalidPeriod("A period spans at most ten years.")
    return Period(first_day, last_day)


def _day(which: str, data_key: str) -> fields.Date:
    message = f"Enter the {which} day as a date, like 2026-03-31."
    return fields.Date(
        data_key=data_key,
        required=True,
        error_messages={"invalid": message, "required": message, "null": message},
        metadata={"description": f"The {which} day of service, included."},
    )


class PeriodFields(Schema):
    """The from and to of a period, as a query string or a form sends them.

    The schema checks that each is a date; check_period, in the services,
    checks that they make a period.
    """

    first_day = _day("first", "from")
    last_day = _day("last", "to")
