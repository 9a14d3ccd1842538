"""A time bank's admin pages: each member's, enrolment, settings, organisations, audit.

A member's page also lets a broker change the member's floor; everything
else here is for the time bank's admins. Each form on a member's page posts
to a route of its own and, when refused, shows the page again with its
errors beside its fields.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from flask import Blueprint, render_template, request, url_for
from flask import redirect as redirect_to
from flask_babel import LazyString, lazy_gettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from marshmallow import Schema, fields, post_load, validate
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from ledger.errors import AccountClosed, FloorAboveAvailable
from timebank.durations import format_minutes
from timebank.errors import (
    AdminOfAnotherTimeBank,
    AlreadyErased,
    AlreadyTaken,
    InvalidEmail,
    InvalidSetting,
    InvalidText,
    ReasonRequired,
    UnknownOrganisation,
    WeakPassword,
)
from timebank.forms import (
    Done,
    Form,
    FormSchema,
    minutes_of_an_hour,
    text,
    whole_number,
)
from timebank.organisations.models import Organisation
from timebank.organisations.services import (
    appoint_organisation_admin,
    register_organisation,
)
from timebank.people.models import Membership, Role
from timebank.people.services import (
    LOWEST_FLOOR_MINUTES,
    erase_member,
    freeze_member,
    grant_role,
    revoke_role,
    set_member_floor,
    unfreeze_member,
)
from timebank.unit_of_work import run_use_case

from .models import Approval, EarnSource, TimeBank
from .services import (
    MAX_BACKDATING_DAYS,
    MAX_THRESHOLD_MINUTES,
    AuditLine,
    MemberDetails,
    audit_trail,
    change_settings,
    enrol_person,
    enter_time_bank,
    member_details,
    require_time_bank_admin,
)

bp = Blueprint("banks", __name__, url_prefix="/banks/<slug>")

ROLE_NAMES = {
    Role.MEMBER.value: lazy_gettext("Member (earns and spends credits)"),
    Role.BROKER.value: lazy_gettext("Broker"),
    Role.TIME_BANK_ADMIN.value: lazy_gettext("Time-bank admin"),
}
# What a member became, or stopped being, as a whole sentence for each role.
ROLE_GRANTED = {
    Role.MEMBER.value: lazy_gettext(
        "%(name)s is now a member (earns and spends credits)."
    ),
    Role.BROKER.value: lazy_gettext("%(name)s is now a broker."),
    Role.TIME_BANK_ADMIN.value: lazy_gettext("%(name)s is now a time-bank admin."),
}
ROLE_REVOKED = {
    Role.MEMBER.value: lazy_gettext(
        "%(name)s is no longer a member (earns and spends credits)."
    ),
    Role.BROKER.value: lazy_gettext("%(name)s is no longer a broker."),
    Role.TIME_BANK_ADMIN.value: lazy_gettext(
        "%(name)s is no longer a time-bank admin."
    ),
}
APPROVAL_CHOICES = [
    (Approval.ALWAYS.value, lazy_gettext("Always")),
    (Approval.ABOVE.value, lazy_gettext("Only when it is more than the amount below")),
    (Approval.NEVER.value, lazy_gettext("Never")),
]
EARN_SOURCE_CHOICES = [
    (EarnSource.ISSUANCE.value, lazy_gettext("The time bank issues them")),
    (
        EarnSource.ORGANISATION.value,
        lazy_gettext("The organisation pays them from its account"),
    ),
]
FLOOR_HOURS = -LOWEST_FLOOR_MINUTES // 60
THRESHOLD_HOURS = MAX_THRESHOLD_MINUTES // 60


def _choice(message: LazyString, choices: list[tuple[str, str]]) -> fields.String:
    """Return a field for the value of one of choices; message asks for one."""
    return fields.String(
        required=True,
        validate=validate.OneOf([value for value, _ in choices], error=message),
        error_messages={"required": message, "null": message},
    )


def _minutes_of(data: dict[str, object], name: str) -> int:
    """Return the hours and minutes fields called name_hours, name_minutes as one."""
    hours, minutes = data.pop(f"{name}_hours"), data.pop(f"{name}_minutes")
    assert isinstance(hours, int) and isinstance(minutes, int)
    return hours * 60 + minutes


class GrantRoleForm(FormSchema):
    grant_role = _choice(
        lazy_gettext("Choose the role to grant."), list(ROLE_NAMES.items())
    )
    grant_reason = text(lazy_gettext("Enter why you are granting it."))


class RevokeRoleForm(FormSchema):
    revoke_role = _choice(
        lazy_gettext("Choose the role to take away."), list(ROLE_NAMES.items())
    )
    revoke_reason = text(lazy_gettext("Enter why you are taking it away."))


class FloorForm(FormSchema):
    hours = whole_number(
        lazy_gettext(
            "Enter the hours as a whole number from 0 to %(most)s.", most=FLOOR_HOURS
        ),
        high=FLOOR_HOURS,
    )
    minutes = minutes_of_an_hour()
    floor_reason = text(lazy_gettext("Enter why you are changing it."))

    @post_load
    def floor(self, data: dict[str, object], **_: object) -> dict[str, object]:
        hours, minutes = data.pop("hours"), data.pop("minutes")
        assert isinstance(hours, int) and isinstance(minutes, int)
        return {**data, "floor_minutes": -(hours * 60 + minutes)}


class AccountStatusForm(FormSchema):
    status_reason = text(lazy_gettext("Enter why you are doing this."))


class EraseForm(FormSchema):
    erase_reason = text(lazy_gettext("Enter why you are erasing their details."))


class AppointForm(FormSchema):
    organisation_id = whole_number(
        lazy_gettext("Enter the organisation as a whole number of 1 or more."), low=1
    )
    appoint_reason = text(lazy_gettext("Enter why you are appointing them."))


class EnrolForm(FormSchema):
    name = text(lazy_gettext("Enter their name."))
    email = text(lazy_gettext("Enter their email address."))
    password = text(lazy_gettext("Enter a first password for them."))


class SettingsForm(FormSchema):
    floor_hours = whole_number(
        lazy_gettext(
            "Enter the hours as a whole number from 0 to %(most)s.", most=FLOOR_HOURS
        ),
        high=FLOOR_HOURS,
    )
    floor_minutes = minutes_of_an_hour()
    exchange_approval = _choice(
        lazy_gettext("Choose when an exchange waits."),
        APPROVAL_CHOICES,
    )
    exchange_above_hours = whole_number(
        lazy_gettext(
            "Enter the hours as a whole number from 0 to %(most)s.",
            most=THRESHOLD_HOURS,
        ),
        high=THRESHOLD_HOURS,
    )
    exchange_above_minutes = minutes_of_an_hour()
    gift_approval = _choice(
        lazy_gettext("Choose when a gift waits."),
        APPROVAL_CHOICES,
    )
    gift_above_hours = whole_number(
        lazy_gettext(
            "Enter the hours as a whole number from 0 to %(most)s.",
            most=THRESHOLD_HOURS,
        ),
        high=THRESHOLD_HOURS,
    )
    gift_above_minutes = minutes_of_an_hour()
    backdating_days = whole_number(
        lazy_gettext(
            "Enter the number of days as a whole number from 0 to %(most)s.",
            most=MAX_BACKDATING_DAYS,
        ),
        high=MAX_BACKDATING_DAYS,
    )
    earn_source = _choice(
        lazy_gettext("Choose where earned credits come from."),
        EARN_SOURCE_CHOICES,
    )
    reason = text(lazy_gettext("Enter why you are changing the settings."))

    @post_load
    def settings(self, data: dict[str, object], **_: object) -> dict[str, object]:
        amounts = {
            "default_member_floor_minutes": -_minutes_of(data, "floor"),
            "exchange_approval_above_minutes": _minutes_of(data, "exchange_above"),
            "gift_approval_above_minutes": _minutes_of(data, "gift_above"),
        }
        return {**data, **amounts}


class OrganisationForm(FormSchema):
    name = text(lazy_gettext("Enter the organisation's name."))
    is_issuer = fields.Boolean(load_default=False)
    is_spend_partner = fields.Boolean(load_default=False)
    below_zero = fields.Boolean(load_default=False)


# Where each service's refusals are shown on its form.
GRANT_ERRORS: dict[type[Exception], str] = {
    InvalidSetting: "grant_role",
    ReasonRequired: "grant_reason",
    InvalidText: "grant_reason",
}
REVOKE_ERRORS: dict[type[Exception], str] = {
    InvalidSetting: "revoke_role",
    ReasonRequired: "revoke_reason",
    InvalidText: "revoke_reason",
}
FLOOR_ERRORS: dict[type[Exception], str] = {
    InvalidSetting: "time",
    FloorAboveAvailable: "time",
    ReasonRequired: "floor_reason",
    InvalidText: "floor_reason",
}
STATUS_ERRORS: dict[type[Exception], str] = {
    ReasonRequired: "status_reason",
    InvalidText: "status_reason",
    AccountClosed: "status_reason",
}
APPOINT_ERRORS: dict[type[Exception], str] = {
    UnknownOrganisation: "organisation_id",
    ReasonRequired: "appoint_reason",
    InvalidText: "appoint_reason",
}
ERASE_ERRORS: dict[type[Exception], str] = {
    ReasonRequired: "erase_reason",
    InvalidText: "erase_reason",
    AlreadyErased: "erase_reason",
    AdminOfAnotherTimeBank: "erase_reason",
}
ENROL_ERRORS: dict[type[Exception], str] = {
    InvalidText: "name",
    InvalidEmail: "email",
    AlreadyTaken: "email",
    WeakPassword: "password",
}
SETTINGS_ERRORS: dict[type[Exception], str] = {
    ReasonRequired: "reason",
    InvalidText: "reason",
}
ORGANISATION_ERRORS: dict[type[Exception], str] = {
    InvalidText: "name",
    AlreadyTaken: "name",
    InvalidSetting: "kind",
}


@dataclass(frozen=True)
class AdminPage:
    """A time bank and the admin who is looking at one of its pages."""

    bank: TimeBank
    viewer: Membership


def _admin_page(session: Session, slug: str) -> AdminPage:
    """Return the time bank at slug, for one of its admins only."""
    bank, viewer = enter_time_bank(session, actor=current_user, slug=slug)
    require_time_bank_admin(session, actor=current_user, time_bank_id=bank.id)
    return AdminPage(bank, viewer)


# A member's page and its forms.


@dataclass(frozen=True)
class MemberPage:
    """A member's page, as a broker or an admin of their time bank sees it."""

    bank: TimeBank
    viewer: Membership
    details: MemberDetails


def _member_page(session: Session, slug: str, member_id: int) -> MemberPage:
    bank, viewer = enter_time_bank(session, actor=current_user, slug=slug)
    details = member_details(
        session, actor=current_user, time_bank_id=bank.id, member_id=member_id
    )
    return MemberPage(bank, viewer, details)


def _member_forms(page: MemberPage) -> dict[str, Form]:
    """Return the member page's forms, each empty but for what it shows now."""
    floor = -(page.details.account.floor_minutes or 0)
    return {
        "grant": Form(GrantRoleForm()),
        "revoke": Form(RevokeRoleForm()),
        "floor": Form(
            FloorForm(), {"hours": str(floor // 60), "minutes": str(floor % 60)}
        ),
        "status": Form(AccountStatusForm()),
        "appoint": Form(AppointForm()),
        "erase": Form(EraseForm()),
    }


def _render_member(page: MemberPage, **sent: Form) -> str:
    details = page.details
    administered = {organisation.id for organisation in details.administers}
    return render_template(
        "banks/member.html",
        bank=page.bank,
        viewer=page.viewer,
        details=details,
        forms={**_member_forms(page), **sent},
        role_names=ROLE_NAMES,
        roles_to_grant=[
            (role, name)
            for role, name in ROLE_NAMES.items()
            if role not in details.membership.roles
        ],
        roles_to_revoke=[
            (role, name)
            for role, name in ROLE_NAMES.items()
            if role in details.membership.roles
        ],
        organisations_to_appoint=[
            (organisation.id, organisation.name)
            for organisation in details.organisations
            if organisation.id not in administered
        ],
    )


@bp.get("/admin/members/<id:member_id>")
@login_required
def member_page(slug: str, member_id: int) -> str:
    """Show a member's roles and account, with the forms to change them."""
    page = run_use_case(lambda session: _member_page(session, slug, member_id))
    return _render_member(page)


def _member_form(
    slug: str,
    member_id: int,
    *,
    name: str,
    schema: Schema,
    fields_of: Mapping[type[Exception], str],
    act: Callable[[Session, MemberPage, Form], str],
) -> Response | tuple[str, int]:
    """Send one of a member's forms; act does its work and says what it did."""
    page = run_use_case(lambda session: _member_page(session, slug, member_id))
    form = Form.posted(schema)
    url = url_for("banks.member_page", slug=slug, member_id=member_id)
    done = form.submit(lambda session: Done(url, act(session, page, form)), fields_of)
    if done is not None:
        return redirect_to(done)
    return _render_member(page, **{name: form}), 422


@bp.post("/admin/members/<id:member_id>/roles/grant")
@login_required
def grant_role_form(slug: str, member_id: int) -> Response | tuple[str, int]:
    """Grant a member a role, saying why."""

    def act(session: Session, page: MemberPage, form: Form) -> str:
        role = Role(form.data["grant_role"])
        grant_role(
            session,
            actor=current_user,
            time_bank_id=page.bank.id,
            member_id=member_id,
            role=role,
            reason=form.data["grant_reason"],
        )
        return str(ROLE_GRANTED[role] % {"name": page.details.user.display_name})

    return _member_form(
        slug,
        member_id,
        name="grant",
        schema=GrantRoleForm(),
        fields_of=GRANT_ERRORS,
        act=act,
    )


@bp.post("/admin/members/<id:member_id>/roles/revoke")
@login_required
def revoke_role_form(slug: str, member_id: int) -> Response | tuple[str, int]:
    """Take a role from a member, saying why."""

    def act(session: Session, page: MemberPage, form: Form) -> str:
        role = Role(form.data["revoke_role"])
        revoke_role(
            session,
            actor=current_user,
            time_bank_id=page.bank.id,
            member_id=member_id,
            role=role,
            reason=form.data["revoke_reason"],
        )
        return str(ROLE_REVOKED[role] % {"name": page.details.user.display_name})

    return _member_form(
        slug,
        member_id,
        name="revoke",
        schema=RevokeRoleForm(),
        fields_of=REVOKE_ERRORS,
        act=act,
    )


@bp.post("/admin/members/<id:member_id>/floor")
@login_required
def set_floor_form(slug: str, member_id: int) -> Response | tuple[str, int]:
    """Change how far below zero a member's balance may go, saying why."""

    def act(session: Session, page: MemberPage, form: Form) -> str:
        account = set_member_floor(
            session,
            actor=current_user,
            time_bank_id=page.bank.id,
            member_id=member_id,
            floor_minutes=form.data["floor_minutes"],
            reason=form.data["floor_reason"],
        )
        return str(
            _(
                "%(name)s's balance may now go down to %(amount)s.",
                name=page.details.user.display_name,
                amount=format_minutes(account.floor_minutes or 0),
            )
        )

    return _member_form(
        slug,
        member_id,
        name="floor",
        schema=FloorForm(),
        fields_of=FLOOR_ERRORS,
        act=act,
    )


@bp.post("/admin/members/<id:member_id>/freeze")
@login_required
def freeze_form(slug: str, member_id: int) -> Response | tuple[str, int]:
    """Freeze a member's account, saying why."""
    return _account_status_form(
        slug,
        member_id,
        change=freeze_member,
        message=lambda name: _("Froze %(name)s's account.", name=name),
    )


@bp.post("/admin/members/<id:member_id>/unfreeze")
@login_required
def unfreeze_form(slug: str, member_id: int) -> Response | tuple[str, int]:
    """Open a member's frozen account again, saying why."""
    return _account_status_form(
        slug,
        member_id,
        change=unfreeze_member,
        message=lambda name: _("Unfroze %(name)s's account.", name=name),
    )


def _account_status_form(
    slug: str,
    member_id: int,
    *,
    change: Callable[..., object],
    message: Callable[[str], str],
) -> Response | tuple[str, int]:
    """Send the form that freezes or unfreezes an account: change does it.

    message, given the member's name, says what was done.
    """

    def act(session: Session, page: MemberPage, form: Form) -> str:
        change(
            session,
            actor=current_user,
            time_bank_id=page.bank.id,
            member_id=member_id,
            reason=form.data["status_reason"],
        )
        return message(page.details.user.display_name)

    return _member_form(
        slug,
        member_id,
        name="status",
        schema=AccountStatusForm(),
        fields_of=STATUS_ERRORS,
        act=act,
    )


@bp.post("/admin/members/<id:member_id>/organisations")
@login_required
def appoint_form(slug: str, member_id: int) -> Response | tuple[str, int]:
    """Make a member an admin of an organisation, saying why."""

    def act(session: Session, page: MemberPage, form: Form) -> str:
        admin = appoint_organisation_admin(
            session,
            actor=current_user,
            time_bank_id=page.bank.id,
            organisation_id=form.data["organisation_id"],
            member_id=member_id,
            reason=form.data["appoint_reason"],
        )
        organisation = session.get_one(Organisation, admin.organisation_id)
        return str(
            _(
                "%(name)s is now an admin of %(organisation)s.",
                name=page.details.user.display_name,
                organisation=organisation.name,
            )
        )

    return _member_form(
        slug,
        member_id,
        name="appoint",
        schema=AppointForm(),
        fields_of=APPOINT_ERRORS,
        act=act,
    )


@bp.post("/admin/members/<id:member_id>/erase")
@login_required
def erase_form(slug: str, member_id: int) -> Response | tuple[str, int]:
    """Erase a member's personal details on their request, saying why."""

    def act(session: Session, page: MemberPage, form: Form) -> str:
        erase_member(
            session,
            actor=current_user,
            time_bank_id=page.bank.id,
            member_id=member_id,
            reason=form.data["erase_reason"],
        )
        return str(
            _(
                "Erased %(name)s's personal details. Their account and entries stay, "
                "under the name “Former member”.",
                name=page.details.user.display_name,
            )
        )

    return _member_form(
        slug,
        member_id,
        name="erase",
        schema=EraseForm(),
        fields_of=ERASE_ERRORS,
        act=act,
    )


# Enrolling a member.


@bp.route("/admin/members/new", methods=["GET", "POST"])
@login_required
def enrol_form(slug: str) -> str | Response | tuple[str, int]:
    """Enrol someone as a member, registering their login if they have none."""
    page = run_use_case(lambda session: _admin_page(session, slug))
    if request.method == "GET":
        return _render_enrol(page, Form(EnrolForm()))
    form = Form.posted(EnrolForm())
    done = form.submit(lambda session: _enrol(session, page, form), ENROL_ERRORS)
    if done is not None:
        return redirect_to(done)
    return _render_enrol(page, form), 422


def _render_enrol(page: AdminPage, form: Form) -> str:
    return render_template(
        "banks/enrol.html", bank=page.bank, viewer=page.viewer, form=form
    )


def _enrol(session: Session, page: AdminPage, form: Form) -> Done:
    enrolment = enrol_person(
        session,
        actor=current_user,
        time_bank_id=page.bank.id,
        name=form.data["name"],
        email=form.data["email"],
        password=form.data["password"],
    )
    name = enrolment.user.name
    if enrolment.registered:
        message = _(
            "Enrolled %(name)s as a member. They sign in with their email and the "
            "password you gave.",
            name=name,
        )
    else:
        message = _(
            "%(email)s already belonged to %(name)s, so %(name)s was enrolled with "
            "the login they have: their name and password are unchanged.",
            email=enrolment.user.email,
            name=name,
        )
    return Done(
        url_for(
            "banks.member_page",
            slug=page.bank.slug,
            member_id=enrolment.membership.id,
        ),
        message,
    )


# The time bank's settings.


@bp.route("/admin/settings", methods=["GET", "POST"])
@login_required
def settings_form(slug: str) -> str | Response | tuple[str, int]:
    """Change the time bank's settings, saying why."""
    page = run_use_case(lambda session: _admin_page(session, slug))
    if request.method == "GET":
        return _render_settings(
            page, Form(SettingsForm(), _current_settings(page.bank))
        )
    form = Form.posted(SettingsForm())
    done = form.submit(
        lambda session: _change_settings(session, page, form), SETTINGS_ERRORS
    )
    if done is not None:
        return redirect_to(done)
    return _render_settings(page, form), 422


def _current_settings(bank: TimeBank) -> dict[str, str]:
    """Return the form's fields filled in with the time bank's settings."""
    amounts = {
        "floor": -bank.default_member_floor_minutes,
        "exchange_above": bank.exchange_approval_above_minutes,
        "gift_above": bank.gift_approval_above_minutes,
    }
    values = {
        "exchange_approval": bank.exchange_approval,
        "gift_approval": bank.gift_approval,
        "backdating_days": str(bank.backdating_days),
        "earn_source": bank.earn_source,
    }
    for name, minutes in amounts.items():
        values[f"{name}_hours"] = str(minutes // 60)
        values[f"{name}_minutes"] = str(minutes % 60)
    return values


def _render_settings(page: AdminPage, form: Form) -> str:
    return render_template(
        "banks/settings.html",
        bank=page.bank,
        viewer=page.viewer,
        form=form,
        approval_choices=APPROVAL_CHOICES,
        earn_source_choices=EARN_SOURCE_CHOICES,
        floor_hours=FLOOR_HOURS,
        threshold_hours=THRESHOLD_HOURS,
    )


def _change_settings(session: Session, page: AdminPage, form: Form) -> Done:
    settings = dict(form.data)
    reason = settings.pop("reason")
    change_settings(
        session,
        actor=current_user,
        time_bank_id=page.bank.id,
        reason=reason,
        **settings,
    )
    return Done(
        url_for("banks.settings_form", slug=page.bank.slug), _("Saved the settings.")
    )


# Registering an organisation.


@bp.route("/admin/organisations/new", methods=["GET", "POST"])
@login_required
def register_organisation_form(slug: str) -> str | Response | tuple[str, int]:
    """Register an organisation that issues credits, accepts them, or both."""
    page = run_use_case(lambda session: _admin_page(session, slug))
    if request.method == "GET":
        return _render_organisation(page, Form(OrganisationForm()))
    form = Form.posted(OrganisationForm())
    done = form.submit(
        lambda session: _register(session, page, form), ORGANISATION_ERRORS
    )
    if done is not None:
        return redirect_to(done)
    return _render_organisation(page, form), 422


def _render_organisation(page: AdminPage, form: Form) -> str:
    return render_template(
        "banks/register_organisation.html",
        bank=page.bank,
        viewer=page.viewer,
        form=form,
    )


def _register(session: Session, page: AdminPage, form: Form) -> Done:
    organisation = register_organisation(
        session,
        actor=current_user,
        time_bank_id=page.bank.id,
        name=form.data["name"],
        is_issuer=form.data["is_issuer"],
        is_spend_partner=form.data["is_spend_partner"],
        floor_minutes=None if form.data["below_zero"] else 0,
    )
    return Done(
        url_for(
            "organisations.organisation_page",
            slug=page.bank.slug,
            organisation_id=organisation.id,
        ),
        _("Registered %(name)s.", name=organisation.name),
    )


# The audit trail.


@bp.get("/admin/audit")
@login_required
def audit(slug: str) -> str:
    """Show the latest approvals, rejections, reversals and changes: who, why."""

    def work(session: Session) -> tuple[AdminPage, list[AuditLine]]:
        bank, viewer = enter_time_bank(session, actor=current_user, slug=slug)
        lines = audit_trail(session, actor=current_user, time_bank_id=bank.id)
        return AdminPage(bank, viewer), lines

    page, lines = run_use_case(work)
    return render_template(
        "banks/audit.html", bank=page.bank, viewer=page.viewer, lines=lines
    )
