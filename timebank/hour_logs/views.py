"""The form to log volunteered hours: a member for themselves, a broker for one."""

from dataclasses import dataclass
from datetime import date

from flask import Blueprint, render_template, request, url_for
from flask import redirect as redirect_to
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import current_user, login_required
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from timebank.banks.models import TimeBank
from timebank.banks.rules import today
from timebank.banks.services import enter_time_bank
from timebank.durations import format_minutes
from timebank.errors import (
    InvalidMinutes,
    InvalidServiceDate,
    InvalidText,
    NotAnIssuer,
    UnknownOrganisation,
)
from timebank.forms import Done, DurationForm, Form, calendar_date, choice, text
from timebank.organisations.services import list_organisations
from timebank.people.models import Membership, User
from timebank.people.services import acts_for, get_paying_member
from timebank.unit_of_work import run_use_case

from .services import log_hours

bp = Blueprint("hour_logs", __name__, url_prefix="/banks/<slug>")


class HourLogForm(DurationForm):
    organisation_id = choice(
        lazy_gettext("Choose who you volunteered for from the list.")
    )
    service_date = calendar_date(
        lazy_gettext("Enter the date you volunteered as a date, like 2026-03-31.")
    )
    description = text(lazy_gettext("Enter what you did."))


# Where each of the service's refusals is shown on the form.
FIELDS_OF_ERRORS: dict[type[Exception], str] = {
    InvalidMinutes: "time",
    InvalidServiceDate: "service_date",
    InvalidText: "description",
    UnknownOrganisation: "organisation_id",
    NotAnIssuer: "organisation_id",
}


@dataclass(frozen=True)
class HourLogPage:
    """What the form shows: for whom hours are logged, and for which organisations."""

    bank: TimeBank
    viewer: Membership
    member: Membership
    member_name: str
    # (id, name) of each organisation that issues credits
    organisations: list[tuple[int, str]]
    today: date


@bp.route("/log-hours", methods=["GET", "POST"])
@bp.route("/members/<id:member_id>/log-hours", methods=["GET", "POST"])
@login_required
def log_hours_form(
    slug: str, member_id: int | None = None
) -> str | Response | tuple[str, int]:
    """Log hours volunteered, for yourself or, as a broker, for a member."""
    page = run_use_case(lambda session: _page(session, slug=slug, member_id=member_id))
    if request.method == "GET":
        form = Form(HourLogForm(), {"service_date": page.today.isoformat()})
        return render_template("hour_logs/log.html", **_context(page, form))
    form = Form.posted(HourLogForm())
    done = form.submit(lambda session: _log(session, page, form), FIELDS_OF_ERRORS)
    if done is not None:
        return redirect_to(done)
    return render_template("hour_logs/log.html", **_context(page, form)), 422


def _context(page: HourLogPage, form: Form) -> dict[str, object]:
    return {"page": page, "form": form, "bank": page.bank, "viewer": page.viewer}


def _page(session: Session, *, slug: str, member_id: int | None) -> HourLogPage:
    bank, membership = enter_time_bank(session, actor=current_user, slug=slug)
    member = get_paying_member(
        session,
        time_bank_id=bank.id,
        member_id=membership.id if member_id is None else member_id,
    )
    acts_for(session, actor=current_user, member=member, what="log their hours")
    return HourLogPage(
        bank=bank,
        viewer=membership,
        member=member,
        member_name=session.get_one(User, member.user_id).display_name,
        organisations=[
            (organisation.id, organisation.name)
            for organisation in list_organisations(
                session, time_bank_id=bank.id, issuers=True
            )
        ],
        today=today(),
    )


def _log(session: Session, page: HourLogPage, form: Form) -> Done:
    log = log_hours(
        session,
        actor=current_user,
        time_bank_id=page.bank.id,
        member_id=page.member.id,
        organisation_id=form.data["organisation_id"],
        description=form.data["description"],
        minutes=form.data["time"],
        service_date=form.data["service_date"],
    )
    if page.member.user_id == current_user.id:
        url = url_for("accounts.dashboard", slug=page.bank.slug)
    else:
        url = url_for(
            "accounts.member_dashboard", slug=page.bank.slug, member_id=page.member.id
        )
    return Done(
        url,
        _(
            "Logged %(amount)s. It earns credits once approved.",
            amount=format_minutes(log.minutes),
        ),
    )
