"""The period a report covers: two days of service, both included.

A period runs forward, starts no later than today, and spans at most five
years: a longer one is a typing mistake (2062 for 2026), not a report.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from timebank.errors import TimebankError

MAX_PERIOD_DAYS = 5 * 366
# The months a report shows when no period is given, the current one last.
DEFAULT_MONTHS = 12


class InvalidPeriod(TimebankError):
    """A period runs forward, starts by today, and spans five years or less."""


@dataclass(frozen=True)
class Period:
    """The service dates a report covers, first_day <= date <= last_day."""

    first_day: date
    last_day: date

    @property
    def months(self) -> list[date]:
        """Return the first day of each calendar month the period touches."""
        first = self.first_day.year * 12 + self.first_day.month - 1
        last = self.last_day.year * 12 + self.last_day.month - 1
        return [date(i // 12, i % 12 + 1, 1) for i in range(first, last + 1)]

    @property
    def end(self) -> date:
        """Return the day after the period, the end of a half-open range."""
        return self.last_day + timedelta(days=1)

    def __str__(self) -> str:
        return f"{self.first_day:%-d %B %Y} to {self.last_day:%-d %B %Y}"


def check_period(first_day: date | None, last_day: date | None, *, on: date) -> Period:
    """Return the period from first_day to last_day, as a person asked for it.

    A missing last day is today; a missing first day starts the twelve
    months that end with the last day's month.
    """
    last = on if last_day is None else last_day
    if first_day is None:
        index = last.year * 12 + last.month - DEFAULT_MONTHS
        first = date(index // 12, index % 12 + 1, 1)
    else:
        first = first_day
    if first > last:
        raise InvalidPeriod("The period's last day must be on or after its first day.")
    if first > on:
        raise InvalidPeriod("The period starts after today: there is nothing yet.")
    if (last - first).days >= MAX_PERIOD_DAYS:
        raise InvalidPeriod("A period spans five years at most.")
    return Period(first, last)
