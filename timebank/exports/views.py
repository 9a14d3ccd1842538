"""The download of a time bank's books as a beancount journal, for its admins."""

import io

from flask import Blueprint, Response
from flask_login import current_user, login_required
from sqlalchemy.orm import Session

from timebank.banks.rules import today
from timebank.downloads import attachment
from timebank.unit_of_work import run_use_case

from .services import export_journal

bp = Blueprint("exports", __name__, url_prefix="/banks/<slug>")


@bp.get("/admin/books.beancount")
@login_required
def beancount_journal(slug: str) -> Response:
    """Download every posted entry and stored balance as a beancount journal."""

    def work(session: Session) -> str:
        out = io.StringIO()
        export_journal(session, actor=current_user, slug=slug, out=out)
        return out.getvalue()

    return attachment(
        run_use_case(work),
        mimetype="text/plain",
        filename=f"{slug}-{today()}.beancount",
    )
