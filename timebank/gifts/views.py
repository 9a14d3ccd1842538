"""The form to give credits to another member or to the community pool."""

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask import redirect as redirect_to
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import current_user, login_required
from marshmallow import fields, post_load, validate
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from ledger.errors import InsufficientCredit
from timebank.accounts.services import spendable_minutes
from timebank.banks.models import TimeBank
from timebank.banks.rules import GIFT_LIMIT_MINUTES
from timebank.banks.services import enter_time_bank
from timebank.decisions import Decision
from timebank.durations import format_minutes
from timebank.errors import (
    InvalidMinutes,
    InvalidText,
    NotAMember,
    PayingYourself,
    UnknownMember,
)
from timebank.forms import Done, DurationForm, Form, optional_text
from timebank.people.models import Membership, Role, User
from timebank.people.services import get_paying_member, list_members
from timebank.unit_of_work import run_use_case

from .services import give_gift

bp = Blueprint("gifts", __name__, url_prefix="/banks/<slug>")

# The recipient chosen when the gift goes to the community pool, not a member.
POOL = "pool"
CHOOSE_RECIPIENT = lazy_gettext("Choose who to give to from the list.")


class GiftForm(DurationForm):
    # The pool, or a member's id: at most 18 digits, so that it fits the column.
    recipient = fields.String(
        required=True,
        validate=validate.Regexp(
            rf"(?:{POOL}|[1-9][0-9]{{0,17}})\Z", error=CHOOSE_RECIPIENT
        ),
        error_messages={"required": CHOOSE_RECIPIENT, "null": CHOOSE_RECIPIENT},
    )
    message = optional_text()

    @post_load
    def recipient_id(self, data: dict[str, Any], **_: object) -> dict[str, Any]:
        recipient = data.pop("recipient")
        return {**data, "recipient_id": None if recipient == POOL else int(recipient)}


# Where each of the service's refusals is shown on the form.
FIELDS_OF_ERRORS: dict[type[Exception], str] = {
    InvalidMinutes: "time",
    InvalidText: "message",
    UnknownMember: "recipient",
    NotAMember: "recipient",
    PayingYourself: "recipient",
    InsufficientCredit: "time",
}


@dataclass(frozen=True)
class GiftPage:
    """What the form shows: what the giver can use, and to whom they may give."""

    bank: TimeBank
    viewer: Membership
    usable_minutes: int
    most_minutes: int
    # (value, name) of the community pool, then of each other paying member
    recipients: list[tuple[str, str]]


@bp.route("/gift", methods=["GET", "POST"])
@login_required
def give_gift_form(slug: str) -> str | Response | tuple[str, int]:
    """Give credits to another member or to the community pool."""
    page = run_use_case(lambda session: _page(session, slug=slug))
    if request.method == "GET":
        form = Form(GiftForm())
        return render_template("gifts/give.html", **_context(page, form))
    form = Form.posted(GiftForm())
    done = form.submit(lambda session: _give(session, page, form), FIELDS_OF_ERRORS)
    if done is not None:
        return redirect_to(done)
    return render_template("gifts/give.html", **_context(page, form)), 422


def _context(page: GiftPage, form: Form) -> dict[str, object]:
    return {"page": page, "form": form, "bank": page.bank, "viewer": page.viewer}


def _page(session: Session, *, slug: str) -> GiftPage:
    bank, viewer = enter_time_bank(session, actor=current_user, slug=slug)
    giver = get_paying_member(session, time_bank_id=bank.id, member_id=viewer.id)
    others = list_members(session, time_bank_id=bank.id, role=Role.MEMBER)
    return GiftPage(
        bank=bank,
        viewer=viewer,
        usable_minutes=spendable_minutes(session, giver),
        most_minutes=GIFT_LIMIT_MINUTES,
        recipients=[(POOL, _("The community pool"))]
        + [
            (str(member.id), user.display_name)
            for member, user in others
            if member.id != giver.id
        ],
    )


def _give(session: Session, page: GiftPage, form: Form) -> Done:
    gift = give_gift(
        session,
        actor=current_user,
        time_bank_id=page.bank.id,
        giver_id=page.viewer.id,
        recipient_id=form.data["recipient_id"],
        minutes=form.data["time"],
        message=form.data["message"],
    )
    amount = format_minutes(gift.minutes)
    pending = gift.status == Decision.PENDING
    if gift.recipient_id is None:
        if pending:
            message = _(
                "Your gift of %(amount)s to the community pool waits for a "
                "broker's approval. Until then, the time is set aside from what "
                "you can use.",
                amount=amount,
            )
        else:
            message = _("You gave %(amount)s to the community pool.", amount=amount)
        return Done(url_for("accounts.dashboard", slug=page.bank.slug), message)
    member = session.get_one(Membership, gift.recipient_id)
    recipient = session.get_one(User, member.user_id).display_name
    if pending:
        message = _(
            "Your gift of %(amount)s to %(name)s waits for a broker's approval. "
            "Until then, the time is set aside from what you can use.",
            amount=amount,
            name=recipient,
        )
    else:
        message = _("You gave %(amount)s to %(name)s.", amount=amount, name=recipient)
    return Done(url_for("accounts.dashboard", slug=page.bank.slug), message)
