"""Recompute every invariant of the books over the whole database and name each break.

The ledger's own invariants (postings against balances, the zero sum, pending
totals, reversal links, floors, and whatever else ``ledger.invariants`` comes
to check) are the ledger's to compute. Here are the domain's, which hold
between the domain's records and the entries they made:

- an approved hour log's entry is a posted earn that credits its member with
  exactly its minutes (hour for hour); a pending or rejected one has none;
- an exchange, gift or spend's entry moves exactly its minutes from the one
  who pays to the one who is paid, and stands as the record does: pending
  while it waits, posted once approved, voided once rejected;
- every earn, exchange, gift and spend entry belongs to one such record;
- every account a time bank's members, organisations and pool use is in
  that time bank's book, and of the kind they need.
"""

from dataclasses import dataclass
from time import perf_counter

from sqlalchemy import (
    Connection,
    Integer,
    Subquery,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from ledger.invariants import find_violations
from ledger.schema import accounts, postings, transactions
from timebank.banks.models import TimeBank
from timebank.banks.services import require_time_bank_admin
from timebank.decisions import Decision
from timebank.exchanges.models import Exchange
from timebank.gifts.models import Gift
from timebank.hour_logs.models import HourLog
from timebank.organisations.models import Organisation
from timebank.people.models import Membership, User
from timebank.spending.models import Spend

# The entries a domain record makes; any other kind (reversal, adjustment) is
# the ledger's own.
RECORDED_KINDS = ("earn", "exchange", "gift", "spend")


@dataclass(frozen=True)
class Verdict:
    """What a check of the whole books found, and what it covered.

    Each check is one statement, which sees one committed state of the
    database even as others write; a record and its entry commit together.
    """

    violations: list[str]
    entries: int
    postings: int
    seconds: float

    @property
    def sound(self) -> bool:
        """Tell whether every invariant holds."""
        return not self.violations


def verify_books(session: Session) -> Verdict:
    """Check every invariant of the ledger and of the domain over the database."""
    started = perf_counter()
    conn = session.connection()
    violations = find_violations(conn) + find_domain_violations(conn)
    return Verdict(
        violations=violations,
        entries=conn.scalar(select(func.count()).select_from(transactions)) or 0,
        postings=conn.scalar(select(func.count()).select_from(postings)) or 0,
        seconds=perf_counter() - started,
    )


def verify_books_for_admin(
    session: Session, *, actor: User, time_bank_id: int
) -> Verdict:
    """Check the whole books for a time bank's admin, who reads only the verdict.

    The books of every time bank share the one ledger, whose zero sum holds
    only over all of them, so the check is not per time bank; what the admin
    is shown (how many invariants broke, not which) names no account or entry
    of another time bank.
    """
    require_time_bank_admin(session, actor=actor, time_bank_id=time_bank_id)
    return verify_books(session)


def find_domain_violations(conn: Connection) -> list[str]:
    """Return a sentence for each broken rule between records and their entries."""
    violations = [
        _entry_mismatch(*tuple(row)) for row in conn.execute(_MISMATCHED_ENTRIES)
    ]
    violations += [
        f"{kind} entry {entry} belongs to no hour log, exchange, gift or spend"
        for entry, kind in conn.execute(_UNCLAIMED_ENTRIES)
    ]
    violations += [
        f"the {what} account {account} of time bank {bank} is "
        + (
            f"of kind {kind}, not {wanted}"
            if kind != wanted
            else f"in book {book}, not in its time bank's book {bank_book}"
        )
        for what, bank, account, wanted, kind, book, bank_book in conn.execute(
            _MISPLACED_ACCOUNTS
        )
    ]
    return violations


def _entry_mismatch(
    what: str,
    record: int,
    status: str,
    entry: int | None,
    minutes: int,
    payee: int,
    kind: str,
    wanted_status: str | None,
    found_kind: str | None,
    found_status: str | None,
    count: int | None,
    credited: int | None,
    credit: int | None,
    debited: int | None,
    debit: int | None,
) -> str:
    """Say how a record's entry differs from what the record says it did."""
    name = f"{status} {what} {record}"
    if wanted_status is None:
        return f"{name} has entry {entry}, but should have none"
    if entry is None or found_kind is None:
        return f"{name} has no entry"
    if (found_kind, found_status) != (kind, wanted_status):
        return (
            f"{name} has entry {entry}, a {found_status} {found_kind}, "
            f"not a {wanted_status} {kind}"
        )
    return (
        f"{name} pays {minutes} minutes into account {payee}, but its entry "
        f"{entry} has {count or 0} postings, moving {credit or 0} minutes into "
        f"account {credited} and {-(debit or 0)} out of account {debited}"
    )


# The entry each record's status calls for: None means it should have none.
_LOG_ENTRY = case(
    (HourLog.status == Decision.APPROVED.value, literal("posted")), else_=null()
)
_PAYMENT_ENTRY = case(
    (Exchange.status == Decision.PENDING.value, literal("pending")),
    (Exchange.status == Decision.APPROVED.value, literal("posted")),
    else_=literal("voided"),
)
_GIFT_ENTRY = case(
    (Gift.status == Decision.PENDING.value, literal("pending")),
    (Gift.status == Decision.APPROVED.value, literal("posted")),
    else_=literal("voided"),
)


def _claims() -> Subquery:
    """Return, for every record, the entry it made and what that entry must do.

    An hour log's earn comes from the issuance account or the organisation's,
    as the time bank chose when it was approved, so only the member's side of
    it is named; two postings summing to zero fix the other side.
    """
    no_account = cast(null(), Integer)
    hour_logs = select(
        literal("hour log").label("what"),
        HourLog.id.label("record"),
        HourLog.status.label("status"),
        HourLog.transaction_id.label("entry"),
        HourLog.minutes.label("minutes"),
        literal("earn").label("kind"),
        _LOG_ENTRY.label("wanted_status"),
        Membership.account_id.label("payee"),
        no_account.label("payer"),
    ).join(Membership, Membership.id == HourLog.membership_id)
    receiver = Membership.__table__.alias("receiver")
    provider = Membership.__table__.alias("provider")
    exchanges = (
        select(
            literal("exchange"),
            Exchange.id,
            Exchange.status,
            Exchange.transaction_id,
            Exchange.minutes,
            literal("exchange"),
            _PAYMENT_ENTRY,
            provider.c.account_id,
            receiver.c.account_id,
        )
        .join(provider, provider.c.id == Exchange.provider_id)
        .join(receiver, receiver.c.id == Exchange.receiver_id)
    )
    giver = Membership.__table__.alias("giver")
    recipient = Membership.__table__.alias("recipient")
    gifts = (
        select(
            literal("gift"),
            Gift.id,
            Gift.status,
            Gift.transaction_id,
            Gift.minutes,
            literal("gift"),
            _GIFT_ENTRY,
            func.coalesce(recipient.c.account_id, TimeBank.pool_account_id),
            giver.c.account_id,
        )
        .join(giver, giver.c.id == Gift.giver_id)
        .outerjoin(recipient, recipient.c.id == Gift.recipient_id)
        .join(TimeBank, TimeBank.id == Gift.time_bank_id)
    )
    spends = (
        select(
            literal("spend"),
            Spend.id,
            literal("recorded"),
            Spend.transaction_id,
            Spend.minutes,
            literal("spend"),
            literal("posted"),
            Organisation.account_id,
            Membership.account_id,
        )
        .join(Membership, Membership.id == Spend.membership_id)
        .join(Organisation, Organisation.id == Spend.organisation_id)
    )
    return union_all(hour_logs, exchanges, gifts, spends).subquery("claim")


_claim = _claims()
# What each entry moves, in one pass over the postings grouped by entry. An
# entry of two postings, one in and one out, is summed up by its credited
# and debited accounts and their minutes.
_into = postings.c.minutes > 0
_moves = (
    select(
        postings.c.transaction_id.label("entry"),
        func.count().label("count"),
        func.max(case((_into, postings.c.account_id))).label("credited"),
        func.sum(case((_into, postings.c.minutes))).label("credit"),
        func.max(case((~_into, postings.c.account_id))).label("debited"),
        func.sum(case((~_into, postings.c.minutes))).label("debit"),
    )
    .group_by(postings.c.transaction_id)
    .subquery("moves")
)
_MISMATCHED_ENTRIES = (
    select(
        _claim.c.what,
        _claim.c.record,
        _claim.c.status,
        _claim.c.entry,
        _claim.c.minutes,
        _claim.c.payee,
        _claim.c.kind,
        _claim.c.wanted_status,
        transactions.c.kind,
        transactions.c.status,
        _moves.c.count,
        _moves.c.credited,
        _moves.c.credit,
        _moves.c.debited,
        _moves.c.debit,
    )
    .select_from(_claim)
    .outerjoin(transactions, transactions.c.id == _claim.c.entry)
    .outerjoin(_moves, _moves.c.entry == _claim.c.entry)
    .where(
        or_(
            and_(_claim.c.wanted_status.is_(None), _claim.c.entry.is_not(None)),
            and_(
                _claim.c.wanted_status.is_not(None),
                or_(
                    transactions.c.kind.is_distinct_from(_claim.c.kind),
                    transactions.c.status.is_distinct_from(_claim.c.wanted_status),
                    _moves.c.count.is_distinct_from(2),
                    _moves.c.credited.is_distinct_from(_claim.c.payee),
                    _moves.c.credit.is_distinct_from(_claim.c.minutes),
                    _moves.c.debit.is_distinct_from(-_claim.c.minutes),
                    and_(
                        _claim.c.payer.is_not(None),
                        _moves.c.debited.is_distinct_from(_claim.c.payer),
                    ),
                ),
            ),
        )
    )
    .order_by(_claim.c.what, _claim.c.record)
)

_UNCLAIMED_ENTRIES = (
    select(transactions.c.id, transactions.c.kind)
    .where(
        transactions.c.kind.in_(RECORDED_KINDS),
        *(
            ~select(model.transaction_id)
            .where(model.transaction_id == transactions.c.id)
            .exists()
            for model in (HourLog, Exchange, Gift, Spend)
        ),
    )
    .order_by(transactions.c.id)
)


def _placed_accounts() -> Subquery:
    """Return every account a time bank uses, with the kind it must be."""
    members = select(
        literal("member").label("what"),
        Membership.time_bank_id.label("bank"),
        Membership.account_id.label("account"),
        literal("member").label("wanted"),
    )
    organisations = select(
        literal("organisation"),
        Organisation.time_bank_id,
        Organisation.account_id,
        literal("organisation"),
    )
    pools = select(
        literal("pool"), TimeBank.id, TimeBank.pool_account_id, literal("pool")
    )
    return union_all(members, organisations, pools).subquery("placed")


_placed = _placed_accounts()
_MISPLACED_ACCOUNTS = (
    select(
        _placed.c.what,
        _placed.c.bank,
        _placed.c.account,
        _placed.c.wanted,
        accounts.c.kind,
        accounts.c.book_id,
        TimeBank.book_id,
    )
    .join(accounts, accounts.c.id == _placed.c.account)
    .join(TimeBank, TimeBank.id == _placed.c.bank)
    .where(
        or_(accounts.c.kind != _placed.c.wanted, accounts.c.book_id != TimeBank.book_id)
    )
    .order_by(_placed.c.bank, _placed.c.account)
)
