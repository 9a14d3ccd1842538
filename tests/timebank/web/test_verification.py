"""The page where a time bank's admin sees whether the whole books are sound."""

from collections.abc import Callable

import pytest
from sqlalchemy import Engine, update

from ledger.schema import accounts
from timebank.people.models import User

from ..factories import Riverside, earn
from .conftest import Browser


@pytest.fixture
def engine(empty_engine: Engine) -> Engine:
    """Check an empty database: the page's verdict covers every time bank in it."""
    return empty_engine


def test_the_admin_reads_that_the_books_are_sound(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    earn(engine, riverside, riverside.ana, 60)
    admin = browser_for(riverside.admin)
    dashboard = admin.get(f"/banks/{riverside.slug}/admin/audit")
    assert f'href="/banks/{riverside.slug}/admin/books"' in dashboard.get_data(
        as_text=True
    )
    page = admin.get(f"/banks/{riverside.slug}/admin/books")
    assert page.status_code == 200
    assert "The books are sound: every rule holds." in page.get_data(as_text=True)


def test_the_admin_reads_how_many_rules_broke_but_not_whose_accounts(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    account = riverside.leisure.account_id
    with engine.begin() as conn:
        conn.execute(
            update(accounts)
            .where(accounts.c.id == account)
            .values(balance_minutes=accounts.c.balance_minutes + 5)
        )
    html = (
        browser_for(riverside.admin)
        .get(f"/banks/{riverside.slug}/admin/books")
        .get_data(as_text=True)
    )
    assert "2 rules are broken." in html
    assert "flask --app wsgi verify" in html
    assert f"account {account}" not in html
