"""The form to record help from another member: the member helped pays for it."""

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
from timebank.decisions import Decision
from timebank.durations import format_minutes
from timebank.errors import (
    InvalidMinutes,
    InvalidServiceDate,
    InvalidText,
    NotAMember,
    PayingYourself,
    UnknownMember,
)
from timebank.forms import Done, DurationForm, Form, calendar_date, choice, text
from timebank.people.models import Membership, Role, User
from timebank.people.services import get_paying_member, list_members
from timebank.unit_of_work import run_use_case

from .services import record_exchange

bp = Blueprint("exchanges", __name__, url_prefix="/banks/<slug>")


class ExchangeForm(DurationForm):
    provider_id = choice(lazy_gettext("Choose who helped you from the list."))
    service_date = calendar_date(
        lazy_gettext("Enter the date they helped you as a date, like 2026-03-31.")
    )
    description = text(lazy_gettext("Enter what they did for you."))


# Where each of the service's refusals is shown on the form.
FIELDS_OF_ERRORS: dict[type[Exception], str] = {
    InvalidMinutes: "time",
    InvalidServiceDate: "service_date",
    InvalidText: "description",
    UnknownMember: "provider_id",
    NotAMember: "provider_id",
    PayingYourself: "provider_id",
    InsufficientCredit: "time",
}


@dataclass(frozen=True)
class ExchangePage:
    """What the form shows: what the receiver can use, and who may have helped."""

    bank: TimeBank
    viewer: Membership
    usable_minutes: int
    # (id, name) of each other paying member
    providers: list[tuple[int, str]]
    today: date


@bp.route("/exchange", methods=["GET", "POST"])
@login_required
def record_exchange_form(slug: str) -> str | Response | tuple[str, int]:
    """Record help another member gave you, and pay them for it."""
    page = run_use_case(lambda session: _page(session, slug=slug))
    if request.method == "GET":
        form = Form(ExchangeForm(), {"service_date": page.today.isoformat()})
        return render_template("exchanges/record.html", **_context(page, form))
    form = Form.posted(ExchangeForm())
    done = form.submit(lambda session: _record(session, page, form), FIELDS_OF_ERRORS)
    if done is not None:
        return redirect_to(done)
    return render_template("exchanges/record.html", **_context(page, form)), 422


def _context(page: ExchangePage, form: Form) -> dict[str, object]:
    return {"page": page, "form": form, "bank": page.bank, "viewer": page.viewer}


def _page(session: Session, *, slug: str) -> ExchangePage:
    bank, viewer = enter_time_bank(session, actor=current_user, slug=slug)
    receiver = get_paying_member(session, time_bank_id=bank.id, member_id=viewer.id)
    others = list_members(session, time_bank_id=bank.id, role=Role.MEMBER)
    return ExchangePage(
        bank=bank,
        viewer=viewer,
        usable_minutes=spendable_minutes(session, receiver),
        providers=[
            (member.id, user.display_name)
            for member, user in others
            if member.id != receiver.id
        ],
        today=today(),
    )


def _record(session: Session, page: ExchangePage, form: Form) -> Done:
    exchange = record_exchange(
        session,
        actor=current_user,
        time_bank_id=page.bank.id,
        provider_id=form.data["provider_id"],
        receiver_id=page.viewer.id,
        minutes=form.data["time"],
        description=form.data["description"],
        service_date=form.data["service_date"],
    )
    provider = session.get_one(Membership, exchange.provider_id)
    name = session.get_one(User, provider.user_id).display_name
    amount = format_minutes(exchange.minutes)
    if exchange.status == Decision.PENDING:
        message = _(
            "Recorded %(amount)s of help from %(name)s. It is paid once a broker "
            "approves it; until then, the time is set aside from what you can use.",
            amount=amount,
            name=name,
        )
    else:
        message = _(
            "You paid %(name)s %(amount)s for their help.", name=name, amount=amount
        )
    return Done(url_for("accounts.dashboard", slug=page.bank.slug), message)
