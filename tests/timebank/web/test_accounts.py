"""The dashboard: a member's balance, latest entries and last twelve months."""

from collections.abc import Callable

from sqlalchemy import Engine

from timebank.people.models import User

from ..factories import Riverside, earn
from .conftest import Browser


def test_a_member_sees_their_balance_and_latest_entry(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    earn(engine, riverside, riverside.ana, 135)
    page = browser_for(riverside.ana).get(f"/banks/{riverside.slug}/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "2 h 15 min" in text
    assert "Sorting donations" in text
