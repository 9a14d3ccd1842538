"""Errors as application/problem+json: each kind of refusal mapped once, here.

A refusal says what was wrong in ``detail``, in the words the services use;
a body that fails its schema lists each field's message under ``errors``.
"""

from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException, InternalServerError

from ledger import errors as ledger_errors
from timebank import errors
from timebank.error_pages import http_error

from . import bp

PROBLEM = "application/problem+json"
TYPES = "https://timebank.example/problems/"

# The status of each refusal; a class not named takes its nearest base's.
STATUSES: dict[type[Exception], int] = {
    errors.TimebankError: 422,
    errors.NotPermitted: 403,
    errors.NotFound: 404,
    errors.NotAMember: 403,
    errors.BadCredentials: 401,
    errors.AlreadyDecided: 409,
    errors.IdempotencyKeyReused: 409,
    errors.InvalidIdempotencyKey: 400,
    ledger_errors.LedgerError: 422,
    ledger_errors.UnknownAccount: 404,
    ledger_errors.UnknownTransaction: 404,
    ledger_errors.AlreadyResolved: 409,
    ledger_errors.AlreadyReversed: 409,
    ledger_errors.IdempotencyConflict: 409,
}


class ApiProblem(Exception):
    """A request the API refuses before any service sees it."""

    def __init__(
        self, status: int, detail: str, *, errors: dict[str, Any] | None = None
    ):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors


def problem(
    status: int,
    detail: str,
    *,
    title: str,
    kind: str,
    **extra: Any,
) -> tuple[Response, int]:
    """Return a problem+json response."""
    body = {
        "type": TYPES + kind,
        "title": title,
        "status": status,
        "detail": detail,
        **extra,
    }
    response = jsonify(body)
    response.content_type = PROBLEM
    return response, status


def init_app(app: Flask) -> None:
    """Answer HTTP errors under /api/ with problem bodies, elsewhere with pages.

    A URL that matches no route belongs to no blueprint: the app decides.
    """
    app.register_error_handler(HTTPException, http_problem)
    app.register_error_handler(InternalServerError, http_problem)


def refused(error: Exception) -> tuple[Response, int]:
    """Answer a service's refusal with its status."""
    status = next(STATUSES[kind] for kind in type(error).__mro__ if kind in STATUSES)
    extra = {}
    if isinstance(error, ledger_errors.InsufficientCredit):
        extra["available_minutes"] = max(error.available_minutes, 0)
    return problem(
        status,
        str(error),
        title=_words(type(error).__name__),
        kind=_kebab(type(error).__name__),
        **extra,
    )


def api_problem(error: ApiProblem) -> tuple[Response, int]:
    """Answer a request refused by the API itself."""
    extra = {} if error.errors is None else {"errors": error.errors}
    titles = {400: "Malformed request", 401: "Not signed in", 422: "Invalid request"}
    title = titles.get(error.status, "Refused")
    return problem(error.status, error.detail, title=title, kind=_kebab(title), **extra)


def http_problem(error: HTTPException) -> Any:
    """Answer an HTTP error with a problem body under /api/, a page elsewhere."""
    if not request.path.startswith("/api/"):
        return http_error(error)
    status = error.code or 500
    name = error.name if status != 500 else "Internal server error"
    detail = error.description if status != 500 else "Something went wrong."
    return problem(status, detail or name, title=name, kind=_kebab(name))


def _words(name: str) -> str:
    """Return a class name as words: InsufficientCredit is "Insufficient credit"."""
    words = "".join(f" {c.lower()}" if c.isupper() else c for c in name).strip()
    return words[:1].upper() + words[1:]


def _kebab(name: str) -> str:
    return _words(name).lower().replace(" ", "-")


# Flask looks for a handler of the error's own class before its bases', so
# the API names every class that the web pages map too.
for _kind in STATUSES:
    bp.register_error_handler(_kind, refused)
bp.register_error_handler(ApiProblem, api_problem)
