"""Users, memberships, roles and floors."""

import pytest
from sqlalchemy import Engine

from timebank.audit.services import list_events
from timebank.errors import (
    AlreadyTaken,
    InvalidEmail,
    InvalidSetting,
    MakerChecker,
    NotPermitted,
    WeakPassword,
)
from timebank.people.models import Role
from timebank.people.services import (
    check_password,
    find_user_by_email,
    grant_role,
    register_user,
    set_member_floor,
)

from .factories import Riverside, assert_refused, balance, run


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
