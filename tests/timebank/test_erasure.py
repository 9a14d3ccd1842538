"""Erasing a member's personal details on request: the books keep every posting."""

from collections.abc import Callable

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from timebank.audit.models import AuditEvent
from timebank.banks.services import open_time_bank
from timebank.errors import (
    AdminOfAnotherTimeBank,
    AlreadyErased,
    MakerChecker,
    NotPermitted,
    ReasonRequired,
)
from timebank.idempotency.models import IdempotencyKey
from timebank.idempotency.services import run_once
from timebank.organisations.services import organisation_overview
from timebank.people.models import FORMER_MEMBER, Membership, User
from timebank.people.services import (
    authenticate,
    enrol_member,
    erase_member,
    member_roster,
)
from timebank.tokens.models import ApiToken
from timebank.tokens.services import create_token, user_for_token
from timebank.verification.services import verify_books

from .factories import (
    Riverside,
    assert_refused,
    balance,
    give_ana_one_entry_of_each_kind,
    make_user,
    open_riverside,
    run,
    snapshot,
)

PASSWORD = "correct horse"
BOOKS = ("ledger_accounts", "ledger_transactions", "ledger_postings", "accounts")


def erasing_ana(
    place: Riverside, reason: str = "She asked us to"
) -> Callable[[Session], object]:
    """Return the use case in which Riverside's admin erases Ana's details."""
    return lambda s: erase_member(
        s,
        actor=place.admin,
        time_bank_id=place.bank_id,
        member_id=place.ana_id,
        reason=reason,
    )


def erase_ana(
    engine: Engine, place: Riverside, reason: str = "She asked us to"
) -> None:
    """Erase Ana's details as Riverside's admin."""
    run(engine, erasing_ana(place, reason))


def ana_now(engine: Engine, place: Riverside) -> User:
    """Return Ana's user row as it is now."""
    return run(engine, lambda s: s.get_one(User, place.ana.id))


def test_erasing_a_member_keeps_every_posting_and_the_books_still_verify(
    empty_engine: Engine,
) -> None:
    # The books are verified as a whole, so nothing else may be in the database.
    engine = empty_engine
    riverside = open_riverside(engine)
    give_ana_one_entry_of_each_kind(engine, riverside)
    before = snapshot(engine)
    balance_before = balance(engine, riverside.ana_id)

    erase_ana(engine, riverside)

    after = snapshot(engine)
    assert {table: after[table] for table in BOOKS} == {
        table: before[table] for table in BOOKS
    }
    assert balance(engine, riverside.ana_id) == balance_before
    assert run(engine, lambda s: verify_books(s).violations) == []


def test_erasing_removes_the_name_email_password_and_tokens(
    engine: Engine, riverside: Riverside
) -> None:
    _, secret = run(
        engine,
        lambda s: create_token(s, email=riverside.ana.email, password=PASSWORD),
    )
    run(
        engine,
        lambda s: run_once(
            s,
            user_id=riverside.ana.id,
            key="a-request-key",
            request={"memo": "Ana's private note"},
            work=lambda: "done",
        ),
    )

    erase_ana(engine, riverside)

    ana = ana_now(engine, riverside)
    assert ana.erased_at is not None
    assert (ana.name, ana.email, ana.password_hash) == ("", f"erased-{ana.id}", "")
    assert ana.display_name == FORMER_MEMBER
    assert not ana.is_active

    def rows_of_ana(s: Session) -> tuple[int | None, int | None]:
        return (
            s.scalar(select(func.count()).where(ApiToken.user_id == ana.id)),
            s.scalar(select(func.count()).where(IdempotencyKey.user_id == ana.id)),
        )

    assert run(engine, rows_of_ana) == (0, 0)
    assert run(engine, lambda s: user_for_token(s, secret)) is None


@pytest.mark.parametrize("with_email", ["theirs", "the erased one"])
def test_an_erased_member_can_no_longer_sign_in(
    engine: Engine, riverside: Riverside, with_email: str
) -> None:
    email = riverside.ana.email
    erase_ana(engine, riverside)
    if with_email == "the erased one":
        email = ana_now(engine, riverside).email
    signed_in = run(engine, lambda s: authenticate(s, email=email, password=PASSWORD))
    assert signed_in is None


def test_the_erasure_is_audited_with_its_reason(
    engine: Engine, riverside: Riverside
) -> None:
    erase_ana(engine, riverside, reason="Moved away and asked us to")
    event = run(
        engine,
        lambda s: s.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "member_erased",
                AuditEvent.time_bank_id == riverside.bank_id,
            )
        ).one(),
    )
    assert (event.time_bank_id, event.actor_id, event.subject_id) == (
        riverside.bank_id,
        riverside.admin.id,
        riverside.ana_id,
    )
    assert event.reason == "Moved away and asked us to"


def test_pages_and_reports_name_an_erased_member_former_member(
    engine: Engine, riverside: Riverside
) -> None:
    give_ana_one_entry_of_each_kind(engine, riverside)
    erase_ana(engine, riverside)

    def names(s: Session) -> tuple[list[str], list[str], list[str], list[str]]:
        roster = member_roster(s, actor=riverside.admin, time_bank_id=riverside.bank_id)
        ana = next(row for row in roster.rows if row.membership.id == riverside.ana_id)
        overview = organisation_overview(
            s,
            actor=riverside.admin,
            time_bank_id=riverside.bank_id,
            organisation_id=riverside.charity.id,
        )
        in_sql = s.scalars(
            select(User.display_name)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.time_bank_id == riverside.bank_id)
            .order_by(User.display_name)
        ).all()
        return (
            [ana.name, ana.email],
            [volunteer.name for volunteer in overview.volunteers],
            list(in_sql),
            [row.name for row in roster.rows],
        )

    ana, volunteers, in_sql, roster = run(engine, names)
    assert ana == [FORMER_MEMBER, ""]
    assert volunteers == [FORMER_MEMBER]
    assert FORMER_MEMBER in in_sql and "Ana" not in in_sql
    assert in_sql == sorted(in_sql)
    assert "Ana" not in roster


def test_an_admin_of_each_of_their_time_banks_erases_them_everywhere(
    engine: Engine, riverside: Riverside
) -> None:
    def second_bank(s: Session) -> int:
        bank = open_time_bank(
            s, founder=riverside.admin, name="Hillside", slug=f"hill-{riverside.slug}"
        )
        enrol_member(
            s, actor=riverside.admin, time_bank_id=bank.id, user_id=riverside.ana.id
        )
        return bank.id

    hillside = run(engine, second_bank)
    erase_ana(engine, riverside)
    audited = run(
        engine,
        lambda s: set(
            s.scalars(
                select(AuditEvent.time_bank_id).where(
                    AuditEvent.action == "member_erased",
                    AuditEvent.time_bank_id.in_([riverside.bank_id, hillside]),
                )
            )
        ),
    )
    assert audited == {riverside.bank_id, hillside}


def test_an_admin_of_only_one_of_their_time_banks_may_not_erase_them(
    engine: Engine, riverside: Riverside
) -> None:
    elsewhere = make_user(engine, "Elsa Elsewhere")

    def other_bank(s: Session) -> None:
        bank = open_time_bank(
            s, founder=elsewhere, name="Hillside", slug=f"hill-{riverside.slug}"
        )
        enrol_member(s, actor=elsewhere, time_bank_id=bank.id, user_id=riverside.ana.id)

    run(engine, other_bank)
    assert_refused(
        engine,
        erasing_ana(riverside),
        AdminOfAnotherTimeBank,
        "also a member of a time bank you are not an admin of",
    )


@pytest.mark.parametrize(
    ("who", "whom", "reason", "error", "match"),
    [
        ("broker", "ana", "She asked", NotPermitted, "Only a time bank admin"),
        ("admin", "admin", "I asked", MakerChecker, "your own details"),
        ("admin", "ana", "  ", ReasonRequired, "Please give a reason"),
    ],
)
def test_who_may_erase_and_how_is_checked_and_a_refusal_changes_nothing(
    engine: Engine,
    riverside: Riverside,
    who: str,
    whom: str,
    reason: str,
    error: type[Exception],
    match: str,
) -> None:
    def member_id_of(s: Session) -> int:
        user = getattr(riverside, whom)
        return s.scalars(
            select(Membership.id).where(
                Membership.user_id == user.id,
                Membership.time_bank_id == riverside.bank_id,
            )
        ).one()

    member_id = run(engine, member_id_of)
    assert_refused(
        engine,
        lambda s: erase_member(
            s,
            actor=getattr(riverside, who),
            time_bank_id=riverside.bank_id,
            member_id=member_id,
            reason=reason,
        ),
        error,
        match,
    )


def test_a_member_is_erased_once(engine: Engine, riverside: Riverside) -> None:
    erase_ana(engine, riverside)
    assert_refused(
        engine,
        erasing_ana(riverside, "Again"),
        AlreadyErased,
        "already erased",
    )
