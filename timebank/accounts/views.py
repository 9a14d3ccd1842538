"""A member's dashboard and history: their own, or any member's for a broker."""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, render_template, url_for
from flask_babel import LazyString, lazy_gettext
from flask_login import current_user, login_required
from marshmallow import ValidationError, fields, post_load, validate, validates_schema
from sqlalchemy.orm import Session

from ledger.errors import InvalidRequest
from timebank.banks.models import TimeBank
from timebank.banks.services import enter_time_bank
from timebank.forms import Form, FormSchema
from timebank.people.models import Membership
from timebank.unit_of_work import run_use_case

from .services import (
    HISTORY_KINDS,
    AccountOverview,
    HistoryPage,
    account_history,
    account_overview,
    member_name,
    open_member_account,
)

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


@bp.get("/members/<id:member_id>/")
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


# The filters a history page keeps when it links to its next page; the cursor
# says where that page starts.
FILTERS = ("from", "to", "kind")
CURSOR = "cursor"
KIND_OPTIONS = [
    ("all", lazy_gettext("Everything")),
    ("earned", lazy_gettext("Earned by volunteering")),
    ("exchanges", lazy_gettext("Exchanges with members")),
    ("gifts", lazy_gettext("Gifts")),
    ("spends", lazy_gettext("Spent on activities")),
    ("reversals", lazy_gettext("Reversals (corrections)")),
]
BROKEN_CURSOR = lazy_gettext("This link to older entries is broken or out of date.")


def _day(message: LazyString, data_key: str) -> fields.Date:
    return fields.Date(
        data_key=data_key,
        load_default=None,
        error_messages={"invalid": message, "null": message},
    )


class HistoryFilters(FormSchema):
    """The history's filters: days the help happened, both included, and a kind."""

    first_day = _day(
        lazy_gettext("Enter the first day as a date, like 2026-03-31."), "from"
    )
    last_day = _day(
        lazy_gettext("Enter the last day as a date, like 2026-03-31."), "to"
    )
    kind = fields.String(
        load_default="all",
        validate=validate.OneOf(
            list(HISTORY_KINDS),
            error=lazy_gettext("Choose what to show from the list."),
        ),
    )
    cursor = fields.String(data_key=CURSOR, load_default=None)

    @validates_schema
    def days_in_order(self, data: dict[str, object], **_: object) -> None:
        first, last = data.get("first_day"), data.get("last_day")
        if isinstance(first, date) and isinstance(last, date) and first > last:
            raise ValidationError(
                lazy_gettext("The last day must be on or after the first day."),
                field_name="to",
            )

    @post_load
    def ledger_filters(self, data: dict[str, object], **_: object) -> dict[str, object]:
        """Turn the days a person picks into the ledger's half-open range."""
        last = data["last_day"]
        assert last is None or isinstance(last, date)
        return {
            "service_from": data["first_day"],
            # The last day the calendar holds has no day after it: no end at all.
            "service_before": None
            if last is None or last == date.max
            else last + timedelta(days=1),
            "kinds": HISTORY_KINDS[str(data["kind"])],
            "cursor": data["cursor"],
        }


@dataclass(frozen=True)
class HistoryView:
    """What a history page shows; no entries when its filters were refused."""

    bank: TimeBank
    viewer: Membership
    member: Membership
    name: str
    history: HistoryPage | None


@bp.get("/history")
@login_required
def history(slug: str) -> str | tuple[str, int]:
    """Show the signed-in member's entries, filtered, a page at a time."""
    return _history(slug, member_id=None)


@bp.get("/members/<id:member_id>/history")
@login_required
def member_history(slug: str, member_id: int) -> str | tuple[str, int]:
    """Show a member's entries to them, or to a broker of their time bank."""
    return _history(slug, member_id=member_id)


def _history(slug: str, *, member_id: int | None) -> str | tuple[str, int]:
    filters = Form.queried(HistoryFilters())

    def work(session: Session) -> HistoryView:
        bank, viewer = enter_time_bank(session, actor=current_user, slug=slug)
        member = (
            viewer
            if member_id is None
            else open_member_account(
                session, actor=current_user, bank=bank, member_id=member_id
            )
        )
        page = None
        if not filters.errors:
            try:
                page = account_history(session, member=member, **filters.data)
            except InvalidRequest:
                # The filters were checked already: only the cursor is left.
                filters.errors[CURSOR] = BROKEN_CURSOR
        return HistoryView(bank, viewer, member, member_name(session, member), page)

    view = run_use_case(work)
    page = render_template(
        "accounts/history.html", **_history_context(view, filters, member_id)
    )
    return (page, 422) if filters.errors else page


def _history_context(
    view: HistoryView, filters: Form, member_id: int | None
) -> dict[str, object]:
    kept = {name: filters.values[name] for name in FILTERS if filters.values.get(name)}

    def page_url(**more: str) -> str:
        where: dict[str, Any] = {"slug": view.bank.slug, **more}
        if member_id is None:
            return url_for("accounts.history", **where)
        return url_for("accounts.member_history", member_id=member_id, **where)

    older = view.history.next_cursor if view.history else None
    return {
        "view": view,
        "form": filters,
        "bank": view.bank,
        "viewer": view.viewer,
        "own": view.member.id == view.viewer.id,
        "kind_options": KIND_OPTIONS,
        "filtered": bool(kept),
        "action_url": page_url(),
        "newest_url": page_url(**kept),
        "older_url": None if older is None else page_url(**kept, cursor=older),
        "later_page": bool(filters.values.get(CURSOR)),
    }
