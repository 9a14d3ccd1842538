"""The OpenAPI document: valid, describing every route, and the docs page from it."""

import html
import re
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from jsonschema_rs import ValidationError
from marshmallow import fields

from api.openapi import openapi_path, path_parameters, problems
from api.operations import ApiSchema, Operation
from timebank import create_app
from timebank.forms import LARGEST_ID

API = "/api/v1"
METHODS = {"get", "post", "put", "patch", "delete"}


def api_routes(app: Flask) -> set[tuple[str, str]]:
    """Return each (method, OpenAPI path) the app answers under /api/v1."""
    return {
        (method.lower(), re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(f"{API}/")
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }


def operations(described: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in described["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def resolved(described: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    name = schema.get("$ref", "").rpartition("/")[2]
    return described["components"]["schemas"][name] if name else schema


@pytest.fixture(scope="module")
def app() -> Flask:
    """Return an app whose database is never opened: the document needs none."""
    return create_app({"DATABASE_URL": "sqlite://", "TESTING": True})


@pytest.fixture(scope="module")
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="module")
def described(client: FlaskClient) -> dict[str, Any]:
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    assert response.content_type == "application/json"
    body: dict[str, Any] = response.json
    return body


def test_the_document_is_valid_openapi(described: dict[str, Any]) -> None:
    assert described["openapi"].startswith("3.0.")
    schemathesis.openapi.from_dict(described).validate()


def test_an_invalid_document_would_be_caught(described: dict[str, Any]) -> None:
    broken = {**described, "paths": {"/me": {"get": {"responses": "none"}}}}
    with pytest.raises(ValidationError):
        schemathesis.openapi.from_dict(broken).validate()


def test_the_document_describes_every_route_of_the_api_and_no_other(
    app: Flask, described: dict[str, Any]
) -> None:
    documented = {(method, path) for method, path, _ in operations(described)}
    assert documented == api_routes(app)


def test_every_operation_but_the_public_ones_needs_a_bearer_token(
    described: dict[str, Any],
) -> None:
    scheme = described["components"]["securitySchemes"]["bearer"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    guarded = {
        (method, path)
        for method, path, operation in operations(described)
        if operation.get("security") == [{"bearer": []}]
    }
    assert ("get", f"{API}/me") in guarded
    assert ("delete", f"{API}/tokens/{{token_id}}") in guarded
    assert ("post", f"{API}/tokens") not in guarded
    assert ("get", f"{API}/openapi.json") not in guarded
    for method, path, operation in operations(described):
        if (method, path) in guarded:
            assert "401" in operation["responses"], (method, path)
        elif "requestBody" not in operation:
            assert "401" not in operation["responses"], (method, path)


def test_ids_in_paths_are_whole_numbers_a_row_can_hold(
    described: dict[str, Any],
) -> None:
    ids = [
        parameter
        for _, path, operation in operations(described)
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "path"
    ]
    assert ids
    for parameter in ids:
        assert parameter["required"] is True
        assert parameter["schema"]["type"] == "integer"
        assert parameter["schema"]["minimum"] == 1
        assert parameter["schema"]["maximum"] == LARGEST_ID == 2**63 - 1


def test_bodies_refuse_fields_they_do_not_know_however_deep(
    described: dict[str, Any],
) -> None:
    bodies = [
        operation["requestBody"]["content"]["application/json"]["schema"]
        for _, _, operation in operations(described)
        if "requestBody" in operation
    ]
    assert bodies
    seen: list[dict[str, Any]] = []
    while bodies:
        schema = resolved(described, bodies.pop())
        if schema in seen:
            continue
        seen.append(schema)
        if schema.get("type") == "object" and "properties" in schema:
            assert schema["additionalProperties"] is False, schema
        for inner in [
            *schema.get("properties", {}).values(),
            *schema.get("anyOf", []),
            *([schema["items"]] if "items" in schema else []),
        ]:
            bodies.append(inner)


def test_refusals_are_described_as_problems(described: dict[str, Any]) -> None:
    problem = described["components"]["schemas"]["Problem"]
    assert set(problem["properties"]) == {
        "type",
        "title",
        "status",
        "detail",
        "errors",
        "available_minutes",
    }
    assert set(problem["required"]) == {"type", "title", "status", "detail"}
    make_token = described["paths"][f"{API}/tokens"]["post"]
    assert set(make_token["responses"]) == {"201", "400", "401", "413", "422", "429"}
    refused = make_token["responses"]["422"]["content"]["application/problem+json"]
    assert refused["schema"] == {"$ref": "#/components/schemas/Problem"}
    revoke = described["paths"][f"{API}/tokens/{{token_id}}"]["delete"]
    assert "content" not in revoke["responses"]["204"]


class ItemIn(ApiSchema):
    minutes = fields.Integer(strict=True, required=True)


def test_an_idempotent_operation_takes_a_key_and_may_conflict() -> None:
    operation = Operation(
        method="post",
        rule="/banks/<slug>/items/<id:item_id>",
        endpoint="make_item",
        summary="Make an item.",
        description="",
        status=201,
        body=ItemIn(),
        query=None,
        response=None,
        public=False,
        idempotent=True,
    )
    assert openapi_path(operation.rule) == f"{API}/banks/{{slug}}/items/{{item_id}}"
    slug, item_id = path_parameters(operation.rule)
    assert slug["schema"]["type"] == "string"
    assert item_id["schema"]["maximum"] == LARGEST_ID
    meanings = problems(operation)
    assert set(meanings) == {400, 401, 403, 404, 409, 413, 422}
    assert "Idempotency-Key" in meanings[400] and "Idempotency-Key" in meanings[409]
    with pytest.raises(ValueError, match="<uuid:>"):
        path_parameters("/items/<uuid:item>")


def test_a_public_read_with_no_body_has_no_problems() -> None:
    operation = Operation(
        method="get",
        rule="/news",
        endpoint="news",
        summary="Read the news.",
        description="",
        status=200,
        body=None,
        query=None,
        response=ItemIn(),
        public=True,
        idempotent=False,
    )
    assert problems(operation) == {}


def test_the_idempotency_key_is_a_required_header_of_idempotent_operations(
    described: dict[str, Any],
) -> None:
    for _, _, operation in operations(described):
        headers = [
            parameter
            for parameter in operation.get("parameters", [])
            if parameter["in"] == "header"
        ]
        for header in headers:
            assert header["name"] == "Idempotency-Key"
            assert header["required"] is True
            assert re.fullmatch(header["schema"]["pattern"], "order-2026-03-31")
            assert not re.fullmatch(header["schema"]["pattern"], "short")
            assert "409" in operation["responses"]


def test_the_docs_page_shows_every_operation_with_its_fields(
    client: FlaskClient, described: dict[str, Any]
) -> None:
    response = client.get(f"{API}/docs")
    assert response.status_code == 200
    assert response.content_type == "text/html; charset=utf-8"
    page = response.get_data(as_text=True)
    assert "<script" not in page
    assert f"curl -X POST http://localhost{API}/tokens" in page
    for method, path, operation in operations(described):
        assert f"<code>{method.upper()} {path}</code>" in page, (method, path)
        assert operation["summary"] in html.unescape(page)
        for parameter in operation.get("parameters", []):
            assert f"<code>{parameter['name']}</code>" in page
        if "requestBody" in operation:
            body = resolved(
                described,
                operation["requestBody"]["content"]["application/json"]["schema"],
            )
            for field in body["properties"]:
                assert f"<code>{field}</code>" in page
    for name in described["components"]["schemas"]:
        assert f'id="object-{name}"' in page
