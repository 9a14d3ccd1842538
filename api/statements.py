"""Statements: an account's entries over a period, as a PDF or CSV file."""

from typing import Any

from flask import Response
from marshmallow import fields, validate

from timebank.people.models import User
from timebank.periods import PeriodFields
from timebank.statements.downloads import STATEMENT_FORMATS, statement_download
from timebank.statements.services import issue_statement
from timebank.unit_of_work import run_use_case

from .operations import ApiSchema, operation


class StatementQuery(PeriodFields, ApiSchema):
    file_format = fields.String(
        data_key="format",
        load_default="pdf",
        validate=validate.OneOf(STATEMENT_FORMATS),
        metadata={"description": "pdf (the default) or csv."},
    )


@operation(
    "GET",
    "/accounts/<id:account_id>/statement",
    query=StatementQuery(),
    produces=("application/pdf", "text/csv"),
)
def account_statement(user: User, account_id: int, query: dict[str, Any]) -> Response:
    """Issue an account's statement for a period, as a PDF or CSV file.

    Whoever may see the account may have its statement. It lists the entries
    served from the first day to the last, both included, and posted before
    it was issued; the last day is today at the latest, and a period spans
    at most ten years. Its number and checksum are printed on it and can be
    checked at /statements/verify.
    """
    statement = run_use_case(
        lambda session: issue_statement(
            session,
            actor=user,
            account_id=account_id,
            first_day=query["first_day"],
            last_day=query["last_day"],
        )
    )
    return statement_download(statement, query["file_format"])
