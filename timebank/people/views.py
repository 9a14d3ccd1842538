"""Signing in and out, and a broker's reset of a member's password."""

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import login_required, login_user, logout_user
from werkzeug.wrappers import Response

from timebank.extensions import login_manager
from timebank.forms import Form, FormSchema, text
from timebank.unit_of_work import run_use_case

from .models import User
from .services import authenticate

bp = Blueprint("people", __name__)


class SignInForm(FormSchema):
    email = text("your email address")
    password = text("your password")


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """Return the signed-in user, unless their password changed since."""
    user_id, _, _ = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = run_use_case(lambda session: session.get(User, int(user_id)))
    if user is None or user.get_id() != session_id:
        return None
    return user


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> str | Response | tuple[str, int]:
    """Sign in with an email and a password."""
    if request.method == "GET":
        return render_template("people/sign_in.html", form=Form(SignInForm()))
    form = Form.posted(SignInForm())
    if not form.errors:
        user = run_use_case(
            lambda session: authenticate(
                session, email=form.data["email"], password=form.data["password"]
            )
        )
        if user is not None:
            login_user(user)
            return redirect(safe_next(request.args.get("next")))
        # One message whether the email is unknown or the password is wrong.
        form.errors["form"] = "That email address and password do not match."
    form.values.pop("password", None)
    return render_template("people/sign_in.html", form=form), 422


@bp.post("/sign-out")
@login_required
def sign_out() -> Response:
    """Sign out."""
    logout_user()
    return redirect(url_for("people.sign_in"))


def safe_next(target: str | None) -> str:
    """Return target if it is a path on this site, else the front page."""
    # "//host" and "/\\host" are other sites to a browser.
    if target and target.startswith("/") and target[1:2] not in ("/", "\\"):
        return target
    return url_for("home.index")
