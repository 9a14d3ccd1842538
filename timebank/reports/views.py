"""Impact reports and organisation statements: pages, PDFs and CSV.

Every page and download takes its period from the query string (``from``
and ``to``, both included). A period that does not parse, or that the
service refuses, shows the page again with the reason, as 422; who may not
see the report is refused first, whatever the period.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar

from flask import Blueprint, Response, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import Session

from timebank.banks.models import TimeBank
from timebank.banks.services import enter_time_bank
from timebank.downloads import attachment
from timebank.errors import InvalidPeriod
from timebank.forms import Form, FormSchema
from timebank.organisations.models import Organisation
from timebank.people.models import Membership
from timebank.periods import PeriodFields
from timebank.unit_of_work import run_use_case

from .pdf import impact_pdf, statement_pdf
from .services import (
    ImpactReport,
    OrganisationStatement,
    bank_impact_report,
    open_bank_report,
    open_organisation_report,
    open_organisation_statement,
    organisation_impact_report,
    organisation_statement,
)
from .spreadsheets import statement_csv

bp = Blueprint("reports", __name__, url_prefix="/banks/<slug>")

R = TypeVar("R", ImpactReport, OrganisationStatement)
PERIOD_FIELDS = ("from", "to")
MIMETYPES = {"pdf": "application/pdf", "csv": "text/csv"}


class PeriodQuery(PeriodFields, FormSchema):
    """A report's period; either day may be left out, for the service to fill in."""


@dataclass(frozen=True)
class ReportPage(Generic[R]):
    """A report, or None when its period was refused, and where it belongs."""

    bank: TimeBank
    viewer: Membership
    organisation: Organisation | None
    report: R | None


Opener = Callable[[Session, TimeBank], Organisation | None]
Maker = Callable[[Session, TimeBank, date | None, date | None], R]


def _read(
    slug: str, open_subject: Opener, make: Maker[R]
) -> tuple[ReportPage[R], Form]:
    """Parse the period, then make the report in one unit of work.

    With a period that does not parse, only the viewer's right to see the
    report is checked, so that someone who may not is refused all the same.
    """
    form = Form.queried(PeriodQuery(partial=True))

    def work(session: Session) -> ReportPage[R]:
        bank, viewer = enter_time_bank(session, actor=current_user, slug=slug)
        if not form.errors:
            try:
                report = make(
                    session, bank, form.data.get("first_day"), form.data.get("last_day")
                )
                return ReportPage(bank, viewer, report.organisation, report)
            except InvalidPeriod as error:
                form.refuse(error, {})
        return ReportPage(bank, viewer, open_subject(session, bank), None)

    return run_use_case(work), form


def _bank_impact(slug: str) -> tuple[ReportPage[ImpactReport], Form]:
    return _read(
        slug,
        lambda s, bank: open_bank_report(s, actor=current_user, bank=bank),
        lambda s, bank, first, last: bank_impact_report(
            s, actor=current_user, bank=bank, first_day=first, last_day=last
        ),
    )


def _organisation_impact(
    slug: str, organisation_id: int
) -> tuple[ReportPage[ImpactReport], Form]:
    return _read(
        slug,
        lambda s, bank: open_organisation_report(
            s, actor=current_user, bank=bank, organisation_id=organisation_id
        ),
        lambda s, bank, first, last: organisation_impact_report(
            s,
            actor=current_user,
            bank=bank,
            organisation_id=organisation_id,
            first_day=first,
            last_day=last,
        ),
    )


def _statement(
    slug: str, organisation_id: int
) -> tuple[ReportPage[OrganisationStatement], Form]:
    return _read(
        slug,
        lambda s, bank: open_organisation_statement(
            s, actor=current_user, bank=bank, organisation_id=organisation_id
        ),
        lambda s, bank, first, last: organisation_statement(
            s,
            actor=current_user,
            bank=bank,
            organisation_id=organisation_id,
            first_day=first,
            last_day=last,
        ),
    )


def _render(
    template: str, page: ReportPage[R], form: Form, **downloads: str
) -> tuple[str, int]:
    """Show a report's page, with its downloads for the same period."""
    period = {
        name: form.values[name] for name in PERIOD_FIELDS if form.values.get(name)
    }
    where: dict[str, Any] = {"slug": page.bank.slug, **period}
    if page.organisation is not None:
        where["organisation_id"] = page.organisation.id
    body = render_template(
        template,
        bank=page.bank,
        viewer=page.viewer,
        organisation=page.organisation,
        report=page.report,
        form=form,
        downloads={
            label: url_for(endpoint, **where) for label, endpoint in downloads.items()
        },
    )
    return body, 422 if form.errors else 200


def _download(
    page: ReportPage[R],
    form: Form,
    show: Callable[[ReportPage[R], Form], tuple[str, int]],
    draw: Callable[[R], str | bytes],
    name: str,
    extension: str,
) -> Response | tuple[str, int]:
    """Send the report as a file, or show its page again when its period was refused."""
    if page.report is None:
        return show(page, form)
    period = page.report.period
    filename = f"{name}-{period.first_day}-to-{period.last_day}.{extension}"
    return attachment(
        draw(page.report), mimetype=MIMETYPES[extension], filename=filename
    )


def _impact_page(page: ReportPage[ImpactReport], form: Form) -> tuple[str, int]:
    endpoint = (
        "reports.bank_impact_pdf"
        if page.organisation is None
        else "reports.organisation_impact_pdf"
    )
    return _render("reports/impact.html", page, form, PDF=endpoint)


def _statement_page(
    page: ReportPage[OrganisationStatement], form: Form
) -> tuple[str, int]:
    return _render(
        "reports/statement.html",
        page,
        form,
        PDF="reports.organisation_statement_pdf",
        CSV="reports.organisation_statement_csv",
    )


@bp.get("/reports/impact")
@login_required
def bank_impact(slug: str) -> tuple[str, int]:
    """Show a time bank's impact report for a period, in charts and tables."""
    return _impact_page(*_bank_impact(slug))


@bp.get("/reports/impact.pdf")
@login_required
def bank_impact_pdf(slug: str) -> Response | tuple[str, int]:
    """Download a time bank's impact report for a period as a PDF."""
    page, form = _bank_impact(slug)
    return _download(page, form, _impact_page, impact_pdf, f"impact-{slug}", "pdf")


@bp.get("/organisations/<id:organisation_id>/impact")
@login_required
def organisation_impact(slug: str, organisation_id: int) -> tuple[str, int]:
    """Show an organisation's impact report for a period, in charts and tables."""
    return _impact_page(*_organisation_impact(slug, organisation_id))


@bp.get("/organisations/<id:organisation_id>/impact.pdf")
@login_required
def organisation_impact_pdf(
    slug: str, organisation_id: int
) -> Response | tuple[str, int]:
    """Download an organisation's impact report for a period as a PDF."""
    page, form = _organisation_impact(slug, organisation_id)
    name = f"impact-organisation-{organisation_id}"
    return _download(page, form, _impact_page, impact_pdf, name, "pdf")


@bp.get("/organisations/<id:organisation_id>/statement")
@login_required
def organisation_statement_page(slug: str, organisation_id: int) -> tuple[str, int]:
    """Show an organisation's statement for a period."""
    return _statement_page(*_statement(slug, organisation_id))


@bp.get("/organisations/<id:organisation_id>/statement.pdf")
@login_required
def organisation_statement_pdf(
    slug: str, organisation_id: int
) -> Response | tuple[str, int]:
    """Download an organisation's statement for a period as a PDF."""
    page, form = _statement(slug, organisation_id)
    name = f"statement-organisation-{organisation_id}"
    return _download(page, form, _statement_page, statement_pdf, name, "pdf")


@bp.get("/organisations/<id:organisation_id>/statement.csv")
@login_required
def organisation_statement_csv(
    slug: str, organisation_id: int
) -> Response | tuple[str, int]:
    """Download an organisation's statement for a period as CSV."""
    page, form = _statement(slug, organisation_id)
    name = f"statement-organisation-{organisation_id}"
    return _download(page, form, _statement_page, statement_csv, name, "csv")
