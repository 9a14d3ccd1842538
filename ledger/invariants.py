"""Recompute the ledger's invariants from its postings and name any violation.

This reads the whole database, so it is for tests and audits, not for the hot
path. The numbers match DESIGN.md's list of invariants.
"""

from sqlalchemy import Connection, Subquery, case, func, literal, select, union_all

from .schema import account_slots, accounts, postings, transactions


def find_violations(conn: Connection) -> list[str]:
    """Return a sentence for each broken invariant; an empty list means sound."""
    return [
        *_unbalanced_transactions(conn),
        *_nonzero_total(conn),
        *_totals_not_matching_postings(conn),
        *_below_floor(conn),
        *_broken_reversal_links(conn),
    ]


def _unbalanced_transactions(conn: Connection) -> list[str]:
    rows = conn.execute(
        select(
            postings.c.transaction_id,
            func.sum(postings.c.minutes),
            func.count(),
            func.min(func.abs(postings.c.minutes)),
        )
        .group_by(postings.c.transaction_id)
        .having(
            (func.sum(postings.c.minutes) != 0)
            | (func.count() < 2)
            | (func.min(func.abs(postings.c.minutes)) == 0)
        )
    ).all()
    orphans = conn.scalars(
        select(transactions.c.id).where(
            ~select(postings.c.id)
            .where(postings.c.transaction_id == transactions.c.id)
            .exists()
        )
    ).all()
    return [
        f"1: entry {tid} has {count} postings summing to {total}"
        for tid, total, count, _ in rows
    ] + [f"1: entry {tid} has no postings" for tid in orphans]


def _stored_totals() -> Subquery:
    """Each account's stored totals, adding its slots when it is split."""
    slot_rows = select(
        account_slots.c.account_id,
        account_slots.c.balance_minutes,
        account_slots.c.pending_debit_minutes,
        account_slots.c.pending_credit_minutes,
    )
    account_rows = select(
        accounts.c.id,
        accounts.c.balance_minutes,
        accounts.c.pending_debit_minutes,
        accounts.c.pending_credit_minutes,
    )
    both = union_all(account_rows, slot_rows).subquery()
    columns = list(both.c)
    return (
        select(
            columns[0].label("account_id"),
            func.sum(columns[1]).label("balance"),
            func.sum(columns[2]).label("pending_debit"),
            func.sum(columns[3]).label("pending_credit"),
        )
        .group_by(columns[0])
        .subquery()
    )


def _nonzero_total(conn: Connection) -> list[str]:
    stored = _stored_totals()
    total = conn.execute(select(func.coalesce(func.sum(stored.c.balance), 0))).scalar()
    return [] if total == 0 else [f"2: the balances sum to {total}, not zero"]


def _totals_not_matching_postings(conn: Connection) -> list[str]:
    status = transactions.c.status
    minutes = postings.c.minutes
    from_postings = (
        select(
            postings.c.account_id,
            func.sum(case((status == "posted", minutes), else_=0)).label("balance"),
            func.sum(
                case(((status == "pending") & (minutes < 0), -minutes), else_=0)
            ).label("pending_debit"),
            func.sum(
                case(((status == "pending") & (minutes > 0), minutes), else_=0)
            ).label("pending_credit"),
        )
        .join(transactions, transactions.c.id == postings.c.transaction_id)
        .group_by(postings.c.account_id)
        .subquery()
    )
    stored = _stored_totals()
    zero = literal(0)
    rows = conn.execute(
        select(
            stored.c.account_id,
            stored.c.balance,
            stored.c.pending_debit,
            stored.c.pending_credit,
            func.coalesce(from_postings.c.balance, zero),
            func.coalesce(from_postings.c.pending_debit, zero),
            func.coalesce(from_postings.c.pending_credit, zero),
        ).outerjoin(from_postings, from_postings.c.account_id == stored.c.account_id)
    ).all()
    violations = []
    for account_id, *stored_totals in rows:
        kept, summed = stored_totals[:3], stored_totals[3:]
        if [int(x) for x in kept] != [int(x) for x in summed]:
            violations.append(
                f"3: account {account_id} keeps balance, pending debit and pending "
                f"credit {kept} but its postings give {summed}"
            )
    return violations


def _below_floor(conn: Connection) -> list[str]:
    rows = conn.execute(
        select(
            accounts.c.id, accounts.c.floor_minutes, accounts.c.balance_minutes
        ).where(
            accounts.c.floor_minutes.is_not(None),
            accounts.c.balance_minutes - accounts.c.pending_debit_minutes
            < accounts.c.floor_minutes,
        )
    ).all()
    return [
        f"4: account {account_id} is below its floor of {floor}"
        for account_id, floor, _ in rows
    ]


def _broken_reversal_links(conn: Connection) -> list[str]:
    original = transactions.alias("original")
    reversal = transactions.alias("reversal")
    rows = conn.execute(
        select(
            reversal.c.id, original.c.id, original.c.reversed_by_id, original.c.status
        )
        .select_from(reversal)
        .outerjoin(original, original.c.id == reversal.c.reverses_id)
        .where(
            reversal.c.kind == "reversal",
            (original.c.id.is_(None))
            | (original.c.reversed_by_id.is_(None))
            | (original.c.reversed_by_id != reversal.c.id)
            | (original.c.status != "posted"),
        )
    ).all()
    dangling = conn.scalars(
        select(original.c.id)
        .select_from(original)
        .outerjoin(reversal, reversal.c.id == original.c.reversed_by_id)
        .where(
            original.c.reversed_by_id.is_not(None),
            (reversal.c.id.is_(None)) | (reversal.c.reverses_id != original.c.id),
        )
    ).all()
    return [
        f"5: reversal {rid} and entry {oid} do not point at each other"
        for rid, oid, _, _ in rows
    ] + [f"5: entry {oid} names a reversal that does not name it" for oid in dangling]
