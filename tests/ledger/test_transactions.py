"""Transactions: recording, holding, posting, voiding, reversing and replaying."""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Engine

import ledger
from ledger import Posting, run_in_transaction
from ledger.accounts import MAX_MINUTES
from ledger.errors import (
    AccountClosed,
    AccountFrozen,
    AccountsInDifferentBooks,
    AlreadyResolved,
    AlreadyReversed,
    IdempotencyConflict,
    InsufficientCredit,
    InvalidAmount,
    InvalidRequest,
    NotMultipleOfGranularity,
    NotPosted,
    PendingExpired,
    ReversalNotReversible,
    SameAccountTwice,
    TooFewPostings,
    Unbalanced,
    UnknownAccount,
    UnknownTransaction,
)

HOUR = 60
START = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
TOO_MANY_MINUTES = (MAX_MINUTES // 15 + 1) * 15

Gift = Callable[..., ledger.Transaction]
OpenMember = Callable[..., int]
ReadAccount = Callable[[int], ledger.Account]
Refused = Callable[..., Any]


def totals(account: ledger.Account) -> tuple[int, int, int]:
    """Return an account's balance, pending debits and pending credits."""
    return (
        account.balance_minutes,
        account.pending_debit_minutes,
        account.pending_credit_minutes,
    )


def exchange(engine: Engine, *legs: tuple[int, int]) -> ledger.Transaction:
    return run_in_transaction(
        engine,
        lambda conn: ledger.record_transaction(
            conn,
            kind="exchange",
            postings=[Posting(account_id, minutes) for account_id, minutes in legs],
        ),
    )


def post(engine: Engine, entry_id: int, **details: Any) -> ledger.Transaction:
    return run_in_transaction(
        engine, lambda conn: ledger.post_pending(conn, entry_id, **details)
    )


def void(engine: Engine, entry_id: int, **details: Any) -> ledger.Transaction:
    return run_in_transaction(
        engine, lambda conn: ledger.void_pending(conn, entry_id, **details)
    )


def reverse(engine: Engine, entry_id: int, **details: Any) -> ledger.Transaction:
    return run_in_transaction(
        engine, lambda conn: ledger.reverse_transaction(conn, entry_id, **details)
    )


def entry(engine: Engine, entry_id: int) -> ledger.Transaction:
    return run_in_transaction(
        engine, lambda conn: ledger.get_transaction(conn, entry_id)
    )


def open_book(engine: Engine, name: str, **details: Any) -> ledger.Book:
    return run_in_transaction(
        engine, lambda conn: ledger.open_book(conn, name=name, **details)
    )


def earn(
    engine: Engine, book: ledger.Book, earner: int, minutes: int, **details: Any
) -> ledger.Transaction:
    return run_in_transaction(
        engine,
        lambda conn: ledger.transfer(
            conn,
            from_account_id=book.issuance_account_id,
            to_account_id=earner,
            minutes=minutes,
            kind="earn",
            **details,
        ),
    )


# Recording posted transactions.


def test_gift_moves_its_minutes_from_giver_to_receiver(
    engine: Engine, gift: Gift, open_member: OpenMember, read_account: ReadAccount
) -> None:
    ada = open_member(2 * HOUR)
    bob = open_member()

    sent = gift(
        ada,
        bob,
        HOUR,
        memo="Thanks for the lift",
        created_by=7,
        service_date=date(2024, 2, 28),
        now=START,
    )

    assert read_account(ada).balance_minutes == HOUR
    assert read_account(bob).balance_minutes == HOUR
    assert sent.kind == "gift"
    assert sent.status == "posted"
    assert sent.memo == "Thanks for the lift"
    assert sent.created_by == 7
    assert sent.service_date == date(2024, 2, 28)
    assert sent.recorded_at == START
    assert sent.resolved_at == START
    assert set(sent.postings) == {Posting(ada, -HOUR), Posting(bob, HOUR)}
    assert entry(engine, sent.id) == sent


def test_service_date_defaults_to_the_day_of_recording(
    gift: Gift, open_member: OpenMember
) -> None:
    ada = open_member(HOUR)
    bob = open_member()

    sent = gift(ada, bob, HOUR, now=START)

    assert sent.service_date == START.date()


def test_three_legged_transaction_pays_two_accounts_at_once(
    engine: Engine, open_member: OpenMember, read_account: ReadAccount
) -> None:
    ada = open_member(2 * HOUR)
    bob = open_member()
    cy = open_member()

    shared = exchange(engine, (ada, -90), (bob, 60), (cy, 30))

    assert [read_account(a).balance_minutes for a in (ada, bob, cy)] == [30, 60, 30]
    assert set(entry(engine, shared.id).postings) == {
        Posting(ada, -90),
        Posting(bob, 60),
        Posting(cy, 30),
    }


def test_three_legged_transaction_is_refused_whole_when_one_leg_fails(
    open_member: OpenMember, refused: Refused
) -> None:
    ada = open_member(HOUR)
    bob = open_member(HOUR)
    cy = open_member()

    # Bob's leg is affordable, Ada's is not: neither may move.
    refused(
        InsufficientCredit,
        lambda conn: ledger.record_transaction(
            conn,
            kind="exchange",
            postings=[Posting(bob, -30), Posting(ada, -90), Posting(cy, 120)],
        ),
    )


def test_earn_may_reach_the_largest_amount_one_entry_moves(
    engine: Engine, read_account: ReadAccount
) -> None:
    by_the_minute = open_book(engine, "By the minute", granularity_minutes=1)
    earner = run_in_transaction(
        engine,
        lambda conn: ledger.open_account(conn, book_id=by_the_minute.id, kind="member"),
    ).id

    earn(engine, by_the_minute, earner, MAX_MINUTES)

    assert read_account(earner).balance_minutes == MAX_MINUTES
    assert run_in_transaction(engine, ledger.find_violations) == []


# Amounts.


@pytest.mark.parametrize("minutes", [0, -HOUR, 60.0, True, TOO_MANY_MINUTES])
def test_transfer_of_anything_but_a_positive_whole_amount_is_refused(
    open_member: OpenMember, refused: Refused, minutes: Any
) -> None:
    ada = open_member(HOUR)
    bob = open_member()

    refused(
        InvalidAmount,
        lambda conn: ledger.transfer(
            conn, from_account_id=ada, to_account_id=bob, minutes=minutes, kind="gift"
        ),
    )


@pytest.mark.parametrize(
    "legs",
    [
        [-HOUR, HOUR, 0],
        [-60.0, 60.0],
        [True, -1],
        [-TOO_MANY_MINUTES, TOO_MANY_MINUTES],
    ],
)
def test_posting_of_anything_but_a_whole_non_zero_amount_is_refused(
    open_member: OpenMember, refused: Refused, legs: list[Any]
) -> None:
    members = [open_member(HOUR) for _ in legs]

    refused(
        InvalidAmount,
        lambda conn: ledger.record_transaction(
            conn,
            kind="exchange",
            postings=[
                Posting(a, minutes) for a, minutes in zip(members, legs, strict=True)
            ],
        ),
    )


def test_amount_over_the_limit_is_refused_with_the_limit_named(
    book: ledger.Book, open_member: OpenMember, refused: Refused
) -> None:
    earner = open_member()

    error = refused(
        InvalidAmount,
        lambda conn: ledger.transfer(
            conn,
            from_account_id=book.issuance_account_id,
            to_account_id=earner,
            minutes=TOO_MANY_MINUTES,
            kind="earn",
        ),
    )

    assert str(error) == (
        f"{TOO_MANY_MINUTES} minutes is more than the {MAX_MINUTES} one entry may move."
    )


def test_amount_off_the_books_granularity_is_refused(
    open_member: OpenMember, refused: Refused
) -> None:
    ada = open_member(HOUR)
    bob = open_member()

    error = refused(
        NotMultipleOfGranularity,
        lambda conn: ledger.transfer(
            conn, from_account_id=ada, to_account_id=bob, minutes=10, kind="gift"
        ),
    )

    assert str(error) == "10 minutes is not a multiple of this time bank's 15 minutes."


def test_half_hour_book_refuses_quarter_hours(engine: Engine, refused: Refused) -> None:
    half_hours = open_book(engine, "Half hours", granularity_minutes=30)
    earner = run_in_transaction(
        engine,
        lambda conn: ledger.open_account(conn, book_id=half_hours.id, kind="member"),
    ).id

    refused(
        NotMultipleOfGranularity,
        lambda conn: ledger.transfer(
            conn,
            from_account_id=half_hours.issuance_account_id,
            to_account_id=earner,
            minutes=45,
            kind="earn",
        ),
    )


# The shape of an entry.


def test_unbalanced_entry_is_refused(open_member: OpenMember, refused: Refused) -> None:
    ada = open_member(HOUR)
    bob = open_member()

    error = refused(
        Unbalanced,
        lambda conn: ledger.record_transaction(
            conn, kind="exchange", postings=[Posting(ada, -HOUR), Posting(bob, 45)]
        ),
    )

    assert str(error) == "The minutes paid out and paid in must be equal."


@pytest.mark.parametrize("leg_count", [0, 1])
def test_entry_of_fewer_than_two_postings_is_refused(
    open_member: OpenMember, refused: Refused, leg_count: int
) -> None:
    ada = open_member(HOUR)

    refused(
        TooFewPostings,
        lambda conn: ledger.record_transaction(
            conn, kind="exchange", postings=[Posting(ada, HOUR)][:leg_count]
        ),
    )


def test_account_cannot_pay_itself(open_member: OpenMember, refused: Refused) -> None:
    ada = open_member(HOUR)

    error = refused(
        SameAccountTwice,
        lambda conn: ledger.transfer(
            conn, from_account_id=ada, to_account_id=ada, minutes=HOUR, kind="gift"
        ),
    )

    assert str(error) == "An account cannot pay itself."


def test_account_appears_only_once_in_an_entry(
    open_member: OpenMember, refused: Refused
) -> None:
    ada = open_member(HOUR)
    bob = open_member()

    refused(
        SameAccountTwice,
        lambda conn: ledger.record_transaction(
            conn,
            kind="exchange",
            postings=[Posting(ada, -HOUR), Posting(ada, 30), Posting(bob, 30)],
        ),
    )


def test_unknown_account_is_refused_by_name(
    open_member: OpenMember, refused: Refused
) -> None:
    ada = open_member(HOUR)

    error = refused(
        UnknownAccount,
        lambda conn: ledger.transfer(
            conn, from_account_id=ada, to_account_id=404, minutes=HOUR, kind="gift"
        ),
    )

    assert str(error) == "There is no account 404."


def test_minutes_never_move_between_time_banks(
    engine: Engine, open_member: OpenMember, refused: Refused
) -> None:
    ada = open_member(HOUR)
    elsewhere = open_book(engine, "Hilltop Time Bank")
    stranger = run_in_transaction(
        engine,
        lambda conn: ledger.open_account(conn, book_id=elsewhere.id, kind="member"),
    ).id

    refused(
        AccountsInDifferentBooks,
        lambda conn: ledger.transfer(
            conn, from_account_id=ada, to_account_id=stranger, minutes=HOUR, kind="gift"
        ),
    )


@pytest.mark.parametrize("kind", ["bribe", "reversal", ""])
def test_entry_of_an_unknown_kind_is_refused(
    open_member: OpenMember, refused: Refused, kind: str
) -> None:
    ada = open_member(HOUR)
    bob = open_member()

    error = refused(
        InvalidRequest,
        lambda conn: ledger.transfer(
            conn, from_account_id=ada, to_account_id=bob, minutes=HOUR, kind=kind
        ),
    )

    assert str(error) == (
        f"{kind!r} is not a kind of entry; "
        "use one of earn, spend, gift, exchange, adjustment."
    )


@pytest.mark.parametrize(
    "details",
    [
        {"memo": "x" * 501},
        {"memo": None},
        {"service_date": START},
        {"idempotency_key": ""},
        {"idempotency_key": "k" * 201},
    ],
)
def test_entry_with_a_bad_memo_service_date_or_key_is_refused(
    open_member: OpenMember, refused: Refused, details: dict[str, Any]
) -> None:
    ada = open_member(HOUR)
    bob = open_member()

    refused(
        InvalidRequest,
        lambda conn: ledger.transfer(
            conn,
            from_account_id=ada,
            to_account_id=bob,
            minutes=HOUR,
            kind="gift",
            **details,
        ),
    )


def test_memo_of_five_hundred_characters_is_accepted(
    gift: Gift, open_member: OpenMember
) -> None:
    ada = open_member(HOUR)
    bob = open_member()

    assert gift(ada, bob, HOUR, memo="x" * 500).memo == "x" * 500


# Credit and floors.


def test_spending_more_than_is_available_is_refused_with_what_is_available(
    gift: Gift, open_member: OpenMember, refused: Refused
) -> None:
    ada = open_member(90)
    bob = open_member()
    gift(ada, bob, 30, pending=True)

    error = refused(
        InsufficientCredit,
        lambda conn: ledger.transfer(
            conn, from_account_id=ada, to_account_id=bob, minutes=75, kind="gift"
        ),
    )

    assert error.account_id == ada
    assert error.available_minutes == HOUR
    assert str(error) == f"Account {ada} has {HOUR} minutes to spend; this needs 75."


def test_minutes_to_spend_include_an_overdraft_down_to_the_floor(
    open_member: OpenMember, refused: Refused
) -> None:
    ada = open_member(HOUR, floor=-HOUR)
    bob = open_member()

    error = refused(
        InsufficientCredit,
        lambda conn: ledger.transfer(
            conn, from_account_id=ada, to_account_id=bob, minutes=3 * HOUR, kind="gift"
        ),
    )

    assert error.available_minutes == 2 * HOUR


def test_whole_available_balance_may_be_spent(
    gift: Gift, open_member: OpenMember, read_account: ReadAccount
) -> None:
    ada = open_member(HOUR)
    bob = open_member()

    gift(ada, bob, HOUR)

    assert read_account(ada).available_minutes == 0


# Pending transactions.


def test_pending_transfer_reserves_the_debit_and_moves_nothing(
    gift: Gift, open_member: OpenMember, read_account: ReadAccount
) -> None:
    ada = open_member(2 * HOUR)
    bob = open_member()

    held = gift(ada, bob, HOUR, pending=True, now=START)

    assert held.status == "pending"
    assert held.resolved_at is None
    assert totals(read_account(ada)) == (2 * HOUR, HOUR, 0)
    assert totals(read_account(bob)) == (0, 0, HOUR)


def test_reserved_minutes_cannot_be_spent_again(
    gift: Gift, open_member: OpenMember, refused: Refused
) -> None:
    ada = open_member(HOUR)
    bob = open_member()
    gift(ada, bob, 45, pending=True)

    refused(
        InsufficientCredit,
        lambda conn: ledger.transfer(
            conn, from_account_id=ada, to_account_id=bob, minutes=30, kind="gift"
        ),
    )


def test_posting_a_pending_transfer_moves_its_minutes_once(
    engine: Engine, gift: Gift, open_member: OpenMember, read_account: ReadAccount
) -> None:
    ada = open_member(2 * HOUR)
    bob = open_member()
    held = gift(ada, bob, HOUR, pending=True, now=START)

    posted = post(engine, held.id, approved_by=9, now=START + timedelta(minutes=5))

    assert posted.status == "posted"
    assert posted.approved_by == 9
    assert posted.resolved_at == START + timedelta(minutes=5)
    assert posted.recorded_at == START
    assert totals(read_account(ada)) == (HOUR, 0, 0)
    assert totals(read_account(bob)) == (HOUR, 0, 0)


def test_voiding_a_pending_transfer_releases_its_reservation(
    engine: Engine, gift: Gift, open_member: OpenMember, read_account: ReadAccount
) -> None:
    ada = open_member(2 * HOUR)
    bob = open_member()
    held = gift(ada, bob, HOUR, pending=True)

    voided = void(engine, held.id)

    assert voided.status == "voided"
    assert voided.resolved_at is not None
    assert totals(read_account(ada)) == (2 * HOUR, 0, 0)
    assert totals(read_account(bob)) == (0, 0, 0)


def test_pending_earn_reserves_on_the_split_issuance_account(
    engine: Engine,
    book: ledger.Book,
    open_member: OpenMember,
    read_account: ReadAccount,
) -> None:
    earner = open_member()
    held = earn(engine, book, earner, HOUR, pending=True)
    assert totals(read_account(book.issuance_account_id)) == (0, HOUR, 0)

    post(engine, held.id)

    assert totals(read_account(book.issuance_account_id)) == (-HOUR, 0, 0)
    assert totals(read_account(earner)) == (HOUR, 0, 0)


@pytest.mark.parametrize("first", [ledger.post_pending, ledger.void_pending])
@pytest.mark.parametrize("second", [ledger.post_pending, ledger.void_pending])
def test_pending_transfer_is_resolved_exactly_once(
    engine: Engine,
    gift: Gift,
    open_member: OpenMember,
    refused: Refused,
    first: Callable[..., ledger.Transaction],
    second: Callable[..., ledger.Transaction],
) -> None:
    ada = open_member(2 * HOUR)
    bob = open_member()
    held = gift(ada, bob, HOUR, pending=True)
    resolved = run_in_transaction(engine, lambda conn: first(conn, held.id))

    error = refused(AlreadyResolved, lambda conn: second(conn, held.id))

    assert str(error) == f"Entry {held.id} is already {resolved.status}."


def test_pending_transfer_can_be_posted_until_it_expires(
    engine: Engine, gift: Gift, open_member: OpenMember
) -> None:
    ada = open_member(HOUR)
    bob = open_member()
    held = gift(
        ada, bob, HOUR, pending=True, expires_at=START + timedelta(hours=1), now=START
    )

    posted = post(engine, held.id, now=START + timedelta(minutes=59))

    assert posted.status == "posted"
    assert posted.expires_at == START + timedelta(hours=1)


@pytest.mark.parametrize("late_by", [timedelta(0), timedelta(days=1)])
def test_expired_pending_transfer_cannot_be_posted_but_can_be_voided(
    engine: Engine,
    gift: Gift,
    open_member: OpenMember,
    read_account: ReadAccount,
    refused: Refused,
    late_by: timedelta,
) -> None:
    ada = open_member(HOUR)
    bob = open_member()
    expiry = START + timedelta(hours=1)
    held = gift(ada, bob, HOUR, pending=True, expires_at=expiry, now=START)

    error = refused(
        PendingExpired,
        lambda conn: ledger.post_pending(conn, held.id, now=expiry + late_by),
    )
    void(engine, held.id, now=expiry + late_by)

    assert str(error) == (
        f"Entry {held.id} expired at {expiry}; it can only be voided."
    )
    assert totals(read_account(ada)) == (HOUR, 0, 0)


def test_expiry_may_be_given_in_any_time_zone(
    gift: Gift, open_member: OpenMember
) -> None:
    ada = open_member(HOUR)
    bob = open_member()
    paris = START.astimezone(timezone(timedelta(hours=1)))

    held = gift(
        ada, bob, HOUR, pending=True, expires_at=paris + timedelta(hours=1), now=START
    )

    assert held.expires_at == START + timedelta(hours=1)
    assert held.expires_at.tzinfo == UTC


@pytest.mark.parametrize(
    ("pending", "expires_at", "message"),
    [
        (True, datetime(2024, 3, 1, 10, 0), "has no time zone"),
        (True, START, "must expire in the future"),
        (True, START - timedelta(minutes=1), "must expire in the future"),
        (False, START + timedelta(hours=1), "Only a pending entry can expire."),
    ],
)
def test_expiry_must_be_a_zoned_future_time_on_a_pending_entry(
    open_member: OpenMember,
    refused: Refused,
    pending: bool,
    expires_at: datetime,
    message: str,
) -> None:
    ada = open_member(HOUR)
    bob = open_member()

    error = refused(
        InvalidRequest,
        lambda conn: ledger.transfer(
            conn,
            from_account_id=ada,
            to_account_id=bob,
            minutes=HOUR,
            kind="gift",
            pending=pending,
            expires_at=expires_at,
            now=START,
        ),
    )

    assert message in str(error)


def test_void_expired_voids_only_the_overdue_entries_of_its_book(
    engine: Engine,
    book: ledger.Book,
    gift: Gift,
    open_member: OpenMember,
    read_account: ReadAccount,
) -> None:
    ada = open_member(4 * HOUR)
    bob = open_member()
    overdue = gift(
        ada, bob, 15, pending=True, expires_at=START, now=START - timedelta(hours=1)
    )
    due_now = gift(
        ada, bob, 15, pending=True, expires_at=START + timedelta(hours=1), now=START
    )
    open_ended = gift(ada, bob, 15, pending=True, now=START)
    elsewhere = open_book(engine, "Hilltop Time Bank")
    stranger = run_in_transaction(
        engine,
        lambda conn: ledger.open_account(conn, book_id=elsewhere.id, kind="member"),
    ).id
    other_books = earn(
        engine,
        elsewhere,
        stranger,
        15,
        pending=True,
        expires_at=START,
        now=START - timedelta(hours=1),
    )

    voided = run_in_transaction(
        engine, lambda conn: ledger.void_expired(conn, book_id=book.id, now=START)
    )

    assert voided == [overdue.id]
    statuses = {
        held.id: entry(engine, held.id).status
        for held in (overdue, due_now, open_ended, other_books)
    }
    assert statuses == {
        overdue.id: "voided",
        due_now.id: "pending",
        open_ended.id: "pending",
        other_books.id: "pending",
    }
    assert read_account(ada).pending_debit_minutes == 30


# Frozen and closed accounts with pending entries.


@pytest.mark.parametrize("side", ["payer", "payee"])
def test_frozen_account_refuses_the_posting_of_its_pending_entry(
    engine: Engine, gift: Gift, open_member: OpenMember, refused: Refused, side: str
) -> None:
    ada = open_member(HOUR)
    bob = open_member()
    held = gift(ada, bob, HOUR, pending=True)
    frozen = ada if side == "payer" else bob
    run_in_transaction(engine, lambda conn: ledger.freeze_account(conn, frozen))

    # The entry turns posted before the accounts are touched: it must roll back.
    refused(AccountFrozen, lambda conn: ledger.post_pending(conn, held.id))

    assert entry(engine, held.id).status == "pending"


def test_frozen_account_may_still_have_its_pending_entry_voided(
    engine: Engine,
    gift: Gift,
    open_member: OpenMember,
    read_account: ReadAccount,
) -> None:
    ada = open_member(HOUR)
    bob = open_member()
    held = gift(ada, bob, HOUR, pending=True)
    run_in_transaction(engine, lambda conn: ledger.freeze_account(conn, ada))

    void(engine, held.id)

    assert totals(read_account(ada)) == (HOUR, 0, 0)


def test_closed_account_accepts_only_the_voiding_of_its_pending_entries(
    engine: Engine,
    gift: Gift,
    open_member: OpenMember,
    read_account: ReadAccount,
    refused: Refused,
) -> None:
    ada = open_member(HOUR)
    bob = open_member()
    held = gift(ada, bob, HOUR, pending=True)
    run_in_transaction(engine, lambda conn: ledger.close_account(conn, bob))

    refused(AccountClosed, lambda conn: ledger.post_pending(conn, held.id))
    void(engine, held.id)

    assert totals(read_account(bob)) == (0, 0, 0)
    assert read_account(bob).status == "closed"


def test_frozen_issuance_account_refuses_the_posting_of_a_pending_earn(
    engine: Engine, book: ledger.Book, open_member: OpenMember, refused: Refused
) -> None:
    earner = open_member()
    held = earn(engine, book, earner, HOUR, pending=True)
    run_in_transaction(
        engine, lambda conn: ledger.freeze_account(conn, book.issuance_account_id)
    )

    refused(AccountFrozen, lambda conn: ledger.post_pending(conn, held.id))
    void(engine, held.id)


@pytest.mark.parametrize(
    "action",
    [
        ledger.get_transaction,
        ledger.post_pending,
        ledger.void_pending,
        ledger.reverse_transaction,
    ],
)
def test_unknown_entry_is_refused(refused: Refused, action: Callable[..., Any]) -> None:
    error = refused(UnknownTransaction, lambda conn: action(conn, 404))

    assert str(error) == "There is no entry 404."


# Reversals.


def test_reversal_posts_the_opposite_postings_and_links_both_ways(
    engine: Engine, gift: Gift, open_member: OpenMember, read_account: ReadAccount
) -> None:
    ada = open_member(2 * HOUR)
    bob = open_member()
    sent = gift(ada, bob, HOUR)

    reversal = reverse(engine, sent.id, created_by=3, now=START)

    assert reversal.kind == "reversal"
    assert reversal.status == "posted"
    assert reversal.memo == f"Reversal of entry {sent.id}"
    assert reversal.created_by == 3
    assert reversal.reverses_id == sent.id
    assert entry(engine, sent.id).reversed_by_id == reversal.id
    assert set(entry(engine, reversal.id).postings) == {
        Posting(ada, HOUR),
        Posting(bob, -HOUR),
    }
    assert read_account(ada).balance_minutes == 2 * HOUR
    assert read_account(bob).balance_minutes == 0


def test_reversal_undoes_every_leg_of_a_three_legged_entry(
    engine: Engine, open_member: OpenMember, read_account: ReadAccount
) -> None:
    ada = open_member(2 * HOUR)
    bob = open_member()
    cy = open_member()
    shared = exchange(engine, (ada, -90), (bob, 60), (cy, 30))

    reverse(engine, shared.id, memo="Entered twice")

    assert [read_account(a).balance_minutes for a in (ada, bob, cy)] == [
        2 * HOUR,
        0,
        0,
    ]


def test_reversal_of_a_posted_earn_returns_the_minutes_to_issuance(
    engine: Engine,
    book: ledger.Book,
    open_member: OpenMember,
    read_account: ReadAccount,
) -> None:
    earner = open_member()
    earned = earn(engine, book, earner, HOUR)

    reverse(engine, earned.id)

    assert read_account(book.issuance_account_id).balance_minutes == 0
    assert read_account(earner).balance_minutes == 0


def test_entry_is_reversed_at_most_once(
    engine: Engine, gift: Gift, open_member: OpenMember, refused: Refused
) -> None:
    ada = open_member(HOUR)
    bob = open_member()
    sent = gift(ada, bob, HOUR)
    reversal = reverse(engine, sent.id)

    error = refused(
        AlreadyReversed, lambda conn: ledger.reverse_transaction(conn, sent.id)
    )

    assert str(error) == (
        f"Entry {sent.id} was already reversed by entry {reversal.id}."
    )


def test_reversal_is_not_itself_reversed(
    engine: Engine, gift: Gift, open_member: OpenMember, refused: Refused
) -> None:
    ada = open_member(HOUR)
    bob = open_member()
    reversal = reverse(engine, gift(ada, bob, HOUR).id)

    refused(
        ReversalNotReversible,
        lambda conn: ledger.reverse_transaction(conn, reversal.id),
    )


@pytest.mark.parametrize("voided", [False, True])
def test_only_a_posted_entry_is_reversed(
    engine: Engine, gift: Gift, open_member: OpenMember, refused: Refused, voided: bool
) -> None:
    ada = open_member(HOUR)
    bob = open_member()
    held = gift(ada, bob, HOUR, pending=True)
    if voided:
        void(engine, held.id)

    error = refused(NotPosted, lambda conn: ledger.reverse_transaction(conn, held.id))

    status = "voided" if voided else "pending"
    assert str(error) == f"Entry {held.id} is {status}, not posted."


def test_reversal_posted_from_pending_undoes_it(
    engine: Engine, gift: Gift, open_member: OpenMember, read_account: ReadAccount
) -> None:
    ada = open_member(HOUR)
    bob = open_member()
    held = gift(ada, bob, HOUR, pending=True)
    post(engine, held.id)

    reverse(engine, held.id)

    assert totals(read_account(ada)) == (HOUR, 0, 0)
    assert totals(read_account(bob)) == (0, 0, 0)


def test_reversal_that_would_take_an_account_below_its_floor_is_refused(
    gift: Gift, open_member: OpenMember, refused: Refused
) -> None:
    ada = open_member(HOUR)
    bob = open_member()
    cy = open_member()
    sent = gift(ada, bob, HOUR)
    gift(bob, cy, HOUR)

    error = refused(
        InsufficientCredit, lambda conn: ledger.reverse_transaction(conn, sent.id)
    )

    assert error.account_id == bob
    assert error.available_minutes == 0


@pytest.mark.parametrize(
    ("change", "error"),
    [(ledger.freeze_account, AccountFrozen), (ledger.close_account, AccountClosed)],
)
def test_reversal_touching_a_frozen_or_closed_account_is_refused(
    engine: Engine,
    gift: Gift,
    open_member: OpenMember,
    refused: Refused,
    change: Callable[..., Any],
    error: type[Exception],
) -> None:
    ada = open_member(HOUR)
    bob = open_member()
    sent = gift(ada, bob, HOUR)
    gift(bob, ada, HOUR)
    run_in_transaction(engine, lambda conn: change(conn, bob))

    refused(error, lambda conn: ledger.reverse_transaction(conn, sent.id))


def test_reversal_with_an_overlong_memo_is_refused(
    gift: Gift, open_member: OpenMember, refused: Refused
) -> None:
    ada = open_member(HOUR)
    bob = open_member()
    sent = gift(ada, bob, HOUR)

    refused(
        InvalidRequest,
        lambda conn: ledger.reverse_transaction(conn, sent.id, memo="x" * 501),
    )


# Idempotency.


def test_repeated_request_returns_the_first_entry_and_writes_nothing(
    gift: Gift,
    open_member: OpenMember,
    ledger_rows: Callable[[], Any],
) -> None:
    ada = open_member(2 * HOUR)
    bob = open_member()
    first = gift(ada, bob, HOUR, idempotency_key="lift-42", now=START)
    rows_after_first = ledger_rows()

    repeat = gift(ada, bob, HOUR, idempotency_key="lift-42", now=START)

    assert repeat == first
    assert ledger_rows() == rows_after_first


def test_repeated_request_is_answered_even_when_it_could_no_longer_be_afforded(
    gift: Gift, open_member: OpenMember, read_account: ReadAccount
) -> None:
    ada = open_member(HOUR)
    bob = open_member()
    first = gift(ada, bob, HOUR, idempotency_key="lift-42", now=START)

    repeat = gift(ada, bob, HOUR, idempotency_key="lift-42", now=START)

    assert repeat.id == first.id
    assert read_account(ada).balance_minutes == 0


def test_repeated_pending_request_reserves_once(
    gift: Gift, open_member: OpenMember, read_account: ReadAccount
) -> None:
    ada = open_member(2 * HOUR)
    bob = open_member()
    request = {
        "pending": True,
        "expires_at": START + timedelta(hours=1),
        "idempotency_key": "hold-1",
        "now": START,
    }

    first = gift(ada, bob, HOUR, **request)
    repeat = gift(ada, bob, HOUR, **request)

    assert repeat.id == first.id
    assert read_account(ada).pending_debit_minutes == HOUR


@pytest.mark.parametrize(
    "changed",
    [
        {"minutes": 30},
        {"memo": "Another lift"},
        {"kind": "exchange"},
        {"pending": True},
        {"service_date": date(2024, 2, 1)},
    ],
)
def test_same_key_for_a_different_request_is_a_conflict(
    engine: Engine, open_member: OpenMember, refused: Refused, changed: dict[str, Any]
) -> None:
    ada = open_member(2 * HOUR)
    bob = open_member()
    request = {
        "from_account_id": ada,
        "to_account_id": bob,
        "minutes": HOUR,
        "kind": "gift",
        "memo": "Lift",
        "idempotency_key": "lift-42",
        "now": START,
    }
    run_in_transaction(engine, lambda conn: ledger.transfer(conn, **request))

    error = refused(
        IdempotencyConflict,
        lambda conn: ledger.transfer(conn, **{**request, **changed}),
    )

    assert str(error) == "The key 'lift-42' was used for a different request."


def test_idempotency_keys_are_per_book(
    engine: Engine,
    book: ledger.Book,
    open_member: OpenMember,
    read_account: ReadAccount,
) -> None:
    here = open_member()
    elsewhere = open_book(engine, "Hilltop Time Bank")
    there = run_in_transaction(
        engine,
        lambda conn: ledger.open_account(conn, book_id=elsewhere.id, kind="member"),
    ).id

    for earning_book, earner in [(book, here), (elsewhere, there)]:
        earn(engine, earning_book, earner, HOUR, idempotency_key="hour-log-1")

    assert read_account(here).balance_minutes == HOUR
    assert read_account(there).balance_minutes == HOUR


def test_request_refused_under_a_key_leaves_the_key_free(
    gift: Gift, open_member: OpenMember, refused: Refused
) -> None:
    ada = open_member()
    bob = open_member(HOUR)
    refused(
        InsufficientCredit,
        lambda conn: ledger.transfer(
            conn,
            from_account_id=ada,
            to_account_id=bob,
            minutes=HOUR,
            kind="gift",
            idempotency_key="lift-42",
        ),
    )
    gift(bob, ada, HOUR)

    sent = gift(ada, bob, HOUR, idempotency_key="lift-42")

    assert sent.idempotency_key == "lift-42"


def test_request_repeated_after_midnight_returns_the_first_entry(
    gift: Gift, open_member: OpenMember, ledger_rows: Callable[[], Any]
) -> None:
    """A client retrying a request that named no service date gets the first entry."""
    ada = open_member(2 * HOUR)
    bob = open_member()
    just_before_midnight = datetime(2024, 3, 1, 23, 59, tzinfo=UTC)
    first = gift(ada, bob, HOUR, idempotency_key="lift-42", now=just_before_midnight)
    rows_after_first = ledger_rows()

    repeat = gift(
        ada,
        bob,
        HOUR,
        idempotency_key="lift-42",
        now=just_before_midnight + timedelta(minutes=2),
    )

    assert repeat.id == first.id
    assert ledger_rows() == rows_after_first


def test_pending_request_repeated_after_its_expiry_returns_the_first_entry(
    gift: Gift, open_member: OpenMember, ledger_rows: Callable[[], Any]
) -> None:
    """A client retrying a hold after its expiry learns what became of the first."""
    ada = open_member(2 * HOUR)
    bob = open_member()
    request = {
        "pending": True,
        "expires_at": START + timedelta(hours=1),
        "idempotency_key": "hold-1",
    }
    first = gift(ada, bob, HOUR, now=START, **request)
    rows_after_first = ledger_rows()

    repeat = gift(ada, bob, HOUR, now=START + timedelta(hours=2), **request)

    assert repeat.id == first.id
    assert ledger_rows() == rows_after_first
