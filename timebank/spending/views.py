"""The form to spend credits on an activity that a spend partner offers."""

from dataclasses import dataclass
from datetime import date

from flask import Blueprint, render_template, request, url_for
from flask import redirect as redirect_to
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import current_user, login_required
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from ledger.errors import InsufficientCredit
from timebank.accounts.services import spendable_minutes
from timebank.banks.models import TimeBank
from timebank.banks.rules import today
from timebank.banks.services import enter_time_bank
from timebank.durations import format_minutes
from timebank.errors import InvalidServiceDate, NotASpendPartner, UnknownActivity
from timebank.forms import Done, Form, FormSchema, calendar_date, choice
from timebank.organisations.models import Activity, Organisation
from timebank.organisations.services import list_activities, list_organisations
from timebank.people.models import Membership
from timebank.people.services import get_paying_member
from timebank.unit_of_work import run_use_case

from .services import record_spend

bp = Blueprint("spending", __name__, url_prefix="/banks/<slug>")


class SpendForm(FormSchema):
    activity_id = choice(lazy_gettext("Choose an activity from the list."))
    # Left empty, the service dates the spend today.
    service_date = calendar_date(
        lazy_gettext("Enter the date of the activity as a date, like 2026-03-31."),
        required=False,
    )


# Where each of the service's refusals is shown on the form.
FIELDS_OF_ERRORS: dict[type[Exception], str] = {
    UnknownActivity: "activity_id",
    NotASpendPartner: "activity_id",
    InvalidServiceDate: "service_date",
    InsufficientCredit: "activity_id",
}


@dataclass(frozen=True)
class SpendPage:
    """What the form shows: what the member can use, and what they may buy."""

    bank: TimeBank
    viewer: Membership
    usable_minutes: int
    # (id, "Swim at Leisure Centre, 1 h") of each activity of every spend partner
    activities: list[tuple[int, str]]
    today: date


@bp.route("/spend", methods=["GET", "POST"])
@login_required
def spend_form(slug: str) -> str | Response | tuple[str, int]:
    """Spend credits on an activity at one of the time bank's spend partners."""
    page = run_use_case(lambda session: _page(session, slug=slug))
    if request.method == "GET":
        form = Form(SpendForm(), {"service_date": page.today.isoformat()})
        return render_template("spending/spend.html", **_context(page, form))
    form = Form.posted(SpendForm())
    done = form.submit(lambda session: _spend(session, page, form), FIELDS_OF_ERRORS)
    if done is not None:
        return redirect_to(done)
    return render_template("spending/spend.html", **_context(page, form)), 422


def _context(page: SpendPage, form: Form) -> dict[str, object]:
    return {"page": page, "form": form, "bank": page.bank, "viewer": page.viewer}


def _page(session: Session, *, slug: str) -> SpendPage:
    bank, viewer = enter_time_bank(session, actor=current_user, slug=slug)
    member = get_paying_member(session, time_bank_id=bank.id, member_id=viewer.id)
    return SpendPage(
        bank=bank,
        viewer=viewer,
        usable_minutes=spendable_minutes(session, member),
        activities=[
            (
                activity.id,
                f"{activity.name} at {partner.name}, "
                f"{format_minutes(activity.price_minutes)}",
            )
            for partner in list_organisations(
                session, time_bank_id=bank.id, spend_partners=True
            )
            for activity in list_activities(
                session, time_bank_id=bank.id, organisation_id=partner.id
            )
        ],
        today=today(),
    )


def _spend(session: Session, page: SpendPage, form: Form) -> Done:
    spend = record_spend(
        session,
        actor=current_user,
        time_bank_id=page.bank.id,
        member_id=page.viewer.id,
        activity_id=form.data["activity_id"],
        service_date=form.data["service_date"],
    )
    activity = session.get_one(Activity, spend.activity_id)
    partner = session.get_one(Organisation, spend.organisation_id)
    return Done(
        url_for("accounts.dashboard", slug=page.bank.slug),
        _(
            "You spent %(amount)s on %(activity)s at %(place)s.",
            amount=format_minutes(spend.minutes),
            activity=activity.name,
            place=partner.name,
        ),
    )
