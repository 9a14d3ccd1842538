"""Time banks: their book, pool and settings."""

import re

from sqlalchemy import Engine
from sqlalchemy.orm import Session

import ledger
from timebank.audit.services import list_events
from timebank.banks.models import TimeBank
from timebank.banks.services import (
    MemberDetails,
    audit_trail,
    change_settings,
    enrol_person,
    member_details,
    open_time_bank,
)
from timebank.errors import (
    AlreadyTaken,
    InvalidSetting,
    NotPermitted,
    UnknownMember,
    WeakPassword,
)
from timebank.people.models import Role, User
from timebank.people.services import check_password

from .factories import (
    Riverside,
    assert_refused,
    earn,
    make_user,
    open_riverside,
    run,
)


def test_a_time_bank_opens_with_its_book_pool_and_default_settings(
    engine: Engine,
) -> None:
    founder = make_user(engine, "Fay Founder")

    def work(s: Session) -> tuple[TimeBank, ledger.Account]:
        bank = open_time_bank(s, founder=founder, name="Hillside", slug="hillside")
        return bank, ledger.get_account(s.connection(), bank.pool_account_id)

    bank, pool = run(engine, work)
    assert (bank.granularity_minutes, bank.backdating_days) == (15, 30)
    assert (bank.exchange_approval, bank.gift_approval) == ("always", "never")
    assert bank.earn_source == "issuance"
    assert (pool.kind, pool.book_id) == ("pool", bank.book_id)


def test_bad_settings_are_refused_and_change_nothing(engine: Engine) -> None:
    founder = make_user(engine, "Fay Founder")
    run(engine, lambda s: open_time_bank(s, founder=founder, name="A", slug="taken"))
    cases = [
        ({"slug": "taken"}, AlreadyTaken, "taken"),
        ({"slug": "Not A Slug"}, InvalidSetting, "slug"),
        ({"exchange_approval": "sometimes"}, InvalidSetting, "always, above, never"),
        ({"gift_approval_above_minutes": -1}, InvalidSetting, "threshold"),
        ({"backdating_days": 10_000}, InvalidSetting, "back-dating"),
        ({"earn_source": "thin air"}, InvalidSetting, "issuance, organisation"),
        ({"default_member_floor_minutes": 30}, InvalidSetting, "floor"),
    ]
    for change, error, message in cases:
        request = {"founder": founder, "name": "B", "slug": "fresh", **change}
        assert_refused(
            engine,
            lambda s, request=request: open_time_bank(s, **request),  # type: ignore[misc]
            error,
            message,
        )


def test_an_admin_changes_the_settings_and_the_change_is_audited(
    engine: Engine, riverside: Riverside
) -> None:
    bank = run(
        engine,
        lambda s: change_settings(
            s,
            actor=riverside.admin,
            time_bank_id=riverside.bank_id,
            reason="Fewer approvals",
            exchange_approval="above",
            exchange_approval_above_minutes=120,
        ),
    )
    assert bank.exchange_needs_approval(135)
    assert not bank.exchange_needs_approval(120)
    events = run(engine, lambda s: list_events(s, time_bank_id=riverside.bank_id))
    assert (events[0].action, events[0].reason) == (
        "settings_changed",
        "Fewer approvals",
    )
    assert_refused(
        engine,
        lambda s: change_settings(
            s,
            actor=riverside.broker,
            time_bank_id=riverside.bank_id,
            reason="Mine now",
            exchange_approval="never",
        ),
        NotPermitted,
        "admin",
    )


def test_only_a_time_bank_admin_reads_the_audit_trail(
    engine: Engine, riverside: Riverside
) -> None:
    for actor in (riverside.broker, riverside.ana, open_riverside(engine).admin):
        assert_refused(
            engine,
            lambda s, actor=actor: audit_trail(  # type: ignore[misc]
                s, actor=actor, time_bank_id=riverside.bank_id
            ),
            NotPermitted,
            "time bank admin",
        )


def test_the_audit_trail_names_who_did_what_to_whom_newest_first(
    engine: Engine, riverside: Riverside
) -> None:
    earn(engine, riverside, riverside.ana, 60)
    lines = run(
        engine,
        lambda s: audit_trail(s, actor=riverside.admin, time_bank_id=riverside.bank_id),
    )
    approved = lines[0]
    assert approved.actor == "Bea Broker"
    assert re.fullmatch(r"Approved hour log [0-9]+", approved.what)
    assert approved.details["minutes"] == 60
    granted = next(line for line in lines if line.reason == "Coordinates exchanges")
    assert (granted.actor, granted.what) == (
        "Ada Admin",
        "Granted a role to Bea Broker",
    )
    founded = lines[-1]
    assert (founded.what, founded.reason) == (
        "Granted a role to Ada Admin",
        "Founded the time bank",
    )


def test_a_broker_reads_a_members_page_but_may_not_manage_them(
    engine: Engine, riverside: Riverside
) -> None:
    def details_for(actor: User, member_id: int) -> MemberDetails:
        return run(
            engine,
            lambda s: member_details(
                s, actor=actor, time_bank_id=riverside.bank_id, member_id=member_id
            ),
        )

    assert not details_for(riverside.broker, riverside.ana_id).may_manage
    assert details_for(riverside.admin, riverside.ana_id).may_manage
    own = details_for(riverside.broker, riverside.broker_id)
    assert own.is_viewer
    assert [line.what for line in own.history] == [
        f"Granted a role to {own.user.display_name}",
        f"Enrolled {own.user.display_name}",
    ]
    assert_refused(
        engine,
        lambda s: member_details(
            s,
            actor=riverside.ana,
            time_bank_id=riverside.bank_id,
            member_id=riverside.ben_id,
        ),
        NotPermitted,
        "broker or time bank admin",
    )
    hillside = open_riverside(engine)
    assert_refused(
        engine,
        lambda s: member_details(
            s,
            actor=riverside.admin,
            time_bank_id=riverside.bank_id,
            member_id=hillside.ana_id,
        ),
        UnknownMember,
        "no member",
    )


def test_enrolling_someone_new_registers_their_login(
    engine: Engine, riverside: Riverside
) -> None:
    enrolment = run(
        engine,
        lambda s: enrol_person(
            s,
            actor=riverside.admin,
            time_bank_id=riverside.bank_id,
            name="Dee",
            email=f"Dee@{riverside.slug}.org",
            password="a long secret",
        ),
    )
    assert enrolment.registered
    assert enrolment.user.email == f"dee@{riverside.slug}.org"
    assert check_password(enrolment.user, "a long secret")
    assert enrolment.membership.roles == {Role.MEMBER}


def test_enrolling_someone_with_a_login_keeps_their_name_and_password(
    engine: Engine, riverside: Riverside
) -> None:
    hillside = open_riverside(engine)
    enrolment = run(
        engine,
        lambda s: enrol_person(
            s,
            actor=riverside.admin,
            time_bank_id=riverside.bank_id,
            name="Someone Else",
            email=hillside.ben.email.upper(),
            password="short",
        ),
    )
    assert not enrolment.registered
    assert enrolment.user.id == hillside.ben.id
    assert (enrolment.user.name, enrolment.user.password_hash) == (
        "Ben",
        hillside.ben.password_hash,
    )


def test_bad_enrolments_are_refused_and_change_nothing(
    engine: Engine, riverside: Riverside
) -> None:
    cases = [
        (riverside.broker, {}, NotPermitted, "time bank admin"),
        (riverside.admin, {"email": riverside.ana.email}, AlreadyTaken, "already"),
        (riverside.admin, {"password": "short"}, WeakPassword, "10 to 1000"),
    ]
    for actor, change, error, message in cases:
        request = {
            "name": "Dee",
            "email": f"dee@{riverside.slug}.org",
            "password": "a long secret",
            **change,
        }
        assert_refused(
            engine,
            lambda s, actor=actor, request=request: enrol_person(  # type: ignore[misc]
                s, actor=actor, time_bank_id=riverside.bank_id, **request
            ),
            error,
            message,
        )
