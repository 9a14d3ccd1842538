"""Reversing a posted entry: a broker corrects a mistake, saying why.

A posted entry is never edited. A reversal is a new entry with the opposite
postings, linked to the one it undoes; each entry is reversed at most once.
Maker-checker: a broker never reverses an entry they recorded or one that
touches their own account.
"""

from flask_babel import gettext as _
from sqlalchemy.orm import Session

import ledger
from ledger.accounts import is_whole_number
from timebank.audit.services import record_event
from timebank.errors import MakerChecker, UnknownEntry
from timebank.people.models import Membership, Role, User
from timebank.people.services import get_time_bank, require_reason, require_role


def get_entry_of_time_bank(
    session: Session, *, actor: User, time_bank_id: int, transaction_id: int
) -> ledger.Transaction:
    """Return an entry of the time bank's book, for one of its brokers to reverse."""
    _, entry = _brokers_entry(
        session, actor=actor, time_bank_id=time_bank_id, transaction_id=transaction_id
    )
    return entry


def reverse_entry(
    session: Session,
    *,
    actor: User,
    time_bank_id: int,
    transaction_id: int,
    reason: str,
) -> ledger.Transaction:
    """Reverse a posted entry of the time bank's book; a broker does."""
    broker, original = _brokers_entry(
        session, actor=actor, time_bank_id=time_bank_id, transaction_id=transaction_id
    )
    if original.created_by == actor.id or any(
        posting.account_id == broker.account_id for posting in original.postings
    ):
        raise MakerChecker(
            _(
                "You cannot reverse an entry that you recorded or that touches your "
                "own account."
            )
        )
    reason = require_reason(reason)
    reversal = ledger.reverse_transaction(
        session.connection(),
        transaction_id,
        memo=f"Reversal of entry {transaction_id}: {reason}"[:500],
        created_by=actor.id,
        approved_by=actor.id,
    )
    record_event(
        session,
        time_bank_id=time_bank_id,
        actor_id=actor.id,
        action="entry_reversed",
        subject_type="ledger_transaction",
        subject_id=transaction_id,
        reason=reason,
        details={
            "kind": original.kind,
            "service_date": original.service_date.isoformat(),
            "reversal_id": reversal.id,
        },
    )
    return reversal


def _brokers_entry(
    session: Session, *, actor: User, time_bank_id: int, transaction_id: int
) -> tuple[Membership, ledger.Transaction]:
    """Return the actor's membership, if a broker, and the entry of their book.

    An entry of another time bank's book is unknown here, as if it did not exist.
    """
    bank = get_time_bank(session, time_bank_id)
    broker = require_role(
        session, actor=actor, time_bank_id=bank.id, roles=[Role.BROKER]
    )
    if not is_whole_number(transaction_id):
        raise UnknownEntry(
            _("There is no entry %(id)r in this time bank.", id=transaction_id)
        )
    entry = ledger.get_transaction(session.connection(), transaction_id)
    if entry.book_id != bank.book_id:
        raise UnknownEntry(
            _("There is no entry %(id)r in this time bank.", id=transaction_id)
        )
    return broker, entry
