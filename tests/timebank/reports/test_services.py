"""Impact reports and organisation statements, checked against the history made."""

from datetime import date

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from timebank.banks.models import TimeBank
from timebank.errors import InvalidPeriod, NotPermitted
from timebank.people.models import User
from timebank.reports.services import (
    ActivitySpend,
    Hours,
    ImpactReport,
    OrganisationStatement,
    bank_impact_report,
    organisation_impact_report,
    organisation_statement,
)

from ..factories import Riverside, days_ago, run
from .scenes import by_month, riversides_month


def bank_report(
    engine: Engine,
    place: Riverside,
    first_day: date | None = None,
    last_day: date | None = None,
    actor: User | None = None,
) -> ImpactReport:
    return run(
        engine,
        lambda s: bank_impact_report(
            s,
            actor=actor or place.broker,
            bank=s.get_one(TimeBank, place.bank_id),
            first_day=first_day,
            last_day=last_day,
        ),
    )


def organisation_report(
    engine: Engine, place: Riverside, organisation_id: int, actor: User | None = None
) -> ImpactReport:
    return run(
        engine,
        lambda s: organisation_impact_report(
            s,
            actor=actor or place.broker,
            bank=s.get_one(TimeBank, place.bank_id),
            organisation_id=organisation_id,
            first_day=days_ago(25),
            last_day=None,
        ),
    )


def statement(
    engine: Engine, place: Riverside, organisation_id: int, actor: User
) -> OrganisationStatement:
    def work(s: Session) -> OrganisationStatement:
        return organisation_statement(
            s,
            actor=actor,
            bank=s.get_one(TimeBank, place.bank_id),
            organisation_id=organisation_id,
            first_day=days_ago(25),
            last_day=None,
        )

    return run(engine, work)


def test_the_impact_report_counts_approved_hours_and_unreversed_credits(
    engine: Engine, riverside: Riverside
) -> None:
    month = riversides_month(engine, riverside)

    report = bank_report(engine, riverside, days_ago(25))

    volunteered = by_month([(day, minutes) for day, minutes, _ in month.volunteered])
    spent = by_month(month.spent)
    assert [
        (m.first_day, m.volunteered_minutes, m.earned_minutes, m.spent_minutes)
        for m in report.months
    ] == [
        (
            first,
            volunteered.get(first, 0),
            volunteered.get(first, 0),
            spent.get(first, 0),
        )
        for first in report.period.months
    ]
    assert report.volunteered_minutes == report.earned_minutes == 270
    assert report.spent_minutes == 60
    assert report.active_volunteers == 2
    # The admin, the broker, Ana, Ben and the food bank's admin joined today.
    assert report.new_members == 5
    assert report.top_activities == [ActivitySpend("Swim", "Leisure Centre", 1, 60)]


def test_the_period_keeps_only_the_days_within_it(
    engine: Engine, riverside: Riverside
) -> None:
    riversides_month(engine, riverside)

    report = bank_report(engine, riverside, days_ago(3), days_ago(1))

    assert report.volunteered_minutes == 90
    assert report.active_volunteers == 1
    assert report.spent_minutes == 0
    assert report.top_activities == []
    assert bank_report(engine, riverside, days_ago(19), days_ago(6)).spent_minutes == 0


def test_an_organisations_impact_report_is_its_own_volunteering_and_spending(
    engine: Engine, riverside: Riverside
) -> None:
    riversides_month(engine, riverside)

    food_bank = organisation_report(
        engine, riverside, riverside.charity.id, riverside.charity_admin
    )
    leisure = organisation_report(engine, riverside, riverside.leisure.id)

    assert (food_bank.volunteered_minutes, food_bank.earned_minutes) == (270, 270)
    assert (food_bank.spent_minutes, food_bank.top_activities) == (0, [])
    # Ana and Ben first volunteered for it in the period.
    assert food_bank.new_members == food_bank.active_volunteers == 2
    assert (leisure.volunteered_minutes, leisure.spent_minutes) == (0, 60)
    assert leisure.top_activities == [ActivitySpend("Swim", "Leisure Centre", 1, 60)]


def test_the_statement_shows_credits_issued_and_accepted_and_each_volunteer(
    engine: Engine, riverside: Riverside
) -> None:
    month = riversides_month(engine, riverside)

    food_bank = statement(
        engine, riverside, riverside.charity.id, riverside.charity_admin
    )
    leisure = statement(engine, riverside, riverside.leisure.id, riverside.broker)

    assert (food_bank.issued_minutes, food_bank.accepted_minutes) == (270, 0)
    assert food_bank.by_activity == [Hours("Sorting donations", 2, 270)]
    assert food_bank.volunteers == [Hours("Ana", 1, 180), Hours("Ben", 1, 90)]
    volunteered = by_month([(day, minutes) for day, minutes, _ in month.volunteered])
    assert [line.minutes for line in food_bank.by_month] == [
        volunteered.get(first, 0) for first in food_bank.period.months
    ]
    assert (leisure.issued_minutes, leisure.accepted_minutes) == (0, 60)
    assert leisure.volunteers == []


def test_only_the_organisations_admins_and_the_brokers_read_its_statement(
    engine: Engine, riverside: Riverside
) -> None:
    for person in (riverside.admin, riverside.ana):
        with pytest.raises(NotPermitted, match="may read its statement"):
            statement(engine, riverside, riverside.charity.id, person)
    with pytest.raises(NotPermitted):
        statement(engine, riverside, riverside.leisure.id, riverside.charity_admin)


def test_only_the_banks_brokers_and_admins_read_its_impact_report(
    engine: Engine, riverside: Riverside
) -> None:
    assert bank_report(engine, riverside, actor=riverside.admin).months
    for person in (riverside.ana, riverside.charity_admin):
        with pytest.raises(NotPermitted):
            bank_report(engine, riverside, actor=person)
    with pytest.raises(NotPermitted):
        organisation_report(engine, riverside, riverside.charity.id, riverside.ana)


def test_a_report_follows_the_period_rule_of_statements(
    engine: Engine, riverside: Riverside
) -> None:
    with pytest.raises(InvalidPeriod, match="at the latest"):
        bank_report(engine, riverside, days_ago(1), days_ago(-1))
