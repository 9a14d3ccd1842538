"""Hour logs: logged by a member or a broker, approved by someone else, earning."""

from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

import ledger
from timebank.audit.services import list_events
from timebank.banks.rules import today
from timebank.decisions import Decision
from timebank.errors import (
    AlreadyDecided,
    FutureServiceDate,
    InvalidMinutes,
    InvalidServiceDate,
    MakerChecker,
    NotAnIssuer,
    NotPermitted,
    OffGranularity,
    OutsideBackdatingWindow,
    ReasonRequired,
    TooManyMinutes,
    UnknownHourLog,
    UnknownMember,
    UnknownOrganisation,
    UnknownTimeBank,
)
from timebank.hour_logs.services import (
    approve_hour_log,
    get_hour_log_for,
    list_visible_hour_logs,
    log_hours,
    reject_hour_log,
)
from timebank.people.models import User

from .factories import (
    Riverside,
    assert_refused,
    balance,
    days_ago,
    earn,
    log_for,
    open_riverside,
    run,
)


def test_approved_hour_log_earns_exactly_its_minutes(
    engine: Engine, riverside: Riverside
) -> None:
    log = log_for(engine, riverside, minutes=135)
    approved = run(
        engine,
        lambda s: approve_hour_log(s, actor=riverside.broker, hour_log_id=log.id),
    )
    assert approved.status == "approved"
    assert approved.decided_by_id == riverside.broker.id
    assert balance(engine, riverside.ana_id).balance_minutes == 135

    def entry(s: Session) -> ledger.Transaction:
        assert approved.transaction_id is not None
        return ledger.get_transaction(s.connection(), approved.transaction_id)

    earn_entry = run(engine, entry)
    assert earn_entry.kind == "earn"
    assert earn_entry.service_date == log.service_date
    assert earn_entry.created_by == riverside.ana.id
    assert earn_entry.approved_by == riverside.broker.id
    assert sorted(p.minutes for p in earn_entry.postings) == [-135, 135]


def test_hour_log_keeps_its_service_date_and_its_recorded_time(
    engine: Engine, riverside: Riverside
) -> None:
    log = log_for(engine, riverside, service_date=days_ago(10))
    assert log.service_date == days_ago(10)
    assert isinstance(log.logged_at, datetime)
    assert log.logged_at.date() >= today() - timedelta(days=1)


def test_a_broker_logs_hours_on_a_members_behalf(
    engine: Engine, riverside: Riverside
) -> None:
    log = log_for(engine, riverside, actor=riverside.broker)
    assert log.logged_by_id == riverside.broker.id
    assert log.status == "pending"


def test_the_organisations_admin_approves_its_hour_logs(
    engine: Engine, riverside: Riverside
) -> None:
    log = log_for(engine, riverside)
    approved = run(
        engine,
        lambda s: approve_hour_log(
            s, actor=riverside.charity_admin, hour_log_id=log.id
        ),
    )
    assert approved.status == "approved"


def test_earned_credits_come_from_the_organisation_when_the_bank_says_so(
    engine: Engine,
) -> None:
    place = open_riverside(engine, earn_source="organisation")
    earn(engine, place, place.ana, 60)

    def organisation_balance(s: Session) -> int:
        account = ledger.get_account(s.connection(), place.charity.account_id)
        return account.balance_minutes

    assert run(engine, organisation_balance) == -60
    assert balance(engine, place.ana_id).balance_minutes == 60


def test_rejected_hour_log_carries_its_reason_and_earns_nothing(
    engine: Engine, riverside: Riverside
) -> None:
    log = log_for(engine, riverside)
    rejected = run(
        engine,
        lambda s: reject_hour_log(
            s,
            actor=riverside.broker,
            hour_log_id=log.id,
            reason="The session was cancelled",
        ),
    )
    assert rejected.status == "rejected"
    assert rejected.reason == "The session was cancelled"
    assert rejected.transaction_id is None
    assert balance(engine, riverside.ana_id).balance_minutes == 0


def test_approval_and_rejection_are_audited(
    engine: Engine, riverside: Riverside
) -> None:
    first = log_for(engine, riverside)
    second = log_for(engine, riverside)
    run(
        engine,
        lambda s: approve_hour_log(s, actor=riverside.broker, hour_log_id=first.id),
    )
    run(
        engine,
        lambda s: reject_hour_log(
            s, actor=riverside.broker, hour_log_id=second.id, reason="Duplicate"
        ),
    )
    events = run(
        engine,
        lambda s: list_events(
            s, time_bank_id=riverside.bank_id, subject_type="hour_log"
        ),
    )
    assert [(e.action, e.subject_id, e.actor_id, e.reason) for e in events] == [
        ("hour_log_rejected", second.id, riverside.broker.id, "Duplicate"),
        ("hour_log_approved", first.id, riverside.broker.id, None),
    ]


def test_nobody_approves_their_own_hour_log(
    engine: Engine, riverside: Riverside
) -> None:
    log = log_for(
        engine, riverside, member_id=riverside.broker_id, actor=riverside.broker
    )
    assert_refused(
        engine,
        lambda s: approve_hour_log(s, actor=riverside.broker, hour_log_id=log.id),
        MakerChecker,
        "cannot approve an hour log that you recorded or that credits you",
    )


def test_a_broker_does_not_approve_a_log_they_made_for_someone_else(
    engine: Engine, riverside: Riverside
) -> None:
    log = log_for(engine, riverside, actor=riverside.broker)
    assert_refused(
        engine,
        lambda s: approve_hour_log(s, actor=riverside.broker, hour_log_id=log.id),
        MakerChecker,
        "cannot approve",
    )


def test_a_member_approves_no_hour_log(engine: Engine, riverside: Riverside) -> None:
    log = log_for(engine, riverside)
    assert_refused(
        engine,
        lambda s: approve_hour_log(s, actor=riverside.ben, hour_log_id=log.id),
        NotPermitted,
        "Only a broker",
    )


def test_a_broker_of_another_time_bank_approves_nothing_here(
    engine: Engine, riverside: Riverside
) -> None:
    elsewhere = open_riverside(engine)
    log = log_for(engine, riverside)
    assert_refused(
        engine,
        lambda s: approve_hour_log(s, actor=elsewhere.broker, hour_log_id=log.id),
        NotPermitted,
        "Only a broker",
    )


def test_an_hour_log_is_decided_once(engine: Engine, riverside: Riverside) -> None:
    log = log_for(engine, riverside)
    run(
        engine,
        lambda s: approve_hour_log(s, actor=riverside.broker, hour_log_id=log.id),
    )
    assert_refused(
        engine,
        lambda s: approve_hour_log(
            s, actor=riverside.charity_admin, hour_log_id=log.id
        ),
        AlreadyDecided,
        "already approved",
    )
    assert_refused(
        engine,
        lambda s: reject_hour_log(
            s, actor=riverside.broker, hour_log_id=log.id, reason="Oops"
        ),
        AlreadyDecided,
        "already approved",
    )


def test_a_rejection_needs_a_reason(engine: Engine, riverside: Riverside) -> None:
    log = log_for(engine, riverside)
    assert_refused(
        engine,
        lambda s: reject_hour_log(
            s, actor=riverside.broker, hour_log_id=log.id, reason="  "
        ),
        ReasonRequired,
        "reason",
    )


def test_a_member_logs_no_hours_for_someone_else(
    engine: Engine, riverside: Riverside
) -> None:
    assert_refused(
        engine,
        lambda s: log_hours(
            s,
            actor=riverside.ben,
            time_bank_id=riverside.bank_id,
            member_id=riverside.ana_id,
            organisation_id=riverside.charity.id,
            description="Sorting donations",
            minutes=60,
            service_date=days_ago(1),
        ),
        NotPermitted,
        "Only the member, or a broker",
    )


BAD_MINUTES = [
    (0, InvalidMinutes, "more than zero"),
    (-60, InvalidMinutes, "more than zero"),
    (50, OffGranularity, "not a multiple of this time bank's 15 minutes"),
    (25 * 60, TooManyMinutes, "more than the 1440 minutes"),
    (10**12, TooManyMinutes, "more than the 1440 minutes"),
    ("60", InvalidMinutes, "whole number"),
    (1.5, InvalidMinutes, "whole number"),
    (float("nan"), InvalidMinutes, "whole number"),
    (None, InvalidMinutes, "whole number"),
    (True, InvalidMinutes, "whole number"),
]

BAD_DATES = [
    (today() + timedelta(days=1), FutureServiceDate, "in the future"),
    (today() - timedelta(days=31), OutsideBackdatingWindow, "more than 30 days"),
    ("2026-01-01", InvalidServiceDate, "must be a date"),
    (datetime(2026, 1, 1, tzinfo=UTC), InvalidServiceDate, "must be a date"),
    (None, InvalidServiceDate, "must be a date"),
]


def test_bad_minutes_are_refused_and_change_nothing(
    engine: Engine, riverside: Riverside
) -> None:
    for minutes, error, message in BAD_MINUTES:
        assert_refused(
            engine,
            lambda s, minutes=minutes: log_hours(  # type: ignore[misc]
                s,
                actor=riverside.ana,
                time_bank_id=riverside.bank_id,
                member_id=riverside.ana_id,
                organisation_id=riverside.charity.id,
                description="Sorting donations",
                minutes=minutes,
                service_date=days_ago(1),
            ),
            error,
            message,
        )


def test_bad_service_dates_are_refused_and_change_nothing(
    engine: Engine, riverside: Riverside
) -> None:
    for service_date, error, message in BAD_DATES:
        assert_refused(
            engine,
            lambda s, service_date=service_date: log_hours(  # type: ignore[misc]
                s,
                actor=riverside.ana,
                time_bank_id=riverside.bank_id,
                member_id=riverside.ana_id,
                organisation_id=riverside.charity.id,
                description="Sorting donations",
                minutes=60,
                service_date=service_date,
            ),
            error,
            message,
        )


def test_the_last_day_of_the_backdating_window_is_accepted(
    engine: Engine, riverside: Riverside
) -> None:
    log = log_for(engine, riverside, service_date=today() - timedelta(days=30))
    assert log.service_date == today() - timedelta(days=30)


def test_hours_for_an_unknown_member_are_refused(
    engine: Engine, riverside: Riverside
) -> None:
    elsewhere = open_riverside(engine)
    for member_id in (999_999, elsewhere.ana_id, "ana"):
        assert_refused(
            engine,
            lambda s, member_id=member_id: log_hours(  # type: ignore[misc]
                s,
                actor=riverside.broker,
                time_bank_id=riverside.bank_id,
                member_id=member_id,
                organisation_id=riverside.charity.id,
                description="Sorting donations",
                minutes=60,
                service_date=days_ago(1),
            ),
            UnknownMember,
            "no member",
        )


def test_hours_are_logged_only_for_an_issuing_organisation(
    engine: Engine, riverside: Riverside
) -> None:
    assert_refused(
        engine,
        lambda s: log_hours(
            s,
            actor=riverside.ana,
            time_bank_id=riverside.bank_id,
            member_id=riverside.ana_id,
            organisation_id=riverside.leisure.id,
            description="Lifeguarding",
            minutes=60,
            service_date=days_ago(1),
        ),
        NotAnIssuer,
        "does not issue credits",
    )
    assert_refused(
        engine,
        lambda s: log_hours(
            s,
            actor=riverside.ana,
            time_bank_id=riverside.bank_id,
            member_id=riverside.ana_id,
            organisation_id=424242,
            description="Lifeguarding",
            minutes=60,
            service_date=days_ago(1),
        ),
        UnknownOrganisation,
        "no organisation",
    )


def test_a_log_keeps_its_date_for_approval_after_the_window_passes(
    engine: Engine,
) -> None:
    place = open_riverside(engine, backdating_days=0)
    log = log_for(engine, place, service_date=today())
    approved = run(
        engine, lambda s: approve_hour_log(s, actor=place.broker, hour_log_id=log.id)
    )
    assert approved.status == "approved"


def test_an_hour_log_of_another_time_bank_does_not_exist_for_its_outsiders(
    engine: Engine, riverside: Riverside
) -> None:
    elsewhere = open_riverside(engine)
    log = log_for(engine, riverside)
    found = run(
        engine, lambda s: get_hour_log_for(s, actor=riverside.ben, hour_log_id=log.id)
    )
    assert found.id == log.id
    for actor, hour_log_id in ((elsewhere.broker, log.id), (riverside.ana, 10**12)):
        with pytest.raises(UnknownHourLog, match=f"no hour log {hour_log_id}"):
            run(
                engine,
                partial(get_hour_log_for, actor=actor, hour_log_id=hour_log_id),
            )


def visible_ids(engine: Engine, actor: User, **filters: Any) -> list[int]:
    page = run(engine, partial(list_visible_hour_logs, actor=actor, **filters))
    return [log.id for log in page.hour_logs]


def test_hour_logs_are_listed_to_their_member_brokers_and_organisation_admins(
    engine: Engine, riverside: Riverside
) -> None:
    elsewhere = open_riverside(engine)
    anas = log_for(engine, riverside)
    bens = log_for(engine, riverside, member_id=riverside.ben_id, actor=riverside.ben)
    theirs = log_for(engine, elsewhere)

    assert visible_ids(engine, riverside.ana) == [anas.id]
    assert visible_ids(engine, riverside.ben) == [bens.id]
    assert visible_ids(engine, riverside.broker) == [anas.id, bens.id]
    assert visible_ids(engine, riverside.charity_admin) == [anas.id, bens.id]
    assert visible_ids(engine, riverside.admin) == []
    assert visible_ids(engine, elsewhere.broker) == [theirs.id]


def test_listed_hour_logs_keep_one_status_and_come_a_page_at_a_time(
    engine: Engine, riverside: Riverside
) -> None:
    logs = [log_for(engine, riverside).id for _ in range(3)]
    run(
        engine,
        lambda s: approve_hour_log(s, actor=riverside.broker, hour_log_id=logs[1]),
    )
    broker = riverside.broker

    assert visible_ids(engine, broker, status=Decision.PENDING) == [logs[0], logs[2]]
    assert visible_ids(engine, broker, status=Decision.APPROVED) == [logs[1]]
    first = run(engine, partial(list_visible_hour_logs, actor=broker, limit=2))
    assert [log.id for log in first.hour_logs] == logs[:2]
    assert first.next_after_id == logs[1]
    assert visible_ids(engine, broker, limit=2, after_id=logs[1]) == [logs[2]]
    last = run(engine, partial(list_visible_hour_logs, actor=broker, after_id=logs[1]))
    assert last.next_after_id is None


def test_hour_logs_of_a_time_bank_are_listed_only_to_its_members(
    engine: Engine, riverside: Riverside
) -> None:
    elsewhere = open_riverside(engine)
    log = log_for(engine, riverside)
    here = riverside.bank_id
    assert visible_ids(engine, riverside.broker, time_bank_id=here) == [log.id]
    there = elsewhere.bank_id
    assert visible_ids(engine, elsewhere.broker, time_bank_id=there) == []
    with pytest.raises(UnknownTimeBank, match=f"no time bank {here}"):
        visible_ids(engine, elsewhere.broker, time_bank_id=here)
