"""Recompute the ledger's invariants from its postings and name any violation.

This reads the whole database, so it is for tests and audits, not for the hot
path. The numbers match DESIGN.md's list of invariants; the hash chains
(chain.py) are checked under 5, posted history being append-only. The queries
are built once, here, because property tests run them after every step.
"""

from sqlalchemy import Connection, case, func, literal, select, union_all

from .chain import verify_chains
from .schema import account_slots, accounts, postings, transactions

_UNBALANCED = (
    select(postings.c.transaction_id, func.sum(postings.c.minutes), func.count())
    .group_by(postings.c.transaction_id)
    .having(
        (func.sum(postings.c.minutes) != 0)
        | (func.count() < 2)
        | (func.min(func.abs(postings.c.minutes)) == 0)
    )
)

_WITHOUT_POSTINGS = select(transactions.c.id).where(
    ~select(postings.c.id)
    .where(postings.c.transaction_id == transactions.c.id)
    .exists()
)

# Each account's stored totals, adding its slots when it is split.
_all_rows = union_all(
    select(
        accounts.c.id.label("account_id"),
        accounts.c.balance_minutes,
        accounts.c.pending_debit_minutes,
        accounts.c.pending_credit_minutes,
    ),
    select(
        account_slots.c.account_id,
        account_slots.c.balance_minutes,
        account_slots.c.pending_debit_minutes,
        account_slots.c.pending_credit_minutes,
    ),
).subquery()
_stored = (
    select(
        _all_rows.c.account_id,
        func.sum(_all_rows.c.balance_minutes).label("balance"),
        func.sum(_all_rows.c.pending_debit_minutes).label("pending_debit"),
        func.sum(_all_rows.c.pending_credit_minutes).label("pending_credit"),
    )
    .group_by(_all_rows.c.account_id)
    .subquery()
)

_TOTAL = select(func.coalesce(func.sum(_stored.c.balance), 0))

_status, _minutes = transactions.c.status, postings.c.minutes
_from_postings = (
    select(
        postings.c.account_id,
        func.sum(case((_status == "posted", _minutes), else_=0)).label("balance"),
        func.sum(
            case(((_status == "pending") & (_minutes < 0), -_minutes), else_=0)
        ).label("pending_debit"),
        func.sum(
            case(((_status == "pending") & (_minutes > 0), _minutes), else_=0)
        ).label("pending_credit"),
    )
    .join(transactions, transactions.c.id == postings.c.transaction_id)
    .group_by(postings.c.account_id)
    .subquery()
)
_STORED_AND_SUMMED = select(
    _stored.c.account_id,
    _stored.c.balance,
    _stored.c.pending_debit,
    _stored.c.pending_credit,
    func.coalesce(_from_postings.c.balance, literal(0)),
    func.coalesce(_from_postings.c.pending_debit, literal(0)),
    func.coalesce(_from_postings.c.pending_credit, literal(0)),
).outerjoin(_from_postings, _from_postings.c.account_id == _stored.c.account_id)

_BELOW_FLOOR = select(accounts.c.id, accounts.c.floor_minutes).where(
    accounts.c.floor_minutes.is_not(None),
    accounts.c.balance_minutes - accounts.c.pending_debit_minutes
    < accounts.c.floor_minutes,
)

_original = transactions.alias("original")
_reversal = transactions.alias("reversal")
_REVERSALS_NOT_LINKED = (
    select(_reversal.c.id, _original.c.id)
    .select_from(_reversal)
    .outerjoin(_original, _original.c.id == _reversal.c.reverses_id)
    .where(
        _reversal.c.kind == "reversal",
        (_original.c.id.is_(None))
        | (_original.c.reversed_by_id.is_(None))
        | (_original.c.reversed_by_id != _reversal.c.id)
        | (_original.c.status != "posted"),
    )
)
_ORIGINALS_NOT_LINKED = (
    select(_original.c.id)
    .select_from(_original)
    .outerjoin(_reversal, _reversal.c.id == _original.c.reversed_by_id)
    .where(
        _original.c.reversed_by_id.is_not(None),
        _reversal.c.reverses_id.is_distinct_from(_original.c.id),
    )
)


def find_violations(conn: Connection) -> list[str]:
    """Return a sentence for each broken invariant; an empty list means sound."""
    violations = [
        f"1: entry {entry} has {count} postings summing to {total}"
        for entry, total, count in conn.execute(_UNBALANCED)
    ]
    violations += [
        f"1: entry {entry} has no postings" for entry in conn.scalars(_WITHOUT_POSTINGS)
    ]
    total = conn.execute(_TOTAL).scalar_one()
    if total != 0:
        violations.append(f"2: the balances sum to {total}, not zero")
    for account_id, *totals in conn.execute(_STORED_AND_SUMMED):
        kept, summed = [int(x) for x in totals[:3]], [int(x) for x in totals[3:]]
        if kept != summed:
            violations.append(
                f"3: account {account_id} keeps balance, pending debit and pending "
                f"credit {kept} but its postings give {summed}"
            )
    violations += [
        f"4: account {account_id} is below its floor of {floor}"
        for account_id, floor in conn.execute(_BELOW_FLOOR)
    ]
    violations += [
        f"5: reversal {reversal} and entry {original} do not point at each other"
        for reversal, original in conn.execute(_REVERSALS_NOT_LINKED)
    ]
    violations += [
        f"5: entry {original} names a reversal that does not name it"
        for original in conn.scalars(_ORIGINALS_NOT_LINKED)
    ]
    violations += verify_chains(conn)
    return violations
