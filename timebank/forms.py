"""The web forms' common steps: parse with a schema, show errors, submit once.

A view parses the posted fields (or a search's query string) with a
marshmallow schema, which checks their shape (a whole number, a date); the
service it then calls checks the rules. Either kind of error is shown beside
the field it concerns. Every form holds a request key, so that sending it
twice records it once.

Each field's message is one whole sentence made with ``lazy_gettext`` where
the schema is declared, so that it is shown in the page's language.
"""

import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from flask import flash, request
from flask_babel import LazyString, lazy_gettext
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validate
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from ledger.errors import (
    AccountClosed,
    AccountFrozen,
    AccountsInDifferentBooks,
    AlreadyResolved,
    AlreadyReversed,
    FloorAboveAvailable,
    InsufficientCredit,
    InvalidAmount,
    LedgerError,
    NotMultipleOfGranularity,
    NotPosted,
    PendingExpired,
    ReversalNotReversible,
    SameAccountTwice,
)
from timebank.durations import format_minutes
from timebank.errors import ItemRefused, MakerChecker, NotPermitted, TimebankError
from timebank.idempotency.services import run_once
from timebank.unit_of_work import run_use_case

REQUEST_KEY = "request_key"
# The largest id a column holds: a larger number names nothing.
LARGEST_ID = 2**63 - 1
# Fields a form carries that are not part of the request it makes.
NOT_REQUEST_FIELDS = {"csrf_token", REQUEST_KEY}


def new_request_key() -> str:
    """Return a fresh key for a form about to be shown."""
    return secrets.token_urlsafe(16)


class FormSchema(Schema):
    """A schema for a posted form: fields it does not know are ignored."""

    class Meta:
        unknown = EXCLUDE


def whole_number(
    message: LazyString, *, low: int = 0, high: int | None = None
) -> fields.Integer:
    """Return a field for a whole number from low to high (or more, without high).

    message is the one sentence shown whatever is wrong with it: "Enter the
    minutes as a whole number from 0 to 59."
    """
    return fields.Integer(
        strict=False,
        required=True,
        validate=validate.Range(min=low, max=high, error=message),
        error_messages={"invalid": message, "required": message, "null": message},
    )


def minutes_of_an_hour() -> fields.Integer:
    """Return the field for the minutes of an amount typed as hours and minutes."""
    return whole_number(
        lazy_gettext("Enter the minutes as a whole number from 0 to 59."), high=59
    )


def choice(message: LazyString) -> fields.Integer:
    """Return a field for the id of something picked from a list.

    message asks for a choice: "Choose an activity from the list." An id
    too large for the database names nothing, and gets the same message as
    any other.
    """
    return fields.Integer(
        strict=False,
        required=True,
        validate=validate.Range(min=1, max=LARGEST_ID, error=message),
        error_messages={"invalid": message, "required": message, "null": message},
    )


def calendar_date(message: LazyString, *, required: bool = True) -> fields.Date:
    """Return a field for a date written as YYYY-MM-DD (a date input's format).

    message asks for the date and shows its format: "Enter the date you
    volunteered as a date, like 2026-03-31."
    """
    if not required:
        return fields.Date(load_default=None, error_messages={"invalid": message})
    return fields.Date(
        required=True,
        error_messages={"invalid": message, "required": message, "null": message},
    )


def text(message: LazyString) -> fields.String:
    """Return a field for text that must be given; the services check its length.

    message asks for it: "Enter what you did."
    """
    return fields.String(
        required=True, error_messages={"required": message, "null": message}
    )


def optional_text() -> fields.String:
    """Return a field for text that may be left empty; the services check it."""
    return fields.String(load_default="")


@dataclass(frozen=True)
class Done:
    """Where to go once a form has done its work, and what to tell the user."""

    url: str
    message: str


class DurationForm(FormSchema):
    """A form with an amount of time typed as hours and minutes.

    The two fields become one, ``time``, in whole minutes; the service says
    whether that amount is too large for what it is.
    """

    hours = whole_number(
        lazy_gettext("Enter the hours as a whole number of 0 or more.")
    )
    minutes = minutes_of_an_hour()

    @post_load
    def total_minutes(self, data: dict[str, Any], **_: object) -> dict[str, Any]:
        return {**data, "time": data.pop("hours") * 60 + data.pop("minutes")}


# The ledger's refusals that a form can meet, in words that name no account.
LEDGER_REFUSALS: dict[type[LedgerError], LazyString] = {
    AccountFrozen: lazy_gettext(
        "An account this would use is frozen, so no credits can go in or out "
        "of it. Please ask a broker."
    ),
    AccountClosed: lazy_gettext("An account this would use is closed."),
    NotMultipleOfGranularity: lazy_gettext(
        "The time is not a multiple of the steps this time bank counts in."
    ),
    InvalidAmount: lazy_gettext(
        "The time must be a whole number of minutes, more than zero and not too large."
    ),
    SameAccountTwice: lazy_gettext("Nobody pays credits to their own account."),
    AccountsInDifferentBooks: lazy_gettext(
        "Credits move only between accounts of one time bank."
    ),
    AlreadyResolved: lazy_gettext(
        "This was already approved or cancelled, so nothing was changed."
    ),
    PendingExpired: lazy_gettext(
        "This waited too long for approval, and can no longer be approved."
    ),
    NotPosted: lazy_gettext(
        "Only an entry that has gone through can be reversed: this one is "
        "waiting for approval or was cancelled."
    ),
    AlreadyReversed: lazy_gettext("This entry was already reversed."),
    ReversalNotReversible: lazy_gettext(
        "A reversal cannot itself be reversed. Record a new entry instead."
    ),
    FloorAboveAvailable: lazy_gettext(
        "This floor is above what the account can use now, so it cannot be set."
    ),
}
# What the rest say: they guard rules that the services have checked already.
NOT_RECORDED = lazy_gettext("This could not be recorded, so nothing was changed.")


def message_for(error: Exception) -> str:
    """Return a service's refusal in words for the person who sent the form.

    The services' own refusals are already in the page's language; the
    ledger's are in English and name accounts by number, so they get words
    here that name no one.
    """
    message: str
    if isinstance(error, ItemRefused):
        message = f"{error.named} {message_for(error.cause)}"
    elif isinstance(error, InsufficientCredit):
        message = _(
            "There is not enough credit for this: %(amount)s can be used.",
            amount=format_minutes(max(error.available_minutes, 0)),
        )
    elif isinstance(error, LedgerError):
        message = str(LEDGER_REFUSALS.get(type(error), NOT_RECORDED))
    else:
        message = str(error)
    return message


class Form:
    """A form as the template shows it: the values sent, and an error per field.

    A field the schema declares a list (``fields.List``, such as a group of
    checkboxes) keeps every value sent, in ``lists``; any other field keeps
    one, in ``values``.
    """

    def __init__(self, schema: Schema, values: Mapping[str, str] | None = None):
        self.schema = schema
        self.values: dict[str, str] = dict(values or {})
        self.values.setdefault(REQUEST_KEY, new_request_key())
        self.lists: dict[str, list[str]] = {}
        self.errors: dict[str, str] = {}
        self.data: dict[str, Any] = {}

    @classmethod
    def posted(cls, schema: Schema) -> "Form":
        """Return the form as posted, parsed: check ``errors`` before using data."""
        return cls._parsed(schema, request.form)

    @classmethod
    def queried(cls, schema: Schema) -> "Form":
        """Return a GET form (a search, filters) as its query string sends it."""
        return cls._parsed(schema, request.args)

    @classmethod
    def _parsed(cls, schema: Schema, sent: MultiDict[str, str]) -> "Form":
        many = _list_fields(schema)
        form = cls(
            schema, {name: value for name, value in sent.items() if name not in many}
        )
        form.lists = {
            name: [value.strip() for value in sent.getlist(name) if value.strip()]
            for name in many
        }
        # An empty field is a missing one, so that it gets the field's own message.
        raw: dict[str, str | list[str]] = {
            name: value.strip()
            for name, value in form.values.items()
            if name not in NOT_REQUEST_FIELDS and value.strip() != ""
        }
        raw.update((name, values) for name, values in form.lists.items() if values)
        try:
            form.data = schema.load(raw)
        except ValidationError as error:
            form.errors = {
                str(field): _first_message(messages)
                for field, messages in _as_dict(error.messages).items()
            }
        return form

    def refuse(
        self, error: Exception, fields_of: Mapping[type[Exception], str]
    ) -> None:
        """Show a service's error beside the field it concerns, or above the form."""
        for kind in type(error).__mro__:
            if kind in fields_of:
                self.errors[fields_of[kind]] = message_for(error)
                return
        self.errors["form"] = message_for(error)

    def submit(
        self, work: Callable[[Session], Done], fields_of: Mapping[type[Exception], str]
    ) -> str | None:
        """Run work once if the form parsed; return where to go next, or None.

        None means the form is shown again, with the service's refusal beside
        the field it concerns. A refusal for the viewer's role is no mistake in
        the form: it is the forbidden page. Maker-checker's is shown on the
        form, since someone else may do what the viewer may not.
        """
        if self.errors:
            return None
        try:
            return self.submit_once(work)
        except MakerChecker as error:
            self.refuse(error, fields_of)
        except NotPermitted:
            raise
        except (TimebankError, LedgerError) as error:
            self.refuse(error, fields_of)
        return None

    def submit_once(self, work: Callable[[Session], Done]) -> str:
        """Run work once for this form's request key; return where to go next.

        A form sent again goes to the same place, and is told it was already
        recorded, without running work a second time.
        """
        request_fields = {
            name: value
            for name, value in {**self.values, **self.lists}.items()
            if name not in NOT_REQUEST_FIELDS
        }
        outcome = run_use_case(
            lambda session: run_once(
                session,
                user_id=current_user.id,
                key=self.values[REQUEST_KEY],
                request={"form": request.endpoint, **request_fields},
                work=lambda: json.dumps(asdict(work(session))),
            )
        )
        done = Done(**json.loads(outcome.value))
        if outcome.replayed:
            flash(_("That form was already sent, and it was recorded once."))
        else:
            flash(done.message)
        return done.url


def _list_fields(schema: Schema) -> set[str]:
    """Return the names under which the fields declared as lists are sent."""
    return {
        field.data_key or name
        for name, field in schema.fields.items()
        if isinstance(field, fields.List)
    }


def _as_dict(messages: Any) -> dict[str, Any]:
    return messages if isinstance(messages, dict) else {"form": messages}


def _first_message(messages: Any) -> str:
    while isinstance(messages, dict | list):
        if isinstance(messages, dict):
            messages = list(messages.values())
        messages = messages[0]
    return str(messages)
