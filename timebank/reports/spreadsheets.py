"""The organisation statement as CSV, one figure a row, amounts in whole minutes."""

import csv
import io

from .services import OrganisationStatement

HEADER = ["section", "label", "hour_logs", "minutes"]
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def statement_csv(statement: OrganisationStatement) -> str:
    """Return the statement as CSV: the period, the credits, then hours by heading."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    period = statement.period
    writer.writerow(["period", f"{period.first_day} to {period.last_day}", "", ""])
    writer.writerow(["credits", "issued", "", statement.issued_minutes])
    writer.writerow(["credits", "accepted", "", statement.accepted_minutes])
    for section, lines in (
        ("month", statement.by_month),
        ("activity", statement.by_activity),
        ("volunteer", statement.volunteers),
    ):
        for line in lines:
            writer.writerow(
                [section, _as_text(line.label), line.hour_logs, line.minutes]
            )
    return out.getvalue()


def _as_text(value: str) -> str:
    """Return value so that a spreadsheet shows it rather than running it."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value
