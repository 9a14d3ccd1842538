"""The impact report and the organisation statement on the web, PDF and CSV.

The PDFs are read back with pypdf, and every figure in them is checked
against what the services computed from the ledger.
"""

import csv
import io
import re
from collections.abc import Callable

import pypdf
from sqlalchemy import Engine

from timebank.banks.models import TimeBank
from timebank.durations import format_minutes
from timebank.people.models import User
from timebank.reports.services import (
    ImpactReport,
    OrganisationStatement,
    bank_impact_report,
    organisation_statement,
)

from ..factories import Riverside, days_ago, run
from ..reports.scenes import riversides_month
from ..test_statements import WELSH_MONTHS, in_welsh
from .conftest import Browser, choose, error_beside


def pdf_text(data: bytes) -> str:
    """Return the text of every page of a PDF, its spaces and lines made one space."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def test_the_impact_page_shows_the_figures_charts_and_tables(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    riversides_month(engine, riverside)
    broker = browser_for(riverside.broker)
    assert f"/banks/{riverside.slug}/reports/impact" in broker.get(
        f"/banks/{riverside.slug}/"
    ).get_data(as_text=True)

    page = broker.get(f"/banks/{riverside.slug}/reports/impact?from={days_ago(25)}")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<dt>Hours volunteered</dt><dd>4 h 30 min</dd>" in html
    assert "<dt>Active volunteers</dt><dd>2</dd>" in html
    assert "<dt>Credits spent</dt><dd>1 h</dd>" in html
    assert html.count("<svg") == 2
    assert '<th scope="row">Swim</th><td>Leisure Centre</td>' in html
    assert f"impact.pdf?from={days_ago(25)}" in html


def test_the_impact_pdf_holds_every_figure_the_service_computed(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    riversides_month(engine, riverside)
    first, last = days_ago(25), days_ago(1)
    report: ImpactReport = run(
        engine,
        lambda s: bank_impact_report(
            s,
            actor=riverside.admin,
            bank=s.get_one(TimeBank, riverside.bank_id),
            first_day=first,
            last_day=last,
        ),
    )

    response = browser_for(riverside.admin).get(
        f"/banks/{riverside.slug}/reports/impact.pdf?from={first}&to={last}"
    )

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert (
        f'filename="impact-{riverside.slug}-{first}-to-{last}.pdf"'
        in (response.headers["Content-Disposition"])
    )
    text = pdf_text(response.data)
    assert f"Impact report: Riverside Riverside, {report.period}" in text
    # Everyone joined today, after the period.
    assert report.new_members == 0
    for label, value in [
        ("Hours volunteered", format_minutes(report.volunteered_minutes)),
        ("Active volunteers", str(report.active_volunteers)),
        ("New members", str(report.new_members)),
        ("Credits earned", format_minutes(report.earned_minutes)),
        ("Credits spent", format_minutes(report.spent_minutes)),
    ]:
        assert f"{label} {value}" in text
    for month in report.months:
        figures = (month.volunteered_minutes, month.earned_minutes, month.spent_minutes)
        row = " ".join([month.label, *map(format_minutes, figures)])
        assert row in text
    assert "Swim Leisure Centre 1 1 h" in text


def test_the_statement_pdf_and_csv_hold_the_statements_figures(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    riversides_month(engine, riverside)
    first = days_ago(25)
    computed: OrganisationStatement = run(
        engine,
        lambda s: organisation_statement(
            s,
            actor=riverside.charity_admin,
            bank=s.get_one(TimeBank, riverside.bank_id),
            organisation_id=riverside.charity.id,
            first_day=first,
            last_day=None,
        ),
    )
    charity_admin = browser_for(riverside.charity_admin)
    base = f"/banks/{riverside.slug}/organisations/{riverside.charity.id}"
    assert f"{base}/statement" in charity_admin.get(base).get_data(as_text=True)

    text = pdf_text(charity_admin.get(f"{base}/statement.pdf?from={first}").data)
    rows = list(
        csv.reader(
            io.StringIO(
                charity_admin.get(f"{base}/statement.csv?from={first}").get_data(
                    as_text=True
                )
            )
        )
    )

    assert "Credits issued 4 h 30 min Credits accepted 0 min" in text
    assert "Sorting donations 2 4 h 30 min" in text
    assert "Ana 1 3 h" in text and "Ben 1 1 h 30 min" in text
    for line in computed.by_month:
        assert f"{line.label} {line.hour_logs} {format_minutes(line.minutes)}" in text
    assert rows[0] == ["section", "label", "hour_logs", "minutes"]
    assert ["credits", "issued", "", "270"] in rows
    assert ["credits", "accepted", "", "0"] in rows
    assert ["activity", "Sorting donations", "2", "270"] in rows
    assert [r for r in rows if r[0] == "volunteer"] == [
        ["volunteer", "Ana", "1", "180"],
        ["volunteer", "Ben", "1", "90"],
    ]
    assert [int(r[3]) for r in rows if r[0] == "month"] == [
        line.minutes for line in computed.by_month
    ]


def test_the_impact_pdf_and_the_statement_pdf_are_in_welsh_for_a_welsh_reader(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    riversides_month(engine, riverside)
    first, last = days_ago(25), days_ago(1)
    report: ImpactReport = run(
        engine,
        lambda s: bank_impact_report(
            s,
            actor=riverside.admin,
            bank=s.get_one(TimeBank, riverside.bank_id),
            first_day=first,
            last_day=last,
        ),
    )
    admin, charity_admin = map(browser_for, (riverside.admin, riverside.charity_admin))
    for browser in (admin, charity_admin):
        choose(browser, "cy", on=f"/banks/{riverside.slug}/")
    period = f"from={first}&to={last}"
    base = f"/banks/{riverside.slug}/organisations/{riverside.charity.id}"

    impact = pdf_text(
        admin.get(f"/banks/{riverside.slug}/reports/impact.pdf?{period}").data
    )
    statement = pdf_text(charity_admin.get(f"{base}/statement.pdf?{period}").data)

    assert (
        f"Adroddiad effaith: Riverside Riverside, {in_welsh(first)} i {in_welsh(last)}"
        in impact
    )
    assert f"Oriau o wirfoddoli {format_minutes(report.volunteered_minutes)}" in impact
    for month in report.months:
        written = f"{WELSH_MONTHS[month.first_day.month - 1]} {month.first_day.year}"
        figures = (month.volunteered_minutes, month.earned_minutes, month.spent_minutes)
        assert " ".join([written, *map(format_minutes, figures)]) in impact
    assert "Gweithgaredd Partner gwario Sawl gwaith" in impact
    assert "Tudalen 1" in impact
    assert f"Datganiad: {riverside.charity.name}" in statement
    assert "Credydau wedi'u rhoi 4 h 30 min Credydau wedi'u derbyn 0 min" in statement
    for month in report.months:
        written = f"{WELSH_MONTHS[month.first_day.month - 1]} {month.first_day.year}"
        assert re.search(rf"Mis Cofnodion oriau .*{written} \d+ ", statement)
    assert "Gwirfoddolwyr Gwirfoddolwr Cofnodion oriau Wedi'u cymeradwyo" in statement
    assert "Tudalen 1" in statement


def test_bad_periods_are_refused_with_a_reason_on_the_page(
    riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    broker = browser_for(riverside.broker)
    base = f"/banks/{riverside.slug}/reports/impact"

    unparsed = broker.get(f"{base}?from=31/12/2025")
    backwards = broker.get(f"{base}.pdf?from=2026-03-02&to=2026-03-01")
    future = broker.get(f"{base}?to=9999-12-31")
    absurd = broker.get(f"{base}?from=0001-01-01&to={days_ago(0)}")

    assert {page.status_code for page in (unparsed, backwards, future, absurd)} == {422}
    assert error_beside(unparsed, "from") == (
        "Enter the first day as a date, like 2026-03-31."
    )
    assert "on or after the first day" in backwards.get_data(as_text=True)
    assert backwards.mimetype == "text/html"
    assert "at the latest" in future.get_data(as_text=True)
    assert "at most ten years" in absurd.get_data(as_text=True)


def test_a_bad_period_does_not_reveal_a_report_to_who_may_not_see_it(
    riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    ana = browser_for(riverside.ana)
    url = f"/banks/{riverside.slug}/organisations/{riverside.charity.id}/statement"
    assert ana.get(f"{url}.csv?from=yesterday").status_code == 403
