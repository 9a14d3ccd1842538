"""A file for the browser to save rather than show: statements, reports, journals."""

from flask import Response


def attachment(body: str | bytes, *, mimetype: str, filename: str) -> Response:
    """Return body as a file the browser offers to save under filename."""
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
