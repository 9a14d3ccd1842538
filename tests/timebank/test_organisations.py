"""Organisations: the directory, an organisation's own page, its activities."""

from datetime import date
from functools import partial

import pytest
from sqlalchemy import Engine

from timebank.errors import NotPermitted, UnknownOrganisation, UnknownTimeBank
from timebank.hour_logs.services import approve_hour_log, reject_hour_log
from timebank.organisations.services import (
    OrganisationOverview,
    add_activity,
    enter_organisation,
    list_organisations_of,
    organisation_activities,
    organisation_directory,
    organisation_overview,
)
from timebank.people.models import User

from .factories import (
    Riverside,
    assert_refused,
    days_ago,
    earn,
    log_for,
    open_riverside,
    run,
)


def overview_for(
    engine: Engine, riverside: Riverside, actor: User, on: date | None = None
) -> OrganisationOverview:
    return run(
        engine,
        lambda s: organisation_overview(
            s,
            actor=actor,
            time_bank_id=riverside.bank_id,
            organisation_id=riverside.charity.id,
            on=on,
        ),
    )


def test_the_directory_lists_every_organisation_with_its_activities(
    engine: Engine, riverside: Riverside
) -> None:
    entries = run(
        engine,
        lambda s: organisation_directory(
            s, actor=riverside.ana, time_bank_id=riverside.bank_id
        ),
    )
    assert [
        (entry.organisation.name, [a.name for a in entry.activities], entry.may_open)
        for entry in entries
    ] == [("Leisure Centre", ["Swim"], False), ("Riverside Food Bank", [], False)]


def test_the_directory_lets_admins_and_staff_open_organisation_pages(
    engine: Engine, riverside: Riverside
) -> None:
    def openable(actor: User) -> list[str]:
        entries = run(
            engine,
            lambda s: organisation_directory(
                s, actor=actor, time_bank_id=riverside.bank_id
            ),
        )
        return [entry.organisation.name for entry in entries if entry.may_open]

    assert openable(riverside.charity_admin) == ["Riverside Food Bank"]
    assert openable(riverside.broker) == ["Leisure Centre", "Riverside Food Bank"]
    assert openable(riverside.admin) == ["Leisure Centre", "Riverside Food Bank"]


def test_an_organisation_page_counts_only_approved_hours_per_volunteer(
    engine: Engine, riverside: Riverside
) -> None:
    earn(engine, riverside, riverside.ben, 30)
    earn(engine, riverside, riverside.ana, 135)
    earn(engine, riverside, riverside.ana, 60)
    log_for(engine, riverside, minutes=45)
    rejected = log_for(engine, riverside, minutes=600)
    run(
        engine,
        lambda s: reject_hour_log(
            s, actor=riverside.broker, hour_log_id=rejected.id, reason="Not ours"
        ),
    )
    overview = overview_for(engine, riverside, riverside.charity_admin)
    assert [
        (v.member_id, v.name, v.approved_minutes, v.approved_logs)
        for v in overview.volunteers
    ] == [(riverside.ana_id, "Ana", 195, 2), (riverside.ben_id, "Ben", 30, 1)]
    assert overview.pending_hour_logs == 1
    assert overview.admin_names == ["Cai Charity"]
    # Credits come from the time bank's issuance account, not the charity's.
    assert overview.account.balance_minutes == 0


def test_an_organisation_page_shows_twelve_months_of_approved_hours(
    engine: Engine, riverside: Riverside
) -> None:
    log = log_for(engine, riverside, minutes=90, service_date=days_ago(1))
    run(
        engine,
        lambda s: approve_hour_log(s, actor=riverside.broker, hour_log_id=log.id),
    )
    served = days_ago(1)
    overview = overview_for(engine, riverside, riverside.broker, on=served)
    assert len(overview.months) == 12
    assert overview.months[-1].first_day == served.replace(day=1)
    assert overview.months[-1].approved_minutes == 90
    assert sum(month.approved_minutes for month in overview.months) == 90
    later = overview_for(
        engine, riverside, riverside.broker, on=date(served.year + 2, 1, 1)
    )
    assert sum(month.approved_minutes for month in later.months) == 0


def test_only_its_admins_and_the_banks_staff_open_an_organisation_page(
    engine: Engine, riverside: Riverside
) -> None:
    for actor in (riverside.ana, open_riverside(engine).admin):
        assert_refused(
            engine,
            lambda s, actor=actor: organisation_overview(  # type: ignore[misc]
                s,
                actor=actor,
                time_bank_id=riverside.bank_id,
                organisation_id=riverside.charity.id,
            ),
            NotPermitted,
            "Only an admin of Riverside Food Bank",
        )
    hillside = open_riverside(engine)
    assert_refused(
        engine,
        lambda s: organisation_overview(
            s,
            actor=riverside.admin,
            time_bank_id=riverside.bank_id,
            organisation_id=hillside.charity.id,
        ),
        UnknownOrganisation,
        "no organisation",
    )


def test_an_organisation_admin_keeps_the_activities_only_of_their_own(
    engine: Engine, riverside: Riverside
) -> None:
    assert overview_for(engine, riverside, riverside.charity_admin).may_keep_activities
    assert not overview_for(engine, riverside, riverside.broker).may_keep_activities
    for actor in (riverside.charity_admin, riverside.broker, riverside.ana):
        assert_refused(
            engine,
            lambda s, actor=actor: add_activity(  # type: ignore[misc]
                s,
                actor=actor,
                time_bank_id=riverside.bank_id,
                organisation_id=riverside.leisure.id,
                name="Sauna",
                price_minutes=60,
            ),
            NotPermitted,
            "Only an admin of Leisure Centre",
        )


def test_an_organisation_is_entered_only_from_inside_its_time_bank(
    engine: Engine, riverside: Riverside
) -> None:
    elsewhere = open_riverside(engine)
    organisation, membership = run(
        engine,
        partial(
            enter_organisation,
            actor=riverside.ana,
            organisation_id=riverside.leisure.id,
        ),
    )
    assert organisation.id == riverside.leisure.id
    assert membership.id == riverside.ana_id
    for organisation_id in (riverside.leisure.id, 10**12):
        with pytest.raises(
            UnknownOrganisation, match=f"no organisation {organisation_id}"
        ):
            run(
                engine,
                partial(
                    enter_organisation,
                    actor=elsewhere.ana,
                    organisation_id=organisation_id,
                ),
            )


def test_organisations_are_listed_from_the_actors_time_banks_only(
    engine: Engine, riverside: Riverside
) -> None:
    elsewhere = open_riverside(engine)

    def names(actor: User, time_bank_id: int | None = None) -> list[tuple[int, str]]:
        found = run(
            engine,
            partial(list_organisations_of, actor=actor, time_bank_id=time_bank_id),
        )
        return [(o.time_bank_id, o.name) for o in found]

    assert names(riverside.ana) == [
        (riverside.bank_id, "Leisure Centre"),
        (riverside.bank_id, "Riverside Food Bank"),
    ]
    assert names(riverside.ana, riverside.bank_id) == names(riverside.ana)
    with pytest.raises(UnknownTimeBank, match=f"no time bank {elsewhere.bank_id}"):
        names(riverside.ana, elsewhere.bank_id)


def test_any_member_reads_a_partners_activities_and_no_outsider(
    engine: Engine, riverside: Riverside
) -> None:
    elsewhere = open_riverside(engine)
    activities = run(
        engine,
        partial(
            organisation_activities,
            actor=riverside.ben,
            organisation_id=riverside.leisure.id,
        ),
    )
    assert [(a.name, a.price_minutes) for a in activities] == [("Swim", 60)]
    with pytest.raises(UnknownOrganisation):
        run(
            engine,
            partial(
                organisation_activities,
                actor=elsewhere.admin,
                organisation_id=riverside.leisure.id,
            ),
        )
