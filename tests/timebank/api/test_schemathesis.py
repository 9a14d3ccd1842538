"""Every operation of the API, fed what its OpenAPI document allows and more.

Schemathesis reads the live document from the app and sends each
operation generated requests, with a real token of Riverside's broker (a
member too, so that both members' and brokers' operations get past their
permission checks). Ids named in paths, query strings and bodies are
drawn either as generated or from Riverside's own rows, so that requests
reach the services and not only their 404s. Every answer must be no
server error, a documented status, and a body its schema describes.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from api.openapi import document
from timebank.banks.models import TimeBank
from timebank.exchanges.models import Exchange
from timebank.gifts.models import Gift
from timebank.hour_logs.models import HourLog
from timebank.organisations.models import Organisation
from timebank.people.models import Membership, User
from timebank.spending.models import Spend
from timebank.tokens.services import create_token

from ..factories import (
    Riverside,
    exchange_paid_by_ana,
    give_ana_one_entry_of_each_kind,
    log_for,
    rows_in_bank,
    run,
)
from ..web.conftest import PASSWORD

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


@dataclass
class Caller:
    """The token requests are sent with; a case that revokes it gets a new one."""

    engine: Engine
    user: User
    token_id: int = 0
    secret: str = ""

    def headers(self) -> dict[str, str]:
        if not self.secret:
            token, self.secret = run(
                self.engine,
                lambda s: create_token(
                    s, email=self.user.email, password=PASSWORD, name="Schemathesis"
                ),
            )
            self.token_id = token.id
        return {"Authorization": f"Bearer {self.secret}"}

    def after(self, case: schemathesis.Case, status: int) -> None:
        own_token = case.path_parameters == {"token_id": self.token_id}
        if case.method == "DELETE" and own_token and status == 204:
            self.secret = ""


@pytest.fixture
def caller(engine: Engine, riverside: Riverside) -> Caller:
    return Caller(engine, riverside.broker)


@pytest.fixture
def known(engine: Engine, riverside: Riverside) -> dict[str, list[Any]]:
    """Return ids of Riverside's rows, by the names that API fields give them.

    Ana has one entry of each kind; an hour log and an exchange wait for a
    broker; another of the broker's tokens may be revoked.
    """
    give_ana_one_entry_of_each_kind(engine, riverside)
    log_for(engine, riverside)
    exchange_paid_by_ana(engine, riverside)
    spare, _ = run(
        engine,
        lambda s: create_token(s, email=riverside.broker.email, password=PASSWORD),
    )

    def accounts(s: Session) -> list[int]:
        members = [
            s.get_one(Membership, member_id).account_id
            for member_id in (riverside.ana_id, riverside.ben_id)
        ]
        bank = s.get_one(TimeBank, riverside.bank_id)
        organisations = [
            s.get_one(Organisation, organisation.id).account_id
            for organisation in (riverside.charity, riverside.leisure)
        ]
        return [*members, *organisations, bank.pool_account_id]

    account_ids = run(engine, accounts)
    transfers = [
        row.transaction_id
        for model in (Exchange, Gift, Spend)
        for row in rows_in_bank(engine, model, riverside)
    ]
    return {
        "slug": [riverside.slug],
        "time_bank_id": [riverside.bank_id],
        "member_id": [riverside.ana_id, riverside.ben_id],
        "account_id": account_ids,
        "from_account_id": account_ids,
        "to_account_id": account_ids,
        "organisation_id": [riverside.charity.id, riverside.leisure.id],
        "activity_id": [riverside.swim.id],
        "hour_log_id": [log.id for log in rows_in_bank(engine, HourLog, riverside)],
        "transfer_id": transfers,
        "token_id": [spare.id],
    }


def with_known_ids(
    case: schemathesis.Case, draw: Callable[[Any], Any], known: dict[str, list[Any]]
) -> None:
    """Give some of a case's ids the values of real rows instead."""
    for values in (case.path_parameters, case.query, case.body):
        if not isinstance(values, dict):
            continue
        for name, value in values.items():
            if name in known and isinstance(value, int | str):
                values[name] = draw(st.sampled_from([value, *known[name]]))


def modes(operation: dict[str, Any]) -> list[GenerationMode]:
    """Return how to generate an operation's requests: valid, and invalid too.

    An operation that reads nothing and needs no token has nothing to get
    wrong: it has no invalid requests.
    """
    reads = operation.get("parameters") or "requestBody" in operation
    if reads or "security" in operation:
        return [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    return [GenerationMode.POSITIVE]


# Each operation of the document, as schemathesis labels it, and its modes.
OPERATIONS = [
    pytest.param(f"{method.upper()} {path}", modes(operation), id=f"{method} {path}")
    for path, item in document()["paths"].items()
    for method, operation in item.items()
]


@pytest.mark.parametrize(("label", "generation_modes"), OPERATIONS)
def test_the_api_answers_as_its_document_says(
    label: str,
    generation_modes: list[GenerationMode],
    app: Flask,
    caller: Caller,
    known: dict[str, list[Any]],
) -> None:
    operation = schemathesis.openapi.from_wsgi(
        "/api/v1/openapi.json", app
    ).find_operation_by_label(label)
    assert operation is not None
    for mode in generation_modes:

        @given(case=operation.as_strategy(mode), data=st.data())
        @settings(
            max_examples=25,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def send(case: schemathesis.Case, data: st.DataObject) -> None:
            with_known_ids(case, data.draw, known)
            response = case.call_and_validate(headers=caller.headers(), checks=CHECKS)
            caller.after(case, response.status_code)

        send()
