"""Commands to print every member's statement at once, and to check a printed one.

``flask --app wsgi print-statements SLUG --as EMAIL --from DAY --to DAY
--output FILE`` prints, with a progress bar, every member's statement of
the time bank (or, with ``--organisation ID``, of its volunteers) into one
PDF, or one ZIP with ``--format zip``, in English or, with ``--language
cy``, in Welsh. ``flask --app wsgi verify-statement
NUMBER CHECKSUM`` says whether a printed statement is genuine, and exits
with status 1 when it is not.
"""

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from flask import Flask
from flask.cli import with_appcontext
from flask_babel import force_locale
from sqlalchemy.orm import Session

from timebank.commands import enter_as, run_command
from timebank.database import get_engine
from timebank.languages.services import ENGLISH, LANGUAGES

from .models import PrintRun
from .services import FILE_FORMATS, print_run, request_print_run, verify_statement

F = TypeVar("F", bound=Callable[..., Any])


def init_app(app: Flask) -> None:
    """Register the statements' commands on the app."""
    app.cli.add_command(print_statements_command)
    app.cli.add_command(verify_statement_command)


def _day_option(flag: str, name: str, which: str) -> Callable[[F], F]:
    return click.option(
        flag,
        name,
        required=True,
        type=click.DateTime(["%Y-%m-%d"]),
        help=f"The {which} day of service, included.",
    )


@click.command("print-statements")
@click.argument("slug")
@click.option(
    "--as",
    "actor_email",
    required=True,
    metavar="EMAIL",
    help="A broker or admin of the time bank, or the organisation's admin.",
)
@click.option(
    "--organisation",
    "organisation_id",
    type=int,
    default=None,
    help="Print only the volunteers of this organisation (its id).",
)
@_day_option("--from", "first_day", "first")
@_day_option("--to", "last_day", "last")
@click.option(
    "--format",
    "file_format",
    type=click.Choice(FILE_FORMATS),
    default="pdf",
    show_default=True,
)
@click.option(
    "--language",
    type=click.Choice(list(LANGUAGES)),
    default=ENGLISH,
    show_default=True,
    help="The language to print in.",
)
@click.option(
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The file to write.",
)
@with_appcontext
def print_statements_command(
    slug: str,
    actor_email: str,
    organisation_id: int | None,
    first_day: datetime,
    last_day: datetime,
    file_format: str,
    language: str,
    output: Path,
) -> None:
    """Print every member's statement of a time bank, or of its volunteers."""

    def work(session: Session) -> PrintRun:
        actor, bank = enter_as(session, actor_email=actor_email, slug=slug)
        return request_print_run(
            session,
            actor=actor,
            time_bank_id=bank.id,
            organisation_id=organisation_id,
            first_day=first_day.date(),
            last_day=last_day.date(),
            file_format=file_format,
        )

    run = run_command(work)
    with (
        click.progressbar(length=run.statement_count, label="Statements") as bar,
        force_locale(language),
    ):
        printed = print_run(
            get_engine(),
            run_id=run.id,
            path_for=lambda _: output,
            on_progress=lambda done, _: bar.update(done - bar.pos),
        )
    click.echo(f"Printed {printed.statement_count} statements into {output}.")


@click.command("verify-statement")
@click.argument("number")
@click.argument("checksum")
@with_appcontext
def verify_statement_command(number: str, checksum: str) -> None:
    """Check a printed statement's number and checksum against the books."""
    found = run_command(
        lambda session: verify_statement(session, number=number, checksum=checksum)
    )
    if found.genuine:
        click.echo(
            f"{found.number} is genuine: issued {found.issued_at:%Y-%m-%d %H:%M} UTC "
            f"for {found.period}, and the books still give its figures."
        )
        return
    if not found.copy_matches:
        raise click.ClickException(
            f"The checksum is not the one {found.number} was issued with."
        )
    raise click.ClickException(
        f"The books no longer give the figures {found.number} was issued with."
    )
