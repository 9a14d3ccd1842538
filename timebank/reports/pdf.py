"""The reports as PDFs: an A4 page layout of figures, a chart and tables.

Amounts are shown as hours and minutes, as on the web pages; the chart's
bars are whole minutes, labelled in hours. The words, dates and months are
in the language of the request that asks for the report.
"""

import io
from collections.abc import Sequence
from datetime import date
from xml.sax.saxutils import escape

from babel.dates import format_date
from flask_babel import get_locale
from flask_babel import gettext as _
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.doctemplate import BaseDocTemplate

from timebank.durations import format_minutes
from timebank.fonts import SANS, SANS_BOLD
from timebank.languages.services import ENGLISH
from timebank.periods import Period

from .services import Hours, ImpactReport, OrganisationStatement

STYLES = getSampleStyleSheet()
TITLE = ParagraphStyle("ReportTitle", parent=STYLES["Title"], fontName=SANS_BOLD)
BODY = ParagraphStyle("ReportBody", parent=STYLES["Normal"], fontName=SANS)
# A heading stays on the page of the table or chart it introduces.
HEADING = ParagraphStyle(
    "ReportHeading", parent=STYLES["Heading2"], fontName=SANS_BOLD, keepWithNext=1
)
CAPTION = ParagraphStyle(
    "ReportCaption", parent=BODY, textColor=colors.HexColor("#4a4a4a")
)
EARNED = colors.HexColor("#1b7340")
SPENT = colors.HexColor("#b4531d")
GRID = colors.HexColor("#8a8a8a")
TABLE_STYLE = TableStyle(
    [
        ("FONTNAME", (0, 0), (-1, -1), SANS),
        ("FONTNAME", (0, 0), (-1, 0), SANS_BOLD),
        ("LINEBELOW", (0, 0), (-1, 0), 0.5, GRID),
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
)


def impact_pdf(report: ImpactReport) -> bytes:
    """Return the impact report as a PDF."""
    title = _("Impact report: %(name)s", name=report.subject)
    story: list[Flowable] = [
        *_title(title, report.bank.name, report.period),
        _figures(
            [
                (_("Hours volunteered"), format_minutes(report.volunteered_minutes)),
                (_("Active volunteers"), str(report.active_volunteers)),
                (_("New members"), str(report.new_members)),
                (_("Credits earned"), format_minutes(report.earned_minutes)),
                (_("Credits spent"), format_minutes(report.spent_minutes)),
            ]
        ),
        _heading(_("Each month")),
        _chart(
            [_written(month.first_day, "LLL yy") for month in report.months],
            [
                [month.volunteered_minutes for month in report.months],
                [month.spent_minutes for month in report.months],
            ],
        ),
        _caption(_("Green: hours volunteered. Orange: credits spent.")),
        _table(
            [_("Month"), _("Volunteered"), _("Earned"), _("Spent")],
            [
                [
                    _written(month.first_day, "LLLL y"),
                    format_minutes(month.volunteered_minutes),
                    format_minutes(month.earned_minutes),
                    format_minutes(month.spent_minutes),
                ]
                for month in report.months
            ],
        ),
        _heading(_("Top activities")),
    ]
    if report.top_activities:
        story.append(
            _table(
                [_("Activity"), _("Spend partner"), _("Times"), _("Credits spent")],
                [
                    [a.name, a.organisation, str(a.spends), format_minutes(a.minutes)]
                    for a in report.top_activities
                ],
            )
        )
    else:
        story.append(_caption(_("No credits were spent on activities in this period.")))
    return _document(title, story)


def statement_pdf(statement: OrganisationStatement) -> bytes:
    """Return the organisation's statement as a PDF."""
    title = _("Statement: %(name)s", name=statement.organisation.name)
    # by_month holds a line for each month of the period, in order; its
    # labels are English, so each month is written again from its first day.
    months = list(zip(statement.period.months, statement.by_month, strict=True))
    story: list[Flowable] = [
        *_title(title, statement.bank.name, statement.period),
        _figures(
            [
                (_("Credits issued"), format_minutes(statement.issued_minutes)),
                (_("Credits accepted"), format_minutes(statement.accepted_minutes)),
                (_("Hours approved"), format_minutes(statement.approved_minutes)),
            ]
        ),
        _heading(_("Hours approved by month")),
        _chart(
            [_written(first_day, "LLL yy") for first_day in statement.period.months],
            [[line.minutes for line in statement.by_month]],
        ),
        _hours_table(
            _("Month"),
            [
                Hours(_written(first_day, "LLLL y"), line.hour_logs, line.minutes)
                for first_day, line in months
            ],
        ),
        _heading(_("Hours approved by activity")),
        _hours_table(_("Activity"), statement.by_activity),
        _heading(_("Volunteers")),
        _hours_table(_("Volunteer"), statement.volunteers),
    ]
    return _document(title, story)


def _document(title: str, story: list[Flowable]) -> bytes:
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=title,
        author="Timebank",
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
    )

    def footer(canvas: Canvas, doc: BaseDocTemplate) -> None:
        canvas.setFont(SANS, 8)
        canvas.drawString(18 * mm, 10 * mm, title)
        canvas.drawRightString(
            A4[0] - 18 * mm, 10 * mm, _("Page %(page)s", page=doc.page)
        )

    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def _title(title: str, bank: str, period: Period) -> list[Flowable]:
    return [
        Paragraph(escape(title), TITLE),
        Paragraph(
            escape(
                _(
                    "%(bank)s, %(first)s to %(last)s (by the day the service happened)",
                    bank=bank,
                    first=_written(period.first_day, "d MMMM y"),
                    last=_written(period.last_day, "d MMMM y"),
                )
            ),
            BODY,
        ),
        Spacer(0, 4 * mm),
    ]


def _heading(text: str) -> Paragraph:
    return Paragraph(escape(text), HEADING)


def _caption(text: str) -> Paragraph:
    return Paragraph(escape(text), CAPTION)


def _figures(figures: Sequence[tuple[str, str]]) -> Table:
    table = Table([list(figure) for figure in figures], hAlign="LEFT")
    table.setStyle(
        [
            ("FONTNAME", (0, 0), (0, -1), SANS),
            ("FONTNAME", (1, 0), (1, -1), SANS_BOLD),
            ("ALIGN", (1, 0), (1, -1), "RIGHT"),
        ]
    )
    return table


def _table(header: list[str], rows: list[list[str]]) -> Table:
    cells = [header] + [[Paragraph(escape(row[0]), BODY), *row[1:]] for row in rows]
    table = Table(cells, hAlign="LEFT", repeatRows=1)
    table.setStyle(TABLE_STYLE)
    return table


def _hours_table(heading: str, lines: Sequence[Hours]) -> Flowable:
    if not lines:
        return _caption(_("No volunteering was approved in this period."))
    return _table(
        [heading, _("Hour logs"), _("Approved")],
        [
            [line.label, str(line.hour_logs), format_minutes(line.minutes)]
            for line in lines
        ],
    )


def _chart(labels: list[str], series: list[list[int]]) -> Drawing:
    drawing = Drawing(170 * mm, 55 * mm)
    chart = VerticalBarChart()
    chart.x, chart.y = round(12 * mm), round(8 * mm)
    chart.width, chart.height = round(155 * mm), round(44 * mm)
    chart.data = series
    chart.categoryAxis.categoryNames = labels
    chart.categoryAxis.labels.fontName = SANS
    chart.categoryAxis.labels.fontSize = 6
    chart.categoryAxis.labels.angle = 90 if len(labels) > 18 else 0
    chart.categoryAxis.labels.dy = -2
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontName = SANS
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labelTextFormat = lambda minutes: f"{int(minutes) // 60} h"
    chart.valueAxis.valueStep = _hour_step(max([60] + [v for s in series for v in s]))
    for index, colour in enumerate((EARNED, SPENT)[: len(series)]):
        chart.bars[index].fillColor = colour
        chart.bars[index].strokeColor = None
    drawing.add(chart)
    return drawing


def _hour_step(top_minutes: int) -> int:
    """Return a step of whole hours that gives the value axis about five ticks."""
    hours = -(-top_minutes // 60)
    return 60 * max(1, -(-hours // 5))


def _written(day: date, pattern: str) -> str:
    """Return day as the language of the report writes it: "March 2026"."""
    return format_date(day, pattern, locale=get_locale() or ENGLISH)
