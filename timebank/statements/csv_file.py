"""Statements as CSV: the same figures as the PDF, in whole minutes, for spreadsheets.

One row per line, between a row for the opening balance and one for the
closing balance; in, out and balance are whole minutes. Text that a
spreadsheet would take for a formula is quoted with a leading apostrophe.
"""

import csv
import io
from collections.abc import Iterator, Sequence

from .services import Statement

HEADINGS = [
    "statement",
    "entry",
    "service_date",
    "recorded_at",
    "kind",
    "other_side",
    "description",
    "minutes_in",
    "minutes_out",
    "balance_minutes",
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def statement_csv(statement: Statement) -> str:
    """Return a statement as CSV text."""
    return "".join(_csv_rows(statement))


def _csv_rows(statement: Statement) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def row(cells: Sequence[object]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(cells)
        return buffer.getvalue()

    number = statement.number
    first, last = statement.period.first_day, statement.period.last_day
    yield row(HEADINGS)
    yield row(
        [
            number,
            "",
            first,
            "",
            "opening balance",
            "",
            "",
            "",
            "",
            statement.opening_minutes,
        ]
    )
    for line in statement.lines:
        yield row(
            [
                number,
                line.transaction_id,
                line.service_date,
                line.recorded_at.isoformat(),
                line.kind,
                _as_text(line.counterparty),
                _as_text(line.memo),
                max(line.minutes, 0),
                max(-line.minutes, 0),
                line.balance_minutes,
            ]
        )
    yield row(
        [
            number,
            "",
            last,
            "",
            "closing balance",
            "",
            "",
            "",
            "",
            statement.closing_minutes,
        ]
    )


def _as_text(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell
