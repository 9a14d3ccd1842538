"""The demo time bank: a sound, busy year of Riverside, open to a sign-in per role."""

from collections.abc import Callable

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

import ledger
from timebank.audit.services import list_events
from timebank.banks.models import TimeBank
from timebank.banks.services import enter_time_bank
from timebank.decisions import Decision
from timebank.demo import DEMO_PASSWORD, Demo, seed_demo
from timebank.errors import AlreadyTaken
from timebank.exchanges.models import Exchange
from timebank.hour_logs.services import list_hour_logs
from timebank.organisations.services import is_organisation_admin, list_organisations
from timebank.people.models import Role, User
from timebank.people.services import authenticate, find_user_by_email, list_members
from timebank.verification.services import verify_books

from .factories import Riverside, assert_refused, run


def demo_admin_and_bank(session: Session, demo: Demo) -> tuple[User, TimeBank]:
    """Return the demo's time-bank admin and its time bank."""
    admin = find_user_by_email(session, email=f"admin@{demo.slug}.example")
    assert admin is not None
    return admin, enter_time_bank(session, actor=admin, slug=demo.slug)[0]


def test_the_demo_is_a_sound_year_of_a_busy_time_bank(empty_engine: Engine) -> None:
    demo = run(empty_engine, seed_demo)
    assert (demo.name, demo.slug, demo.created) == (
        "Riverside Time Bank",
        "riverside",
        True,
    )

    def check(s: Session) -> None:
        admin, bank = demo_admin_and_bank(s, demo)
        assert verify_books(s).violations == []
        assert len(list_members(s, time_bank_id=bank.id, role=Role.MEMBER)) >= 30
        logs = list_hour_logs(s, time_bank_id=bank.id)
        assert {log.status for log in logs} == {"approved", "rejected", "pending"}
        assert all(log.reason for log in logs if log.status == Decision.REJECTED)
        assert len({log.service_date.strftime("%Y-%m") for log in logs}) >= 10
        pending_exchanges = select(func.count()).where(
            Exchange.time_bank_id == bank.id, Exchange.status == Decision.PENDING
        )
        assert s.scalar(pending_exchanges) > 0
        transactions = ledger.schema.transactions
        kinds = s.scalars(
            select(transactions.c.kind).where(transactions.c.book_id == bank.book_id)
        )
        assert set(kinds) == {"earn", "exchange", "gift", "spend", "reversal"}
        assert bank.backdating_days == 30
        last_change = list_events(s, time_bank_id=bank.id, limit=1)[0]
        assert (last_change.action, last_change.actor_id) == (
            "settings_changed",
            admin.id,
        )

    run(empty_engine, check)


def test_every_demo_sign_in_opens_the_time_bank_in_its_role(engine: Engine) -> None:
    demo = run(
        engine,
        lambda s: seed_demo(s, name="Brookside Time Bank", slug="brookside-demo"),
    )

    def is_organisation_admin_there(s: Session, user: User, bank: TimeBank) -> bool:
        return any(
            is_organisation_admin(s, user=user, organisation=organisation)
            for organisation in list_organisations(s, time_bank_id=bank.id)
        )

    def holds(role: Role) -> Callable[[Session, User, TimeBank], bool]:
        return lambda s, user, bank: (
            role in enter_time_bank(s, actor=user, slug=bank.slug)[1].roles
        )

    checks = {
        "member": holds(Role.MEMBER),
        "broker": holds(Role.BROKER),
        "time-bank admin": holds(Role.TIME_BANK_ADMIN),
        "organisation admin": is_organisation_admin_there,
    }

    def sign_in_all(s: Session) -> dict[str, bool]:
        _, bank = demo_admin_and_bank(s, demo)
        assert bank.name == "Brookside Time Bank"
        signed_in = {}
        for sign_in in demo.sign_ins:
            user = authenticate(s, email=sign_in.email, password=DEMO_PASSWORD)
            assert user is not None, sign_in.email
            signed_in[sign_in.role] = checks[sign_in.role](s, user, bank)
        return signed_in

    assert run(engine, sign_in_all) == dict.fromkeys(checks, True)
    assert [sign_in.email for sign_in in demo.sign_ins] == [
        "ana@brookside-demo.example",
        "broker@brookside-demo.example",
        "foodbank@brookside-demo.example",
        "admin@brookside-demo.example",
    ]


def test_the_demo_refuses_a_slug_taken_by_another_time_bank(
    engine: Engine, riverside: Riverside
) -> None:
    assert_refused(
        engine,
        lambda s: seed_demo(s, slug=riverside.slug),
        AlreadyTaken,
        f"The slug '{riverside.slug}' is taken.",
    )
