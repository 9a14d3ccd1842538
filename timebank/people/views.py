"""Signing in and out; brokers and admins list members and reset passwords."""

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import current_user, login_required, login_user, logout_user
from marshmallow import ValidationError, fields, validate, validates_schema
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from timebank.banks.models import TimeBank
from timebank.banks.services import enter_time_bank
from timebank.errors import WeakPassword
from timebank.extensions import PASSWORD_TRIES, limiter, login_manager
from timebank.forms import Done, Form, FormSchema, text
from timebank.unit_of_work import run_use_case

from .models import Membership, Role, User
from .services import (
    MIN_PASSWORD_LENGTH,
    Roster,
    authenticate,
    get_member_for_staff,
    member_roster,
    reset_password,
)

bp = Blueprint("people", __name__)

# A longer search is a slip, not a name or email to look for: it is refused.
LONGEST_SEARCH = 200
ROLE_NAMES = [
    (Role.MEMBER, lazy_gettext("Member")),
    (Role.BROKER, lazy_gettext("Broker")),
    (Role.TIME_BANK_ADMIN, lazy_gettext("Time-bank admin")),
]


class SignInForm(FormSchema):
    email = text(lazy_gettext("Enter your email address."))
    password = text(lazy_gettext("Enter your password."))


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """Return the signed-in user, unless their password changed or they were erased."""
    user_id, _, _ = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = run_use_case(lambda session: session.get(User, int(user_id)))
    if user is None or not user.is_active or user.get_id() != session_id:
        return None
    return user


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(PASSWORD_TRIES, methods=["POST"])
def sign_in() -> str | Response | tuple[str, int]:
    """Sign in with an email and a password."""
    if request.method == "GET":
        return render_template("people/sign_in.html", form=Form(SignInForm()))
    form = Form.posted(SignInForm())
    if not form.errors:
        user = run_use_case(
            lambda session: authenticate(
                session, email=form.data["email"], password=form.data["password"]
            )
        )
        if user is not None:
            login_user(user)
            return redirect(safe_next(request.args.get("next")))
        # One message whether the email is unknown or the password is wrong.
        form.errors["form"] = _("That email address and password do not match.")
    form.values.pop("password", None)
    return render_template("people/sign_in.html", form=form), 422


@bp.post("/sign-out")
@login_required
def sign_out() -> Response:
    """Sign out."""
    logout_user()
    return redirect(url_for("people.sign_in"))


def safe_next(target: str | None) -> str:
    """Return target if it is a path on this site, else the front page."""
    # "//host" and "/\\host" are other sites to a browser.
    if target and target.startswith("/") and target[1:2] not in ("/", "\\"):
        return target
    return url_for("home.index")


class MemberSearch(FormSchema):
    q = fields.String(
        load_default="",
        validate=validate.Length(
            max=LONGEST_SEARCH,
            error=lazy_gettext(
                "Search with at most %(most)s characters.", most=LONGEST_SEARCH
            ),
        ),
    )


@bp.get("/banks/<slug>/members")
@login_required
def members(slug: str) -> str | tuple[str, int]:
    """List the members, or find them by name or email, with their accounts."""
    form = Form.queried(MemberSearch())
    search = form.data.get("q", "")

    def work(session: Session) -> tuple[TimeBank, Membership, Roster]:
        bank, viewer = enter_time_bank(session, actor=current_user, slug=slug)
        roster = member_roster(
            session, actor=current_user, time_bank_id=bank.id, search=search
        )
        return bank, viewer, roster

    bank, viewer, roster = run_use_case(work)
    html = render_template(
        "people/members.html",
        roster=roster,
        form=form,
        search=search,
        role_names=ROLE_NAMES,
        bank=bank,
        viewer=viewer,
    )
    return (html, 422) if form.errors else html


class NewPasswordForm(FormSchema):
    password = text(lazy_gettext("Enter the new password."))
    password_again = text(lazy_gettext("Enter the new password again."))

    @validates_schema
    def typed_alike(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("password_again", data.get("password")) != data.get("password"):
            raise ValidationError(
                lazy_gettext(
                    "The two passwords are not the same: type the new password twice."
                ),
                "password_again",
            )


# Where the service's refusals are shown on the form.
PASSWORD_ERRORS: dict[type[Exception], str] = {WeakPassword: "password"}


@dataclass(frozen=True)
class ResetPasswordPage:
    """Whose password is reset."""

    bank: TimeBank
    viewer: Membership
    member: Membership
    name: str


@bp.route(
    "/banks/<slug>/members/<id:member_id>/password",
    methods=["GET", "POST"],
)
@login_required
def reset_password_form(slug: str, member_id: int) -> str | Response | tuple[str, int]:
    """Give a member a new password, to hand to them in person."""
    page = run_use_case(
        lambda session: _reset_page(session, slug=slug, member_id=member_id)
    )
    if request.method == "GET":
        return render_template(
            "people/reset_password.html",
            **_reset_context(page, Form(NewPasswordForm())),
        )
    form = Form.posted(NewPasswordForm())
    # The request's fingerprint is stored, so the passwords stay out of it.
    form.values.pop("password", None)
    form.values.pop("password_again", None)
    done = form.submit(lambda session: _reset(session, page, form), PASSWORD_ERRORS)
    if done is not None:
        return redirect(done)
    return render_template(
        "people/reset_password.html", **_reset_context(page, form)
    ), 422


def _reset_context(page: ResetPasswordPage, form: Form) -> dict[str, object]:
    return {
        "page": page,
        "form": form,
        "shortest": MIN_PASSWORD_LENGTH,
        "bank": page.bank,
        "viewer": page.viewer,
    }


def _reset_page(session: Session, *, slug: str, member_id: int) -> ResetPasswordPage:
    bank, viewer = enter_time_bank(session, actor=current_user, slug=slug)
    member, user = get_member_for_staff(
        session, actor=current_user, time_bank_id=bank.id, member_id=member_id
    )
    return ResetPasswordPage(
        bank=bank, viewer=viewer, member=member, name=user.display_name
    )


def _reset(session: Session, page: ResetPasswordPage, form: Form) -> Done:
    reset_password(
        session,
        actor=current_user,
        time_bank_id=page.bank.id,
        member_id=page.member.id,
        password=form.data["password"],
    )
    return Done(
        url_for("people.members", slug=page.bank.slug),
        _(
            "%(name)s has a new password. Give it to them in person, not by email "
            "or message; they are signed out wherever they were signed in.",
            name=page.name,
        ),
    )
