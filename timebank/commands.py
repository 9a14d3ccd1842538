"""Commands for whoever runs the server: time banks, users, members, roles, the demo.

``erase-member`` erases a member's personal details on their request, and
``verify`` checks the books over the whole database.

Run as ``flask --app wsgi <command>``. Each command is one use case, checked
by the same services as the web. Whoever has the server's shell needs no
sign-in, but every change within a time bank is audited with an actor: the
commands that make one say, with ``--as EMAIL``, which broker or admin of that
time bank they act for, and the services check that person's role as they
would on the web. A new time bank's founder is named by ``--founder-email``.

A refused command prints the service's message to stderr and exits with
status 1, having changed nothing.
"""

import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from ledger.errors import LedgerError
from timebank.banks.models import TimeBank
from timebank.banks.services import enter_time_bank, open_time_bank
from timebank.demo import seed_demo
from timebank.errors import (
    TimebankError,
    UnknownMember,
    UnknownTimeBank,
    UnknownUser,
)
from timebank.exports.services import export_journal_for_operator
from timebank.people.models import Membership, Role, User
from timebank.people.services import (
    enrol_member,
    erase_member,
    find_user_by_email,
    grant_role,
    membership_of,
    register_user,
)
from timebank.unit_of_work import run_use_case
from timebank.verification.services import verify_books

T = TypeVar("T")

# Read instead of a prompt, for scripts: a password on the command line would
# show in the shell's history and the process list.
NEW_PASSWORD_ENV = "TIMEBANK_NEW_PASSWORD"


def init_app(app: Flask) -> None:
    """Register the commands on the app."""
    for command in (
        create_time_bank_command,
        create_user_command,
        add_member_command,
        grant_role_command,
        seed_demo_command,
        erase_member_command,
        verify_command,
        export_beancount_command,
    ):
        app.cli.add_command(command)


def run_command(work: Callable[[Session], T]) -> T:
    """Run work as one use case; a refusal becomes its message and exit status 1."""
    try:
        return run_use_case(work)
    except (TimebankError, LedgerError) as error:
        raise click.ClickException(str(error)) from error


def user_with_email(session: Session, email: str) -> User:
    """Return the user registered with email."""
    user = find_user_by_email(session, email=email)
    if user is None:
        raise UnknownUser(f"There is no user with the email {email}.")
    return user


def member_with_email(
    session: Session, *, bank: TimeBank, email: str
) -> tuple[User, Membership]:
    """Return the user registered with email and their membership of the bank."""
    user = user_with_email(session, email)
    membership = membership_of(session, user=user, time_bank_id=bank.id)
    if membership is None:
        raise UnknownMember(f"{user.email} is not a member of {bank.name}.")
    return user, membership


def enter_as(session: Session, *, actor_email: str, slug: str) -> tuple[User, TimeBank]:
    """Return the user acted for and the time bank at slug, which they belong to.

    The web tells someone outside a time bank only that there is none; here
    the operator, who sees the database anyway, is told whom it was asked for.
    """
    actor = user_with_email(session, actor_email)
    try:
        bank, _ = enter_time_bank(session, actor=actor, slug=slug)
    except UnknownTimeBank:
        raise UnknownTimeBank(
            f"There is no time bank {slug!r} with {actor.email} in it."
        ) from None
    return actor, bank


@click.command("create-time-bank")
@click.argument("name")
@click.argument("slug")
@click.option(
    "--founder-email",
    required=True,
    metavar="EMAIL",
    help="A registered user, who becomes its time-bank admin.",
)
@with_appcontext
def create_time_bank_command(name: str, slug: str, founder_email: str) -> None:
    """Open a time bank; its founder becomes its time-bank admin."""

    def work(session: Session) -> tuple[str, str]:
        founder = user_with_email(session, founder_email)
        bank = open_time_bank(session, founder=founder, name=name, slug=slug)
        return bank.name, founder.email

    bank_name, email = run_command(work)
    click.echo(
        f"Opened the time bank {bank_name} at /banks/{slug}/; "
        f"{email} is its time-bank admin."
    )


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@with_appcontext
def create_user_command(email: str, name: str) -> None:
    """Register a user, with a password asked for or read from TIMEBANK_NEW_PASSWORD."""
    password = os.environ.get(NEW_PASSWORD_ENV)
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    user = run_command(
        lambda session: register_user(
            session, email=email, name=name, password=password
        )
    )
    click.echo(f"Registered {user.name} <{user.email}>.")


@click.command("add-member")
@click.argument("slug")
@click.argument("email")
@click.option(
    "--as",
    "actor_email",
    required=True,
    metavar="EMAIL",
    help="A broker or time-bank admin of the time bank, who enrols the member.",
)
@with_appcontext
def add_member_command(slug: str, email: str, actor_email: str) -> None:
    """Enrol a registered user as a member of a time bank."""

    def work(session: Session) -> tuple[str, str]:
        actor, bank = enter_as(session, actor_email=actor_email, slug=slug)
        user = user_with_email(session, email)
        enrol_member(session, actor=actor, time_bank_id=bank.id, user_id=user.id)
        return bank.name, user.email

    bank_name, member_email = run_command(work)
    click.echo(f"Enrolled {member_email} as a member of {bank_name}.")


@click.command("grant-role")
@click.argument("slug")
@click.argument("email")
@click.argument("role", type=click.Choice([role.value for role in Role]))
@click.option("--reason", required=True, help="Why, for the audit trail.")
@click.option(
    "--as",
    "actor_email",
    required=True,
    metavar="EMAIL",
    help="A time-bank admin of the time bank, who grants the role.",
)
@with_appcontext
def grant_role_command(
    slug: str, email: str, role: str, reason: str, actor_email: str
) -> None:
    """Grant a member of a time bank a role."""

    def work(session: Session) -> tuple[str, str]:
        actor, bank = enter_as(session, actor_email=actor_email, slug=slug)
        user, membership = member_with_email(session, bank=bank, email=email)
        grant_role(
            session,
            actor=actor,
            time_bank_id=bank.id,
            member_id=membership.id,
            role=Role(role),
            reason=reason,
        )
        return bank.name, user.email

    bank_name, member_email = run_command(work)
    click.echo(f"{member_email} is now a {role.replace('_', ' ')} of {bank_name}.")


@click.command("erase-member")
@click.argument("slug")
@click.argument("email")
@click.option("--reason", required=True, help="Why, for the audit trail.")
@click.option(
    "--as",
    "actor_email",
    required=True,
    metavar="EMAIL",
    help="A time-bank admin of each of the member's time banks, who erases.",
)
@with_appcontext
def erase_member_command(slug: str, email: str, reason: str, actor_email: str) -> None:
    """Erase a member's personal details on their request; their postings stay."""

    def work(session: Session) -> str:
        actor, bank = enter_as(session, actor_email=actor_email, slug=slug)
        _, membership = member_with_email(session, bank=bank, email=email)
        erase_member(
            session,
            actor=actor,
            time_bank_id=bank.id,
            member_id=membership.id,
            reason=reason,
        )
        return bank.name

    bank_name = run_command(work)
    click.echo(
        f"Erased the personal details of {email}; their account and entries stay "
        f"in {bank_name}, under the name “Former member”."
    )


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Create the demo time bank unless it is there, and print its sign-ins."""
    demo = run_command(seed_demo)
    if demo.created:
        click.echo(f"Created the demo time bank {demo.name} at /banks/{demo.slug}/.")
    else:
        click.echo(
            f"The demo time bank {demo.name} is already at /banks/{demo.slug}/; "
            "nothing changed."
        )
    click.echo(f"Sign in with the password {demo.password} as")
    width = max(len(sign_in.role) for sign_in in demo.sign_ins) + 1
    for sign_in in demo.sign_ins:
        click.echo(f"  {sign_in.role + ':':<{width}} {sign_in.email}")


@click.command("verify")
@with_appcontext
def verify_command() -> None:
    """Check every invariant of the books over the whole database.

    Each broken one is printed on a line of its own, and the command exits
    with status 1; sound books exit with 0.
    """
    verdict = run_use_case(verify_books)
    covered = (
        f"{verdict.entries:,} entries and {verdict.postings:,} postings, "
        f"checked in {verdict.seconds:.2f} s"
    )
    if verdict.sound:
        click.echo(f"The books are sound: every invariant holds over {covered}.")
        return
    for violation in verdict.violations:
        click.echo(violation)
    raise click.ClickException(
        f"{len(verdict.violations)} broken invariants over {covered}."
    )


@click.command("export-beancount")
@click.option("--bank", "slug", required=True, metavar="SLUG", help="The time bank.")
@click.option(
    "--out",
    "path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The journal file to write; one already there is replaced.",
)
@with_appcontext
def export_beancount_command(slug: str, path: Path) -> None:
    """Write a time bank's posted entries and stored balances as a beancount journal."""
    # Written beside the file and moved over it at the end, so that a refused
    # export leaves no half-written journal.
    partial = path.with_name(path.name + ".partial")
    try:
        with partial.open("w", encoding="utf-8") as out:

            def work(session: Session) -> TimeBank:
                # A retried unit of work starts the file again.
                out.seek(0)
                out.truncate()
                return export_journal_for_operator(session, slug=slug, out=out)

            bank = run_command(work)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    click.echo(
        f"Wrote the journal of {bank.name} to {path}; bean-check {path} checks it."
    )
