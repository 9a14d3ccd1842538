"""A month of Riverside's life, with what its reports must say of it."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine

from timebank.hour_logs.services import reject_hour_log
from timebank.reversals.services import reverse_entry

from ..factories import (
    Riverside,
    ana_swims,
    days_ago,
    earn,
    give_ana_one_entry_of_each_kind,
    log_for,
    run,
)


@dataclass(frozen=True)
class Month:
    """Riverside's history, as the reports should count it."""

    # Approved volunteering at the food bank: (service date, minutes, who).
    volunteered: list[tuple[date, int, str]]
    # Spends at the leisure centre that no reversal undid: (service date, minutes).
    spent: list[tuple[date, int]]


def riversides_month(engine: Engine, place: Riverside) -> Month:
    """Ana and Ben volunteer, exchange, give and swim; some is undone or refused.

    Ana earns 3 h (20 days ago), pays Ben for an hour's help, gives him a
    gift that is reversed, and swims (5 days ago); Ben earns 1 h 30 min
    (yesterday). Ana's second swim is reversed, a log of hers is rejected and
    another still waits: none of those count.
    """
    give_ana_one_entry_of_each_kind(engine, place)
    earn(engine, place, place.ben, 90)
    second_swim = ana_swims(engine, place, service_date=days_ago(2))
    run(
        engine,
        lambda s: reverse_entry(
            s,
            actor=place.broker,
            time_bank_id=place.bank_id,
            transaction_id=second_swim.transaction_id,
            reason="The pool was closed",
        ),
    )
    rejected = log_for(engine, place, minutes=60, service_date=days_ago(4))
    run(
        engine,
        lambda s: reject_hour_log(
            s, actor=place.broker, hour_log_id=rejected.id, reason="Not this week"
        ),
    )
    log_for(engine, place, minutes=45, service_date=days_ago(3))
    return Month(
        volunteered=[(days_ago(20), 180, "Ana"), (days_ago(1), 90, "Ben")],
        spent=[(days_ago(5), 60)],
    )


def by_month(pairs: list[tuple[date, int]]) -> dict[date, int]:
    """Return the minutes of (service date, minutes) pairs by first day of month."""
    totals: dict[date, int] = {}
    for day, minutes in pairs:
        first = day.replace(day=1)
        totals[first] = totals.get(first, 0) + minutes
    return totals
