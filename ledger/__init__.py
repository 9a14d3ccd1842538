"""The double-entry, hour-for-hour ledger of a time bank.

Design in brief (DESIGN.md holds the whole of it):

- Amounts are whole minutes; one time credit is 60. A book (one time bank) sets
  the granularity every amount is a multiple of.
- An account (member, organisation, pool, or the book's one issuance account)
  keeps its posted balance, pending debits and pending credits. Its available
  balance, posted less pending debits, never falls below its floor.
- A transaction is two or more postings that sum to zero. It is posted, or
  pending until it is posted or voided once. Posted transactions are never
  changed: a reversal undoes one, at most once.
- Earned credits come from the issuance account, whose balance is minus the
  credits in circulation. Its totals are split over slots so that concurrent
  earns do not queue on one row.
- As an entry is resolved, each of its postings becomes the next link of its
  account's hash chain (one chain per slot of a split account), so that
  find_violations names any row of the books changed behind the ledger's back.

Every function takes a SQLAlchemy Connection inside the caller's transaction
and never commits; run_in_transaction is the unit of work that does, retrying
transient conflicts. This package imports nothing from the web application.
"""

from .accounts import (
    Account,
    Book,
    close_account,
    freeze_account,
    get_account,
    get_book,
    open_account,
    open_book,
    set_floor,
    unfreeze_account,
)
from .database import create_engine, run_in_transaction
from .errors import LedgerError
from .history import Entry, Page, list_entries, posted_balance, posted_entries
from .invariants import find_violations
from .transactions import (
    Posting,
    Transaction,
    get_transaction,
    post_pending,
    record_transaction,
    reverse_transaction,
    transfer,
    void_expired,
    void_pending,
)

__all__ = [
    "Account",
    "Book",
    "Entry",
    "LedgerError",
    "Page",
    "Posting",
    "Transaction",
    "close_account",
    "create_engine",
    "find_violations",
    "freeze_account",
    "get_account",
    "get_book",
    "get_transaction",
    "list_entries",
    "open_account",
    "open_book",
    "post_pending",
    "posted_balance",
    "posted_entries",
    "record_transaction",
    "reverse_transaction",
    "run_in_transaction",
    "set_floor",
    "transfer",
    "unfreeze_account",
    "void_expired",
    "void_pending",
]
