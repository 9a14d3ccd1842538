"""Hostile bodies and query strings: a 4xx problem for each, and nothing written.

Schemathesis (test_schemathesis.py) sends what the OpenAPI document allows and
some of what it does not. These go further for every operation that reads a
body or a query string: values of the wrong type in every field, numbers no
column holds, NaN and infinities, JSON nested past any sensible depth, broken
UTF-8, NULs and lone surrogates in text, any Unicode where a number or a date
belongs, bodies that are not objects and bytes that are not JSON. Ids in
paths name Riverside's own rows, so that requests reach the services.
"""

import json
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask, url_for
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from marshmallow import Schema, fields
from sqlalchemy import Engine

from api.hour_logs import HourLogIn
from api.operations import OPERATIONS, Operation
from api.transfers import TransferIn
from timebank import create_app
from timebank.gifts.models import Gift
from timebank.people.models import User

from ..factories import Riverside, days_ago, earn, rows_in_bank, snapshot
from ..web.conftest import Browser
from ..web.test_hostile_input import METACHARACTERS
from .conftest import ApiClient
from .test_schemathesis import Caller, caller, known
from .test_transfers import accounts_of, exchange, gift, swim

__all__ = ["caller", "known"]

LARGEST_ID = 2**63 - 1


def names_no_row(text: str) -> bool:
    """Tell whether text, read as a whole number, names no id, count or limit."""
    try:
        number = int(text)
    except ValueError:
        return True
    return not 0 <= number <= LARGEST_ID


def nested(depth: int) -> str:
    """Return JSON arrays nested depth deep."""
    return "[" * depth + "]" * depth


BROKEN_TEXT = st.one_of(
    st.text().map(lambda text: text + "\x00"),
    st.sampled_from(["\ud800", "a\udfffb"]),
)
HUGE_NUMBERS = st.one_of(
    st.integers(min_value=LARGEST_ID + 1), st.integers(max_value=-(2**63) - 1)
)
# Anything JSON holds but text: wrong for a text field, and for every other
# field wrong too, or else null (and a body of nulls lacks a required field).
NOT_TEXT = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        HUGE_NUMBERS,
        st.floats(),
    ),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
# Text a number, a date or a choice is never.
NOT_A_NUMBER = st.text().filter(names_no_row)


def hostile_value(field: fields.Field) -> st.SearchStrategy[Any]:
    """Return values a field of the API must refuse, whatever else is sent."""
    if isinstance(field, fields.String):
        return NOT_TEXT | BROKEN_TEXT
    return NOT_TEXT | NOT_A_NUMBER | BROKEN_TEXT


def hostile_fields(schema: Schema) -> st.SearchStrategy[dict[str, Any]]:
    """Return some of a schema's fields, under the names sent, each hostile."""
    return st.fixed_dictionaries(
        {},
        optional={
            field.data_key or name: hostile_value(field)
            for name, field in schema.fields.items()
        },
    )


def hostile_body(schema: Schema) -> st.SearchStrategy[bytes]:
    """Return a body the operation must refuse, as bytes on the wire."""
    as_json = hostile_fields(schema).map(lambda body: json.dumps(body).encode())
    return st.one_of(
        as_json,
        NOT_TEXT.map(lambda value: json.dumps(value).encode()),
        st.text().map(lambda text: json.dumps(text).encode()),
        st.binary(),
        st.sampled_from(
            [
                nested(500).encode(),
                nested(20_000).encode(),
                nested(40_000).encode(),
                b'{"minutes": ' + b"9" * 5_000 + b"}",
                b'{"minutes": NaN}',
                b'{"minutes": 1e999}',
                b'{"a": 1, "a": 2}',
            ]
        ),
    )


def hostile_query(schema: Schema) -> st.SearchStrategy[str]:
    """Return a query string naming a schema's fields, each with a bad value."""
    value = st.one_of(
        NOT_A_NUMBER,
        HUGE_NUMBERS.map(str),
        st.floats().map(repr),
        st.binary(max_size=32),
        st.text(st.characters(exclude_categories=()), max_size=16).map(
            lambda text: text.encode("utf-8", "surrogatepass")
        ),
    )
    return (
        st.fixed_dictionaries(
            {},
            optional={
                field.data_key or name: value for name, field in schema.fields.items()
            },
        )
        .filter(bool)
        .map(urlencode)
    )


def half_surrogates_everywhere(operation: Operation) -> tuple[str, Any]:
    """Return a body or query whose every field is half a surrogate pair.

    Random text rarely holds one; this sends one to every field every run.
    """
    if operation.body is not None:
        body = {f.data_key or n: "\ud800" for n, f in operation.body.fields.items()}
        return "body", json.dumps(body).encode()
    assert operation.query is not None
    names = [f.data_key or n for n, f in operation.query.fields.items()]
    return "query", "&".join(f"{name}=%ED%A0%80" for name in names)


def reads_input(operation: Operation) -> bool:
    return operation.body is not None or operation.query is not None


# The handlers declare their operations as the app imports them.
create_app({"DATABASE_URL": "sqlite://"})
READING = [
    pytest.param(operation, id=f"{operation.method} {operation.rule}")
    for operation in OPERATIONS
    if reads_input(operation)
]


@pytest.mark.parametrize("operation", READING)
def test_hostile_input_gets_a_problem_and_writes_nothing(
    operation: Operation,
    engine: Engine,
    app: Flask,
    caller: Caller,
    known: dict[str, list[Any]],
) -> None:
    """Every hostile body or query gets a 4xx problem and writes nothing."""
    client = app.test_client()
    headers = caller.headers()
    with app.test_request_context():
        url = url_for(
            f"api.{operation.endpoint}",
            **{name: known[name][0] for name in url_arguments(app, operation)},
        )
    if operation.body is not None:
        sent = hostile_body(operation.body).map(lambda body: ("body", body))
    else:
        assert operation.query is not None
        sent = hostile_query(operation.query).map(lambda query: ("query", query))

    @given(sent=sent)
    @example(sent=half_surrogates_everywhere(operation))
    @settings(
        max_examples=30,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def send(sent: tuple[str, Any]) -> None:
        where, value = sent
        before = snapshot(engine) if operation.method != "get" else None
        if where == "body":
            key = {"Idempotency-Key": secrets.token_hex(8)}
            response = client.open(
                url,
                method=operation.method.upper(),
                data=value,
                content_type="application/json",
                headers={**headers, **key},
            )
        else:
            response = client.get(f"{url}?{value}", headers=headers)
        assert 400 <= response.status_code < 500, response.get_data(as_text=True)
        assert response.mimetype == "application/problem+json"
        if before is not None:
            assert snapshot(engine) == before

    send()


def valid_bodies(engine: Engine, place: Riverside) -> dict[str, dict[str, Any]]:
    """Return a valid body of Ana's for each operation that moves credits."""
    accounts = accounts_of(engine, place)
    return {
        "gift": gift(accounts),
        "exchange": exchange(accounts),
        "spend": swim(place, accounts),
        "hour log": {
            "organisation_id": place.charity.id,
            "minutes": 60,
            "service_date": days_ago(1).isoformat(),
            "description": "Sorting donations",
        },
    }


FIELDS_OF_BODIES = {
    "gift": TransferIn().fields,
    "exchange": TransferIn().fields,
    "spend": TransferIn().fields,
    "hour log": HourLogIn().fields,
}


@pytest.mark.parametrize("body", sorted(FIELDS_OF_BODIES))
def test_one_hostile_field_in_a_valid_body_gets_a_problem_and_writes_nothing(
    engine: Engine,
    riverside: Riverside,
    api_for: Callable[[User], ApiClient],
    body: str,
) -> None:
    """A valid body with one field made hostile gets a 4xx problem and writes nothing.

    The other fields are valid, so the hostile one is the only thing wrong.
    A number that is right after all (a whole number of minutes) is accepted.
    """
    earn(engine, riverside, riverside.ana, 600)
    valid = valid_bodies(engine, riverside)[body]
    url = "/api/v1/hour-logs" if body == "hour log" else "/api/v1/transfers"
    ana = api_for(riverside.ana)
    fields_of = FIELDS_OF_BODIES[body]

    @given(
        field=st.sampled_from(sorted(valid)).flatmap(
            lambda name: st.tuples(st.just(name), hostile_value(fields_of[name]))
        )
    )
    @settings(
        max_examples=25,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def send(field: tuple[str, Any]) -> None:
        name, value = field
        before = snapshot(engine)
        response = ana.client.post(
            url,
            data=json.dumps({**valid, name: value}),
            content_type="application/json",
            headers={**ana.headers, "Idempotency-Key": secrets.token_hex(8)},
        )
        if response.status_code == 201:
            return
        assert 400 <= response.status_code < 500, response.get_data(as_text=True)
        assert response.mimetype == "application/problem+json"
        assert snapshot(engine) == before

    send()


def test_a_memo_sent_through_the_api_is_stored_as_sent_and_shown_escaped(
    engine: Engine,
    riverside: Riverside,
    api_for: Callable[[User], ApiClient],
    browser_for: Callable[[User], Browser],
) -> None:
    earn(engine, riverside, riverside.ana, 60)
    body = gift(accounts_of(engine, riverside), memo=METACHARACTERS)
    sent = api_for(riverside.ana).post(
        "/api/v1/transfers", body, headers={"Idempotency-Key": secrets.token_hex(8)}
    )
    assert sent.status_code == 201
    read = api_for(riverside.ben).get(f"/api/v1/transfers/{sent.json['id']}")
    assert read.json["memo"] == METACHARACTERS
    (stored,) = rows_in_bank(engine, Gift, riverside)
    assert stored.message == METACHARACTERS
    page = browser_for(riverside.ben).get(f"/banks/{riverside.slug}/history")
    assert str(escape(METACHARACTERS)) in page.get_data(as_text=True)
    assert "<script>alert" not in page.get_data(as_text=True)


def url_arguments(app: Flask, operation: Operation) -> list[str]:
    """Return the names of the ids in an operation's path."""
    (rule,) = app.url_map.iter_rules(f"api.{operation.endpoint}")
    return sorted(rule.arguments)
