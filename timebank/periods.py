"""A period of service dates, as statements and reports read it.

A period is two calendar days, both included, as people write them:
2026-01-01 to 2026-03-31 is the first quarter. It runs forward, ends today
at the latest (nothing has been served after that) and spans at most ten
years: a longer one is a typing mistake (2062 for 2026), not a period.
The ledger's half-open range is service_from = first_day, service_before =
day_after. docs/domain.md#periods says the same for people.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import LazyString, lazy_gettext
from flask_babel import gettext as _
from marshmallow import Schema, fields

from timebank.errors import InvalidPeriod

# Ten years, leap days included.
MAX_PERIOD_DAYS = 3653
# The months a period covers when its first day is not given, the last day's last.
DEFAULT_MONTHS = 12


@dataclass(frozen=True)
class Period:
    """The service dates first_day to last_day, both included."""

    first_day: date
    last_day: date

    @property
    def day_after(self) -> date:
        """Return the first day after the period: the ledger's service_before."""
        return self.last_day + timedelta(days=1)

    @property
    def months(self) -> list[date]:
        """Return the first day of each calendar month the period touches."""
        first = _month_index(self.first_day)
        last = _month_index(self.last_day)
        return [_month_start(index) for index in range(first, last + 1)]

    def __str__(self) -> str:
        return f"{_written(self.first_day)} to {_written(self.last_day)}"


def check_period(first_day: date, last_day: date, *, today: date) -> Period:
    """Return the period; refuse one that runs backwards, ends later, or is absurd."""
    if first_day > last_day:
        raise InvalidPeriod(_("The last day must be on or after the first day."))
    if last_day > today:
        raise InvalidPeriod(
            _(
                "A period ends today (%(today)s) at the latest: nothing has been "
                "served after that.",
                today=today.isoformat(),
            )
        )
    if (last_day - first_day).days + 1 > MAX_PERIOD_DAYS:
        raise InvalidPeriod(_("A period spans at most ten years."))
    return Period(first_day, last_day)


def check_period_or_default(
    first_day: date | None, last_day: date | None, *, today: date
) -> Period:
    """Return the period asked for, a missing day filled in, as check_period does.

    A missing last day is today; a missing first day starts the twelve
    calendar months that end with the last day's month.
    """
    last = today if last_day is None else last_day
    first = months_ending(last, DEFAULT_MONTHS)[0] if first_day is None else first_day
    return check_period(first, last, today=today)


def months_ending(day: date, count: int) -> list[date]:
    """Return the first days of the count calendar months ending with day's month.

    None is earlier than the calendar's first month.
    """
    last = _month_index(day)
    first = max(last - count + 1, _month_index(date.min))
    return [_month_start(index) for index in range(first, last + 1)]


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _month_start(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def _written(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _day(message: LazyString, data_key: str, *, description: str) -> fields.Date:
    """Return a field for a day; description is the API's, always in English.

    marshmallow puts a message that is a str in a list, but not a lazy one:
    in a list already, it reaches the API's problem bodies as every other
    field's messages do.
    """
    messages = [message]
    return fields.Date(
        data_key=data_key,
        required=True,
        error_messages={"invalid": messages, "required": messages, "null": messages},
        metadata={"description": description},
    )


class PeriodFields(Schema):
    """The from and to of a period, as a query string or a form sends them.

    The schema checks that each is a date; check_period, in the services,
    checks that they make a period. Loaded with partial=True, either may be
    left out, for check_period_or_default to fill in.
    """

    first_day = _day(
        lazy_gettext("Enter the first day as a date, like 2026-03-31."),
        "from",
        description="The first day of service, included.",
    )
    last_day = _day(
        lazy_gettext("Enter the last day as a date, like 2026-03-31."),
        "to",
        description="The last day of service, included.",
    )
