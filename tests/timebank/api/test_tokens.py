"""Personal tokens: made with a password, sent as a bearer, revoked for good."""

from collections.abc import Callable

import pytest
from sqlalchemy import Engine

from timebank.errors import InvalidText
from timebank.people.models import User
from timebank.tokens.services import create_token

from ..factories import Riverside, run, snapshot
from ..web.conftest import PASSWORD, Browser
from .conftest import ApiClient


def test_a_token_opens_the_api_as_its_user(
    riverside: Riverside, api_for: Callable[[User], ApiClient]
) -> None:
    me = api_for(riverside.ana).get("/api/v1/me")
    assert me.status_code == 200
    assert me.json["email"] == riverside.ana.email
    (membership,) = me.json["memberships"]
    assert membership["id"] == riverside.ana_id
    assert membership["roles"] == ["member"]
    assert membership["time_bank"]["slug"] == riverside.slug


def test_a_wrong_password_makes_no_token(
    riverside: Riverside, anonymous_api: ApiClient
) -> None:
    response = anonymous_api.post(
        "/api/v1/tokens", {"email": riverside.ana.email, "password": "wrong horse"}
    )
    assert response.status_code == 401
    assert response.content_type == "application/problem+json"
    assert response.json["detail"] == "That email address and password do not match."


def test_a_revoked_token_opens_nothing(
    riverside: Riverside, api_for: Callable[[User], ApiClient]
) -> None:
    ana = api_for(riverside.ana)
    (token,) = [t for t in ana.get("/api/v1/tokens").json["tokens"]]
    assert ana.delete(f"/api/v1/tokens/{token['id']}").status_code == 204
    response = ana.get("/api/v1/me")
    assert response.status_code == 401
    assert "revoked" in response.json["detail"]


def test_nobody_revokes_another_users_token(
    riverside: Riverside, api_for: Callable[[User], ApiClient]
) -> None:
    ana, ben = api_for(riverside.ana), api_for(riverside.ben)
    (token,) = ana.get("/api/v1/tokens").json["tokens"]
    assert ben.delete(f"/api/v1/tokens/{token['id']}").status_code == 404
    assert ana.get("/api/v1/me").status_code == 200


def test_a_signed_in_browser_is_not_signed_in_to_the_api(
    riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    ana = browser_for(riverside.ana)
    response = ana.get("/api/v1/me")
    assert response.status_code == 401
    assert response.content_type == "application/problem+json"


def test_malformed_bodies_get_a_problem_and_no_server_error(
    anonymous_api: ApiClient,
) -> None:
    malformed = anonymous_api.client.post(
        "/api/v1/tokens", data="{not json", content_type="application/json"
    )
    assert malformed.status_code == 400
    assert malformed.json["title"] == "Malformed request"
    unknown = anonymous_api.post(
        "/api/v1/tokens", {"email": "a@b.org", "password": "x", "admin": True}
    )
    assert unknown.status_code == 422
    assert unknown.json["errors"] == {"admin": ["Unknown field."]}
    deep = anonymous_api.client.post(
        "/api/v1/tokens", data="[" * 50_000, content_type="application/json"
    )
    assert deep.status_code == 400
    missing = anonymous_api.get("/api/v1/nowhere")
    assert missing.status_code == 404
    assert missing.content_type == "application/problem+json"


def test_an_email_a_database_cannot_store_makes_no_token(
    anonymous_api: ApiClient,
) -> None:
    for email in ("ana\x00@example.org", "ana\ud800@example.org"):
        response = anonymous_api.post(
            "/api/v1/tokens", {"email": email, "password": "x"}
        )
        assert response.status_code == 401


def test_a_token_name_longer_than_its_column_is_refused_by_the_service(
    engine: Engine, riverside: Riverside
) -> None:
    before = snapshot(engine)
    with pytest.raises(InvalidText, match="at most 200 characters"):
        run(
            engine,
            lambda s: create_token(
                s, email=riverside.ana.email, password=PASSWORD, name="x" * 201
            ),
        )
    assert snapshot(engine) == before
