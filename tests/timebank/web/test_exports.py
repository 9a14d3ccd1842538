"""The time-bank admin's download of the books as a beancount journal."""

from collections.abc import Callable

from sqlalchemy import Engine

from timebank.people.models import User

from ..factories import Riverside, give_ana_one_entry_of_each_kind
from .conftest import Browser


def test_an_admin_downloads_the_books_from_the_admin_menu(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    give_ana_one_entry_of_each_kind(engine, riverside)
    admin = browser_for(riverside.admin)
    url = f"/banks/{riverside.slug}/admin/books.beancount"
    assert url in admin.get(f"/banks/{riverside.slug}/admin/audit").get_data(
        as_text=True
    )

    response = admin.get(url)

    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert response.headers["Content-Disposition"].startswith(
        f'attachment; filename="{riverside.slug}-'
    )
    journal = response.get_data(as_text=True)
    assert "open Assets:Pool:" in journal
    assert '* "Swim at Leisure Centre" #spend' in journal
