"""A period of service dates: forward, over by today, ten years at most."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from timebank.errors import InvalidPeriod
from timebank.periods import (
    MAX_PERIOD_DAYS,
    Period,
    PeriodFields,
    check_period,
    check_period_or_default,
)

TODAY = date(2026, 3, 14)


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        (date(2026, 3, 2), date(2026, 3, 1), "on or after the first day"),
        (date(2026, 3, 14), date(2026, 3, 15), r"ends today \(2026-03-14\) at the"),
        (TODAY - timedelta(days=MAX_PERIOD_DAYS), TODAY, "at most ten years"),
        (date(1, 1, 1), TODAY, "at most ten years"),
    ],
)
def test_a_backward_future_or_absurd_period_is_refused_with_its_reason(
    first: date, last: date, message: str
) -> None:
    with pytest.raises(InvalidPeriod, match=message):
        check_period(first, last, today=TODAY)


def test_a_single_day_and_the_longest_period_are_periods() -> None:
    first = TODAY - timedelta(days=MAX_PERIOD_DAYS - 1)
    longest = check_period(first, TODAY, today=TODAY)

    assert check_period(TODAY, TODAY, today=TODAY) == Period(TODAY, TODAY)
    assert longest == Period(first, TODAY)
    assert longest.day_after == date(2026, 3, 15)


@given(
    first=st.dates(date(2014, 1, 1), TODAY + timedelta(days=40)),
    last=st.dates(date(2014, 1, 1), TODAY + timedelta(days=40)),
)
def test_check_period_accepts_exactly_the_periods_its_rule_allows(
    first: date, last: date
) -> None:
    """A period is accepted if and only if it runs forward, its last day is
    today or earlier, and it holds at most MAX_PERIOD_DAYS days."""
    allowed = first <= last <= TODAY and (last - first).days < MAX_PERIOD_DAYS
    try:
        check_period(first, last, today=TODAY)
    except InvalidPeriod:
        assert not allowed
    else:
        assert allowed


def test_no_days_given_is_the_twelve_months_ending_today() -> None:
    assert check_period_or_default(None, None, today=TODAY) == Period(
        date(2025, 4, 1), TODAY
    )


def test_a_missing_last_day_is_today_and_a_missing_first_day_a_year_before() -> None:
    assert check_period_or_default(date(2026, 1, 5), None, today=TODAY) == Period(
        date(2026, 1, 5), TODAY
    )
    assert check_period_or_default(None, date(2025, 12, 31), today=TODAY) == Period(
        date(2025, 1, 1), date(2025, 12, 31)
    )
    assert check_period_or_default(None, date(1, 3, 1), today=TODAY) == Period(
        date(1, 1, 1), date(1, 3, 1)
    )


def test_the_days_filled_in_are_checked_like_those_given() -> None:
    with pytest.raises(InvalidPeriod, match="on or after the first day"):
        check_period_or_default(date(2026, 3, 20), None, today=date(2026, 3, 19))
    with pytest.raises(InvalidPeriod, match="at the latest"):
        check_period_or_default(None, date(2026, 4, 1), today=TODAY)


def test_a_period_lists_every_month_it_touches_and_reads_as_people_write_it() -> None:
    period = Period(date(2025, 11, 30), date(2026, 2, 1))

    assert period.months == [
        date(2025, 11, 1),
        date(2025, 12, 1),
        date(2026, 1, 1),
        date(2026, 2, 1),
    ]
    assert Period(TODAY, TODAY).months == [date(2026, 3, 1)]
    assert str(period) == "30 November 2025 to 1 February 2026"


def test_the_fields_read_from_and_to_as_dates_and_say_which_is_wrong() -> None:
    assert PeriodFields().load({"from": "2026-01-01", "to": "2026-03-31"}) == {
        "first_day": date(2026, 1, 1),
        "last_day": date(2026, 3, 31),
    }
    assert PeriodFields().validate({"from": "2026-02-30"}) == {
        "from": ["Enter the first day as a date, like 2026-03-31."],
        "to": ["Enter the last day as a date, like 2026-03-31."],
    }
    assert PeriodFields(partial=True).load({"to": "2026-03-31"}) == {
        "last_day": date(2026, 3, 31)
    }
