"""Organisations: the directory every member sees, and each one's own page.

An organisation's own page, with its account and volunteers, is for its
admins and the time bank's brokers and admins; its admins, and the time
bank's, add to a spend partner's activities.
"""

from dataclasses import dataclass

from flask import Blueprint, render_template, request, url_for
from flask import redirect as redirect_to
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import current_user, login_required
from marshmallow import post_load
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from timebank.banks.models import TimeBank
from timebank.banks.rules import DAY_MINUTES
from timebank.banks.services import enter_time_bank
from timebank.durations import format_minutes
from timebank.errors import AlreadyTaken, InvalidMinutes, InvalidText
from timebank.forms import (
    Done,
    Form,
    FormSchema,
    minutes_of_an_hour,
    text,
    whole_number,
)
from timebank.people.models import Membership
from timebank.unit_of_work import run_use_case

from .models import Organisation
from .services import (
    DirectoryEntry,
    OrganisationOverview,
    add_activity,
    open_activity_list,
    organisation_directory,
    organisation_overview,
)

bp = Blueprint("organisations", __name__, url_prefix="/banks/<slug>")


class ActivityForm(FormSchema):
    name = text(lazy_gettext("Enter the name of the activity."))
    hours = whole_number(
        lazy_gettext(
            "Enter the hours as a whole number from 0 to %(most)s.",
            most=DAY_MINUTES // 60,
        ),
        high=DAY_MINUTES // 60,
    )
    minutes = minutes_of_an_hour()

    @post_load
    def price(self, data: dict[str, object], **_: object) -> dict[str, object]:
        hours, minutes = data.pop("hours"), data.pop("minutes")
        assert isinstance(hours, int) and isinstance(minutes, int)
        return {**data, "price_minutes": hours * 60 + minutes}


# Where each of add_activity's refusals is shown on the form.
ACTIVITY_ERRORS: dict[type[Exception], str] = {
    InvalidMinutes: "time",
    InvalidText: "name",
    AlreadyTaken: "name",
}


@bp.get("/organisations")
@login_required
def directory(slug: str) -> str:
    """List who issues credits for volunteering, who accepts them, and for what."""

    def work(session: Session) -> tuple[TimeBank, Membership, list[DirectoryEntry]]:
        bank, viewer = enter_time_bank(session, actor=current_user, slug=slug)
        entries = organisation_directory(
            session, actor=current_user, time_bank_id=bank.id
        )
        return bank, viewer, entries

    bank, viewer, entries = run_use_case(work)
    return render_template(
        "organisations/directory.html",
        bank=bank,
        viewer=viewer,
        issuers=[entry for entry in entries if entry.organisation.is_issuer],
        partners=[entry for entry in entries if entry.organisation.is_spend_partner],
    )


@bp.get("/organisations/<id:organisation_id>")
@login_required
def organisation_page(slug: str, organisation_id: int) -> str:
    """Show an organisation's account, volunteers, hours and activities."""

    def work(session: Session) -> tuple[TimeBank, Membership, OrganisationOverview]:
        bank, viewer = enter_time_bank(session, actor=current_user, slug=slug)
        overview = organisation_overview(
            session,
            actor=current_user,
            time_bank_id=bank.id,
            organisation_id=organisation_id,
        )
        return bank, viewer, overview

    bank, viewer, overview = run_use_case(work)
    return render_template(
        "organisations/organisation.html",
        bank=bank,
        viewer=viewer,
        overview=overview,
        form=Form(ActivityForm()),
        chart_top=max([60] + [month.approved_minutes for month in overview.months]),
    )


@dataclass(frozen=True)
class ActivityPage:
    """The spend partner whose list of activities is being added to."""

    bank: TimeBank
    viewer: Membership
    organisation: Organisation


@bp.route("/organisations/<id:organisation_id>/activities/new", methods=["GET", "POST"])
@login_required
def add_activity_form(
    slug: str, organisation_id: int
) -> str | Response | tuple[str, int]:
    """Add an activity, with its price, to a spend partner's list."""

    def load(session: Session) -> ActivityPage:
        bank, viewer = enter_time_bank(session, actor=current_user, slug=slug)
        organisation = open_activity_list(
            session,
            actor=current_user,
            time_bank_id=bank.id,
            organisation_id=organisation_id,
        )
        return ActivityPage(bank, viewer, organisation)

    page = run_use_case(load)
    if request.method == "GET":
        return _render_activity(page, Form(ActivityForm()))
    form = Form.posted(ActivityForm())
    done = form.submit(lambda session: _add(session, page, form), ACTIVITY_ERRORS)
    if done is not None:
        return redirect_to(done)
    return _render_activity(page, form), 422


def _render_activity(page: ActivityPage, form: Form) -> str:
    return render_template(
        "organisations/add_activity.html",
        bank=page.bank,
        viewer=page.viewer,
        organisation=page.organisation,
        form=form,
    )


def _add(session: Session, page: ActivityPage, form: Form) -> Done:
    activity = add_activity(
        session,
        actor=current_user,
        time_bank_id=page.bank.id,
        organisation_id=page.organisation.id,
        name=form.data["name"],
        price_minutes=form.data["price_minutes"],
    )
    return Done(
        url_for(
            "organisations.organisation_page",
            slug=page.bank.slug,
            organisation_id=page.organisation.id,
        ),
        _(
            "Added %(activity)s, at %(amount)s.",
            activity=activity.name,
            amount=format_minutes(activity.price_minutes),
        ),
    )
