"""A member's dashboard: their own, or any member's for a broker."""

from flask import Blueprint, render_template
from flask_login import current_user, login_required
from sqlalchemy.orm import Session

from timebank.banks.services import enter_time_bank
from timebank.people.models import Membership
from timebank.unit_of_work import run_use_case

from .services import AccountOverview, account_overview, open_member_account

bp = Blueprint("accounts", __name__, url_prefix="/banks/<slug>")


@bp.get("/")
@login_required
def dashboard(slug: str) -> str:
    """Show the signed-in member's balance, latest entries and recent months."""

    def work(session: Session) -> tuple[AccountOverview, Membership]:
        bank, membership = enter_time_bank(session, actor=current_user, slug=slug)
        return account_overview(session, bank=bank, member=membership), membership

    overview, viewer = run_use_case(work)
    return _render(overview, viewer)


@bp.get("/members/<int:member_id>/")
@login_required
def member_dashboard(slug: str, member_id: int) -> str:
    """Show a member's account to them, or to a broker of their time bank."""

    def work(session: Session) -> tuple[AccountOverview, Membership]:
        bank, viewer = enter_time_bank(session, actor=current_user, slug=slug)
        member = open_member_account(
            session, actor=current_user, bank=bank, member_id=member_id
        )
        return account_overview(session, bank=bank, member=member), viewer

    overview, viewer = run_use_case(work)
    return _render(overview, viewer)


def _render(overview: AccountOverview, viewer: Membership) -> str:
    return render_template(
        "accounts/dashboard.html",
        overview=overview,
        bank=overview.bank,
        viewer=viewer,
        own=overview.member.id == viewer.id,
        chart_top=max(
            [60] + [max(m.earned_minutes, m.spent_minutes) for m in overview.months]
        ),
    )
