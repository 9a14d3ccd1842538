"""The page where a time bank's admin sees whether the whole books are sound."""

from flask import Blueprint, render_template
from flask_login import current_user, login_required
from sqlalchemy.orm import Session

from timebank.banks.models import TimeBank
from timebank.banks.services import enter_time_bank
from timebank.extensions import limiter
from timebank.people.models import Membership
from timebank.unit_of_work import run_use_case

from .services import Verdict, verify_books_for_admin

bp = Blueprint("verification", __name__, url_prefix="/banks/<slug>")

# Each check reads the whole database, seconds of work on a large one: an
# admin reloading the page cannot keep the database busy with it.
BOOKS_CHECKS = "4 per minute"


@bp.get("/admin/books")
@limiter.limit(BOOKS_CHECKS)
@login_required
def books(slug: str) -> str:
    """Check every invariant of the books, and say whether they hold."""

    def work(session: Session) -> tuple[TimeBank, Membership, Verdict]:
        bank, viewer = enter_time_bank(session, actor=current_user, slug=slug)
        verdict = verify_books_for_admin(
            session, actor=current_user, time_bank_id=bank.id
        )
        return bank, viewer, verdict

    bank, viewer, verdict = run_use_case(work)
    return render_template(
        "verification/books.html", bank=bank, viewer=viewer, verdict=verdict
    )
