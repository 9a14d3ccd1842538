"""The front page: the time banks of the signed-in user, or a way to sign in."""

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from timebank.banks.services import list_time_banks_of
from timebank.unit_of_work import run_use_case

bp = Blueprint("home", __name__)


@bp.get("/")
def index() -> str | Response:
    """Show the front page; a member of one time bank goes straight to it."""
    if not current_user.is_authenticated:
        return render_template("home.html", banks=[])
    banks = run_use_case(lambda session: list_time_banks_of(session, user=current_user))
    if len(banks) == 1:
        return redirect(url_for("accounts.dashboard", slug=banks[0].slug))
    return render_template("home.html", banks=banks)
