"""The form to reverse a posted entry: a broker sees it, and says why."""

from dataclasses import dataclass

from flask import Blueprint, render_template, request, url_for
from flask import redirect as redirect_to
from flask_babel import format_date, lazy_gettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from marshmallow import fields, validate
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

import ledger
from timebank.accounts.services import account_labels
from timebank.banks.models import TimeBank
from timebank.banks.services import enter_time_bank
from timebank.durations import format_minutes
from timebank.errors import InvalidText, ReasonRequired
from timebank.forms import LARGEST_ID, Done, Form, FormSchema, text
from timebank.people.models import Membership
from timebank.unit_of_work import run_use_case

from .services import get_entry_of_time_bank, reverse_entry

bp = Blueprint("reversals", __name__, url_prefix="/banks/<slug>")


KIND_NAMES = {
    "earn": lazy_gettext("Earned"),
    "spend": lazy_gettext("Spent"),
    "gift": lazy_gettext("Gift"),
    "exchange": lazy_gettext("Exchange"),
    "adjustment": lazy_gettext("Adjustment"),
    "reversal": lazy_gettext("Reversal"),
}


class ReversalForm(FormSchema):
    reason = text(lazy_gettext("Enter why the entry is reversed."))


class ReturnTo(FormSchema):
    """Where to go afterwards: the account of member_id, or else the queue."""

    member_id = fields.Integer(
        load_default=None, validate=validate.Range(min=1, max=LARGEST_ID)
    )


# Where each of the service's refusals is shown on the form.
FIELDS_OF_ERRORS: dict[type[Exception], str] = {
    ReasonRequired: "reason",
    InvalidText: "reason",
}


@dataclass(frozen=True)
class PostingLine:
    """Minutes into (positive) or out of (negative) a named account."""

    account: str
    minutes: int


@dataclass(frozen=True)
class ReversalPage:
    """The entry to reverse, with the accounts it moved minutes between."""

    bank: TimeBank
    viewer: Membership
    entry: ledger.Transaction
    kind: str
    minutes: int
    postings: list[PostingLine]


@bp.route(
    "/entries/<id:transaction_id>/reverse",
    methods=["GET", "POST"],
)
@login_required
def reverse_entry_form(
    slug: str, transaction_id: int
) -> str | Response | tuple[str, int]:
    """Reverse a posted entry of the time bank, saying why; a broker does."""
    page = run_use_case(
        lambda session: _page(session, slug=slug, transaction_id=transaction_id)
    )
    if request.method == "GET":
        return render_template(
            "reversals/reverse.html", **_context(page, Form(ReversalForm()))
        )
    form = Form.posted(ReversalForm())
    done = form.submit(lambda session: _reverse(session, page, form), FIELDS_OF_ERRORS)
    if done is not None:
        return redirect_to(done)
    return render_template("reversals/reverse.html", **_context(page, form)), 422


def _context(page: ReversalPage, form: Form) -> dict[str, object]:
    return {
        "page": page,
        "form": form,
        "back": _back(page.bank),
        "bank": page.bank,
        "viewer": page.viewer,
    }


def _page(session: Session, *, slug: str, transaction_id: int) -> ReversalPage:
    bank, viewer = enter_time_bank(session, actor=current_user, slug=slug)
    entry = get_entry_of_time_bank(
        session,
        actor=current_user,
        time_bank_id=bank.id,
        transaction_id=transaction_id,
    )
    labels = account_labels(session, {posting.account_id for posting in entry.postings})
    return ReversalPage(
        bank=bank,
        viewer=viewer,
        entry=entry,
        kind=str(KIND_NAMES[entry.kind]),
        minutes=sum(p.minutes for p in entry.postings if p.minutes > 0),
        postings=[
            PostingLine(labels[posting.account_id], posting.minutes)
            for posting in sorted(entry.postings, key=lambda p: p.minutes)
        ],
    )


def _back(bank: TimeBank) -> str:
    """Return the account the broker came from, or else the queue."""
    # A broken link to return to is no reason to refuse the reversal.
    member_id = Form.queried(ReturnTo()).data.get("member_id")
    if member_id is None:
        return url_for("approvals.queue", slug=bank.slug)
    return url_for("accounts.member_dashboard", slug=bank.slug, member_id=member_id)


def _reverse(session: Session, page: ReversalPage, form: Form) -> Done:
    reverse_entry(
        session,
        actor=current_user,
        time_bank_id=page.bank.id,
        transaction_id=page.entry.id,
        reason=form.data["reason"],
    )
    return Done(
        _back(page.bank),
        _(
            "Reversed entry %(number)s (%(kind)s, %(amount)s on %(date)s): its "
            "minutes went back where they came from.",
            number=page.entry.id,
            kind=page.kind.lower(),
            amount=format_minutes(page.minutes),
            date=format_date(page.entry.service_date, "d MMM y"),
        ),
    )
