"""The beancount journal of a time bank: bean-check verifies the stored balances."""

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from ledger.schema import accounts
from timebank.errors import NotPermitted, UnknownTimeBank
from timebank.exports.services import export_journal, export_journal_for_operator
from timebank.people.models import Membership, User

from .factories import (
    Riverside,
    ana_gives_ben,
    days_ago,
    earn,
    exchange_paid_by_ana,
    give_ana_one_entry_of_each_kind,
    run,
)

BEAN_CHECK = Path(sys.executable).parent / "bean-check"


def journal_of(engine: Engine, place: Riverside, actor: User | None = None) -> str:
    out = io.StringIO()
    run(
        engine,
        lambda s: export_journal(
            s, actor=actor or place.admin, slug=place.slug, out=out
        ),
    )
    return out.getvalue()


def bean_check(journal: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "books.beancount"
    path.write_text(journal, encoding="utf-8")
    return subprocess.run(
        [BEAN_CHECK, path], capture_output=True, text=True, check=False
    )


def directives(name: str, journal: str) -> list[str]:
    """Return the lines of the journal that hold a dated directive of that name."""
    return re.findall(rf"^\d{{4}}-\d\d-\d\d {name} .*$", journal, re.MULTILINE)


def varied_history(engine: Engine, place: Riverside) -> None:
    """Earn, exchange, gift, spend and a reversal; odd memos; a pending exchange."""
    give_ana_one_entry_of_each_kind(engine, place)
    earn(engine, place, place.ben, 90)
    ana_gives_ben(engine, place, 'For the "tiles" \\ and grout')
    exchange_paid_by_ana(
        engine, place, minutes=30, description="Still waiting", service_date=days_ago(3)
    )


def test_bean_check_passes_on_the_journal_of_a_varied_history(
    engine: Engine, riverside: Riverside, tmp_path: Path
) -> None:
    varied_history(engine, riverside)

    journal = journal_of(engine, riverside)

    checked = bean_check(journal, tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # The issuance account, the pool, five members and two organisations.
    assert len(directives("open", journal)) == len(directives("balance", journal)) == 9
    assert "#reversal" in journal and "#spend" in journal
    assert "Pending entries are left" in journal
    assert '* "For the \\"tiles\\" \\\\ and grout" #gift' in journal
    assert "Still waiting" not in journal


def test_bean_check_fails_when_one_stored_balance_was_tampered_with(
    engine: Engine, riverside: Riverside, tmp_path: Path
) -> None:
    varied_history(engine, riverside)

    def tamper(s: Session, by: int) -> int:
        account_id = s.get_one(Membership, riverside.ben_id).account_id
        s.execute(
            update(accounts)
            .where(accounts.c.id == account_id)
            .values(balance_minutes=accounts.c.balance_minutes + by)
        )
        return account_id

    account_id = run(engine, lambda s: tamper(s, 15))
    try:
        journal = journal_of(engine, riverside)
    finally:
        # The PostgreSQL database is shared by the session's tests.
        run(engine, lambda s: tamper(s, -15))

    checked = bean_check(journal, tmp_path)
    assert checked.returncode != 0
    errors = checked.stdout + checked.stderr
    assert errors.count("Balance failed") == 1
    assert f"balance Assets:Members:A{account_id} " in errors
    assert "(15 too little)" in errors


def test_only_the_time_banks_admins_export_its_journal(
    engine: Engine, riverside: Riverside
) -> None:
    for person in (riverside.broker, riverside.ana, riverside.charity_admin):
        with pytest.raises(NotPermitted):
            journal_of(engine, riverside, person)


def test_the_operator_exports_any_time_bank_by_its_slug(
    engine: Engine, riverside: Riverside
) -> None:
    varied_history(engine, riverside)
    out = io.StringIO()
    run(
        engine,
        lambda s: export_journal_for_operator(s, slug=riverside.slug, out=out),
    )
    assert (
        out.getvalue().split("\n", 2)[2]
        == journal_of(engine, riverside).split("\n", 2)[2]
    )
    with pytest.raises(UnknownTimeBank):
        run(engine, lambda s: export_journal_for_operator(s, slug="nowhere", out=out))
