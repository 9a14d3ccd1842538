"""Users, memberships, roles and floors."""

from collections.abc import Callable

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

import ledger
from ledger.errors import AccountFrozen
from timebank.audit.services import list_events
from timebank.errors import (
    AlreadyTaken,
    InvalidEmail,
    InvalidSetting,
    InvalidText,
    MakerChecker,
    NotPermitted,
    ReasonRequired,
    UnknownMember,
    WeakPassword,
)
from timebank.hour_logs.services import approve_hour_log
from timebank.people.models import Membership, Role, User
from timebank.people.services import (
    authenticate,
    check_password,
    find_user_by_email,
    freeze_member,
    get_member_for_staff,
    grant_role,
    member_roster,
    membership_of,
    register_user,
    set_member_floor,
    unfreeze_member,
)

from .factories import (
    Riverside,
    assert_refused,
    balance,
    earn,
    log_for,
    open_riverside,
    run,
    snapshot,
)


def test_a_users_email_is_kept_in_lower_case_and_the_password_hashed(
    engine: Engine,
) -> None:
    user = run(
        engine,
        lambda s: register_user(
            s, email="  Ana.Lima@Example.ORG ", name="Ana", password="correct horse"
        ),
    )
    assert user.email == "ana.lima@example.org"
    assert user.password_hash.startswith("$argon2id$")
    assert check_password(user, "correct horse")
    assert not check_password(user, "wrong horse!")
    found = run(engine, lambda s: find_user_by_email(s, email="ANA.LIMA@example.org"))
    assert found is not None and found.id == user.id


def test_a_password_with_half_a_surrogate_pair_is_nobodys(engine: Engine) -> None:
    user = run(
        engine,
        lambda s: register_user(
            s, email="ana@example.org", name="Ana", password="correct horse"
        ),
    )
    assert not check_password(user, "correct horse\ud800")
    found = run(
        engine,
        lambda s: authenticate(s, email="nobody@example.org", password="\ud800"),
    )
    assert found is None


def test_bad_registrations_are_refused_and_change_nothing(engine: Engine) -> None:
    run(
        engine,
        lambda s: register_user(
            s, email="ben@example.org", name="Ben", password="correct horse"
        ),
    )
    cases = [
        ({"email": "BEN@example.org"}, AlreadyTaken, "already a user"),
        ({"email": "not an email"}, InvalidEmail, "not an email address"),
        ({"email": None}, InvalidEmail, "at most 254"),
        ({"password": "short"}, WeakPassword, "10 to 1000 characters"),
    ]
    for change, error, message in cases:
        request = {
            "email": "cai@example.org",
            "name": "Cai",
            "password": "correct horse",
            **change,
        }
        assert_refused(
            engine,
            lambda s, request=request: register_user(s, **request),  # type: ignore[misc]
            error,
            message,
        )


def test_the_roster_lists_members_by_name_with_their_accounts(
    engine: Engine, riverside: Riverside
) -> None:
    earn(engine, riverside, riverside.ana, 90)
    for reader in (riverside.admin, riverside.broker):
        roster = run(
            engine,
            lambda s, reader=reader: member_roster(  # type: ignore[misc]
                s, actor=reader, time_bank_id=riverside.bank_id
            ),
        )
        assert [row.name for row in roster.rows] == [
            "Ada Admin",
            "Ana",
            "Bea Broker",
            "Ben",
            "Cai Charity",
        ]
        ana = roster.rows[1]
        assert (ana.membership.id, ana.email) == (riverside.ana_id, riverside.ana.email)
        assert (ana.account.balance_minutes, ana.account.status) == (90, "open")
        assert not roster.more


def test_the_roster_shows_at_most_a_page_and_says_there_are_more(
    engine: Engine, riverside: Riverside
) -> None:
    def roster_of(search: str, limit: int) -> list[str]:
        roster = run(
            engine,
            lambda s: member_roster(
                s,
                actor=riverside.broker,
                time_bank_id=riverside.bank_id,
                search=search,
                limit=limit,
            ),
        )
        return [row.name for row in roster.rows] + (["more"] if roster.more else [])

    assert roster_of("", 2) == ["Ada Admin", "Ana", "more"]
    assert roster_of("b", 5) == ["Bea Broker", "Ben"]
    assert roster_of(riverside.ana.email.upper(), 5) == ["Ana"]


def test_only_a_broker_or_admin_of_the_time_bank_reads_the_roster(
    engine: Engine, riverside: Riverside
) -> None:
    for actor in (riverside.ana, open_riverside(engine).admin):
        assert_refused(
            engine,
            lambda s, actor=actor: member_roster(  # type: ignore[misc]
                s, actor=actor, time_bank_id=riverside.bank_id
            ),
            NotPermitted,
            "broker or time bank admin",
        )


def test_a_broker_or_admin_looks_up_a_member_of_their_own_time_bank_only(
    engine: Engine, riverside: Riverside
) -> None:
    elsewhere = open_riverside(engine)

    def look_up(
        actor: User, member_id: int
    ) -> Callable[[Session], tuple[Membership, User]]:
        return lambda s: get_member_for_staff(
            s, actor=actor, time_bank_id=riverside.bank_id, member_id=member_id
        )

    for reader in (riverside.admin, riverside.broker):
        member, user = run(engine, look_up(reader, riverside.ben_id))
        assert (member.id, user.id) == (riverside.ben_id, riverside.ben.id)
    assert_refused(
        engine, look_up(riverside.ana, riverside.ben_id), NotPermitted, "Only a broker"
    )
    assert_refused(
        engine, look_up(riverside.broker, elsewhere.ben_id), UnknownMember, "no member"
    )


def test_a_member_has_an_account_with_the_banks_default_floor(
    engine: Engine, riverside: Riverside
) -> None:
    account = balance(engine, riverside.ana_id)
    assert (account.kind, account.balance_minutes, account.floor_minutes) == (
        "member",
        0,
        0,
    )


def test_role_and_floor_changes_are_audited_with_who_and_why(
    engine: Engine, riverside: Riverside
) -> None:
    run(
        engine,
        lambda s: grant_role(
            s,
            actor=riverside.admin,
            time_bank_id=riverside.bank_id,
            member_id=riverside.ben_id,
            role=Role.BROKER,
            reason="Covers weekends",
        ),
    )
    run(
        engine,
        lambda s: set_member_floor(
            s,
            actor=riverside.broker,
            time_bank_id=riverside.bank_id,
            member_id=riverside.ana_id,
            floor_minutes=-120,
            reason="Agreed overdraft",
        ),
    )
    assert balance(engine, riverside.ana_id).floor_minutes == -120
    events = run(engine, lambda s: list_events(s, time_bank_id=riverside.bank_id))
    floor, role = events[0], events[1]
    assert (floor.action, floor.actor_id, floor.reason) == (
        "floor_changed",
        riverside.broker.id,
        "Agreed overdraft",
    )
    assert '"after": -120' in floor.details
    assert (role.action, role.actor_id, role.reason) == (
        "role_granted",
        riverside.admin.id,
        "Covers weekends",
    )


@pytest.mark.parametrize(
    "floor", [1, -601 * 10, "lots"], ids=["positive", "low", "text"]
)
def test_a_bad_floor_is_refused(
    engine: Engine, riverside: Riverside, floor: object
) -> None:
    assert_refused(
        engine,
        lambda s: set_member_floor(
            s,
            actor=riverside.broker,
            time_bank_id=riverside.bank_id,
            member_id=riverside.ana_id,
            floor_minutes=floor,  # type: ignore[arg-type]
            reason="Why not",
        ),
        InvalidSetting,
        "floor",
    )


def test_nobody_changes_their_own_roles_or_floor(
    engine: Engine, riverside: Riverside
) -> None:
    assert_refused(
        engine,
        lambda s: set_member_floor(
            s,
            actor=riverside.broker,
            time_bank_id=riverside.bank_id,
            member_id=riverside.broker_id,
            floor_minutes=-600,
            reason="Treat myself",
        ),
        MakerChecker,
        "your own floor",
    )
    assert_refused(
        engine,
        lambda s: grant_role(
            s,
            actor=riverside.broker,
            time_bank_id=riverside.bank_id,
            member_id=riverside.ana_id,
            role=Role.BROKER,
            reason="Helpful",
        ),
        NotPermitted,
        "Only a time bank admin",
    )


StatusChange = Callable[..., ledger.Account]


def change_status(
    change: StatusChange,
    riverside: Riverside,
    *,
    actor: User,
    member_id: int,
    reason: str,
) -> Callable[[Session], ledger.Account]:
    """Return the use case of freezing or unfreezing a member's account."""
    return lambda s: change(
        s,
        actor=actor,
        time_bank_id=riverside.bank_id,
        member_id=member_id,
        reason=reason,
    )


def test_a_frozen_account_earns_nothing_until_it_is_unfrozen(
    engine: Engine, riverside: Riverside
) -> None:
    log = log_for(engine, riverside, minutes=60)
    admin, ana = riverside.admin, riverside.ana_id
    run(
        engine,
        change_status(
            freeze_member, riverside, actor=admin, member_id=ana, reason="Lost phone"
        ),
    )
    assert balance(engine, ana).status == "frozen"
    assert_refused(
        engine,
        lambda s: approve_hour_log(s, actor=riverside.broker, hour_log_id=log.id),
        AccountFrozen,
        "frozen",
    )
    run(
        engine,
        change_status(
            unfreeze_member, riverside, actor=admin, member_id=ana, reason="Found it"
        ),
    )
    run(
        engine,
        lambda s: approve_hour_log(s, actor=riverside.broker, hour_log_id=log.id),
    )
    assert balance(engine, ana).balance_minutes == 60


def test_freezing_and_unfreezing_are_audited_with_who_and_why(
    engine: Engine, riverside: Riverside
) -> None:
    admin, ben = riverside.admin, riverside.ben_id
    for change, reason in ((freeze_member, "Lost phone"), (unfreeze_member, "Found")):
        run(
            engine,
            change_status(change, riverside, actor=admin, member_id=ben, reason=reason),
        )
    unfrozen, frozen = run(
        engine, lambda s: list_events(s, time_bank_id=riverside.bank_id)
    )[:2]
    assert (frozen.action, frozen.actor_id, frozen.reason, frozen.subject_id) == (
        "account_frozen",
        admin.id,
        "Lost phone",
        ben,
    )
    assert '"after": "frozen"' in frozen.details
    assert (unfrozen.action, unfrozen.reason) == ("account_unfrozen", "Found")
    assert '"after": "open"' in unfrozen.details


def test_freezing_a_frozen_account_records_nothing_more(
    engine: Engine, riverside: Riverside
) -> None:
    freeze = change_status(
        freeze_member,
        riverside,
        actor=riverside.admin,
        member_id=riverside.ben_id,
        reason="Lost phone",
    )
    run(engine, freeze)
    before = snapshot(engine)
    run(engine, freeze)
    assert snapshot(engine) == before
    assert balance(engine, riverside.ben_id).status == "frozen"


def test_only_a_time_bank_admin_freezes_someone_elses_account_saying_why(
    engine: Engine, riverside: Riverside
) -> None:
    earn(engine, riverside, riverside.ana, 60)
    admin = run(
        engine,
        lambda s: membership_of(
            s, user=riverside.admin, time_bank_id=riverside.bank_id
        ),
    )
    assert admin is not None
    cases = [
        (riverside.broker, riverside.ana_id, "Suspicious", NotPermitted, "admin"),
        (riverside.ana, riverside.ben_id, "Suspicious", NotPermitted, "admin"),
        (riverside.admin, admin.id, "Holiday", MakerChecker, "your own account"),
        (riverside.admin, riverside.ana_id, " ", ReasonRequired, "reason"),
    ]
    for actor, member_id, reason, error, message in cases:
        for change in (freeze_member, unfreeze_member):
            assert_refused(
                engine,
                change_status(
                    change, riverside, actor=actor, member_id=member_id, reason=reason
                ),
                error,
                message,
            )


def test_a_name_longer_than_its_column_is_refused_and_changes_nothing(
    engine: Engine,
) -> None:
    assert_refused(
        engine,
        lambda s: register_user(
            s, email="long.name@example.org", name="x" * 201, password="correct horse"
        ),
        InvalidText,
        "at most 200 characters",
    )
