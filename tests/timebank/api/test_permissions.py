"""Who may call which endpoint of the API: every route, for every kind of caller.

The same rules as the web pages: a member reaches only their own account
and entries; a broker or admin only their own time bank; an organisation's
admin only their organisation. The subject of each call is Ana, a member of
Riverside, her account, a pending hour log of hers, an exchange she paid
Ben, her token, and the food bank. A call with a body sends a valid one,
so that only the caller's rights decide. Every API route must be in the matrix.
"""

import secrets
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from flask import Flask, url_for
from sqlalchemy import Engine
from werkzeug.routing import Rule

from timebank import create_app
from timebank.people.models import User

from ..factories import (
    Riverside,
    days_ago,
    earn,
    exchange_paid_by_ana,
    log_for,
    open_riverside,
)
from .conftest import ApiClient

CALLERS = ("anonymous", "ana", "ben", "broker", "charity_admin", "admin", "outsider")

# The status each caller gets, in the order of CALLERS: Ana (whom the calls
# are about), Ben (another member), a broker, the food bank's admin (also a
# member), the time bank's admin (no member role), and a broker of another
# time bank. 401 without a token; 403 within the time bank; 404 outside it.
# They call in that order, so a 409 (already decided) or 422 (not posted yet)
# means the caller was let through and met the state the call left. A body
# naming accounts of another time bank is refused on its fields (422), as
# the body's ids are not the URL's.
# fmt: off
MATRIX: dict[tuple[str, str], str] = {
    ("DELETE", "/api/v1/tokens/<id:token_id>"): "401 204 404 404 404 404 404",
    ("GET", "/api/v1/accounts/<id:account_id>"): "401 200 403 200 403 200 404",
    ("GET", "/api/v1/accounts/<id:account_id>/entries"): "401 200 403 200 403 200 404",
    ("GET", "/api/v1/accounts/<id:account_id>/statement"): "401 200 403 200 403 200 404",
    ("GET", "/api/v1/docs"): "200 200 200 200 200 200 200",
    ("GET", "/api/v1/hour-logs"): "401 200 200 200 200 200 200",
    ("GET", "/api/v1/me"): "401 200 200 200 200 200 200",
    ("GET", "/api/v1/openapi.json"): "200 200 200 200 200 200 200",
    ("GET", "/api/v1/organisations"): "401 200 200 200 200 200 200",
    ("GET", "/api/v1/organisations/<id:organisation_id>/activities"): "401 200 200 200 200 200 404",
    ("GET", "/api/v1/tokens"): "401 200 200 200 200 200 200",
    ("GET", "/api/v1/transfers/<id:transfer_id>"): "401 200 200 200 403 200 404",
    ("POST", "/api/v1/hour-logs"): "401 201 403 201 403 403 404",
    ("POST", "/api/v1/hour-logs/<id:hour_log_id>/approve"): "401 403 403 200 409 403 404",
    ("POST", "/api/v1/hour-logs/<id:hour_log_id>/reject"): "401 403 403 200 409 403 404",
    ("POST", "/api/v1/tokens"): "401 401 401 401 401 401 401",
    ("POST", "/api/v1/transfers"): "401 201 403 201 403 403 422",
    ("POST", "/api/v1/transfers/<id:transfer_id>/approve"): "401 403 403 200 403 403 404",
    ("POST", "/api/v1/transfers/<id:transfer_id>/reject"): "401 403 403 200 403 403 404",
    ("POST", "/api/v1/transfers/<id:transfer_id>/reverse"): "401 403 403 422 403 403 404",
}
# fmt: on


def routes(app: Flask) -> dict[tuple[str, str], Rule]:
    """Return each route of the API by method and rule."""
    return {
        (method, rule.rule): rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }


@dataclass(frozen=True)
class Scene:
    """A client for each caller, and the ids the calls are about."""

    clients: dict[str, ApiClient]
    ids: dict[str, object]


@pytest.fixture
def scene(
    engine: Engine,
    riverside: Riverside,
    app: Flask,
    api_for: Callable[[User], ApiClient],
) -> Scene:
    users = {
        "ana": riverside.ana,
        "ben": riverside.ben,
        "broker": riverside.broker,
        "charity_admin": riverside.charity_admin,
        "admin": riverside.admin,
        "outsider": open_riverside(engine).broker,
    }
    clients = {"anonymous": ApiClient(app)}
    clients.update({name: api_for(user) for name, user in users.items()})
    earn(engine, riverside, riverside.ana, 120)
    (token,) = clients["ana"].get("/api/v1/tokens").json["tokens"]
    ana_account = clients["ana"].get("/api/v1/me").json["memberships"][0]
    return Scene(
        clients=clients,
        ids={
            "account_id": ana_account["account_id"],
            "hour_log_id": log_for(engine, riverside).id,
            "transfer_id": exchange_paid_by_ana(engine, riverside).transaction_id,
            "organisation_id": riverside.charity.id,
            "token_id": token["id"],
            "member_id": riverside.ana_id,
            "ben_account_id": clients["ben"]
            .get("/api/v1/me")
            .json["memberships"][0]["account_id"],
        },
    )


def body_of(rule: str, scene: Scene) -> dict[str, object]:
    """Return a valid body for a call, so that only the caller's rights decide."""
    if rule.endswith(("/reject", "/reverse")):
        return {"reason": "Recorded by mistake"}
    if rule == "/api/v1/hour-logs":
        return {
            "organisation_id": scene.ids["organisation_id"],
            "member_id": scene.ids["member_id"],
            "minutes": 60,
            "service_date": days_ago(1).isoformat(),
            "description": "Sorting donations",
        }
    if rule == "/api/v1/transfers":
        return {
            "kind": "gift",
            "from_account_id": scene.ids["account_id"],
            "to_account_id": scene.ids["ben_account_id"],
            "minutes": 15,
            "memo": "Thank you",
        }
    if rule == "/api/v1/tokens":
        return {"email": "nobody@example.org", "password": "not a password"}
    return {}


def query_of(rule: str) -> dict[str, str]:
    """Return a valid query string for a call that needs one."""
    if rule.endswith("/statement"):
        return {"from": days_ago(30).isoformat(), "to": days_ago(0).isoformat()}
    return {}


def status_of(
    client: ApiClient,
    method: str,
    url: str,
    body: dict[str, object],
    query: dict[str, str],
) -> int:
    if method == "GET":
        return client.get(url, **query).status_code
    if method == "DELETE":
        return client.delete(url).status_code
    key = {"Idempotency-Key": f"permissions-{secrets.token_hex(8)}"}
    return client.post(url, body, headers=key).status_code


def test_the_matrix_covers_every_route_of_the_api() -> None:
    assert set(routes(create_app({"DATABASE_URL": "sqlite://"}))) == set(MATRIX)


@pytest.mark.parametrize(("method", "rule"), sorted(MATRIX))
def test_each_caller_gets_the_status_the_matrix_gives(
    app: Flask, scene: Scene, method: str, rule: str
) -> None:
    route = routes(app)[method, rule]
    with app.test_request_context():
        url = url_for(
            route.endpoint, **{name: scene.ids[name] for name in route.arguments}
        )
    body = body_of(rule, scene)
    found = {
        caller: status_of(scene.clients[caller], method, url, body, query_of(rule))
        for caller in CALLERS
    }
    expected = [int(status) for status in MATRIX[method, rule].split()]
    assert found == dict(zip(CALLERS, expected, strict=True))
