"""Statements as PDF, drawn with reportlab, in the language of whoever asks.

Every page has the same frame (PageFrame): a title and the time bank's name
at the top, a note and "Page x of y" at the foot. A statement's pages are
laid out before they are drawn (its first page holds the summary, the chart
and the first lines, the others lines only), so that y is known on page one
without keeping pages in memory, and many statements can be drawn one after
another on one canvas.

The words are Flask-Babel's, in the language of the request or of the
force_locale a job draws in; outside both, English. Dates and month names
follow the same language; the lines' dates stay as numbers (2026-03-31), so
that every row keeps its width.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from io import BytesIO
from typing import TYPE_CHECKING, BinaryIO

from babel.dates import format_date, format_datetime
from flask_babel import get_locale, lazy_gettext
from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from timebank.durations import format_minutes
from timebank.fonts import MONO, MONO_BOLD, SANS, SANS_BOLD
from timebank.languages.services import ENGLISH

if TYPE_CHECKING:
    from flask_babel.speaklater import LazyString

    from .services import Statement, StatementLine

PAGE_WIDTH, PAGE_HEIGHT = landscape(A4)
MARGIN = 36
# The top and bottom of what a page holds between its header and footer.
CONTENT_TOP = PAGE_HEIGHT - 64
CONTENT_BOTTOM = 48
ROW_HEIGHT = 11
ROW_FONT_SIZE = 7.5
EARNED_COLOUR = colors.HexColor("#2a7a4b")
SPENT_COLOUR = colors.HexColor("#c06030")
# Where the lines start on a statement's first page, below its summary.
FIRST_PAGE_LINES_TOP = 318
FIRST_PAGE_ROWS = int((FIRST_PAGE_LINES_TOP - CONTENT_BOTTOM) / ROW_HEIGHT) - 1
PAGE_ROWS = int((CONTENT_TOP - CONTENT_BOTTOM) / ROW_HEIGHT) - 1


@dataclass(frozen=True)
class Column:
    """A column of the lines' table: its heading and its width in characters."""

    heading: "LazyString"
    characters: int
    right_aligned: bool = False


# The lines are set in a fixed-width font, a row one line of text, so that a
# statement of thousands of lines is drawn in a fraction of a second. A
# heading or kind longer than its column, in any language, is cut short.
COLUMNS = (
    Column(lazy_gettext("No."), 8),
    Column(lazy_gettext("Served"), 10),
    Column(lazy_gettext("Recorded"), 16),
    Column(lazy_gettext("Kind"), 10),
    Column(lazy_gettext("Other side"), 30),
    Column(lazy_gettext("Description"), 53),
    Column(lazy_gettext("Credits in"), 11, right_aligned=True),
    Column(lazy_gettext("Credits out"), 11, right_aligned=True),
    Column(lazy_gettext("Balance"), 13, right_aligned=True),
)
# The ledger's kinds of entry, as the history's table names them.
KIND_NAMES = {
    "earn": lazy_gettext("Earn"),
    "spend": lazy_gettext("Spend"),
    "gift": lazy_gettext("Gift"),
    "exchange": lazy_gettext("Exchange"),
    "reversal": lazy_gettext("Reversal"),
    "adjustment": lazy_gettext("Adjustment"),
}


@dataclass(frozen=True)
class PageFrame:
    """The header and footer of each page of a printed statement."""

    title: str
    organisation: str
    note: str

    def draw(self, canvas: Canvas, page: int, pages: int) -> None:
        """Draw the frame of page (from 1) of pages."""
        top = PAGE_HEIGHT - MARGIN
        canvas.setFont(SANS_BOLD, 14)
        canvas.drawString(MARGIN, top - 10, self.title)
        canvas.setFont(SANS, 10)
        canvas.drawRightString(PAGE_WIDTH - MARGIN, top - 10, self.organisation)
        canvas.setStrokeColor(colors.grey)
        canvas.line(MARGIN, top - 18, PAGE_WIDTH - MARGIN, top - 18)
        canvas.setFont(SANS, 8)
        canvas.drawString(MARGIN, MARGIN - 12, self.note)
        canvas.drawRightString(
            PAGE_WIDTH - MARGIN,
            MARGIN - 12,
            _("Page %(page)s of %(pages)s", page=page, pages=pages),
        )


def new_canvas(output: BinaryIO) -> Canvas:
    """Return a canvas of landscape A4 pages writing to output when saved."""
    return Canvas(output, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), pageCompression=1)


def statement_pdf(statement: "Statement") -> bytes:
    """Return a statement as a PDF document of its own."""
    output = BytesIO()
    canvas = new_canvas(output)
    canvas.setTitle(_("Statement %(number)s", number=statement.number))
    draw_statement(canvas, statement)
    canvas.save()
    return output.getvalue()


def statement_pages(line_count: int) -> int:
    """Return how many pages a statement of line_count lines takes."""
    rest = max(0, line_count - FIRST_PAGE_ROWS)
    return 1 + -(-rest // PAGE_ROWS)


def draw_statement(canvas: Canvas, statement: "Statement") -> None:
    """Draw a statement's pages on canvas, each page ended."""
    frame = PageFrame(
        title=_("Credit statement %(number)s", number=statement.number),
        organisation=statement.bank_name,
        note=_(
            "%(number)s · checksum %(checksum)s · check it at /statements/verify",
            number=statement.number,
            checksum=statement.checksum,
        ),
    )
    pages = statement_pages(len(statement.lines))
    frame.draw(canvas, 1, pages)
    _draw_summary(canvas, statement)
    _draw_chart(canvas, statement)
    lines = statement.lines
    if not lines:
        canvas.setFont(SANS, 10)
        canvas.drawString(MARGIN, FIRST_PAGE_LINES_TOP, _("No entries in this period."))
    kinds = {kind: str(name) for kind, name in KIND_NAMES.items()}
    _draw_rows(canvas, lines[:FIRST_PAGE_ROWS], kinds, top=FIRST_PAGE_LINES_TOP)
    canvas.showPage()
    for page in range(2, pages + 1):
        start = FIRST_PAGE_ROWS + (page - 2) * PAGE_ROWS
        frame.draw(canvas, page, pages)
        _draw_rows(canvas, lines[start : start + PAGE_ROWS], kinds, top=CONTENT_TOP)
        canvas.showPage()


def _draw_summary(canvas: Canvas, statement: "Statement") -> None:
    top = CONTENT_TOP
    period = statement.period
    facts = [
        (_("Account holder"), statement.holder),
        (_("Account"), str(statement.account_id)),
        (
            _("Period"),
            _(
                "%(first)s to %(last)s",
                first=_written(period.first_day),
                last=_written(period.last_day),
            ),
        ),
        (_("As recorded up to"), _written_moment(statement.issued_at)),
        (_("Checksum (SHA-256)"), statement.checksum[:32]),
        ("", statement.checksum[32:]),
    ]
    totals = statement.totals
    figures = [
        (_("Opening balance"), statement.opening_minutes),
        (_("Earned"), totals.earned_minutes),
        (_("Spent"), -totals.spent_minutes),
        (_("Gifted"), -totals.gifted_minutes),
        (_("Received as gifts"), totals.received_minutes),
        (_("Reversals and other"), totals.other_minutes),
        (_("Closing balance"), statement.closing_minutes),
    ]
    # The labels' words are as long as their language makes them.
    values_left = MARGIN + max(
        100, max(stringWidth(label, SANS, 9) for label, _value in facts) + 10
    )
    canvas.setFont(SANS, 9)
    for row, (label, value) in enumerate(facts):
        y = top - row * 13
        canvas.drawString(MARGIN, y, label)
        canvas.drawString(values_left, y, value)
    top -= len(facts) * 13 + 10
    for row, (label, minutes) in enumerate(figures):
        y = top - row * 13
        bold = row in (0, len(figures) - 1)
        canvas.setFont(SANS_BOLD if bold else SANS, 9)
        canvas.drawString(MARGIN, y, label)
        canvas.drawRightString(MARGIN + 240, y, format_minutes(minutes))


def _draw_chart(canvas: Canvas, statement: "Statement") -> None:
    """Draw the months' earned and spent minutes as pairs of bars."""
    months = statement.months
    left, bottom = PAGE_WIDTH - MARGIN - 380, FIRST_PAGE_LINES_TOP + 40
    width, height = 370, 130
    top = max([60] + [max(m.earned_minutes, m.spent_minutes) for m in months])
    slot = width / len(months)
    bar = max(slot * 0.4, 0.5)
    every = 1 if len(months) <= 12 else 3 if len(months) <= 36 else 12
    canvas.setFont(SANS, 7)
    for index, month in enumerate(months):
        x = left + index * slot
        for offset, minutes, colour in (
            (0.1, month.earned_minutes, EARNED_COLOUR),
            (0.1 + 0.4, month.spent_minutes, SPENT_COLOUR),
        ):
            if minutes:
                canvas.setFillColor(colour)
                canvas.rect(
                    x + offset * slot, bottom, bar, height * minutes / top, 0, 1
                )
        if index % every == 0:
            canvas.setFillColor(colors.black)
            canvas.drawString(x, bottom - 10, _written(month.first_day, "LLL yy"))
    canvas.setFillColor(colors.black)
    canvas.setStrokeColor(colors.grey)
    canvas.line(left, bottom, left + width, bottom)
    canvas.drawRightString(left - 4, bottom + height - 3, format_minutes(top))
    canvas.drawRightString(left - 4, bottom - 3, "0")
    canvas.setFont(SANS, 8)
    earned = _("Earned")
    for x, colour, label in (
        (left, EARNED_COLOUR, earned),
        (
            left + 24 + stringWidth(earned, SANS, 8),
            SPENT_COLOUR,
            _("Spent, each month"),
        ),
    ):
        canvas.setFillColor(colour)
        canvas.rect(x, CONTENT_TOP - 4, 8, 8, stroke=0, fill=1)
        canvas.setFillColor(colors.black)
        canvas.drawString(x + 12, CONTENT_TOP - 3, label)


def _draw_rows(
    canvas: Canvas,
    lines: Sequence["StatementLine"],
    kinds: Mapping[str, str],
    *,
    top: float,
) -> None:
    if not lines:
        return
    text = canvas.beginText(MARGIN, top)
    text.setFont(MONO_BOLD, ROW_FONT_SIZE, leading=ROW_HEIGHT)
    text.textLine(_row([str(column.heading) for column in COLUMNS]))
    text.setFont(MONO, ROW_FONT_SIZE, leading=ROW_HEIGHT)
    for line in lines:
        text.textLine(_row(_cells(line, kinds)))
    canvas.drawText(text)


def _cells(line: "StatementLine", kinds: Mapping[str, str]) -> list[str]:
    return [
        str(line.transaction_id),
        line.service_date.isoformat(),
        line.recorded_at.strftime("%Y-%m-%d %H:%M"),
        kinds.get(line.kind, line.kind),
        line.counterparty,
        line.memo,
        format_minutes(line.minutes) if line.minutes > 0 else "",
        format_minutes(-line.minutes) if line.minutes < 0 else "",
        format_minutes(line.balance_minutes),
    ]


def _row(cells: list[str]) -> str:
    return " ".join(
        _fit(cell, column.characters).rjust(column.characters)
        if column.right_aligned
        else _fit(cell, column.characters).ljust(column.characters)
        for column, cell in zip(COLUMNS, cells, strict=True)
    )


def _fit(cell: str, characters: int) -> str:
    return cell if len(cell) <= characters else cell[: characters - 1] + "…"


def _written(day: date, pattern: str = "d MMMM y") -> str:
    """Return day as the language being drawn writes it: "31 March 2026"."""
    return format_date(day, pattern, locale=get_locale() or ENGLISH)


def _written_moment(moment: datetime) -> str:
    """Return a moment of issue as the language writes it, to the second, in UTC."""
    return format_datetime(
        moment, "d MMMM y, HH:mm:ss 'UTC'", tzinfo=UTC, locale=get_locale() or ENGLISH
    )
