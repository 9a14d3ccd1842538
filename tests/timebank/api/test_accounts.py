"""Accounts through the API: a balance, its owner, and its entries a page at a time."""

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

import ledger
from timebank.banks.models import TimeBank
from timebank.people.models import Membership, User

from ..factories import (
    Riverside,
    days_ago,
    earn,
    exchange_paid_by_ana,
    give_ana_one_entry_of_each_kind,
    open_riverside,
    run,
    snapshot,
)
from .conftest import ApiClient

ApiFor = Callable[[User], ApiClient]


def account_of(engine: Engine, member_id: int) -> int:
    return run(engine, lambda s: s.get_one(Membership, member_id).account_id)


def bank_accounts(engine: Engine, place: Riverside) -> tuple[int, int]:
    """Return the ids of the time bank's community pool and issuance account."""

    def work(s: Session) -> tuple[int, int]:
        bank = s.get_one(TimeBank, place.bank_id)
        book = ledger.get_book(s.connection(), bank.book_id)
        return bank.pool_account_id, book.issuance_account_id

    return run(engine, work)


def test_a_member_sees_their_balance_with_what_is_pending(
    engine: Engine, riverside: Riverside, api_for: ApiFor
) -> None:
    earn(engine, riverside, riverside.ana, 120)
    exchange_paid_by_ana(engine, riverside)  # an hour, waiting for a broker
    account_id = account_of(engine, riverside.ana_id)

    response = api_for(riverside.ana).get(f"/api/v1/accounts/{account_id}")

    assert response.status_code == 200
    assert response.json == {
        "id": account_id,
        "kind": "member",
        "owner": {"type": "member", "id": riverside.ana_id, "name": "Ana"},
        "balance_minutes": 120,
        "available_minutes": 60,
        "pending_debit_minutes": 60,
        "pending_credit_minutes": 0,
        "floor_minutes": 0,
        "status": "open",
    }


def test_a_broker_sees_every_account_of_their_bank_with_its_owner(
    engine: Engine, riverside: Riverside, api_for: ApiFor
) -> None:
    earn(engine, riverside, riverside.ana, 120)
    pool, issuance = bank_accounts(engine, riverside)
    broker = api_for(riverside.broker)

    def owner_and_floor(account_id: int) -> tuple[dict[str, Any], int | None]:
        response = broker.get(f"/api/v1/accounts/{account_id}")
        assert response.status_code == 200
        return response.json["owner"], response.json["floor_minutes"]

    assert owner_and_floor(account_of(engine, riverside.ana_id)) == (
        {"type": "member", "id": riverside.ana_id, "name": "Ana"},
        0,
    )
    assert owner_and_floor(riverside.charity.account_id) == (
        {
            "type": "organisation",
            "id": riverside.charity.id,
            "name": "Riverside Food Bank",
        },
        None,
    )
    assert owner_and_floor(pool) == (
        {"type": "pool", "id": None, "name": "Community pool"},
        0,
    )
    assert owner_and_floor(issuance) == (
        {"type": "issuance", "id": None, "name": "Time bank (credits issued)"},
        None,
    )
    issued = broker.get(f"/api/v1/accounts/{issuance}").json
    assert issued["balance_minutes"] == -120


def test_an_organisations_admin_sees_its_account_and_no_one_elses(
    engine: Engine, riverside: Riverside, api_for: ApiFor
) -> None:
    pool, _ = bank_accounts(engine, riverside)
    charity_admin = api_for(riverside.charity_admin)
    own = charity_admin.get(f"/api/v1/accounts/{riverside.charity.account_id}")
    assert own.status_code == 200
    assert own.json["owner"]["id"] == riverside.charity.id
    for account_id in (
        riverside.leisure.account_id,
        account_of(engine, riverside.ana_id),
        pool,
    ):
        response = charity_admin.get(f"/api/v1/accounts/{account_id}")
        assert response.status_code == 403, account_id
        assert response.content_type == "application/problem+json"


def test_a_member_sees_no_other_account_of_their_bank(
    engine: Engine, riverside: Riverside, api_for: ApiFor
) -> None:
    pool, issuance = bank_accounts(engine, riverside)
    ben = api_for(riverside.ben)
    for account_id in (
        account_of(engine, riverside.ana_id),
        riverside.charity.account_id,
        pool,
        issuance,
    ):
        response = ben.get(f"/api/v1/accounts/{account_id}")
        assert response.status_code == 403, account_id
        assert response.json["status"] == 403
    refused = ben.get(f"/api/v1/accounts/{account_of(engine, riverside.ana_id)}")
    assert "Only the member" in refused.json["detail"]


def test_an_account_of_another_bank_is_not_found(
    engine: Engine, riverside: Riverside, api_for: ApiFor
) -> None:
    elsewhere = open_riverside(engine)
    broker = api_for(elsewhere.broker)
    anas = broker.get(f"/api/v1/accounts/{account_of(engine, riverside.ana_id)}")
    unknown = broker.get("/api/v1/accounts/999999999")
    assert anas.status_code == unknown.status_code == 404
    # Not even the title tells an account of another bank from no account.
    assert anas.json["title"] == unknown.json["title"]
    entries = broker.get(
        f"/api/v1/accounts/{account_of(engine, riverside.ana_id)}/entries"
    )
    assert entries.status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/accounts/99999999999999999999999",
        "/api/v1/accounts/0",
        "/api/v1/accounts/-1",
        "/api/v1/accounts/ana",
        "/api/v1/accounts/1.5",
        "/api/v1/accounts/99999999999999999999999/entries",
    ],
)
def test_a_path_naming_no_account_is_not_found(
    riverside: Riverside, api_for: ApiFor, path: str
) -> None:
    response = api_for(riverside.broker).get(path)
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"


def test_accounts_need_a_token(
    engine: Engine, riverside: Riverside, anonymous_api: ApiClient
) -> None:
    account_id = account_of(engine, riverside.ana_id)
    assert anonymous_api.get(f"/api/v1/accounts/{account_id}").status_code == 401
    entries = anonymous_api.get(f"/api/v1/accounts/{account_id}/entries")
    assert entries.status_code == 401


def memos(response: Any) -> list[str]:
    assert response.status_code == 200, response.json
    return [entry["memo"] for entry in response.json["entries"]]


def test_entries_come_newest_first_signed_and_with_the_other_side(
    engine: Engine, riverside: Riverside, api_for: ApiFor
) -> None:
    books = give_ana_one_entry_of_each_kind(engine, riverside)
    account_id = account_of(engine, riverside.ana_id)

    response = api_for(riverside.ana).get(f"/api/v1/accounts/{account_id}/entries")

    assert memos(response) == [
        books.reversals,
        books.spends,
        books.gifts,
        books.exchanges,
        books.earned,
    ]
    entries = response.json["entries"]
    assert [(e["kind"], e["minutes"], e["counterparty"]) for e in entries] == [
        ("reversal", 15, "Ben"),
        ("spend", -60, "Leisure Centre"),
        ("gift", -15, "Ben"),
        ("exchange", -60, "Ben"),
        ("earn", 180, "Time bank (credits issued)"),
    ]
    reversal, _, gift, _, earned = entries
    assert gift["reversed_by_id"] == reversal["transaction_id"]
    assert reversal["reverses_id"] == gift["transaction_id"]
    assert earned["service_date"] == days_ago(20).isoformat()
    assert earned["status"] == "posted"
    assert set(earned) == {
        "transaction_id",
        "kind",
        "status",
        "memo",
        "minutes",
        "service_date",
        "recorded_at",
        "counterparty",
        "reverses_id",
        "reversed_by_id",
    }
    assert response.json["next_cursor"] is None


def test_filters_keep_the_days_from_and_to_both_included_and_one_kind(
    engine: Engine, riverside: Riverside, api_for: ApiFor
) -> None:
    books = give_ana_one_entry_of_each_kind(engine, riverside)
    url = f"/api/v1/accounts/{account_of(engine, riverside.ana_id)}/entries"
    ana = api_for(riverside.ana)

    days = ana.get(url, **{"from": days_ago(15).isoformat(), "to": days_ago(10)})
    assert memos(days) == [books.gifts, books.exchanges]
    assert memos(ana.get(url, kind="spends")) == [books.spends]
    assert memos(ana.get(url, kind="earned", to=days_ago(21).isoformat())) == []
    assert memos(ana.get(url, **{"from": "9999-12-31"})) == []
    assert len(memos(ana.get(url, to="9999-12-31"))) == 5


def test_pages_walk_every_entry_exactly_once(
    engine: Engine, riverside: Riverside, api_for: ApiFor
) -> None:
    books = give_ana_one_entry_of_each_kind(engine, riverside)
    url = f"/api/v1/accounts/{account_of(engine, riverside.ana_id)}/entries"
    ana = api_for(riverside.ana)

    seen, cursor, pages = [], None, 0
    while True:
        query = {"limit": 2} if cursor is None else {"limit": 2, "cursor": cursor}
        page = ana.get(url, **query)
        seen += memos(page)
        pages += 1
        cursor = page.json["next_cursor"]
        if cursor is None:
            break

    assert pages == 3
    assert seen == [
        books.reversals,
        books.spends,
        books.gifts,
        books.exchanges,
        books.earned,
    ]


def test_a_broker_reads_the_entries_of_an_organisation_and_the_issuance_account(
    engine: Engine, riverside: Riverside, api_for: ApiFor
) -> None:
    books = give_ana_one_entry_of_each_kind(engine, riverside)
    _, issuance = bank_accounts(engine, riverside)
    broker = api_for(riverside.broker)

    leisure = broker.get(f"/api/v1/accounts/{riverside.leisure.account_id}/entries")
    assert memos(leisure) == [books.spends]
    assert leisure.json["entries"][0]["minutes"] == 60
    assert leisure.json["entries"][0]["counterparty"] == "Ana"
    issued = broker.get(f"/api/v1/accounts/{issuance}/entries", kind="earned")
    assert [(e["minutes"], e["counterparty"]) for e in issued.json["entries"]] == [
        (-180, "Ana")
    ]


def test_a_member_reads_no_other_members_entries(
    engine: Engine, riverside: Riverside, api_for: ApiFor
) -> None:
    give_ana_one_entry_of_each_kind(engine, riverside)
    url = f"/api/v1/accounts/{account_of(engine, riverside.ana_id)}/entries"
    response = api_for(riverside.ben).get(url)
    assert response.status_code == 403
    assert "entries" not in response.json


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "last week"}, "from"),
        ({"from": "2025-02-30"}, "from"),
        ({"to": "31/12/2025"}, "to"),
        ({"to": ""}, "to"),
        ({"from": "2025-06-02", "to": "2025-06-01"}, "to"),
        ({"kind": "earn"}, "kind"),
        ({"kind": "everything"}, "kind"),
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "2.5"}, "limit"),
        ({"limit": "9" * 40}, "limit"),
        ({"cursor": "page-2"}, "cursor"),
        ({"cursor": "MjAyNS0wMS0wMQ"}, "cursor"),
        ({"cursor": "x" * 201}, "cursor"),
        ({"sort": "oldest"}, "sort"),
    ],
)
def test_bad_queries_are_refused_by_field_and_change_nothing(
    engine: Engine,
    riverside: Riverside,
    api_for: ApiFor,
    query: dict[str, str],
    field: str,
) -> None:
    earn(engine, riverside, riverside.ana, 60)
    ana = api_for(riverside.ana)
    url = f"/api/v1/accounts/{account_of(engine, riverside.ana_id)}/entries"
    before = snapshot(engine)

    response = ana.get(url, **query)

    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert list(response.json["errors"]) == [field]
    assert "entries" not in response.json
    assert snapshot(engine) == before
