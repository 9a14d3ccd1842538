"""A statement as a file to save, for the web pages and the API alike."""

from flask import Response

from timebank.downloads import attachment

from .csv_file import statement_csv
from .pdf import statement_pdf
from .services import Statement

STATEMENT_FORMATS = ("pdf", "csv")


def statement_download(statement: Statement, file_format: str) -> Response:
    """Return a statement as an attachment: a PDF, or a CSV."""
    first, last = statement.period.first_day, statement.period.last_day
    name = f"{statement.number}-{first}-{last}.{file_format}"
    if file_format == "csv":
        body, mimetype = statement_csv(statement).encode(), "text/csv"
    else:
        body, mimetype = statement_pdf(statement), "application/pdf"
    return attachment(body, mimetype=mimetype, filename=name)
