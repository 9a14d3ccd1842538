"""A report's period: forward, begun by today, five years at most."""

from datetime import date

import pytest

from timebank.reports.periods import InvalidPeriod, Period, check_period

TODAY = date(2026, 3, 14)


def test_no_days_given_is_the_twelve_months_ending_today() -> None:
    assert check_period(None, None, on=TODAY) == Period(
        date(2025, 4, 1), date(2026, 3, 14)
    )


def test_a_missing_last_day_is_today_and_a_missing_first_day_a_year_before() -> None:
    assert check_period(date(2026, 1, 5), None, on=TODAY).last_day == TODAY
    assert check_period(None, date(2025, 12, 31), on=TODAY).first_day == date(
        2025, 1, 1
    )


def test_a_period_lists_every_month_it_touches() -> None:
    period = Period(date(2025, 11, 30), date(2026, 2, 1))
    assert period.months == [
        date(2025, 11, 1),
        date(2025, 12, 1),
        date(2026, 1, 1),
        date(2026, 2, 1),
    ]
    assert str(period) == "30 November 2025 to 1 February 2026"


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        (date(2026, 3, 2), date(2026, 3, 1), "on or after its first day"),
        (date(2026, 3, 15), date(2026, 4, 1), "starts after today"),
        (date(2020, 1, 1), date(2026, 1, 1), "five years at most"),
        (date(1, 1, 1), date(9999, 12, 31), "five years at most"),
    ],
)
def test_a_backward_future_or_absurd_period_is_refused(
    first: date, last: date, message: str
) -> None:
    with pytest.raises(InvalidPeriod, match=message):
        check_period(first, last, on=TODAY)


def test_a_single_day_and_a_full_five_years_are_periods() -> None:
    assert check_period(TODAY, TODAY, on=TODAY).months == [date(2026, 3, 1)]
    assert check_period(date(2021, 3, 15), TODAY, on=TODAY).first_day == date(
        2021, 3, 15
    )
