"""The pages shown when a request is refused: each error mapped once, here.

A form shows its own errors beside its fields; what reaches these handlers is
a page the user may not see (403), or one that is not there for them (404).
"""

from flask import Flask, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ledger.errors import UnknownAccount, UnknownTransaction
from timebank.errors import NotAMember, NotFound, NotPermitted

# The title and words of each HTTP error a page may meet, in the page's
# language; any other keeps Werkzeug's English.
HTTP_ERRORS = {
    400: (
        lazy_gettext("Bad request"),
        lazy_gettext(
            "This request could not be understood. Please go back and try again."
        ),
    ),
    404: (lazy_gettext("Not found"), lazy_gettext("There is no page at this address.")),
    405: (
        lazy_gettext("Not allowed"),
        lazy_gettext(
            "This page cannot be used that way. Please go back and try again."
        ),
    ),
    413: (
        lazy_gettext("Too large"),
        lazy_gettext("What was sent is too large. Please send less."),
    ),
    429: (
        lazy_gettext("Too many tries"),
        lazy_gettext(
            "Too many tries in a short time. Please wait a minute and try again."
        ),
    ),
    500: (
        lazy_gettext("Something went wrong"),
        lazy_gettext("Something went wrong on our side. Please try again in a moment."),
    ),
}


def init_app(app: Flask) -> None:
    """Register the error pages."""
    app.register_error_handler(NotPermitted, not_permitted)
    # Someone with no member role opens a form for members who earn and pay.
    app.register_error_handler(NotAMember, not_permitted)
    app.register_error_handler(NotFound, not_found)
    app.register_error_handler(UnknownAccount, not_found)
    app.register_error_handler(UnknownTransaction, not_found)
    app.register_error_handler(CSRFError, form_expired)
    app.register_error_handler(HTTPException, http_error)


def not_permitted(error: Exception) -> tuple[str, int]:
    """Say that only certain people may do this, and who."""
    return render_template(
        "errors/error.html", title=_("Not allowed"), detail=error
    ), 403


def not_found(error: Exception) -> tuple[str, int]:
    """Say that there is no such page, for this user."""
    return render_template("errors/error.html", title=_("Not found"), detail=error), 404


def form_expired(error: CSRFError) -> tuple[str, int]:
    """Ask the user to send a form again from a fresh page."""
    detail = _(
        "This form has expired. Please go back, reload the page and send it again."
    )
    return render_template(
        "errors/error.html", title=_("Form expired"), detail=detail
    ), 400


def http_error(error: HTTPException) -> tuple[str, int]:
    """Show an HTTP error in the site's own page."""
    code = error.code or 500
    title, detail = HTTP_ERRORS.get(code, (error.name, error.description))
    return render_template("errors/error.html", title=title, detail=detail), code
