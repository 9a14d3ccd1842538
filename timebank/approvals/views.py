"""The queue of approvals: a broker ticks pending items and decides them at once."""

import re
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, render_template, url_for
from flask import redirect as redirect_to
from flask_babel import lazy_gettext, ngettext
from flask_login import current_user, login_required
from marshmallow import ValidationError, fields, validate
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from timebank.banks.models import TimeBank
from timebank.banks.services import enter_time_bank
from timebank.decisions import Decision, NotYours
from timebank.errors import InvalidText, ReasonRequired
from timebank.forms import Done, Form, FormSchema, optional_text
from timebank.people.models import Membership
from timebank.unit_of_work import run_use_case

from .services import ItemKind, ItemRef, Queue, decide_pending, pending_queue

bp = Blueprint("approvals", __name__, url_prefix="/banks/<slug>")

CHOOSE_ITEMS = lazy_gettext("Tick at least one item to approve or reject.")
UNKNOWN_ITEM = lazy_gettext(
    "One of the items ticked is not in the queue. Reload the page and try again."
)
CHOOSE_DECISION = lazy_gettext("Choose whether to approve or to reject.")
# An item as the form sends it: its kind and an id of at most 18 digits, so
# that it fits the column.
ITEM = re.compile(r"(hour_log|exchange|gift):([1-9][0-9]{0,17})")
DECISIONS = {"approve": Decision.APPROVED, "reject": Decision.REJECTED}
# Why someone else decides an item, as the queue says it beside the item.
SOMEONE_ELSE_DECIDES = {
    NotYours.RECORDED: lazy_gettext("Someone else decides this: you recorded it."),
    NotYours.PAID: lazy_gettext("Someone else decides this: it pays you."),
    NotYours.PAYER: lazy_gettext(
        "Someone else decides this: it is paid from your account."
    ),
}


class QueueItem(fields.Field[ItemRef]):
    """An item ticked in the queue, sent as its kind and id: "gift:5"."""

    def _deserialize(
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> ItemRef:
        match = ITEM.fullmatch(value) if isinstance(value, str) else None
        if match is None:
            raise ValidationError(UNKNOWN_ITEM)
        return ItemRef(ItemKind(match[1]), int(match[2]))


class DecisionForm(FormSchema):
    # The queue sends "item" once for each item ticked; none ticked, none sent.
    item = fields.List(
        QueueItem(), required=True, error_messages={"required": CHOOSE_ITEMS}
    )
    decision = fields.String(
        required=True,
        validate=validate.OneOf(DECISIONS, error=CHOOSE_DECISION),
        error_messages={"required": CHOOSE_DECISION},
    )
    reason = optional_text()


# Where the service's refusals are shown; a refused item is named above the form.
FIELDS_OF_ERRORS: dict[type[Exception], str] = {
    ReasonRequired: "reason",
    InvalidText: "reason",
}


@dataclass(frozen=True)
class QueuePage:
    """The queue as its viewer sees it."""

    bank: TimeBank
    viewer: Membership
    queue: Queue


@bp.get("/queue")
@login_required
def queue(slug: str) -> str:
    """Show the pending hour logs, exchanges and gifts the viewer may decide."""
    page = run_use_case(lambda session: _page(session, slug=slug))
    return render_template(
        "approvals/queue.html", **_context(page, Form(DecisionForm()))
    )


@bp.post("/queue")
@login_required
def decide(slug: str) -> Response | tuple[str, int]:
    """Approve or reject the items ticked, all of them or none."""
    page = run_use_case(lambda session: _page(session, slug=slug))
    form = Form.posted(DecisionForm())
    done = form.submit(lambda session: _decide(session, page, form), FIELDS_OF_ERRORS)
    if done is not None:
        return redirect_to(done)
    return render_template("approvals/queue.html", **_context(page, form)), 422


def _context(page: QueuePage, form: Form) -> dict[str, object]:
    return {
        "page": page,
        "form": form,
        "ticked": set(form.lists.get("item", [])),
        "bank": page.bank,
        "viewer": page.viewer,
        "someone_else_decides": SOMEONE_ELSE_DECIDES,
    }


def _page(session: Session, *, slug: str) -> QueuePage:
    bank, viewer = enter_time_bank(session, actor=current_user, slug=slug)
    return QueuePage(
        bank=bank,
        viewer=viewer,
        queue=pending_queue(session, actor=current_user, time_bank_id=bank.id),
    )


def _decide(session: Session, page: QueuePage, form: Form) -> Done:
    decision = DECISIONS[form.data["decision"]]
    decided = decide_pending(
        session,
        actor=current_user,
        time_bank_id=page.bank.id,
        items=form.data["item"],
        decision=decision,
        reason=form.data["reason"],
    )
    if decision == Decision.APPROVED:
        message = ngettext(
            "Approved %(num)s item.", "Approved %(num)s items.", len(decided)
        )
    else:
        message = ngettext(
            "Rejected %(num)s item.", "Rejected %(num)s items.", len(decided)
        )
    return Done(url_for("approvals.queue", slug=page.bank.slug), message)
