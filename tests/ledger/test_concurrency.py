"""Many writers at once on PostgreSQL: every race ends as some serial order would.

Each client is a real thread with its own connection, released together by a
barrier, and every operation is one unit of work through run_in_transaction.
"""

import random
import threading
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, func, select

import ledger
from ledger import Posting, run_in_transaction
from ledger.errors import (
    AccountClosed,
    AccountFrozen,
    AccountNotEmpty,
    AlreadyResolved,
    InsufficientCredit,
    LedgerError,
)
from ledger.schema import account_slots, accounts, postings, transactions

CLIENTS = 16
HOUR = 60


@pytest.fixture
def pooled_engine(postgres_engine: Engine) -> Iterator[Engine]:
    """Return an engine on the test database with a connection for every client."""
    url = postgres_engine.url.render_as_string(hide_password=False)
    engine = ledger.create_engine(url, pool_size=CLIENTS, max_overflow=0)
    yield engine
    engine.dispose()


def run_together(clients: Sequence[Callable[[], Any]]) -> list[Any]:
    """Start every client at once; return what each returned or raised."""
    barrier = threading.Barrier(len(clients))
    outcomes: list[Any] = [None] * len(clients)

    def run(index: int, client: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            outcomes[index] = client()
        except Exception as error:
            outcomes[index] = error

    threads = [
        threading.Thread(target=run, args=(index, client))
        for index, client in enumerate(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a client never finished"
    return outcomes


def open_book(engine: Engine) -> ledger.Book:
    return run_in_transaction(engine, lambda conn: ledger.open_book(conn, name="Mill"))


def open_member(engine: Engine, book: ledger.Book, *, earned: int = 0) -> int:
    """Open a member account that has earned the given minutes; return its id."""

    def work(conn: Connection) -> int:
        member = ledger.open_account(conn, book_id=book.id, kind="member")
        if earned:
            earn(conn, book, member.id, earned)
        return member.id

    return run_in_transaction(engine, work)


def earn(conn: Connection, book: ledger.Book, member_id: int, minutes: int) -> Any:
    return ledger.transfer(
        conn,
        from_account_id=book.issuance_account_id,
        to_account_id=member_id,
        minutes=minutes,
        kind="earn",
    )


def account(engine: Engine, account_id: int) -> ledger.Account:
    return run_in_transaction(engine, lambda conn: ledger.get_account(conn, account_id))


def violations(engine: Engine) -> list[str]:
    return run_in_transaction(engine, ledger.find_violations)


def failures(outcomes: list[Any]) -> list[Exception]:
    return [outcome for outcome in outcomes if isinstance(outcome, Exception)]


def test_racing_spenders_get_exactly_what_the_account_affords(
    pooled_engine: Engine,
) -> None:
    book = open_book(pooled_engine)
    spender = open_member(pooled_engine, book, earned=5 * HOUR)
    centre = run_in_transaction(
        pooled_engine,
        lambda conn: ledger.open_account(conn, book_id=book.id, kind="organisation"),
    ).id

    def spend_an_hour() -> ledger.Transaction:
        return run_in_transaction(
            pooled_engine,
            lambda conn: ledger.transfer(
                conn,
                from_account_id=spender,
                to_account_id=centre,
                minutes=HOUR,
                kind="spend",
            ),
        )

    outcomes = run_together([spend_an_hour] * CLIENTS)

    refused = failures(outcomes)
    accepted = {
        outcome.id for outcome in outcomes if isinstance(outcome, ledger.Transaction)
    }
    assert len(accepted) == 5
    assert len(refused) == CLIENTS - 5
    assert all(isinstance(error, InsufficientCredit) for error in refused), refused
    assert account(pooled_engine, spender).balance_minutes == 0
    assert account(pooled_engine, centre).balance_minutes == 5 * HOUR
    assert violations(pooled_engine) == []


def test_transfers_around_a_ring_never_deadlock_and_conserve_every_minute(
    pooled_engine: Engine,
) -> None:
    """Each account ends at its opening balance plus its accepted postings.

    That is what any serial order of the accepted transfers gives; the refused
    ones leave no trace, and the ring as a whole neither gains nor loses.
    """
    book = open_book(pooled_engine)
    ring = [open_member(pooled_engine, book, earned=4 * HOUR) for _ in range(8)]

    def client(seed: int) -> list[Posting]:
        """Make 30 random transfers; return the postings of the accepted ones."""
        rng = random.Random(seed)
        accepted: list[Posting] = []
        for _ in range(30):
            if rng.random() < 0.2:
                payer, *payees = rng.sample(ring, 3)
                minutes = rng.choice([15, 30])
                legs = [Posting(payer, -2 * minutes)] + [
                    Posting(payee, minutes) for payee in payees
                ]
            else:
                position = rng.randrange(len(ring))
                payer = ring[position]
                payee = ring[(position + rng.choice([-1, 1])) % len(ring)]
                minutes = rng.choice([15, 30, 60, 90])
                legs = [Posting(payer, -minutes), Posting(payee, minutes)]
            try:
                run_in_transaction(
                    pooled_engine,
                    partial(ledger.record_transaction, kind="exchange", postings=legs),
                )
            except LedgerError:
                continue
            accepted.extend(legs)
        return accepted

    outcomes = run_together([partial(client, seed) for seed in range(CLIENTS)])

    assert failures(outcomes) == []
    expected = dict.fromkeys(ring, 4 * HOUR)
    for accepted in outcomes:
        for leg in accepted:
            expected[leg.account_id] += leg.minutes
    balances = {
        member: account(pooled_engine, member).balance_minutes for member in ring
    }
    assert balances == expected
    assert sum(balances.values()) == len(ring) * 4 * HOUR
    assert violations(pooled_engine) == []


def test_one_idempotency_key_sent_at_once_records_one_transaction(
    pooled_engine: Engine,
) -> None:
    book = open_book(pooled_engine)
    member = open_member(pooled_engine, book)

    def send_request() -> int:
        return run_in_transaction(
            pooled_engine,
            lambda conn: ledger.transfer(
                conn,
                from_account_id=book.issuance_account_id,
                to_account_id=member,
                minutes=HOUR,
                kind="earn",
                idempotency_key="hour-log-7",
            ),
        ).id

    outcomes = run_together([send_request] * 12)

    assert failures(outcomes) == []
    recorded = run_in_transaction(
        pooled_engine,
        lambda conn: conn.scalars(
            select(transactions.c.id).where(
                transactions.c.idempotency_key == "hour-log-7"
            )
        ).all(),
    )
    assert len(recorded) == 1
    assert set(outcomes) == set(recorded)
    assert account(pooled_engine, member).balance_minutes == HOUR
    assert account(pooled_engine, book.issuance_account_id).balance_minutes == -HOUR
    assert violations(pooled_engine) == []


def test_post_and_void_racing_resolve_a_pending_transfer_exactly_once(
    pooled_engine: Engine,
) -> None:
    rounds = 20
    book = open_book(pooled_engine)
    payer = open_member(pooled_engine, book, earned=rounds * HOUR)
    payee = open_member(pooled_engine, book)
    posted = 0
    for _ in range(rounds):
        held = run_in_transaction(
            pooled_engine,
            lambda conn: ledger.transfer(
                conn,
                from_account_id=payer,
                to_account_id=payee,
                minutes=HOUR,
                kind="exchange",
                pending=True,
            ),
        )

        def post(held_id: int = held.id) -> str:
            run_in_transaction(
                pooled_engine, lambda conn: ledger.post_pending(conn, held_id)
            )
            return "posted"

        def void(held_id: int = held.id) -> str:
            run_in_transaction(
                pooled_engine, lambda conn: ledger.void_pending(conn, held_id)
            )
            return "voided"

        outcomes = run_together([post, void])

        refused = failures(outcomes)
        assert len(refused) == 1 and isinstance(refused[0], AlreadyResolved), outcomes
        winner = next(outcome for outcome in outcomes if isinstance(outcome, str))
        resolved = run_in_transaction(
            pooled_engine,
            partial(ledger.get_transaction, transaction_id=held.id),
        )
        assert resolved.status == winner
        posted += winner == "posted"

    payer_account = account(pooled_engine, payer)
    payee_account = account(pooled_engine, payee)
    assert payer_account.pending_debit_minutes == 0
    assert payee_account.pending_credit_minutes == 0
    assert payer_account.balance_minutes == (rounds - posted) * HOUR
    assert payee_account.balance_minutes == posted * HOUR
    assert violations(pooled_engine) == []


def test_concurrent_earns_all_land_and_spread_over_issuance_slots(
    pooled_engine: Engine,
) -> None:
    earns_each = 4
    book = open_book(pooled_engine)
    members = [open_member(pooled_engine, book) for _ in range(CLIENTS)]
    issuance = book.issuance_account_id

    def client(member: int) -> None:
        for _ in range(earns_each):
            run_in_transaction(
                pooled_engine, lambda conn: earn(conn, book, member, HOUR)
            )

    outcomes = run_together([partial(client, member) for member in members])

    assert failures(outcomes) == []
    balances = [account(pooled_engine, member).balance_minutes for member in members]
    assert balances == [earns_each * HOUR] * CLIENTS
    assert account(pooled_engine, issuance).balance_minutes == -sum(balances)
    slots_posted = dict(
        run_in_transaction(
            pooled_engine,
            lambda conn: conn.execute(
                select(postings.c.slot, func.sum(postings.c.minutes))
                .where(postings.c.account_id == issuance)
                .group_by(postings.c.slot)
            ).all(),
        )
    )
    assert len(slots_posted) >= 4, slots_posted
    kept = stored_slot_balances(pooled_engine, issuance)
    assert set(slots_posted) <= set(kept)
    assert kept == {slot: slots_posted.get(slot, 0) for slot in kept}
    assert violations(pooled_engine) == []


def stored_slot_balances(engine: Engine, account_id: int) -> dict[int, int]:
    """Return the balance kept in each slot of a split account (slot 0 is its row)."""

    def read(conn: Connection) -> dict[int, int]:
        kept = dict(
            conn.execute(
                select(account_slots.c.slot, account_slots.c.balance_minutes).where(
                    account_slots.c.account_id == account_id
                )
            ).all()
        )
        kept[0] = conn.scalar(
            select(accounts.c.balance_minutes).where(accounts.c.id == account_id)
        )
        return kept

    return run_in_transaction(engine, read)


def test_freezing_an_account_refuses_every_transfer_that_did_not_commit_first(
    pooled_engine: Engine,
) -> None:
    senders = CLIENTS - 1
    book = open_book(pooled_engine)
    payer = open_member(pooled_engine, book, earned=senders * HOUR)
    payee = open_member(pooled_engine, book)

    def send_an_hour() -> str:
        run_in_transaction(
            pooled_engine,
            lambda conn: ledger.transfer(
                conn,
                from_account_id=payer,
                to_account_id=payee,
                minutes=HOUR,
                kind="gift",
            ),
        )
        return "sent"

    def freeze() -> str:
        run_in_transaction(
            pooled_engine, lambda conn: ledger.freeze_account(conn, payer)
        )
        return "frozen"

    clients = [send_an_hour] * senders
    clients.insert(senders // 2, freeze)
    outcomes = run_together(clients)

    refused = failures(outcomes)
    assert all(isinstance(error, AccountFrozen) for error in refused), refused
    sent = outcomes.count("sent")
    assert sent + len(refused) == senders
    debits = run_in_transaction(
        pooled_engine,
        lambda conn: conn.scalar(
            select(func.count()).where(
                postings.c.account_id == payer, postings.c.minutes < 0
            )
        ),
    )
    assert debits == sent
    frozen = account(pooled_engine, payer)
    assert frozen.status == "frozen"
    assert frozen.balance_minutes == (senders - sent) * HOUR
    assert account(pooled_engine, payee).balance_minutes == sent * HOUR
    assert violations(pooled_engine) == []


def test_closing_an_account_while_it_earns_never_leaves_it_closed_with_credit(
    pooled_engine: Engine,
) -> None:
    earners = 3
    book = open_book(pooled_engine)
    for round_number in range(12):
        member = open_member(pooled_engine, book)

        def close(member: int = member) -> str:
            run_in_transaction(
                pooled_engine, lambda conn: ledger.close_account(conn, member)
            )
            return "closed"

        def earn_an_hour(member: int = member) -> str:
            run_in_transaction(
                pooled_engine, lambda conn: earn(conn, book, member, HOUR)
            )
            return "earned"

        # Vary which thread closes, so that sometimes the earns start first.
        closer = round_number % (earners + 1)
        clients = [earn_an_hour] * earners
        clients.insert(closer, close)
        outcomes = run_together(clients)
        closing = outcomes.pop(closer)

        final = account(pooled_engine, member)
        if final.status == "closed":
            assert closing == "closed"
            assert all(isinstance(outcome, AccountClosed) for outcome in outcomes)
            assert final.balance_minutes == 0
        else:
            assert isinstance(closing, AccountNotEmpty), closing
            assert outcomes == ["earned"] * earners
            assert final.balance_minutes == earners * HOUR
    assert violations(pooled_engine) == []
