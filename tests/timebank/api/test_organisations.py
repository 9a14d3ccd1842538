"""Organisations through the API: who issues and accepts credits, and for what."""

from collections.abc import Callable

import pytest
from sqlalchemy import Engine

from timebank.organisations.services import add_activity
from timebank.people.models import User
from timebank.people.services import enrol_member

from ..factories import Riverside, open_riverside, run, snapshot
from .conftest import ApiClient

ApiFor = Callable[[User], ApiClient]


def test_a_member_lists_their_banks_organisations_by_name(
    riverside: Riverside, api_for: ApiFor
) -> None:
    response = api_for(riverside.ana).get("/api/v1/organisations")

    assert response.status_code == 200
    assert response.json == {
        "organisations": [
            {
                "id": riverside.leisure.id,
                "time_bank_id": riverside.bank_id,
                "name": "Leisure Centre",
                "is_issuer": False,
                "is_spend_partner": True,
                "account_id": riverside.leisure.account_id,
            },
            {
                "id": riverside.charity.id,
                "time_bank_id": riverside.bank_id,
                "name": "Riverside Food Bank",
                "is_issuer": True,
                "is_spend_partner": False,
                "account_id": riverside.charity.account_id,
            },
        ]
    }


def test_a_member_of_two_banks_lists_both_or_one_of_them(
    engine: Engine, riverside: Riverside, api_for: ApiFor
) -> None:
    elsewhere = open_riverside(engine)
    stranger = open_riverside(engine)
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

    everything = ana.get("/api/v1/organisations").json["organisations"]
    assert sorted({o["time_bank_id"] for o in everything}) == sorted(
        [riverside.bank_id, elsewhere.bank_id]
    )
    assert len(everything) == 4
    there = ana.get("/api/v1/organisations", time_bank_id=elsewhere.bank_id)
    assert [o["id"] for o in there.json["organisations"]] == [
        elsewhere.leisure.id,
        elsewhere.charity.id,
    ]
    not_hers = ana.get("/api/v1/organisations", time_bank_id=stranger.bank_id)
    assert not_hers.status_code == 404
    assert "organisations" not in not_hers.json


def test_a_member_lists_a_partners_activities_with_prices(
    engine: Engine, riverside: Riverside, api_for: ApiFor
) -> None:
    gym = run(
        engine,
        lambda s: add_activity(
            s,
            actor=riverside.admin,
            time_bank_id=riverside.bank_id,
            organisation_id=riverside.leisure.id,
            name="Gym",
            price_minutes=45,
        ),
    )
    ana = api_for(riverside.ana)

    response = ana.get(f"/api/v1/organisations/{riverside.leisure.id}/activities")

    assert response.status_code == 200
    assert response.json == {
        "activities": [
            {
                "id": gym.id,
                "organisation_id": riverside.leisure.id,
                "name": "Gym",
                "price_minutes": 45,
            },
            {
                "id": riverside.swim.id,
                "organisation_id": riverside.leisure.id,
                "name": "Swim",
                "price_minutes": 60,
            },
        ]
    }
    charity = ana.get(f"/api/v1/organisations/{riverside.charity.id}/activities")
    assert charity.json == {"activities": []}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/organisations/999999999/activities",
        "/api/v1/organisations/99999999999999999999/activities",
        "/api/v1/organisations/0/activities",
        "/api/v1/organisations/leisure/activities",
    ],
)
def test_activities_of_no_organisation_are_not_found(
    riverside: Riverside, api_for: ApiFor, path: str
) -> None:
    response = api_for(riverside.ana).get(path)
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"


def test_activities_of_another_banks_organisation_are_not_found(
    engine: Engine, riverside: Riverside, api_for: ApiFor
) -> None:
    elsewhere = open_riverside(engine)
    response = api_for(elsewhere.broker).get(
        f"/api/v1/organisations/{riverside.leisure.id}/activities"
    )
    assert response.status_code == 404
    assert "activities" not in response.json


def test_organisations_need_a_token(
    riverside: Riverside, anonymous_api: ApiClient
) -> None:
    assert anonymous_api.get("/api/v1/organisations").status_code == 401
    activities = f"/api/v1/organisations/{riverside.leisure.id}/activities"
    assert anonymous_api.get(activities).status_code == 401


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"time_bank_id": "riverside"}, "time_bank_id"),
        ({"time_bank_id": "0"}, "time_bank_id"),
        ({"time_bank_id": "-1"}, "time_bank_id"),
        ({"time_bank_id": "1.0"}, "time_bank_id"),
        ({"time_bank_id": "9" * 30}, "time_bank_id"),
        ({"time_bank_id": ""}, "time_bank_id"),
        ({"issuers": "true"}, "issuers"),
    ],
)
def test_bad_queries_are_refused_by_field_and_change_nothing(
    engine: Engine,
    riverside: Riverside,
    api_for: ApiFor,
    query: dict[str, str],
    field: str,
) -> None:
    ana = api_for(riverside.ana)
    before = snapshot(engine)
    response = ana.get("/api/v1/organisations", **query)
    assert response.status_code == 422
    assert list(response.json["errors"]) == [field]
    assert snapshot(engine) == before
