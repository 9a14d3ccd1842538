"""Transfers: gifts, exchanges and spends between accounts, and their decisions.

A transfer is named by its ledger entry's id. Recording one takes an
``Idempotency-Key`` header: the same request sent again with the same key
records nothing more and gets the first answer again, marked
``Idempotent-Replayed: true``; the same key with another body is refused.
"""

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from flask import Response, request, url_for
from marshmallow import ValidationError, fields, validate

from timebank.errors import (
    ActivityMismatch,
    InvalidMinutes,
    InvalidServiceDate,
    InvalidText,
    InvalidTransferKind,
    NotAPayeesAccount,
    NotAPayersAccount,
    NotASpendPartner,
    PayingYourself,
    ReasonRequired,
    TimebankError,
    UnknownActivity,
)
from timebank.forms import LARGEST_ID
from timebank.idempotency.services import Outcome, run_once
from timebank.people.models import User
from timebank.transfers import services
from timebank.transfers.services import (
    TransferKind,
)
from timebank.unit_of_work import run_use_case

from .operations import ApiSchema, operation
from .problems import ApiProblem

KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"

# The field of the body each of record_transfer's refusals is about.
FIELDS_OF_TRANSFER_ERRORS: dict[type[Exception], str] = {
    InvalidTransferKind: "kind",
    NotAPayersAccount: "from_account_id",
    NotAPayeesAccount: "to_account_id",
    PayingYourself: "to_account_id",
    NotASpendPartner: "to_account_id",
    InvalidMinutes: "minutes",
    InvalidText: "memo",
    InvalidServiceDate: "service_date",
    UnknownActivity: "activity_id",
    ActivityMismatch: "activity_id",
}
FIELDS_OF_REASON_ERRORS: dict[type[Exception], str] = {
    ReasonRequired: "reason",
    InvalidText: "reason",
}


def _id(description: str, *, required: bool = True) -> fields.Integer:
    """Return a field for the id of a row: a whole number a column can hold."""
    absent: dict[str, Any] = {} if required else {"load_default": None}
    return fields.Integer(
        strict=True,
        required=required,
        allow_none=not required,
        validate=validate.Range(min=1, max=LARGEST_ID),
        metadata={"description": description},
        **absent,
    )


def _storable(text: str) -> None:
    """Refuse text that no database stores: a NUL, or half a surrogate pair."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError("The text holds a broken character.") from None
    if "\x00" in text:
        raise ValidationError("The text holds a NUL character.")


class TransferIn(ApiSchema):
    kind = fields.String(
        required=True,
        validate=validate.OneOf([kind.value for kind in TransferKind]),
        metadata={
            "description": "gift: to a member or the community pool; exchange: "
            "the member helped pays the one who helped; spend: a member pays a "
            "spend partner for an activity."
        },
    )
    from_account_id = _id(
        "The paying member's account: the giver's, the member helped's (an "
        "exchange), the spender's. Its member or a broker of their time bank sends."
    )
    to_account_id = _id(
        "The account paid: a member's or the community pool's (a gift), the "
        "member's who helped (an exchange), the spend partner's (a spend)."
    )
    minutes = fields.Integer(
        strict=True,
        required=True,
        metadata={"description": "Whole minutes; a spend's are its activity's price."},
    )
    memo = fields.String(
        load_default="",
        validate=_storable,
        metadata={
            "description": "A gift's message, or what an exchange's help was "
            "(needed); a spend's is its activity's name, so it sends none."
        },
    )
    service_date = fields.Date(
        load_default=None,
        allow_none=True,
        metadata={"description": "When the service happened; today if not given."},
    )
    activity_id = _id(
        "The activity a spend pays for; only a spend sends one.", required=False
    )


class TransferOut(ApiSchema):
    id = fields.Integer(metadata={"description": "The transfer's ledger entry."})
    kind = fields.String(metadata={"description": "gift, exchange or spend."})
    status = fields.String(
        metadata={
            "description": "pending (waiting for a broker, its minutes set "
            "aside), posted, or voided (rejected)."
        }
    )
    time_bank_id = fields.Integer()
    from_account_id = fields.Integer()
    to_account_id = fields.Integer()
    minutes = fields.Integer()
    memo = fields.String()
    service_date = fields.Date()
    recorded_at = fields.DateTime()
    recorded_by_id = fields.Integer(metadata={"description": "The user who sent it."})
    activity_id = fields.Integer(
        allow_none=True, metadata={"description": "A spend's activity; else null."}
    )
    decided_by_id = fields.Integer(
        allow_none=True,
        metadata={
            "description": "The user who approved or rejected it; null when it "
            "waits, or needed no decision."
        },
    )
    decided_at = fields.DateTime(allow_none=True)
    reason = fields.String(
        allow_none=True, metadata={"description": "Why it was rejected."}
    )
    reversed_by_id = fields.Integer(
        allow_none=True,
        metadata={
            "description": "The ledger entry that reversed it, once reversed; "
            "the reverse operation answers with the transfer, this set."
        },
    )


class ReasonIn(ApiSchema):
    reason = fields.String(
        required=True, validate=_storable, metadata={"description": "Why, in words."}
    )


TRANSFER_OUT = TransferOut()


@operation(
    "POST",
    "/transfers",
    status=201,
    body=TransferIn(),
    response=TRANSFER_OUT,
    idempotent=True,
)
def make_transfer(user: User, body: dict[str, Any]) -> Response:
    """Record a gift, an exchange or a spend, once per Idempotency-Key.

    The key is 8 to 64 letters, digits or the signs _ . : -. A gift or
    exchange waits for a broker when the time bank asks for it: it is
    pending, and its minutes are set aside. A refusal for want of credit says
    how many minutes are available.
    """
    key = request.headers.get(KEY_HEADER)
    if key is None:
        raise ApiProblem(
            400,
            f"Send an {KEY_HEADER} header of 8 to 64 letters, digits or the signs "
            "_ . : - so that the transfer is recorded once.",
        )
    with errors_on_fields(FIELDS_OF_TRANSFER_ERRORS):
        outcome = run_use_case(
            lambda session: run_once(
                session,
                user_id=user.id,
                key=key,
                request={"operation": "make_transfer", **body},
                work=lambda: json.dumps(
                    TRANSFER_OUT.dump(
                        services.record_transfer(session, actor=user, **body)
                    )
                ),
            )
        )
    return _answer(outcome)


@operation("GET", "/transfers/<id:transfer_id>", response=TRANSFER_OUT)
def transfer(user: User, transfer_id: int) -> services.Transfer:
    """Show a transfer to its payer, its payee, or a broker or admin of its bank."""
    return run_use_case(
        lambda session: services.get_transfer(
            session, actor=user, transfer_id=transfer_id
        )
    )


@operation("POST", "/transfers/<id:transfer_id>/approve", response=TRANSFER_OUT)
def approve_transfer(user: User, transfer_id: int) -> services.Transfer:
    """Approve a pending gift or exchange; a broker does, not one of its parties.

    Someone else decides what you recorded, what pays you and what is paid
    from your account.
    """
    return run_use_case(
        lambda session: services.approve_transfer(
            session, actor=user, transfer_id=transfer_id
        )
    )


@operation(
    "POST", "/transfers/<id:transfer_id>/reject", body=ReasonIn(), response=TRANSFER_OUT
)
def reject_transfer(
    user: User, transfer_id: int, body: dict[str, Any]
) -> services.Transfer:
    """Reject a pending gift or exchange, saying why: its minutes go back."""
    with errors_on_fields(FIELDS_OF_REASON_ERRORS):
        return run_use_case(
            lambda session: services.reject_transfer(
                session, actor=user, transfer_id=transfer_id, reason=body["reason"]
            )
        )


@operation(
    "POST",
    "/transfers/<id:transfer_id>/reverse",
    body=ReasonIn(),
    response=TRANSFER_OUT,
)
def reverse_transfer(
    user: User, transfer_id: int, body: dict[str, Any]
) -> services.Transfer:
    """Reverse a posted transfer, saying why; a broker of its time bank does.

    The answer is the transfer, its reversal's entry in ``reversed_by_id``.
    Nobody reverses a transfer they recorded or one that touches their account.
    """
    with errors_on_fields(FIELDS_OF_REASON_ERRORS):
        return run_use_case(
            lambda session: services.reverse_transfer(
                session, actor=user, transfer_id=transfer_id, reason=body["reason"]
            )
        )


@contextmanager
def errors_on_fields(fields_of: Mapping[type[Exception], str]) -> Iterator[None]:
    """Answer a service's refusal about one field of the body as that field's error.

    Any other refusal keeps its own status (api.problems).
    """
    try:
        yield
    except TimebankError as error:
        field = next(
            (fields_of[kind] for kind in type(error).__mro__ if kind in fields_of),
            None,
        )
        if field is None:
            raise
        raise ApiProblem(422, str(error), errors={field: [str(error)]}) from error


def _answer(outcome: Outcome) -> Response:
    """Answer with the transfer as first recorded, named by its URL.

    The stored JSON is sent as it is, so that a replay gets the first answer
    to the byte, marked as a replay.
    """
    answer = Response(outcome.value, mimetype="application/json")
    transfer_id = json.loads(outcome.value)["id"]
    answer.headers["Location"] = url_for(".transfer", transfer_id=transfer_id)
    if outcome.replayed:
        answer.headers[REPLAYED_HEADER] = "true"
    return answer
