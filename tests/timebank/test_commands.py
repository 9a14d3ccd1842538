"""The operator's commands: time banks, users, members, roles and the demo."""

import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask
from pypdf import PdfReader
from sqlalchemy import Engine, func, select, update

import ledger
from ledger.schema import accounts
from timebank import create_app
from timebank.audit.services import list_events
from timebank.banks.models import TimeBank
from timebank.banks.services import enter_time_bank
from timebank.commands import NEW_PASSWORD_ENV
from timebank.database import EXTENSION, dispose_engine
from timebank.hour_logs.models import HourLog
from timebank.people.models import Membership, Role, User
from timebank.people.services import authenticate, find_user_by_email
from timebank.statements.services import issue_statement

from .factories import (
    Riverside,
    days_ago,
    earn,
    give_ana_one_entry_of_each_kind,
    make_user,
    open_riverside,
    run,
    snapshot,
)


@pytest.fixture
def app(sqlite_url: str) -> Iterator[Flask]:
    """Return an app on a fresh SQLite database migrated to head."""
    app = create_app({"TESTING": True, "DATABASE_URL": sqlite_url})
    yield app
    dispose_engine(app)


@pytest.fixture
def app_engine(app: Flask) -> Engine:
    """Return the engine the app's commands write with."""
    engine: Engine = app.extensions[EXTENSION]
    return engine


@pytest.fixture
def place(app_engine: Engine) -> Riverside:
    """Return the Riverside time bank, in the app's database."""
    return open_riverside(app_engine)


def invoke(app: Flask, *args: str, **kwargs: object) -> Result:
    """Run a command as `flask --app wsgi ...` would."""
    return app.test_cli_runner().invoke(args=list(args), **kwargs)


def assert_refused(
    app: Flask, app_engine: Engine, args: list[str], message: str, **kwargs: object
) -> None:
    """Assert that the command exits with status 1 and message, changing nothing."""
    before = snapshot(app_engine)
    result = invoke(app, *args, **kwargs)
    assert result.exit_code == 1, result.output
    assert f"Error: {message}" in result.stderr
    assert "Traceback" not in result.output
    assert snapshot(app_engine) == before


def roles_of(engine: Engine, user: User, slug: str) -> frozenset[Role]:
    """Return the roles user holds in the time bank at slug."""
    return run(engine, lambda s: enter_time_bank(s, actor=user, slug=slug)[1].roles)


def user_with(engine: Engine, email: str) -> User | None:
    """Return the user registered with email, or None."""
    return run(engine, lambda s: find_user_by_email(s, email=email))


def test_create_user_asks_twice_for_a_hidden_password(
    app: Flask, app_engine: Engine
) -> None:
    result = invoke(
        app,
        "create-user",
        "--email",
        "Nia.Osei@Example.org",
        "--name",
        "Nia Osei",
        input="kettle on the hob\nkettle on the hob\n",
    )
    assert result.exit_code == 0, result.output
    assert "Registered Nia Osei <nia.osei@example.org>." in result.output
    assert "Repeat for confirmation" in result.output
    assert "kettle" not in result.output
    signed_in = run(
        app_engine,
        lambda s: authenticate(
            s, email="nia.osei@example.org", password="kettle on the hob"
        ),
    )
    assert signed_in is not None


def test_create_user_reads_the_password_from_the_environment_for_scripts(
    app: Flask, app_engine: Engine
) -> None:
    result = invoke(
        app,
        "create-user",
        "--email",
        "nia@example.org",
        "--name",
        "Nia",
        env={NEW_PASSWORD_ENV: "from a script"},
    )
    assert result.exit_code == 0, result.output
    assert "Password" not in result.output
    signed_in = run(
        app_engine,
        lambda s: authenticate(s, email="nia@example.org", password="from a script"),
    )
    assert signed_in is not None


def test_create_user_refuses_a_short_password(app: Flask, app_engine: Engine) -> None:
    assert_refused(
        app,
        app_engine,
        ["create-user", "--email", "nia@example.org", "--name", "Nia"],
        "A password has 10 to 1000 characters.",
        env={NEW_PASSWORD_ENV: "too short"},
    )


def test_create_user_refuses_an_email_already_registered(
    app: Flask, app_engine: Engine, place: Riverside
) -> None:
    assert_refused(
        app,
        app_engine,
        ["create-user", "--email", place.ana.email.upper(), "--name", "Ana again"],
        f"There is already a user with the email {place.ana.email}.",
        env={NEW_PASSWORD_ENV: "long enough"},
    )


def test_create_time_bank_makes_its_founder_the_time_bank_admin(
    app: Flask, app_engine: Engine
) -> None:
    founder = make_user(app_engine, "Hal Founder")
    result = invoke(
        app,
        "create-time-bank",
        "Hillside",
        "hillside",
        "--founder-email",
        founder.email,
    )
    assert result.exit_code == 0, result.output
    assert (
        f"Opened the time bank Hillside at /banks/hillside/; {founder.email} is its "
        "time-bank admin." in result.output
    )
    assert roles_of(app_engine, founder, "hillside") == {Role.TIME_BANK_ADMIN}


def test_create_time_bank_refuses_an_unknown_founder(
    app: Flask, app_engine: Engine
) -> None:
    assert_refused(
        app,
        app_engine,
        ["create-time-bank", "Hillside", "hillside"]
        + ["--founder-email", "nobody@example.org"],
        "There is no user with the email nobody@example.org.",
    )


def test_create_time_bank_refuses_a_slug_already_taken(
    app: Flask, app_engine: Engine, place: Riverside
) -> None:
    assert_refused(
        app,
        app_engine,
        ["create-time-bank", "Another", place.slug, "--founder-email", place.ben.email],
        f"The slug {place.slug!r} is taken.",
    )


def test_add_member_enrols_a_user_on_a_brokers_authority(
    app: Flask, app_engine: Engine, place: Riverside
) -> None:
    newcomer = make_user(app_engine, "Nia Newcomer")
    result = invoke(
        app, "add-member", place.slug, newcomer.email, "--as", place.broker.email
    )
    assert result.exit_code == 0, result.output
    assert f"Enrolled {newcomer.email} as a member of Riverside." in result.output
    assert roles_of(app_engine, newcomer, place.slug) == {Role.MEMBER}
    enrolled = run(
        app_engine, lambda s: list_events(s, time_bank_id=place.bank_id, limit=1)
    )[0]
    assert (enrolled.action, enrolled.actor_id) == ("member_enrolled", place.broker.id)


def test_add_member_refuses_to_act_for_a_plain_member(
    app: Flask, app_engine: Engine, place: Riverside
) -> None:
    newcomer = make_user(app_engine, "Nia Newcomer")
    assert_refused(
        app,
        app_engine,
        ["add-member", place.slug, newcomer.email, "--as", place.ana.email],
        "Only a broker or time bank admin of this time bank may do this.",
    )


def test_add_member_refuses_to_act_for_someone_outside_the_time_bank(
    app: Flask, app_engine: Engine, place: Riverside
) -> None:
    outsider, newcomer = (make_user(app_engine, name) for name in ("Out", "Nia"))
    assert_refused(
        app,
        app_engine,
        ["add-member", place.slug, newcomer.email, "--as", outsider.email],
        f"There is no time bank {place.slug!r} with {outsider.email} in it.",
    )


def test_grant_role_gives_a_member_a_role_on_the_record(
    app: Flask, app_engine: Engine, place: Riverside
) -> None:
    result = invoke(
        app,
        "grant-role",
        place.slug,
        place.ana.email,
        "broker",
        "--reason",
        "Covers the Friday sessions",
        "--as",
        place.admin.email,
    )
    assert result.exit_code == 0, result.output
    assert f"{place.ana.email} is now a broker of Riverside." in result.output
    assert roles_of(app_engine, place.ana, place.slug) == {Role.MEMBER, Role.BROKER}
    granted = run(
        app_engine, lambda s: list_events(s, time_bank_id=place.bank_id, limit=1)
    )[0]
    assert (granted.action, granted.actor_id, granted.reason) == (
        "role_granted",
        place.admin.id,
        "Covers the Friday sessions",
    )


def test_grant_role_refuses_a_broker_acting_as_admin(
    app: Flask, app_engine: Engine, place: Riverside
) -> None:
    assert_refused(
        app,
        app_engine,
        ["grant-role", place.slug, place.ana.email, "broker"]
        + ["--reason", "Covers Fridays", "--as", place.broker.email],
        "Only a time bank admin of this time bank may do this.",
    )


def test_grant_role_refuses_an_admin_changing_their_own_roles(
    app: Flask, app_engine: Engine, place: Riverside
) -> None:
    assert_refused(
        app,
        app_engine,
        ["grant-role", place.slug, place.admin.email, "broker"]
        + ["--reason", "Doing it all", "--as", place.admin.email],
        "You cannot change your own roles.",
    )


def test_grant_role_refuses_an_empty_reason(
    app: Flask, app_engine: Engine, place: Riverside
) -> None:
    assert_refused(
        app,
        app_engine,
        ["grant-role", place.slug, place.ana.email, "broker"]
        + ["--reason", "  ", "--as", place.admin.email],
        "Please give a reason.",
    )


def test_grant_role_refuses_a_user_outside_the_time_bank(
    app: Flask, app_engine: Engine, place: Riverside
) -> None:
    outsider = make_user(app_engine, "Out")
    assert_refused(
        app,
        app_engine,
        ["grant-role", place.slug, outsider.email, "broker"]
        + ["--reason", "Covers Fridays", "--as", place.admin.email],
        f"{outsider.email} is not a member of Riverside.",
    )


def test_seed_demo_creates_the_demo_once_and_prints_its_sign_ins_each_time(
    app: Flask, app_engine: Engine
) -> None:
    first = invoke(app, "seed-demo")
    assert first.exit_code == 0, first.output
    assert "Created the demo time bank Riverside Time Bank" in first.output
    after_first = snapshot(app_engine)

    again = invoke(app, "seed-demo")
    assert again.exit_code == 0, again.output
    assert "already at /banks/riverside/; nothing changed" in again.output
    assert snapshot(app_engine) == after_first
    banks = run(
        app_engine, lambda s: s.scalar(select(func.count()).select_from(TimeBank))
    )
    assert banks == 1
    for output in (first.output, again.output):
        assert "password timebank-demo" in output
        for email in (
            "ana@riverside.example",
            "broker@riverside.example",
            "foodbank@riverside.example",
            "admin@riverside.example",
        ):
            assert email in output
    assert user_with(app_engine, "ana@riverside.example") is not None


def test_verify_says_the_books_are_sound_and_what_it_covered(
    app: Flask, app_engine: Engine, place: Riverside
) -> None:
    earn(app_engine, place, place.ana, 60)
    result = invoke(app, "verify")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        "The books are sound: every invariant holds over 1 entries and 2 postings"
    )


def test_verify_names_each_broken_invariant_and_exits_with_status_1(
    app: Flask, app_engine: Engine, place: Riverside
) -> None:
    log = earn(app_engine, place, place.ana, 60)
    account, issuance = run(
        app_engine,
        lambda s: (
            s.get_one(Membership, place.ana_id).account_id,
            ledger.get_book(
                s.connection(), s.get_one(TimeBank, place.bank_id).book_id
            ).issuance_account_id,
        ),
    )
    with app_engine.begin() as conn:
        conn.execute(update(HourLog).where(HourLog.id == log.id).values(minutes=75))
        conn.execute(
            update(accounts)
            .where(accounts.c.id == place.leisure.account_id)
            .values(balance_minutes=accounts.c.balance_minutes + 5)
        )
    result = invoke(app, "verify")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "2: the balances sum to 5, not zero",
        f"3: account {place.leisure.account_id} keeps balance, pending debit and "
        "pending credit [5, 0, 0] but its postings give [0, 0, 0]",
        f"approved hour log {log.id} pays 75 minutes into account {account}, but "
        f"its entry {log.transaction_id} has 2 postings, moving 60 minutes into "
        f"account {account} and 60 out of account {issuance}",
    ]
    assert result.stderr.startswith("Error: 3 broken invariants over 1 entries")


def test_erase_member_erases_their_details_and_keeps_their_postings(
    app: Flask, app_engine: Engine, place: Riverside
) -> None:
    earn(app_engine, place, place.ana, 60)
    result = invoke(
        app,
        "erase-member",
        place.slug,
        place.ana.email,
        "--reason",
        "Asked by letter",
        "--as",
        place.admin.email,
    )
    assert result.exit_code == 0, result.output
    assert f"Erased the personal details of {place.ana.email}" in result.output
    assert user_with(app_engine, place.ana.email) is None
    erased = run(app_engine, lambda s: s.get_one(User, place.ana.id))
    assert erased.display_name == "Former member"
    assert invoke(app, "verify").exit_code == 0


def test_erase_member_refuses_a_broker(
    app: Flask, app_engine: Engine, place: Riverside
) -> None:
    assert_refused(
        app,
        app_engine,
        [
            "erase-member",
            place.slug,
            place.ana.email,
            "--reason",
            "Asked",
            "--as",
            place.broker.email,
        ],
        "Only a time bank admin of this time bank may do this.",
    )


def test_export_beancount_writes_a_journal_that_bean_check_passes(
    app: Flask, app_engine: Engine, place: Riverside, tmp_path: Path
) -> None:
    give_ana_one_entry_of_each_kind(app_engine, place)
    path = tmp_path / "books.beancount"

    result = invoke(app, "export-beancount", "--bank", place.slug, "--out", str(path))

    assert result.exit_code == 0, result.output
    assert f"to {path}" in result.output
    checked = subprocess.run(
        [Path(sys.executable).parent / "bean-check", path],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Swim at Leisure Centre" in path.read_text(encoding="utf-8")


def test_export_beancount_of_no_such_time_bank_writes_no_file(
    app: Flask, app_engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "books.beancount"
    assert_refused(
        app,
        app_engine,
        ["export-beancount", "--bank", "nowhere", "--out", str(path)],
        "There is no time bank 'nowhere'.",
    )
    assert list(tmp_path.glob("books.beancount*")) == []


def test_print_statements_writes_every_members_statement_with_a_progress_bar(
    app: Flask, place: Riverside, tmp_path: Path
) -> None:
    output = tmp_path / "riverside.zip"

    result = invoke(
        app,
        "print-statements",
        place.slug,
        "--as",
        place.broker.email,
        "--from",
        str(days_ago(30)),
        "--to",
        str(days_ago(0)),
        "--format",
        "zip",
        "--output",
        str(output),
    )

    assert result.exit_code == 0, result.output
    assert "Printed 4 statements" in result.output
    with zipfile.ZipFile(output) as archive:
        assert len(archive.namelist()) == 4


def test_print_statements_prints_in_the_language_asked_for(
    app: Flask, place: Riverside, tmp_path: Path
) -> None:
    output = tmp_path / "riverside.pdf"
    common = ["print-statements", place.slug, "--as", place.broker.email]
    days = ["--from", str(days_ago(30)), "--to", str(days_ago(0))]

    welsh = invoke(app, *common, *days, "--language", "cy", "--output", str(output))
    french = invoke(app, *common, *days, "--language", "fr", "--output", str(output))

    assert welsh.exit_code == 0, welsh.output
    pages = [page.extract_text() for page in PdfReader(output).pages]
    assert len(pages) == 4
    assert all("Datganiad credydau" in page for page in pages)
    assert all("Tudalen 1 o 1" in page for page in pages)
    assert french.exit_code == 2
    assert "'fr' is not one of 'en', 'cy'" in french.output


def test_print_statements_refuses_a_member_and_a_bad_period(
    app: Flask, app_engine: Engine, place: Riverside, tmp_path: Path
) -> None:
    common = ["print-statements", place.slug, "--output", str(tmp_path / "out.pdf")]
    days = ["--from", str(days_ago(1)), "--to", str(days_ago(0))]

    assert_refused(
        app, app_engine, [*common, "--as", place.ana.email, *days], "Only a broker"
    )
    assert_refused(
        app,
        app_engine,
        [
            *common,
            "--as",
            place.broker.email,
            "--from",
            str(days_ago(0)),
            "--to",
            str(days_ago(1)),
        ],
        "The last day must be on or after the first day.",
    )


def test_verify_statement_tells_a_genuine_statement_from_a_changed_one(
    app: Flask, app_engine: Engine, place: Riverside
) -> None:
    account_id = run(
        app_engine, lambda s: s.get_one(Membership, place.ana_id).account_id
    )
    statement = run(
        app_engine,
        lambda s: issue_statement(
            s,
            actor=place.ana,
            account_id=account_id,
            first_day=days_ago(5),
            last_day=days_ago(0),
        ),
    )

    genuine = invoke(app, "verify-statement", statement.number, statement.checksum)
    changed = invoke(app, "verify-statement", statement.number, "a" * 64)

    assert genuine.exit_code == 0
    assert "is genuine" in genuine.output
    assert changed.exit_code == 1
    assert "not the one" in changed.stderr
