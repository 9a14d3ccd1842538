"""The reports as PDFs: an A4 page layout of figures, a chart and tables.

Amounts are shown as hours and minutes, as on the web pages; the chart's
bars are whole minutes, labelled in hours.
"""

import io
from collections.abc import Sequence
from xml.sax.saxutils import escape

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

from .services import Hours, ImpactReport, OrganisationStatement

STYLES = getSampleStyleSheet()
# A heading stays on the page of the table or chart it introduces.
HEADING = ParagraphStyle("ReportHeading", parent=STYLES["Heading2"], keepWithNext=1)
EARNED = colors.HexColor("#1b7340")
SPENT = colors.HexColor("#b4531d")
GRID = colors.HexColor("#8a8a8a")
TABLE_STYLE = TableStyle(
    [
        ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.5, GRID),
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
)


def impact_pdf(report: ImpactReport) -> bytes:
    """Return the impact report as a PDF."""
    story: list[Flowable] = [
        *_title(
            f"Impact report: {report.subject}", report.bank.name, str(report.period)
        ),
        _figures(
            [
                ("Hours volunteered", format_minutes(report.volunteered_minutes)),
                ("Active volunteers", str(report.active_volunteers)),
                ("New members", str(report.new_members)),
                ("Credits earned", format_minutes(report.earned_minutes)),
                ("Credits spent", format_minutes(report.spent_minutes)),
            ]
        ),
        _heading("Each month"),
        _chart(
            [month.first_day.strftime("%b %y") for month in report.months],
            [
                [month.volunteered_minutes for month in report.months],
                [month.spent_minutes for month in report.months],
            ],
        ),
        _caption("Green: hours volunteered. Orange: credits spent."),
        _table(
            ["Month", "Volunteered", "Earned", "Spent"],
            [
                [
                    month.first_day.strftime("%B %Y"),
                    format_minutes(month.volunteered_minutes),
                    format_minutes(month.earned_minutes),
                    format_minutes(month.spent_minutes),
                ]
                for month in report.months
            ],
        ),
        _heading("Top activities"),
    ]
    if report.top_activities:
        story.append(
            _table(
                ["Activity", "Spend partner", "Times", "Credits spent"],
                [
                    [a.name, a.organisation, str(a.spends), format_minutes(a.minutes)]
                    for a in report.top_activities
                ],
            )
        )
    else:
        story.append(_caption("No credits were spent on activities in this period."))
    return _document(f"Impact report: {report.subject}", story)


def statement_pdf(statement: OrganisationStatement) -> bytes:
    """Return the organisation's statement as a PDF."""
    name = statement.organisation.name
    story: list[Flowable] = [
        *_title(f"Statement: {name}", statement.bank.name, str(statement.period)),
        _figures(
            [
                ("Credits issued", format_minutes(statement.issued_minutes)),
                ("Credits accepted", format_minutes(statement.accepted_minutes)),
                ("Hours approved", format_minutes(statement.approved_minutes)),
            ]
        ),
        _heading("Hours approved by month"),
        _chart(
            [f"{line.label[:3]} {line.label[-2:]}" for line in statement.by_month],
            [[line.minutes for line in statement.by_month]],
        ),
        _hours_table("Month", statement.by_month),
        _heading("Hours approved by activity"),
        _hours_table("Activity", statement.by_activity),
        _heading("Volunteers"),
        _hours_table("Volunteer", statement.volunteers),
    ]
    return _document(f"Statement: {name}", story)


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
        canvas.setFont("Helvetica", 8)
        canvas.drawString(18 * mm, 10 * mm, title)
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, f"Page {doc.page}")

    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def _title(title: str, bank: str, period: str) -> list[Flowable]:
    return [
        Paragraph(escape(title), STYLES["Title"]),
        Paragraph(
            escape(f"{bank}, {period} (by the day the service happened)"),
            STYLES["Normal"],
        ),
        Spacer(0, 4 * mm),
    ]


def _heading(text: str) -> Paragraph:
    return Paragraph(escape(text), HEADING)


def _caption(text: str) -> Paragraph:
    return Paragraph(escape(text), STYLES["Italic"])


def _figures(figures: Sequence[tuple[str, str]]) -> Table:
    table = Table([list(figure) for figure in figures], hAlign="LEFT")
    table.setStyle(
        [
            ("FONTNAME", (1, 0), (1, -1), "Helvetica-Bold"),
            ("ALIGN", (1, 0), (1, -1), "RIGHT"),
        ]
    )
    return table


def _table(header: list[str], rows: list[list[str]]) -> Table:
    cells = [header] + [
        [Paragraph(escape(row[0]), STYLES["Normal"]), *row[1:]] for row in rows
    ]
    table = Table(cells, hAlign="LEFT", repeatRows=1)
    table.setStyle(TABLE_STYLE)
    return table


def _hours_table(heading: str, lines: Sequence[Hours]) -> Flowable:
    if not lines:
        return _caption("No volunteering was approved in this period.")
    return _table(
        [heading, "Hour logs", "Approved"],
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
    chart.categoryAxis.labels.fontSize = 6
    chart.categoryAxis.labels.angle = 90 if len(labels) > 18 else 0
    chart.categoryAxis.labels.dy = -2
    chart.valueAxis.valueMin = 0
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
