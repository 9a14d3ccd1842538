"""Accounts: a balance and its entries, for whoever may see the account."""

from datetime import date
from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from ledger.errors import InvalidRequest
from timebank.accounts.services import (
    ENTRIES_PAGE_SIZE,
    HISTORY_KINDS,
    MAX_ENTRIES_PAGE_SIZE,
    HistoryPage,
    list_account_entries,
    open_account,
)
from timebank.people.models import User
from timebank.unit_of_work import run_use_case

from .operations import ApiSchema, operation
from .problems import ApiProblem

BROKEN_CURSOR = "This cursor is not a next_cursor this service gave."


class AccountOwnerOut(ApiSchema):
    type = fields.String(
        attribute="kind",
        metadata={"description": "member, organisation, pool or issuance."},
    )
    id = fields.Integer(
        allow_none=True,
        metadata={
            "description": "The member's or the organisation's id; none for the "
            "time bank's own pool and issuance accounts."
        },
    )
    name = fields.String()


class AccountOut(ApiSchema):
    id = fields.Integer()
    kind = fields.String(
        metadata={"description": "member, organisation, pool or issuance."}
    )
    owner = fields.Nested(AccountOwnerOut)
    balance_minutes = fields.Integer(metadata={"description": "The posted balance."})
    available_minutes = fields.Integer(
        metadata={"description": "The posted balance less pending debits."}
    )
    pending_debit_minutes = fields.Integer()
    pending_credit_minutes = fields.Integer()
    floor_minutes = fields.Integer(
        allow_none=True,
        metadata={
            "description": "The lowest the available balance may fall to; "
            "none for no floor."
        },
    )
    status = fields.String(metadata={"description": "open, frozen or closed."})


def _service_day(data_key: str, which: str) -> fields.Date:
    return fields.Date(
        data_key=data_key,
        load_default=None,
        metadata={"description": f"The {which} day of service kept, included."},
    )


class EntriesQuery(ApiSchema):
    first_day = _service_day("from", "first")
    last_day = _service_day("to", "last")
    kind = fields.String(
        load_default="all", validate=validate.OneOf(list(HISTORY_KINDS))
    )
    cursor = fields.String(
        load_default=None,
        validate=validate.Length(max=200),
        metadata={"description": "A next_cursor, for the page after its own."},
    )
    limit = fields.Integer(
        load_default=ENTRIES_PAGE_SIZE,
        validate=validate.Range(min=1, max=MAX_ENTRIES_PAGE_SIZE),
    )

    @validates_schema
    def days_in_order(self, data: dict[str, Any], **_: object) -> None:
        first, last = data.get("first_day"), data.get("last_day")
        if isinstance(first, date) and isinstance(last, date) and first > last:
            raise ValidationError(
                "The last day must be on or after the first day.", field_name="to"
            )


class EntryOut(ApiSchema):
    transaction_id = fields.Integer()
    kind = fields.String(
        metadata={"description": "earn, spend, gift, exchange or reversal."}
    )
    status = fields.String(metadata={"description": "pending, posted or voided."})
    memo = fields.String()
    minutes = fields.Integer(
        metadata={"description": "Into the account if positive, out if negative."}
    )
    service_date = fields.Date()
    recorded_at = fields.DateTime()
    counterparty = fields.String(
        metadata={"description": "Who or what was on the other side."}
    )
    reverses_id = fields.Integer(allow_none=True)
    reversed_by_id = fields.Integer(allow_none=True)


class EntryPage(ApiSchema):
    entries = fields.List(fields.Nested(EntryOut), attribute="lines")
    next_cursor = fields.String(
        allow_none=True,
        metadata={
            "description": "Send it as cursor for older entries; none at the end."
        },
    )


@operation("GET", "/accounts/<id:account_id>", response=AccountOut())
def account(user: User, account_id: int) -> dict[str, Any]:
    """Show an account's balance and who owns it.

    A member sees their own account; a broker or admin of the time bank any
    of its accounts; an organisation's admin the organisation's.
    """
    found, owner = run_use_case(
        lambda session: open_account(session, actor=user, account_id=account_id)
    )
    return {
        "id": found.id,
        "kind": found.kind,
        "owner": owner,
        "balance_minutes": found.balance_minutes,
        "available_minutes": found.available_minutes,
        "pending_debit_minutes": found.pending_debit_minutes,
        "pending_credit_minutes": found.pending_credit_minutes,
        "floor_minutes": found.floor_minutes,
        "status": found.status,
    }


@operation(
    "GET",
    "/accounts/<id:account_id>/entries",
    query=EntriesQuery(),
    response=EntryPage(),
)
def account_entries(user: User, account_id: int, query: dict[str, Any]) -> HistoryPage:
    """List an account's entries, newest first, a page at a time.

    from and to keep the entries whose service happened on those days or
    between; kind keeps one kind: all, earned, exchanges, gifts, spends or
    reversals.
    """
    try:
        return run_use_case(
            lambda session: list_account_entries(
                session, actor=user, account_id=account_id, **query
            )
        )
    except InvalidRequest:
        # The query was checked already: only the cursor is left.
        raise ApiProblem(
            422, "Some fields are not valid.", errors={"cursor": [BROKEN_CURSOR]}
        ) from None
