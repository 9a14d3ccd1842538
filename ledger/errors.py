"""Errors of the ledger: one base, and one subclass for each rule it guards.

Each docstring states the rule. The message is written for a person: callers
may show it as it is.
"""


class LedgerError(Exception):
    """A ledger rule refused the operation; nothing was written."""


class InvalidAmount(LedgerError):
    """Every posting is a whole, non-zero number of minutes within the limit."""


class NotMultipleOfGranularity(LedgerError):
    """Every amount is a multiple of the book's granularity (15 minutes unless set)."""


class Unbalanced(LedgerError):
    """A transaction's postings sum to zero: what one account pays, others receive."""


class TooFewPostings(LedgerError):
    """A transaction has at least two postings."""


class SameAccountTwice(LedgerError):
    """An account appears at most once in a transaction (nobody pays themselves)."""


class UnknownAccount(LedgerError):
    """Every account named exists."""


class UnknownTransaction(LedgerError):
    """Every transaction named exists."""


class AccountsInDifferentBooks(LedgerError):
    """A transaction moves minutes only between accounts of the same book."""


class AccountFrozen(LedgerError):
    """A frozen account takes part in no new transaction and no posting."""


class AccountClosed(LedgerError):
    """A closed account accepts nothing but the voiding of its pending entries."""


class InsufficientCredit(LedgerError):
    """An account's available balance never falls below its floor."""

    def __init__(self, message: str, *, account_id: int, available_minutes: int):
        super().__init__(message)
        self.account_id = account_id
        self.available_minutes = available_minutes


class AlreadyResolved(LedgerError):
    """A pending transaction is posted or voided exactly once."""


class PendingExpired(LedgerError):
    """A pending transaction past its expiry can no longer be posted."""


class NotPosted(LedgerError):
    """Only a posted transaction can be reversed."""


class AlreadyReversed(LedgerError):
    """A posted transaction is reversed at most once."""


class ReversalNotReversible(LedgerError):
    """A reversal is not itself reversed; record a new entry instead."""


class IdempotencyConflict(LedgerError):
    """An idempotency key stands for one request: reusing it for another is refused."""


class InvalidRequest(LedgerError):
    """A request names a known kind, a sensible floor, memo and expiry."""


class AccountNotEmpty(LedgerError):
    """An account is closed only when its balance is zero."""


class FloorAboveAvailable(LedgerError):
    """A floor is never raised above the account's available balance."""
