"""Transfers through the API: gifts, exchanges and spends, recorded and decided once."""

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

import ledger
from timebank.banks.models import TimeBank
from timebank.banks.rules import today
from timebank.gifts.models import Gift
from timebank.organisations.services import appoint_organisation_admin
from timebank.people.models import Membership, User

from ..factories import (
    Riverside,
    balance,
    days_ago,
    earn,
    open_riverside,
    run,
    snapshot,
)
from .conftest import ApiClient

ApiFor = Callable[[User], ApiClient]
TRANSFERS = "/api/v1/transfers"


@dataclass(frozen=True)
class Accounts:
    """The account ids of Riverside's people, pool and organisations."""

    admin: int
    ana: int
    ben: int
    broker: int
    pool: int
    charity: int
    leisure: int


def accounts_of(engine: Engine, place: Riverside) -> Accounts:
    def work(s: Session) -> Accounts:
        bank = s.get_one(TimeBank, place.bank_id)
        admin = s.scalars(
            select(Membership).filter_by(time_bank_id=bank.id, user_id=place.admin.id)
        ).one()

        def account(member_id: int) -> int:
            return s.get_one(Membership, member_id).account_id

        return Accounts(
            admin=admin.account_id,
            ana=account(place.ana_id),
            ben=account(place.ben_id),
            broker=account(place.broker_id),
            pool=bank.pool_account_id,
            charity=place.charity.account_id,
            leisure=place.leisure.account_id,
        )

    return run(engine, work)


def account_balance(engine: Engine, account_id: int) -> int:
    return run(
        engine,
        lambda s: ledger.get_account(s.connection(), account_id).balance_minutes,
    )


def gift(accounts: Accounts, **changes: Any) -> dict[str, Any]:
    """Return a body in which Ana gives Ben half an hour, with changes."""
    return {
        "kind": "gift",
        "from_account_id": accounts.ana,
        "to_account_id": accounts.ben,
        "minutes": 30,
        "memo": "For the soup",
        **changes,
    }


def exchange(accounts: Accounts, **changes: Any) -> dict[str, Any]:
    """Return a body in which Ana pays Ben an hour for his help, with changes."""
    return {
        "kind": "exchange",
        "from_account_id": accounts.ana,
        "to_account_id": accounts.ben,
        "minutes": 60,
        "memo": "Fixed a bicycle",
        "service_date": days_ago(2).isoformat(),
        **changes,
    }


def swim(place: Riverside, accounts: Accounts, **changes: Any) -> dict[str, Any]:
    """Return a body in which Ana pays the leisure centre for a swim, with changes."""
    return {
        "kind": "spend",
        "from_account_id": accounts.ana,
        "to_account_id": accounts.leisure,
        "minutes": 60,
        "activity_id": place.swim.id,
        **changes,
    }


def new_key() -> str:
    return secrets.token_urlsafe(16)


def send(client: ApiClient, body: Any, key: str | None = None) -> TestResponse:
    """Post a transfer with a key of its own, or the one given."""
    return client.post(TRANSFERS, body, headers={"Idempotency-Key": key or new_key()})


def recorded(client: ApiClient, body: Any) -> dict[str, Any]:
    """Post a transfer that must be recorded; return it."""
    response = send(client, body)
    assert response.status_code == 201, response.get_data(as_text=True)
    answer: dict[str, Any] = response.json
    return answer


def refused(
    engine: Engine, client: ApiClient, url: str, body: Any, status: int
) -> dict[str, Any]:
    """Post a request that must be refused with status and change nothing."""
    before = snapshot(engine)
    headers = {"Idempotency-Key": new_key()}
    response = client.post(url, body, headers=headers)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == "application/problem+json"
    assert snapshot(engine) == before
    answer: dict[str, Any] = response.json
    return answer


# Recording each kind


def test_a_member_gives_minutes_to_another_and_the_balances_move(
    engine: Engine, riverside: Riverside, api_for: ApiFor
) -> None:
    earn(engine, riverside, riverside.ana, 120)
    accounts = accounts_of(engine, riverside)
    ana = api_for(riverside.ana)

    response = send(ana, gift(accounts))

    assert response.status_code == 201
    transfer = response.json
    assert transfer == {
        "id": transfer["id"],
        "kind": "gift",
        "status": "posted",
        "time_bank_id": riverside.bank_id,
        "from_account_id": accounts.ana,
        "to_account_id": accounts.ben,
        "minutes": 30,
        "memo": "For the soup",
        "service_date": today().isoformat(),
        "recorded_at": transfer["recorded_at"],
        "recorded_by_id": riverside.ana.id,
        "activity_id": None,
        "decided_by_id": None,
        "decided_at": None,
        "reason": None,
        "reversed_by_id": None,
    }
    assert response.headers["Location"].endswith(f"{TRANSFERS}/{transfer['id']}")
    assert "Idempotent-Replayed" not in response.headers
    assert balance(engine, riverside.ana_id).balance_minutes == 90
    assert balance(engine, riverside.ben_id).balance_minutes == 30
    assert ana.get(f"{TRANSFERS}/{transfer['id']}").json == transfer


def test_a_gift_to_the_pool_account_fills_the_pool(
    engine: Engine, riverside: Riverside, api_for: ApiFor
) -> None:
    earn(engine, riverside, riverside.ana, 60)
    accounts = accounts_of(engine, riverside)

    transfer = recorded(
        api_for(riverside.ana), gift(accounts, to_account_id=accounts.pool, memo="")
    )

    assert transfer["to_account_id"] == accounts.pool
    assert account_balance(engine, accounts.pool) == 30
    assert balance(engine, riverside.ana_id).balance_minutes == 30


def test_an_exchange_pays_the_helper_from_the_member_helped(
    engine: Engine, api_for: ApiFor
) -> None:
    place = open_riverside(engine, exchange_approval="never")
    earn(engine, place, place.ana, 60)
    accounts = accounts_of(engine, place)

    transfer = recorded(api_for(place.ana), exchange(accounts))

    assert transfer["kind"] == "exchange"
    assert transfer["status"] == "posted"
    assert transfer["memo"] == "Fixed a bicycle"
    assert transfer["service_date"] == days_ago(2).isoformat()
    assert balance(engine, place.ana_id).balance_minutes == 0
    assert balance(engine, place.ben_id).balance_minutes == 60


def test_a_spend_pays_the_partner_exactly_the_activitys_price(
    engine: Engine, riverside: Riverside, api_for: ApiFor
) -> None:
    earn(engine, riverside, riverside.ana, 90)
    accounts = accounts_of(engine, riverside)

    transfer = recorded(api_for(riverside.ana), swim(riverside, accounts))

    assert transfer["kind"] == "spend"
    assert transfer["status"] == "posted"
    assert transfer["activity_id"] == riverside.swim.id
    assert transfer["memo"] == "Swim at Leisure Centre"
    assert balance(engine, riverside.ana_id).balance_minutes == 30
    assert account_balance(engine, accounts.leisure) == 60


def test_a_broker_pays_from_a_members_account_for_them(
    engine: Engine, riverside: Riverside, api_for: ApiFor
) -> None:
    earn(engine, riverside, riverside.ana, 60)
    accounts = accounts_of(engine, riverside)

    transfer = recorded(api_for(riverside.broker), gift(accounts))

    assert transfer["recorded_by_id"] == riverside.broker.id
    assert balance(engine, riverside.ben_id).balance_minutes == 30


# Approval


def test_a_gift_waits_for_a_broker_when_the_bank_asks_and_posts_once_approved(
    engine: Engine, api_for: ApiFor
) -> None:
    place = open_riverside(engine, gift_approval="always")
    earn(engine, place, place.ana, 60)
    accounts = accounts_of(engine, place)
    broker = api_for(place.broker)

    transfer = recorded(api_for(place.ana), gift(accounts))

    assert transfer["status"] == "pending"
    ana_account = balance(engine, place.ana_id)
    assert (ana_account.balance_minutes, ana_account.available_minutes) == (60, 30)
    assert balance(engine, place.ben_id).balance_minutes == 0

    approved = broker.post(f"{TRANSFERS}/{transfer['id']}/approve")

    assert approved.status_code == 200
    assert approved.json["status"] == "posted"
    assert approved.json["decided_by_id"] == place.broker.id
    assert approved.json["decided_at"] is not None
    assert balance(engine, place.ana_id).balance_minutes == 30
    assert balance(engine, place.ben_id).balance_minutes == 30
    for decision, body in (("approve", None), ("reject", {"reason": "Too late"})):
        url = f"{TRANSFERS}/{transfer['id']}/{decision}"
        assert refused(engine, broker, url, body, 409)["detail"] == (
            "This gift is already approved."
        )


def test_a_rejected_exchange_is_voided_and_frees_the_payers_minutes(
    engine: Engine, riverside: Riverside, api_for: ApiFor
) -> None:
    earn(engine, riverside, riverside.ana, 60)
    accounts = accounts_of(engine, riverside)
    broker = api_for(riverside.broker)
    transfer = recorded(api_for(riverside.ana), exchange(accounts))
    assert transfer["status"] == "pending"
    url = f"{TRANSFERS}/{transfer['id']}/reject"

    problem = refused(engine, broker, url, {"reason": "  "}, 422)
    assert problem["errors"] == {"reason": ["Please give a reason."]}
    rejected = broker.post(url, {"reason": "Not an exchange"})

    assert rejected.status_code == 200
    assert rejected.json["status"] == "voided"
    assert rejected.json["reason"] == "Not an exchange"
    assert rejected.json["decided_by_id"] == riverside.broker.id
    assert balance(engine, riverside.ana_id).available_minutes == 60
    assert balance(engine, riverside.ben_id).balance_minutes == 0
    refused(engine, broker, url, {"reason": "Again"}, 409)
    refused(engine, broker, f"{TRANSFERS}/{transfer['id']}/approve", None, 409)


def test_nobody_decides_a_transfer_they_recorded_pay_or_receive(
    engine: Engine, api_for: ApiFor
) -> None:
    place = open_riverside(engine, gift_approval="always")
    earn(engine, place, place.ana, 60)
    accounts = accounts_of(engine, place)
    transfer = recorded(api_for(place.broker), gift(accounts))
    approve = f"{TRANSFERS}/{transfer['id']}/approve"

    for who in (place.broker, place.ana, place.ben):
        problem = refused(engine, api_for(who), approve, None, 403)
        assert problem["title"] == "Maker checker"
    problem = refused(engine, api_for(place.charity_admin), approve, None, 403)
    assert problem["detail"] == "Only a broker of this time bank may do this."


def test_a_spend_has_nothing_to_decide(
    engine: Engine, riverside: Riverside, api_for: ApiFor
) -> None:
    earn(engine, riverside, riverside.ana, 60)
    accounts = accounts_of(engine, riverside)
    transfer = recorded(api_for(riverside.ana), swim(riverside, accounts))

    url = f"{TRANSFERS}/{transfer['id']}/approve"
    refused(engine, api_for(riverside.broker), url, None, 409)


# Reversal


def test_a_broker_reverses_a_transfer_and_the_minutes_go_back(
    engine: Engine, riverside: Riverside, api_for: ApiFor
) -> None:
    earn(engine, riverside, riverside.ana, 60)
    accounts = accounts_of(engine, riverside)
    broker = api_for(riverside.broker)
    transfer = recorded(api_for(riverside.ana), gift(accounts))
    url = f"{TRANSFERS}/{transfer['id']}/reverse"

    problem = refused(engine, broker, url, {}, 422)
    assert problem["errors"] == {"reason": ["Missing data for required field."]}
    refused(engine, api_for(riverside.ana), url, {"reason": "Changed my mind"}, 403)
    reversed_ = broker.post(url, {"reason": "Sent twice"})

    assert reversed_.status_code == 200
    reversal_id = reversed_.json["reversed_by_id"]
    assert reversal_id is not None
    assert reversed_.json["status"] == "posted"
    assert balance(engine, riverside.ana_id).balance_minutes == 60
    assert balance(engine, riverside.ben_id).balance_minutes == 0
    problem = refused(engine, broker, url, {"reason": "Again"}, 409)
    assert str(reversal_id) in problem["detail"]
    # A reversal is an entry, but no transfer.
    assert broker.get(f"{TRANSFERS}/{reversal_id}").status_code == 404


def test_a_pending_transfer_is_rejected_not_reversed(
    engine: Engine, riverside: Riverside, api_for: ApiFor
) -> None:
    earn(engine, riverside, riverside.ana, 60)
    transfer = recorded(
        api_for(riverside.ana), exchange(accounts_of(engine, riverside))
    )

    url = f"{TRANSFERS}/{transfer['id']}/reverse"
    problem = refused(engine, api_for(riverside.broker), url, {"reason": "No"}, 422)
    assert "pending, not posted" in problem["detail"]


# Sending twice


def test_a_replay_gets_the_same_answer_and_records_nothing_more(
    engine: Engine, api_for: ApiFor
) -> None:
    place = open_riverside(engine, gift_approval="always")
    earn(engine, place, place.ana, 60)
    accounts = accounts_of(engine, place)
    ana = api_for(place.ana)
    key = new_key()
    first = send(ana, gift(accounts), key)
    # Decided in between: the replay still answers as the first time did.
    api_for(place.broker).post(f"{TRANSFERS}/{first.json['id']}/approve")
    before = snapshot(engine)

    again = send(ana, gift(accounts), key)

    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_data() == first.get_data()
    assert again.json["status"] == "pending"
    assert snapshot(engine) == before
    assert balance(engine, place.ben_id).balance_minutes == 30


def test_a_key_sent_with_another_body_is_refused(
    engine: Engine, riverside: Riverside, api_for: ApiFor
) -> None:
    earn(engine, riverside, riverside.ana, 60)
    accounts = accounts_of(engine, riverside)
    ana = api_for(riverside.ana)
    key = new_key()
    assert send(ana, gift(accounts), key).status_code == 201
    before = snapshot(engine)

    response = send(ana, gift(accounts, minutes=15), key)

    assert response.status_code == 409
    assert response.json["title"] == "Idempotency key reused"
    assert snapshot(engine) == before


def test_a_refused_transfer_leaves_its_key_free_for_a_corrected_one(
    engine: Engine, riverside: Riverside, api_for: ApiFor
) -> None:
    accounts = accounts_of(engine, riverside)
    ana = api_for(riverside.ana)
    key = new_key()
    assert send(ana, gift(accounts), key).status_code == 422
    earn(engine, riverside, riverside.ana, 60)

    assert send(ana, gift(accounts), key).status_code == 201


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Idempotency-Key": "short"},
        {"Idempotency-Key": "x" * 65},
        {"Idempotency-Key": "has a space!"},
    ],
    ids=["missing", "short", "long", "spaces"],
)
def test_a_transfer_without_a_good_key_is_refused(
    engine: Engine, riverside: Riverside, api_for: ApiFor, headers: dict[str, str]
) -> None:
    earn(engine, riverside, riverside.ana, 60)
    ana = api_for(riverside.ana)
    before = snapshot(engine)

    response = ana.post(TRANSFERS, gift(accounts_of(engine, riverside)), headers)

    assert response.status_code == 400
    assert "8 to 64 letters" in response.json["detail"]
    assert snapshot(engine) == before


@pytest.mark.parametrize(
    "engine", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_racing_copies_of_a_transfer_record_it_once(
    app: Flask, engine: Engine, riverside: Riverside, api_for: ApiFor
) -> None:
    earn(engine, riverside, riverside.ana, 60)
    accounts = accounts_of(engine, riverside)
    token = api_for(riverside.ana).headers["Authorization"].removeprefix("Bearer ")
    key = new_key()
    barrier = threading.Barrier(8)
    answers: list[TestResponse] = []

    def racer() -> None:
        client = ApiClient(app, token)
        barrier.wait()
        answers.append(send(client, gift(accounts), key))

    threads = [threading.Thread(target=racer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [answer.status_code for answer in answers] == [201] * 8
    assert len({answer.get_data() for answer in answers}) == 1
    replays = [answer.headers.get("Idempotent-Replayed") for answer in answers]
    assert replays.count("true") == 7
    assert balance(engine, riverside.ben_id).balance_minutes == 30
    gifts = run(
        engine,
        lambda s: s.scalar(
            select(func.count()).select_from(Gift).filter_by(giver_id=riverside.ana_id)
        ),
    )
    assert gifts == 1


# Bad input


def _bad_fields(place: Riverside, a: Accounts) -> list[tuple[dict[str, Any], str]]:
    """Return bodies that must be refused, each with the field it is wrong in."""
    tomorrow = (today() + timedelta(days=1)).isoformat()
    return [
        (gift(a, kind="loan"), "kind"),
        ({k: v for k, v in gift(a).items() if k != "kind"}, "kind"),
        (gift(a, kind=["gift"]), "kind"),
        (gift(a, from_account_id="1"), "from_account_id"),
        (gift(a, from_account_id=1.0), "from_account_id"),
        (gift(a, from_account_id=True), "from_account_id"),
        (gift(a, from_account_id=0), "from_account_id"),
        (gift(a, from_account_id=2**63), "from_account_id"),
        (gift(a, from_account_id=10**40), "from_account_id"),
        (gift(a, from_account_id={"id": a.ana}), "from_account_id"),
        (gift(a, from_account_id=None), "from_account_id"),
        (gift(a, from_account_id=2**62), "from_account_id"),
        (gift(a, from_account_id=a.admin), "from_account_id"),
        (gift(a, from_account_id=a.pool), "from_account_id"),
        (gift(a, from_account_id=a.leisure), "from_account_id"),
        (gift(a, to_account_id=2**62), "to_account_id"),
        (gift(a, to_account_id=a.ana), "to_account_id"),
        (gift(a, to_account_id=a.admin), "to_account_id"),
        (gift(a, to_account_id=a.leisure), "to_account_id"),
        (gift(a, to_account_id=[a.ben]), "to_account_id"),
        (exchange(a, to_account_id=a.pool), "to_account_id"),
        (swim(place, a, to_account_id=a.ben), "to_account_id"),
        (gift(a, minutes=0), "minutes"),
        (gift(a, minutes=-15), "minutes"),
        (gift(a, minutes=10), "minutes"),
        (gift(a, minutes=1.5), "minutes"),
        (gift(a, minutes="30"), "minutes"),
        (gift(a, minutes=True), "minutes"),
        (gift(a, minutes=10**30), "minutes"),
        (gift(a, minutes=100 * 60 + 15), "minutes"),
        (exchange(a, minutes=24 * 60 + 15), "minutes"),
        (swim(place, a, minutes=45), "minutes"),
        (gift(a, memo="x" * 501), "memo"),
        (gift(a, memo={"text": "hi"}), "memo"),
        (gift(a, memo=None), "memo"),
        (gift(a, memo="nul\x00"), "memo"),
        (gift(a, memo="half a pair \ud800"), "memo"),
        (exchange(a, memo=" "), "memo"),
        (swim(place, a, memo="A swim"), "memo"),
        (gift(a, service_date="yesterday"), "service_date"),
        (gift(a, service_date=20260101), "service_date"),
        (gift(a, service_date=tomorrow), "service_date"),
        (gift(a, service_date=days_ago(31).isoformat()), "service_date"),
        (gift(a, activity_id=place.swim.id), "activity_id"),
        (swim(place, a, activity_id=None), "activity_id"),
        (swim(place, a, activity_id=2**62), "activity_id"),
        (swim(place, a, activity_id=-1), "activity_id"),
        (swim(place, a, to_account_id=a.charity), "activity_id"),
        (gift(a, fee=5), "fee"),
        (gift(a, extra={"nested": [1, 2]}), "extra"),
    ]


def test_every_bad_field_is_refused_on_that_field_and_changes_nothing(
    engine: Engine, riverside: Riverside, api_for: ApiFor
) -> None:
    earn(engine, riverside, riverside.ana, 120)
    ana = api_for(riverside.ana)
    for body, field in _bad_fields(riverside, accounts_of(engine, riverside)):
        problem = refused(engine, ana, TRANSFERS, body, 422)
        assert list(problem["errors"]) == [field], body


@pytest.mark.parametrize("body", [[1, 2], "gift", 60, True], ids=str)
def test_a_body_that_is_no_object_is_refused(
    engine: Engine, riverside: Riverside, api_for: ApiFor, body: Any
) -> None:
    problem = refused(engine, api_for(riverside.ana), TRANSFERS, body, 422)
    assert problem["detail"] == "The body must be a JSON object."


def test_a_malformed_body_is_refused(
    engine: Engine, riverside: Riverside, api_for: ApiFor
) -> None:
    ana = api_for(riverside.ana)
    before = snapshot(engine)
    response = ana.client.post(
        TRANSFERS,
        data='{"kind": "gift", "minutes": 1e999',
        content_type="application/json",
        headers={**ana.headers, "Idempotency-Key": new_key()},
    )
    assert response.status_code == 400
    assert snapshot(engine) == before


def test_not_enough_credit_says_how_much_is_available(
    engine: Engine, riverside: Riverside, api_for: ApiFor
) -> None:
    earn(engine, riverside, riverside.ana, 15)
    body = gift(accounts_of(engine, riverside))

    problem = refused(engine, api_for(riverside.ana), TRANSFERS, body, 422)

    assert problem["title"] == "Insufficient credit"
    assert problem["available_minutes"] == 15


def test_hostile_decision_bodies_are_refused(engine: Engine, api_for: ApiFor) -> None:
    place = open_riverside(engine, gift_approval="always")
    earn(engine, place, place.ana, 60)
    transfer = recorded(api_for(place.ana), gift(accounts_of(engine, place)))
    broker = api_for(place.broker)
    for decision in ("reject", "reverse"):
        url = f"{TRANSFERS}/{transfer['id']}/{decision}"
        for body in (
            {"reason": 42},
            {"reason": ["why"]},
            {"reason": "x" * 501},
            {"reason": "nul\x00"},
            {"reason": "\udfff"},
            {"reason": "Fine", "minutes": 60},
            [],
        ):
            refused(engine, broker, url, body, 422)


# Who may do what


def test_nobody_pays_from_another_members_account(
    engine: Engine, riverside: Riverside, api_for: ApiFor
) -> None:
    earn(engine, riverside, riverside.ben, 60)
    a = accounts_of(engine, riverside)
    ana = api_for(riverside.ana)
    for body in (
        gift(a, from_account_id=a.ben, to_account_id=a.ana),
        exchange(a, from_account_id=a.ben, to_account_id=a.ana),
        swim(riverside, a, from_account_id=a.ben),
    ):
        problem = refused(engine, ana, TRANSFERS, body, 403)
        assert problem["title"] == "Not permitted"


def test_accounts_of_another_time_bank_are_refused(
    engine: Engine, riverside: Riverside, api_for: ApiFor
) -> None:
    elsewhere = open_riverside(engine)
    earn(engine, elsewhere, elsewhere.ana, 60)
    here, there = accounts_of(engine, riverside), accounts_of(engine, elsewhere)
    stranger = api_for(elsewhere.ana)

    problem = refused(
        engine, stranger, TRANSFERS, gift(there, to_account_id=here.ben), 422
    )
    assert list(problem["errors"]) == ["to_account_id"]
    assert "another time bank" in problem["detail"]
    problem = refused(engine, stranger, TRANSFERS, gift(here), 422)
    assert problem["errors"] == {
        "from_account_id": [
            f"Account {here.ana} is not a member's account in a time bank of yours."
        ]
    }


def test_a_transfer_is_shown_to_its_parties_and_the_banks_staff_only(
    engine: Engine, riverside: Riverside, api_for: ApiFor
) -> None:
    earn(engine, riverside, riverside.ana, 120)
    accounts = accounts_of(engine, riverside)
    given = recorded(api_for(riverside.ana), gift(accounts))
    swum = recorded(api_for(riverside.ana), swim(riverside, accounts))
    run(
        engine,
        lambda s: appoint_organisation_admin(
            s,
            actor=riverside.admin,
            time_bank_id=riverside.bank_id,
            organisation_id=riverside.leisure.id,
            member_id=riverside.ben_id,
            reason="Runs the pool",
        ),
    )
    outsider = open_riverside(engine).ana

    def status(user: User, transfer: dict[str, Any]) -> int:
        return api_for(user).get(f"{TRANSFERS}/{transfer['id']}").status_code

    for user in (riverside.ana, riverside.ben, riverside.broker, riverside.admin):
        assert status(user, given) == 200
    assert status(riverside.charity_admin, given) == 403
    assert status(outsider, given) == 404
    assert status(riverside.ben, swum) == 200  # he runs the leisure centre
    assert status(riverside.charity_admin, swum) == 403


def test_only_gifts_exchanges_and_spends_are_transfers(
    engine: Engine, riverside: Riverside, api_for: ApiFor
) -> None:
    earned = earn(engine, riverside, riverside.ana, 60)
    broker = api_for(riverside.broker)

    for entry_id in (earned.transaction_id, 2**62, 2**63):
        assert broker.get(f"{TRANSFERS}/{entry_id}").status_code == 404
    url = f"{TRANSFERS}/{earned.transaction_id}/reverse"
    refused(engine, broker, url, {"reason": "Not an earn"}, 404)
