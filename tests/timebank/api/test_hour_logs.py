"""Hour logs through the API: logged, listed for whoever may see them, decided once."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from timebank.banks.rules import today
from timebank.hour_logs.models import HourLog
from timebank.hour_logs.services import get_hour_log, list_hour_logs
from timebank.organisations.models import Organisation
from timebank.organisations.services import (
    appoint_organisation_admin,
    register_organisation,
)
from timebank.people.models import User
from timebank.people.services import enrol_member

from ..factories import (
    Riverside,
    balance,
    days_ago,
    log_for,
    open_riverside,
    run,
    snapshot,
)
from .conftest import ApiClient

ApiFor = Callable[[User], ApiClient]


def a_log(place: Riverside, **changes: Any) -> dict[str, Any]:
    """Return a body logging two hours at the food bank yesterday, with changes."""
    return {
        "organisation_id": place.charity.id,
        "minutes": 120,
        "service_date": days_ago(1).isoformat(),
        "description": "Sorting donations",
        **changes,
    }


def logs_in(engine: Engine, place: Riverside) -> list[HourLog]:
    return list(run(engine, lambda s: list_hour_logs(s, time_bank_id=place.bank_id)))


def test_a_member_logs_their_own_hours(
    engine: Engine, riverside: Riverside, api_for: ApiFor
) -> None:
    response = api_for(riverside.ana).post("/api/v1/hour-logs", a_log(riverside))

    assert response.status_code == 201
    (log,) = logs_in(engine, riverside)
    assert response.json == {
        "id": log.id,
        "time_bank_id": riverside.bank_id,
        "member_id": riverside.ana_id,
        "organisation_id": riverside.charity.id,
        "minutes": 120,
        "service_date": days_ago(1).isoformat(),
        "description": "Sorting donations",
        "status": "pending",
        "logged_by_id": riverside.ana.id,
        "logged_at": log.logged_at.isoformat(),
        "decided_by_id": None,
        "decided_at": None,
        "reason": None,
        "transaction_id": None,
    }
    assert log.membership_id == riverside.ana_id


def test_a_broker_logs_hours_for_a_member(
    engine: Engine, riverside: Riverside, api_for: ApiFor
) -> None:
    response = api_for(riverside.broker).post(
        "/api/v1/hour-logs", a_log(riverside, member_id=riverside.ben_id)
    )
    assert response.status_code == 201
    assert response.json["member_id"] == riverside.ben_id
    assert response.json["logged_by_id"] == riverside.broker.id
    (log,) = logs_in(engine, riverside)
    assert log.membership_id == riverside.ben_id


def refused(
    engine: Engine, client: ApiClient, url: str, body: Any, status: int
) -> dict[str, Any]:
    """Send a request that must be refused and change nothing; return its problem."""
    before = snapshot(engine)
    response = client.post(url, body)
    assert response.status_code == status, response.json
    assert response.content_type == "application/problem+json"
    assert snapshot(engine) == before
    body = response.json
    assert isinstance(body, dict)
    return body


def test_a_member_logs_no_hours_for_another_member(
    engine: Engine, riverside: Riverside, api_for: ApiFor
) -> None:
    problem = refused(
        engine,
        api_for(riverside.ana),
        "/api/v1/hour-logs",
        a_log(riverside, member_id=riverside.ben_id),
        403,
    )
    assert "Only the member, or a broker" in problem["detail"]


def test_hours_for_an_organisation_of_another_bank_are_not_found(
    engine: Engine, riverside: Riverside, api_for: ApiFor
) -> None:
    elsewhere = open_riverside(engine)
    refused(
        engine,
        api_for(riverside.ana),
        "/api/v1/hour-logs",
        a_log(riverside, organisation_id=elsewhere.charity.id),
        404,
    )
    refused(
        engine,
        api_for(riverside.ana),
        "/api/v1/hour-logs",
        a_log(riverside, organisation_id=999_999_999),
        404,
    )


@pytest.mark.parametrize(
    ("changes", "status", "detail"),
    [
        ({"minutes": 0}, 422, "more than zero"),
        ({"minutes": -60}, 422, "more than zero"),
        ({"minutes": 50}, 422, "multiple"),
        ({"minutes": 24 * 60 + 15}, 422, "more than the 1440"),
        ({"minutes": 10**40}, 422, "more than the 1440"),
        ({"service_date": (today() + timedelta(days=1)).isoformat()}, 422, "future"),
        ({"service_date": "0001-01-01"}, 422, "days ago"),
        ({"service_date": "9999-12-31"}, 422, "future"),
        ({"description": "   "}, 422, "must not be empty"),
        ({"description": "x" * 501}, 422, "at most 500"),
        ({"member_id": 999_999_999}, 404, "no member"),
    ],
)
def test_hours_breaking_a_rule_are_refused_and_change_nothing(
    engine: Engine,
    riverside: Riverside,
    api_for: ApiFor,
    changes: dict[str, Any],
    status: int,
    detail: str,
) -> None:
    problem = refused(
        engine,
        api_for(riverside.broker),
        "/api/v1/hour-logs",
        a_log(riverside, **changes),
        status,
    )
    assert detail in problem["detail"]


def test_hours_are_logged_only_for_an_organisation_that_issues_credits(
    engine: Engine, riverside: Riverside, api_for: ApiFor
) -> None:
    problem = refused(
        engine,
        api_for(riverside.ana),
        "/api/v1/hour-logs",
        a_log(riverside, organisation_id=riverside.leisure.id),
        422,
    )
    assert "does not issue credits" in problem["detail"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"organisation_id": "1"}, "organisation_id"),
        ({"organisation_id": None}, "organisation_id"),
        ({"organisation_id": 1.5}, "organisation_id"),
        ({"organisation_id": 0}, "organisation_id"),
        ({"organisation_id": 2**63}, "organisation_id"),
        ({"organisation_id": True}, "organisation_id"),
        ({"member_id": "me"}, "member_id"),
        ({"member_id": 10**30}, "member_id"),
        ({"minutes": 90.0}, "minutes"),
        ({"minutes": 1.5}, "minutes"),
        ({"minutes": "120"}, "minutes"),
        ({"minutes": True}, "minutes"),
        ({"minutes": [120]}, "minutes"),
        ({"minutes": None}, "minutes"),
        ({"service_date": "yesterday"}, "service_date"),
        ({"service_date": "2025-02-30"}, "service_date"),
        ({"service_date": 20250101}, "service_date"),
        ({"description": 5}, "description"),
        ({"description": {"text": "x"}}, "description"),
        ({"time_bank_id": 1}, "time_bank_id"),
        ({"status": "approved"}, "status"),
    ],
)
def test_bad_fields_are_refused_by_name_and_change_nothing(
    engine: Engine,
    riverside: Riverside,
    api_for: ApiFor,
    changes: dict[str, Any],
    field: str,
) -> None:
    problem = refused(
        engine,
        api_for(riverside.ana),
        "/api/v1/hour-logs",
        a_log(riverside, **changes),
        422,
    )
    assert list(problem["errors"]) == [field]


@pytest.mark.parametrize(
    "field", ["organisation_id", "minutes", "service_date", "description"]
)
def test_each_required_field_is_named_when_missing(
    engine: Engine, riverside: Riverside, api_for: ApiFor, field: str
) -> None:
    body = a_log(riverside)
    del body[field]
    problem = refused(engine, api_for(riverside.ana), "/api/v1/hour-logs", body, 422)
    assert problem["errors"] == {field: ["Missing data for required field."]}


def test_a_body_that_is_not_an_object_is_refused(
    engine: Engine, riverside: Riverside, api_for: ApiFor
) -> None:
    ana = api_for(riverside.ana)
    refused(engine, ana, "/api/v1/hour-logs", [a_log(riverside)], 422)
    refused(engine, ana, "/api/v1/hour-logs", "two hours", 422)
    refused(engine, ana, "/api/v1/hour-logs", None, 400)


def test_hour_logs_need_a_token(
    engine: Engine, riverside: Riverside, anonymous_api: ApiClient
) -> None:
    log = log_for(engine, riverside)
    refused(engine, anonymous_api, "/api/v1/hour-logs", a_log(riverside), 401)
    refused(engine, anonymous_api, f"/api/v1/hour-logs/{log.id}/approve", None, 401)
    assert anonymous_api.get("/api/v1/hour-logs").status_code == 401


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.json
    return [log["id"] for log in response.json["hour_logs"]]


def open_a_second_charity(engine: Engine, place: Riverside) -> Organisation:
    """Register a second issuing organisation, administered by Ben."""

    def work(s: Session) -> Organisation:
        organisation = register_organisation(
            s,
            actor=place.admin,
            time_bank_id=place.bank_id,
            name="Park Friends",
            is_issuer=True,
            is_spend_partner=False,
            floor_minutes=None,
        )
        appoint_organisation_admin(
            s,
            actor=place.admin,
            time_bank_id=place.bank_id,
            organisation_id=organisation.id,
            member_id=place.ben_id,
            reason="Runs the park days",
        )
        return organisation

    return run(engine, work)


def test_each_person_lists_the_hour_logs_they_may_see_oldest_first(
    engine: Engine, riverside: Riverside, api_for: ApiFor
) -> None:
    park = open_a_second_charity(engine, riverside)
    anas = log_for(engine, riverside)
    bens = log_for(engine, riverside, member_id=riverside.ben_id, actor=riverside.ben)
    anas_in_the_park = api_for(riverside.ana).post(
        "/api/v1/hour-logs", a_log(riverside, organisation_id=park.id)
    )
    in_the_park = anas_in_the_park.json["id"]

    assert ids(api_for(riverside.ana).get("/api/v1/hour-logs")) == [
        anas.id,
        in_the_park,
    ]
    # Ben sees his own, and as the park's admin the park's.
    assert ids(api_for(riverside.ben).get("/api/v1/hour-logs")) == [
        bens.id,
        in_the_park,
    ]
    assert ids(api_for(riverside.charity_admin).get("/api/v1/hour-logs")) == [
        anas.id,
        bens.id,
    ]
    assert ids(api_for(riverside.broker).get("/api/v1/hour-logs")) == [
        anas.id,
        bens.id,
        in_the_park,
    ]
    assert ids(api_for(riverside.admin).get("/api/v1/hour-logs")) == []


def test_the_list_keeps_one_status_and_one_time_bank(
    engine: Engine, riverside: Riverside, api_for: ApiFor
) -> None:
    elsewhere = open_riverside(engine)
    run(
        engine,
        lambda s: enrol_member(
            s,
            actor=elsewhere.admin,
            time_bank_id=elsewhere.bank_id,
            user_id=riverside.ana.id,
        ),
    )
    ana = api_for(riverside.ana)
    approved = log_for(engine, riverside)
    broker = api_for(riverside.broker)
    assert broker.post(f"/api/v1/hour-logs/{approved.id}/approve").status_code == 200
    pending = log_for(engine, riverside)
    there = ana.post(
        "/api/v1/hour-logs", a_log(elsewhere, organisation_id=elsewhere.charity.id)
    ).json["id"]

    assert ids(ana.get("/api/v1/hour-logs")) == [approved.id, pending.id, there]
    assert ids(ana.get("/api/v1/hour-logs", status="pending")) == [pending.id, there]
    assert ids(ana.get("/api/v1/hour-logs", status="approved")) == [approved.id]
    assert ids(ana.get("/api/v1/hour-logs", time_bank_id=elsewhere.bank_id)) == [there]
    assert ids(
        broker.get(
            "/api/v1/hour-logs", status="pending", time_bank_id=riverside.bank_id
        )
    ) == [pending.id]
    other_bank = broker.get("/api/v1/hour-logs", time_bank_id=elsewhere.bank_id)
    assert other_bank.status_code == 404


def test_pages_of_hour_logs_walk_each_log_once(
    engine: Engine, riverside: Riverside, api_for: ApiFor
) -> None:
    logged = [log_for(engine, riverside).id for _ in range(5)]
    broker = api_for(riverside.broker)

    seen, cursor = [], None
    while True:
        query: dict[str, Any] = {"limit": 2}
        if cursor is not None:
            query["cursor"] = cursor
        page = broker.get("/api/v1/hour-logs", **query)
        seen += ids(page)
        cursor = page.json["next_cursor"]
        if cursor is None:
            break

    assert seen == logged


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"status": "done"}, "status"),
        ({"status": "PENDING"}, "status"),
        ({"time_bank_id": "riverside"}, "time_bank_id"),
        ({"time_bank_id": "0"}, "time_bank_id"),
        ({"time_bank_id": "9" * 30}, "time_bank_id"),
        ({"time_bank_id": "1.5"}, "time_bank_id"),
        ({"cursor": "page-2"}, "cursor"),
        ({"cursor": "-3"}, "cursor"),
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "all"}, "limit"),
        ({"member_id": "3"}, "member_id"),
    ],
)
def test_bad_list_queries_are_refused_by_field(
    engine: Engine,
    riverside: Riverside,
    api_for: ApiFor,
    query: dict[str, str],
    field: str,
) -> None:
    log_for(engine, riverside)
    broker = api_for(riverside.broker)
    before = snapshot(engine)
    response = broker.get("/api/v1/hour-logs", **query)
    assert response.status_code == 422
    assert list(response.json["errors"]) == [field]
    assert snapshot(engine) == before


def test_a_broker_approves_an_hour_log_and_it_earns_its_minutes(
    engine: Engine, riverside: Riverside, api_for: ApiFor
) -> None:
    log = log_for(engine, riverside, minutes=90)

    response = api_for(riverside.broker).post(f"/api/v1/hour-logs/{log.id}/approve")

    assert response.status_code == 200
    decided = run(engine, lambda s: get_hour_log(s, log.id))
    assert response.json["status"] == "approved"
    assert response.json["decided_by_id"] == riverside.broker.id
    assert response.json["decided_at"] == decided.decided_at.isoformat()
    assert response.json["transaction_id"] == decided.transaction_id is not None
    assert balance(engine, riverside.ana_id).balance_minutes == 90


def test_an_organisations_admin_approves_its_hour_logs(
    engine: Engine, riverside: Riverside, api_for: ApiFor
) -> None:
    log = log_for(engine, riverside)
    response = api_for(riverside.charity_admin).post(
        f"/api/v1/hour-logs/{log.id}/approve"
    )
    assert response.status_code == 200
    assert balance(engine, riverside.ana_id).balance_minutes == 120


def test_an_hour_log_is_decided_once(
    engine: Engine, riverside: Riverside, api_for: ApiFor
) -> None:
    log = log_for(engine, riverside)
    broker = api_for(riverside.broker)
    assert broker.post(f"/api/v1/hour-logs/{log.id}/approve").status_code == 200

    again = refused(engine, broker, f"/api/v1/hour-logs/{log.id}/approve", None, 409)
    assert "already approved" in again["detail"]
    rejected = refused(
        engine,
        api_for(riverside.charity_admin),
        f"/api/v1/hour-logs/{log.id}/reject",
        {"reason": "Too late"},
        409,
    )
    assert "already approved" in rejected["detail"]


def test_nobody_approves_an_hour_log_they_logged_or_that_credits_them(
    engine: Engine, riverside: Riverside, api_for: ApiFor
) -> None:
    anas_own = log_for(engine, riverside)
    for_ben = log_for(
        engine, riverside, member_id=riverside.ben_id, actor=riverside.broker
    )
    own = refused(
        engine,
        api_for(riverside.ana),
        f"/api/v1/hour-logs/{anas_own.id}/approve",
        None,
        403,
    )
    assert "that you recorded or that credits you" in own["detail"]
    refused(
        engine,
        api_for(riverside.broker),
        f"/api/v1/hour-logs/{for_ben.id}/approve",
        None,
        403,
    )


def test_a_member_decides_no_one_elses_hour_log(
    engine: Engine, riverside: Riverside, api_for: ApiFor
) -> None:
    log = log_for(engine, riverside)
    ben = api_for(riverside.ben)
    refused(engine, ben, f"/api/v1/hour-logs/{log.id}/approve", None, 403)
    refused(engine, ben, f"/api/v1/hour-logs/{log.id}/reject", {"reason": "No"}, 403)


def test_hour_logs_of_another_bank_are_not_found(
    engine: Engine, riverside: Riverside, api_for: ApiFor
) -> None:
    elsewhere = open_riverside(engine)
    log = log_for(engine, riverside)
    broker = api_for(elsewhere.broker)
    refused(engine, broker, f"/api/v1/hour-logs/{log.id}/approve", None, 404)
    refused(engine, broker, f"/api/v1/hour-logs/{log.id}/reject", {"reason": "No"}, 404)
    refused(engine, broker, "/api/v1/hour-logs/999999999/approve", None, 404)
    refused(engine, broker, f"/api/v1/hour-logs/{'9' * 30}/approve", None, 404)
    refused(engine, broker, "/api/v1/hour-logs/first/approve", None, 404)


def test_a_rejection_carries_its_reason_and_earns_nothing(
    engine: Engine, riverside: Riverside, api_for: ApiFor
) -> None:
    log = log_for(engine, riverside)
    response = api_for(riverside.charity_admin).post(
        f"/api/v1/hour-logs/{log.id}/reject", {"reason": "  Not our shift  "}
    )
    assert response.status_code == 200
    assert response.json["status"] == "rejected"
    assert response.json["reason"] == "Not our shift"
    assert response.json["decided_by_id"] == riverside.charity_admin.id
    assert response.json["transaction_id"] is None
    assert balance(engine, riverside.ana_id).balance_minutes == 0


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({}, 422, "reason"),
        ({"reason": None}, 422, "reason"),
        ({"reason": 42}, 422, "reason"),
        ({"reason": "No", "minutes": 60}, 422, "minutes"),
        ({"reason": "   "}, 422, None),
        ({"reason": "x" * 501}, 422, None),
        (["No"], 422, None),
    ],
)
def test_a_rejection_without_a_proper_reason_is_refused(
    engine: Engine,
    riverside: Riverside,
    api_for: ApiFor,
    body: Any,
    status: int,
    field: str | None,
) -> None:
    log = log_for(engine, riverside)
    problem = refused(
        engine,
        api_for(riverside.broker),
        f"/api/v1/hour-logs/{log.id}/reject",
        body,
        status,
    )
    if field is not None:
        assert list(problem["errors"]) == [field]
    assert run(engine, lambda s: get_hour_log(s, log.id)).status == "pending"
