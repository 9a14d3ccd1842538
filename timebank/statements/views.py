"""Statements on the web: download one, check a printed one, print many at once.

A member downloads their own account's statement; the time bank's brokers
and admins any account's; an organisation's admins the organisation's.
Anyone holding a printed statement may check its number and checksum.
Brokers and admins print every member's statement of the time bank, and an
organisation's admins those of its volunteers, as a job whose page shows
how far it has gone and then offers the file.
"""

from datetime import date
from pathlib import Path

from flask import Blueprint, current_app, render_template, request, send_file, url_for
from flask import redirect as redirect_to
from flask_babel import get_locale, lazy_gettext, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from marshmallow import fields, validate
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from timebank.accounts.services import AccountOwner, open_account
from timebank.banks.models import TimeBank
from timebank.banks.rules import today
from timebank.banks.services import enter_time_bank
from timebank.errors import InvalidPeriod, UnknownFileFormat, UnknownStatement
from timebank.forms import Done, Form, FormSchema, text
from timebank.people.models import Membership
from timebank.periods import PeriodFields
from timebank.unit_of_work import run_use_case

from .downloads import STATEMENT_FORMATS, statement_download
from .jobs import printed_path, start_print_job
from .models import PrintRun
from .services import (
    FILE_FORMATS,
    PrintScope,
    Statement,
    Verification,
    issue_statement,
    open_print_run,
    open_printed_file,
    print_scopes,
    printed_file_name,
    request_print_run,
    verify_statement,
)

bp = Blueprint("statements", __name__)

# Where a service's refusal is shown on the forms.
PERIOD_ERRORS: dict[type[Exception], str] = {
    InvalidPeriod: "to",
    UnknownFileFormat: "format",
}


class StatementForm(PeriodFields, FormSchema):
    """The period of a statement, and whether it is a PDF or a CSV file."""

    file_format = fields.String(
        data_key="format",
        load_default="pdf",
        validate=validate.OneOf(
            STATEMENT_FORMATS, error=lazy_gettext("Choose PDF or CSV.")
        ),
    )


class VerifyForm(FormSchema):
    number = text(lazy_gettext("Enter the statement number, like ST-00001234."))
    checksum = text(lazy_gettext("Enter the checksum printed on the statement."))


class PrintForm(PeriodFields, FormSchema):
    """Whose statements to print, for which period, as one PDF or one ZIP."""

    scope = text(lazy_gettext("Enter whose statements to print."))
    file_format = fields.String(
        data_key="format",
        load_default="pdf",
        validate=validate.OneOf(
            FILE_FORMATS, error=lazy_gettext("Choose one PDF or one ZIP.")
        ),
    )


def default_period() -> dict[str, str]:
    """Return the period a form offers first: this year so far."""
    on = today()
    return {"from": date(on.year, 1, 1).isoformat(), "to": on.isoformat()}


@bp.get("/banks/<slug>/accounts/<id:account_id>/statement")
@login_required
def account_statement(slug: str, account_id: int) -> Response | tuple[str, int] | str:
    """Offer an account's statement, or download it for the period asked."""
    asked = bool(request.args)
    form = Form.queried(StatementForm()) if asked else Form(StatementForm())

    def work(
        session: Session,
    ) -> tuple[TimeBank, Membership, AccountOwner, Statement | None]:
        bank, viewer = enter_time_bank(session, actor=current_user, slug=slug)
        _, owner = open_account(session, actor=current_user, account_id=account_id)
        statement = None
        if asked and not form.errors:
            try:
                statement = issue_statement(
                    session,
                    actor=current_user,
                    account_id=account_id,
                    first_day=form.data["first_day"],
                    last_day=form.data["last_day"],
                )
            except InvalidPeriod as error:
                # Refused before anything was written.
                form.refuse(error, PERIOD_ERRORS)
        return bank, viewer, owner, statement

    bank, viewer, owner, statement = run_use_case(work)
    if statement is not None:
        return statement_download(statement, form.data["file_format"])
    if not asked:
        form.values.update(default_period())
    page = render_template(
        "statements/statement.html",
        bank=bank,
        viewer=viewer,
        owner=owner,
        account_id=account_id,
        form=form,
    )
    return (page, 422) if form.errors else page


@bp.get("/statements/verify")
def verify() -> tuple[str, int] | str:
    """Check a printed statement's number and checksum against the books."""
    asked = bool(request.args)
    form = Form.queried(VerifyForm()) if asked else Form(VerifyForm())
    found: Verification | None = None
    if asked and not form.errors:
        try:
            found = run_use_case(lambda session: verify_statement(session, **form.data))
        except UnknownStatement as error:
            form.errors["number"] = str(error)
    page = render_template("statements/verify.html", form=form, found=found)
    return (page, 422) if form.errors else page


@bp.route("/banks/<slug>/statements/print", methods=["GET", "POST"])
@login_required
def print_statements(slug: str) -> Response | tuple[str, int] | str:
    """Ask for every member's statement of the time bank or an organisation."""
    posted = request.method == "POST"
    form = Form.posted(PrintForm()) if posted else Form(PrintForm())

    def choices(
        session: Session,
    ) -> tuple[TimeBank, Membership, list[PrintScope]]:
        bank, viewer = enter_time_bank(session, actor=current_user, slug=slug)
        return (
            bank,
            viewer,
            print_scopes(session, actor=current_user, time_bank_id=bank.id),
        )

    bank, viewer, scopes = run_use_case(choices)
    offered = {scope.value: scope.organisation_id for scope in scopes}
    if posted and not form.errors and form.data["scope"] not in offered:
        form.errors["scope"] = _("Choose whose statements to print from the list.")
    if posted:
        created: list[int] = []

        def work(session: Session) -> Done:
            run = request_print_run(
                session,
                actor=current_user,
                time_bank_id=bank.id,
                organisation_id=offered[form.data["scope"]],
                first_day=form.data["first_day"],
                last_day=form.data["last_day"],
                file_format=form.data["file_format"],
            )
            created.append(run.id)
            return Done(
                url=url_for("statements.print_run", slug=slug, run_id=run.id),
                message=ngettext(
                    "Printing %(num)d statement.",
                    "Printing %(num)d statements.",
                    run.statement_count,
                ),
            )

        where = form.submit(work, PERIOD_ERRORS)
        if where is not None:
            # A form sent twice is recorded once, and printed once.
            if created:
                start_print_job(created[-1], language=str(get_locale()))
            return redirect_to(where)
    else:
        form.values.update(default_period())
    page = render_template(
        "statements/print.html",
        bank=bank,
        viewer=viewer,
        form=form,
        scope_options=[(scope.value, scope.label) for scope in scopes],
    )
    return (page, 422) if form.errors else page


@bp.get("/banks/<slug>/statements/print/<id:run_id>")
@login_required
def print_run(slug: str, run_id: int) -> str:
    """Show how far a print run has gone, and its file once it is done."""

    def work(session: Session) -> tuple[TimeBank, Membership, PrintRun]:
        bank, viewer = enter_time_bank(session, actor=current_user, slug=slug)
        run = open_print_run(
            session, actor=current_user, time_bank_id=bank.id, run_id=run_id
        )
        return bank, viewer, run

    bank, viewer, run = run_use_case(work)
    return render_template(
        "statements/print_run.html", bank=bank, viewer=viewer, run=run
    )


@bp.get("/banks/<slug>/statements/print/<id:run_id>/file")
@login_required
def printed_file(slug: str, run_id: int) -> Response:
    """Download a finished print run's file."""

    def work(session: Session) -> PrintRun:
        bank, _ = enter_time_bank(session, actor=current_user, slug=slug)
        return open_printed_file(
            session, actor=current_user, time_bank_id=bank.id, run_id=run_id
        )

    run = run_use_case(work)
    path: Path = printed_path(current_app.config["STATEMENTS_FOLDER"], run)
    return send_file(
        path,
        mimetype="application/pdf" if run.file_format == "pdf" else "application/zip",
        as_attachment=True,
        download_name=printed_file_name(run),
    )
