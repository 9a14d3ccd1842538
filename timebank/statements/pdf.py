"""Statements as PDF, drawn with reportlab, and the page frame reports share.

Every page has the same frame (PageFrame): a title and the time bank's name
at the top, a note and "Page x of y" at the foot. A statement's pages are
laid out before they are drawn (its first page holds the summary, the chart
and the first lines, the others lines only), so that y is known on page one
without keeping pages in memory, and many statements can be drawn one after
another on one canvas.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import TYPE_CHECKING, BinaryIO

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfgen.canvas import Canvas

from timebank.durations import format_minutes

if TYPE_CHECKING:
    from .services import Statement, StatementLine

PAGE_WIDTH, PAGE_HEIGHT = landscape(A4)
MARGIN = 36
FONT = "Helvetica"
BOLD = "Helvetica-Bold"
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

    heading: str
    characters: int
    right_aligned: bool = False


# The lines are set in a fixed-width font, a row one line of text, so that a
# statement of thousands of lines is drawn in a fraction of a second.
COLUMNS = (
    Column("No.", 8),
    Column("Served", 10),
    Column("Recorded", 16),
    Column("Kind", 9),
    Column("Other side", 30),
    Column("Description", 54),
    Column("In", 11, right_aligned=True),
    Column("Out", 11, right_aligned=True),
    Column("Balance", 13, right_aligned=True),
)
ROW_FONT = "Courier"
ROW_BOLD = "Courier-Bold"


@dataclass(frozen=True)
class PageFrame:
    """The header and footer of each page of a printed statement."""

    title: str
    organisation: str
    note: str

    def draw(self, canvas: Canvas, page: int, pages: int) -> None:
        """Draw the frame of page (from 1) of pages."""
        top = PAGE_HEIGHT - MARGIN
        canvas.setFont(BOLD, 14)
        canvas.drawString(MARGIN, top - 10, pdf_text(self.title))
        canvas.setFont(FONT, 10)
        canvas.drawRightString(
            PAGE_WIDTH - MARGIN, top - 10, pdf_text(self.organisation)
        )
        canvas.setStrokeColor(colors.grey)
        canvas.line(MARGIN, top - 18, PAGE_WIDTH - MARGIN, top - 18)
        canvas.setFont(FONT, 8)
        canvas.drawString(MARGIN, MARGIN - 12, pdf_text(self.note))
        canvas.drawRightString(
            PAGE_WIDTH - MARGIN, MARGIN - 12, f"Page {page} of {pages}"
        )


def pdf_text(text: str) -> str:
    """Return text as the standard PDF fonts can show it.

    They hold the Windows Latin-1 characters: a minus sign becomes a hyphen,
    and a character they lack a question mark.
    """
    return text.replace("\u2212", "-").encode("cp1252", "replace").decode("cp1252")


def new_canvas(output: BinaryIO) -> Canvas:
    """Return a canvas of landscape A4 pages writing to output when saved."""
    return Canvas(output, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), pageCompression=1)


def statement_pdf(statement: "Statement") -> bytes:
    """Return a statement as a PDF document of its own."""
    output = BytesIO()
    canvas = new_canvas(output)
    canvas.setTitle(f"Statement {statement.number}")
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
        title=f"Credit statement {statement.number}",
        organisation=statement.bank_name,
        note=f"{statement.number} · checksum {statement.checksum} · "
        "check it at /statements/verify",
    )
    pages = statement_pages(len(statement.lines))
    frame.draw(canvas, 1, pages)
    _draw_summary(canvas, statement)
    _draw_chart(canvas, statement)
    lines = statement.lines
    if not lines:
        canvas.setFont(FONT, 10)
        canvas.drawString(MARGIN, FIRST_PAGE_LINES_TOP, "No entries in this period.")
    _draw_rows(canvas, lines[:FIRST_PAGE_ROWS], top=FIRST_PAGE_LINES_TOP)
    canvas.showPage()
    for page in range(2, pages + 1):
        start = FIRST_PAGE_ROWS + (page - 2) * PAGE_ROWS
        frame.draw(canvas, page, pages)
        _draw_rows(canvas, lines[start : start + PAGE_ROWS], top=CONTENT_TOP)
        canvas.showPage()


def _draw_summary(canvas: Canvas, statement: "Statement") -> None:
    top = CONTENT_TOP
    facts = [
        ("Account holder", statement.holder),
        ("Account", str(statement.account_id)),
        ("Period", f"{statement.period.first_day} to {statement.period.last_day}"),
        (
            "As recorded up to",
            statement.issued_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
        ),
        ("Checksum (SHA-256)", statement.checksum[:32]),
        ("", statement.checksum[32:]),
    ]
    totals = statement.totals
    figures = [
        ("Opening balance", statement.opening_minutes),
        ("Earned", totals.earned_minutes),
        ("Spent", -totals.spent_minutes),
        ("Gifted", -totals.gifted_minutes),
        ("Received as gifts", totals.received_minutes),
        ("Reversals and other", totals.other_minutes),
        ("Closing balance", statement.closing_minutes),
    ]
    canvas.setFont(FONT, 9)
    for row, (label, value) in enumerate(facts):
        y = top - row * 13
        canvas.drawString(MARGIN, y, pdf_text(label))
        canvas.drawString(MARGIN + 100, y, pdf_text(value))
    top -= len(facts) * 13 + 10
    for row, (label, minutes) in enumerate(figures):
        y = top - row * 13
        bold = row in (0, len(figures) - 1)
        canvas.setFont(BOLD if bold else FONT, 9)
        canvas.drawString(MARGIN, y, label)
        canvas.drawRightString(MARGIN + 240, y, pdf_text(format_minutes(minutes)))


def _draw_chart(canvas: Canvas, statement: "Statement") -> None:
    """Draw the months' earned and spent minutes as pairs of bars."""
    months = statement.months
    left, bottom = PAGE_WIDTH - MARGIN - 380, FIRST_PAGE_LINES_TOP + 40
    width, height = 370, 130
    top = max([60] + [max(m.earned_minutes, m.spent_minutes) for m in months])
    slot = width / len(months)
    bar = max(slot * 0.4, 0.5)
    every = 1 if len(months) <= 12 else 3 if len(months) <= 36 else 12
    canvas.setFont(FONT, 7)
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
            canvas.drawString(x, bottom - 10, month.first_day.strftime("%b %y"))
    canvas.setFillColor(colors.black)
    canvas.setStrokeColor(colors.grey)
    canvas.line(left, bottom, left + width, bottom)
    canvas.drawRightString(left - 4, bottom + height - 3, pdf_text(format_minutes(top)))
    canvas.drawRightString(left - 4, bottom - 3, "0")
    canvas.setFont(FONT, 8)
    for x, colour, label in (
        (left, EARNED_COLOUR, "Earned"),
        (left + 70, SPENT_COLOUR, "Spent, each month"),
    ):
        canvas.setFillColor(colour)
        canvas.rect(x, CONTENT_TOP - 4, 8, 8, stroke=0, fill=1)
        canvas.setFillColor(colors.black)
        canvas.drawString(x + 12, CONTENT_TOP - 3, label)


def _draw_rows(canvas: Canvas, lines: Sequence["StatementLine"], *, top: float) -> None:
    if not lines:
        return
    text = canvas.beginText(MARGIN, top)
    text.setFont(ROW_BOLD, ROW_FONT_SIZE, leading=ROW_HEIGHT)
    text.textLine(_row([column.heading for column in COLUMNS]))
    text.setFont(ROW_FONT, ROW_FONT_SIZE, leading=ROW_HEIGHT)
    for line in lines:
        text.textLine(_row(_cells(line)))
    canvas.drawText(text)


def _cells(line: "StatementLine") -> list[str]:
    return [
        str(line.transaction_id),
        line.service_date.isoformat(),
        line.recorded_at.strftime("%Y-%m-%d %H:%M"),
        line.kind,
        line.counterparty,
        line.memo,
        format_minutes(line.minutes) if line.minutes > 0 else "",
        format_minutes(-line.minutes) if line.minutes < 0 else "",
        format_minutes(line.balance_minutes),
    ]


def _row(cells: list[str]) -> str:
    return pdf_text(
        " ".join(
            _fit(cell, column.characters).rjust(column.characters)
            if column.right_aligned
            else _fit(cell, column.characters).ljust(column.characters)
            for column, cell in zip(COLUMNS, cells, strict=True)
        )
    )


def _fit(cell: str, characters: int) -> str:
    return cell if len(cell) <= characters else cell[: characters - 1] + "…"
