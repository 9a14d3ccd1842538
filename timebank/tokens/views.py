"""Your personal API tokens on the web: list them, make one, revoke one.

Making a token asks for the password again, although the user is signed
in: a token outlives the session and a change of password, so a browser
left signed in must not be enough to take lasting access to the account.
"""

from collections.abc import Sequence

from flask import Blueprint, make_response, render_template, url_for
from flask import redirect as redirect_to
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import current_user, login_required
from marshmallow import fields, validate
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from timebank.banks.rules import MAX_NAME_LENGTH
from timebank.errors import BadCredentials, InvalidText
from timebank.extensions import PASSWORD_TRIES, limiter
from timebank.forms import Done, Form, FormSchema, new_request_key, text
from timebank.unit_of_work import run_use_case

from .models import ApiToken
from .services import create_token, list_tokens, revoke_token

bp = Blueprint("tokens", __name__)


class NewTokenForm(FormSchema):
    name = fields.String(
        load_default="",
        validate=validate.Length(
            max=MAX_NAME_LENGTH,
            error=lazy_gettext(
                "Name the token with at most %(most)s characters.",
                most=MAX_NAME_LENGTH,
            ),
        ),
    )
    password = text(lazy_gettext("Enter your password."))


class RevokeTokenForm(FormSchema):
    """Revoking takes nothing but the token named in the URL."""


# Where each of the service's refusals is shown on the form.
FIELDS_OF_ERRORS: dict[type[Exception], str] = {
    BadCredentials: "password",
    InvalidText: "name",
}


@bp.get("/tokens")
@login_required
def tokens_page() -> str:
    """List your personal API tokens, with a form to make one."""
    return _render(Form(NewTokenForm()))


@bp.post("/tokens")
@limiter.limit(PASSWORD_TRIES)
@login_required
def make_token() -> Response | tuple[str, int]:
    """Make a personal API token, and show its secret this once."""
    form = Form.posted(NewTokenForm())
    # The request's fingerprint is stored, so the password stays out of it.
    form.values.pop("password", None)
    made: list[str] = []

    def work(session: Session) -> Done:
        token, secret = create_token(
            session,
            email=current_user.email,
            password=form.data["password"],
            name=form.data["name"],
        )
        made.append(secret)
        return Done(
            url_for("tokens.tokens_page"),
            _(
                "Made the token “%(name)s”. Copy it now: it is shown only once.",
                name=token.name,
            ),
        )

    done = form.submit(work, FIELDS_OF_ERRORS)
    if done is None:
        if form.data and "password" in form.errors:
            # The service's words name an email too; here only a password is typed.
            form.errors["password"] = _("That is not your password.")
        return _render(form), 422
    if not made:
        # Sent twice: the first copy made the token, and its secret is gone.
        return redirect_to(done)
    page = make_response(_render(Form(NewTokenForm()), secret=made[0]), 201)
    # The secret is shown once: no cache keeps a copy of it.
    page.headers["Cache-Control"] = "no-store"
    return page


@bp.post("/tokens/<id:token_id>/revoke")
@login_required
def revoke(token_id: int) -> Response | tuple[str, int]:
    """Revoke one of your tokens: programs using it are refused from now on."""
    form = Form.posted(RevokeTokenForm())

    def work(session: Session) -> Done:
        token = revoke_token(session, actor=current_user, token_id=token_id)
        return Done(
            url_for("tokens.tokens_page"),
            _(
                "Revoked the token “%(name)s”. It opens nothing from now on.",
                name=token.name,
            ),
        )

    done = form.submit(work, {})
    if done is not None:
        return redirect_to(done)
    return _render(Form(NewTokenForm()), refused=form.errors["form"]), 422


def _render(form: Form, *, secret: str | None = None, refused: str = "") -> str:
    tokens: Sequence[ApiToken] = run_use_case(
        lambda session: list_tokens(session, user=current_user)
    )
    return render_template(
        "tokens/tokens.html",
        tokens=tokens,
        form=form,
        secret=secret,
        refused=refused,
        # A request key for each revoke form, so that a double click revokes once.
        revoke_keys={token.id: new_request_key() for token in tokens},
    )
