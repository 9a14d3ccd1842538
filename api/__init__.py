"""The JSON API: the time bank's services for programs, under /api/v1.

Handlers call the same services as the web pages; no rule is written here.
Each handler is declared with ``api.operations.operation``, which parses
its body and query string with hand-written marshmallow schemas, dumps its
result with another, and describes both in the OpenAPI document. Errors are
``application/problem+json`` (``api.problems``). Requests authenticate with
a personal token, ``Authorization: Bearer <token>``; cookies open nothing.
"""

from flask import Blueprint, Flask

from timebank.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# Each module registers its handlers on bp as it is imported.
from . import (  # noqa: E402, F401
    accounts,
    hour_logs,
    me,
    openapi,
    organisations,
    problems,
    statements,
    tokens,
    transfers,
)


def init_app(app: Flask) -> None:
    """Register the API, its error bodies, and exempt it from CSRF tokens.

    A browser's cookies open nothing here, so a forged cross-site request
    carries no credentials: CSRF tokens are not needed.
    """
    csrf.exempt(bp)
    problems.init_app(app)
    app.register_blueprint(bp)
