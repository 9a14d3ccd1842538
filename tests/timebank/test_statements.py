"""Member statements: their lines, balances and totals, their checksum, their files."""

import csv
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pytest
from flask_babel import force_locale
from pypdf import PdfReader
from sqlalchemy import Engine, update

from timebank import create_app
from timebank.database import dispose_engine
from timebank.durations import format_minutes
from timebank.errors import InvalidPeriod, NotPermitted, UnknownStatement
from timebank.people.models import Membership, User
from timebank.people.services import erase_member
from timebank.statements.csv_file import statement_csv
from timebank.statements.models import IssuedStatement
from timebank.statements.pdf import FIRST_PAGE_ROWS, statement_pdf
from timebank.statements.services import (
    Statement,
    Totals,
    Verification,
    issue_statement,
    verify_statement,
)

from .factories import (
    Riverside,
    ana_gives_ben,
    balance,
    days_ago,
    earn,
    give_ana_one_entry_of_each_kind,
    run,
)


def account_of(engine: Engine, member_id: int) -> int:
    return run(engine, lambda s: s.get_one(Membership, member_id).account_id)


def anas_statement(
    engine: Engine,
    place: Riverside,
    first_day: date | None = None,
    last_day: date | None = None,
    *,
    actor_name: str = "ana",
) -> Statement:
    account_id = account_of(engine, place.ana_id)
    return run(
        engine,
        lambda s: issue_statement(
            s,
            actor=getattr(place, actor_name),
            account_id=account_id,
            first_day=days_ago(30) if first_day is None else first_day,
            last_day=days_ago(0) if last_day is None else last_day,
        ),
    )


def verify(engine: Engine, number: str, checksum: str) -> Verification:
    return run(engine, lambda s: verify_statement(s, number=number, checksum=checksum))


# The months as Welsh writes them, January first.
WELSH_MONTHS = [
    "Ionawr",
    "Chwefror",
    "Mawrth",
    "Ebrill",
    "Mai",
    "Mehefin",
    "Gorffennaf",
    "Awst",
    "Medi",
    "Hydref",
    "Tachwedd",
    "Rhagfyr",
]


def in_welsh(day: date) -> str:
    """Return day as a Welsh reader writes it: "5 Mawrth 2026"."""
    return f"{day.day} {WELSH_MONTHS[day.month - 1]} {day.year}"


@contextmanager
def drawing_in(engine: Engine, language: str) -> Iterator[None]:
    """Draw in language, as a request or a print run in that language does."""
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": engine.url.render_as_string(hide_password=False),
        }
    )
    try:
        with app.app_context(), force_locale(language):
            yield
    finally:
        dispose_engine(app)


def test_statement_lists_every_entry_in_service_order_with_a_running_balance(
    engine: Engine, riverside: Riverside
) -> None:
    books = give_ana_one_entry_of_each_kind(engine, riverside)

    statement = anas_statement(engine, riverside)

    assert [line.memo for line in statement.lines] == [
        books.earned,
        books.exchanges,
        books.gifts,
        books.spends,
        books.reversals,
    ]
    assert [line.balance_minutes for line in statement.lines] == [
        180,
        120,
        105,
        45,
        60,
    ]
    assert [line.counterparty for line in statement.lines][:3] == [
        "Time bank (credits issued)",
        "Ben",
        "Ben",
    ]
    assert statement.opening_minutes == 0
    assert statement.closing_minutes == 60
    assert statement.totals == Totals(
        earned_minutes=180,
        spent_minutes=120,
        gifted_minutes=15,
        received_minutes=0,
        other_minutes=15,
    )
    assert statement.holder == "Ana"
    assert statement.number.startswith("ST-")


def test_the_opening_balance_holds_what_was_served_before_the_period(
    engine: Engine, riverside: Riverside
) -> None:
    give_ana_one_entry_of_each_kind(engine, riverside)

    statement = anas_statement(engine, riverside, days_ago(12), days_ago(0))

    # Earned 180 (20 days ago) and paid 60 for help (15 days ago) before it.
    assert statement.opening_minutes == 120
    assert [line.minutes for line in statement.lines] == [-15, -60, 15]
    assert statement.closing_minutes == 60


def test_monthly_figures_cover_each_month_of_the_period(
    engine: Engine, riverside: Riverside
) -> None:
    give_ana_one_entry_of_each_kind(engine, riverside)
    first_day = date(days_ago(40).year, days_ago(40).month, 1)

    statement = anas_statement(engine, riverside, first_day, days_ago(0))

    assert statement.months[0].first_day == first_day
    assert statement.months[-1].first_day == days_ago(0).replace(day=1)
    assert sum(month.earned_minutes for month in statement.months) == 180
    assert sum(month.spent_minutes for month in statement.months) == 120


def test_an_issued_statement_verifies_against_the_books(
    engine: Engine, riverside: Riverside
) -> None:
    give_ana_one_entry_of_each_kind(engine, riverside)
    statement = anas_statement(engine, riverside)

    found = verify(engine, statement.number, statement.checksum)
    short = verify(engine, statement.number.lower(), statement.checksum[:16].upper())

    assert found.genuine and short.genuine
    assert found.period == statement.period


def test_an_entry_back_dated_into_an_issued_period_leaves_the_statement_checkable(
    engine: Engine, riverside: Riverside
) -> None:
    earn(engine, riverside, riverside.ana, 120)
    statement = anas_statement(engine, riverside)

    ana_gives_ben(engine, riverside, "Late thanks", days_ago(3))
    again = anas_statement(engine, riverside)

    assert verify(engine, statement.number, statement.checksum).genuine
    assert statement.closing_minutes == 120
    assert again.closing_minutes == 105
    assert again.checksum != statement.checksum


def test_a_changed_copy_or_changed_books_do_not_verify(
    engine: Engine, riverside: Riverside
) -> None:
    earn(engine, riverside, riverside.ana, 120)
    statement = anas_statement(engine, riverside)
    wrong = "0" * 64 if statement.checksum[0] != "0" else "1" * 64

    copy = verify(engine, statement.number, wrong)
    too_short = verify(engine, statement.number, statement.checksum[:8])
    run(
        engine,
        lambda s: s.execute(
            update(IssuedStatement)
            .where(IssuedStatement.checksum == statement.checksum)
            .values(first_day=days_ago(60))
        ),
    )
    books = verify(engine, statement.number, statement.checksum)

    assert (copy.copy_matches, copy.books_agree) == (False, True)
    assert not too_short.genuine
    assert (books.copy_matches, books.books_agree) == (True, False)


@pytest.mark.parametrize("number", ["ST-99999999", "nonsense", "ST-", "ST-" + "9" * 30])
def test_an_unknown_statement_number_is_refused(
    engine: Engine, riverside: Riverside, number: str
) -> None:
    with pytest.raises(UnknownStatement):
        verify(engine, number, "0" * 64)


def test_only_who_may_see_the_account_gets_its_statement(
    engine: Engine, riverside: Riverside
) -> None:
    with pytest.raises(NotPermitted):
        anas_statement(engine, riverside, actor_name="ben")
    assert anas_statement(engine, riverside, actor_name="broker").holder == "Ana"


def test_a_refused_period_issues_nothing(engine: Engine, riverside: Riverside) -> None:
    before = run(engine, lambda s: s.query(IssuedStatement).count())
    with pytest.raises(InvalidPeriod, match="at the latest"):
        anas_statement(engine, riverside, days_ago(1), days_ago(-1))
    assert run(engine, lambda s: s.query(IssuedStatement).count()) == before


def pdf_text_of(document: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(document)).pages]


def test_the_pdf_shows_the_balances_totals_and_every_line(
    engine: Engine, riverside: Riverside
) -> None:
    give_ana_one_entry_of_each_kind(engine, riverside)
    statement = anas_statement(engine, riverside)

    (page,) = pdf_text_of(statement_pdf(statement))
    in_the_books = balance(engine, riverside.ana_id).balance_minutes

    assert re.search(r"Opening balance\s*0 min", page)
    assert re.search(rf"Closing balance\s*{format_minutes(in_the_books)}\n", page)
    assert re.search(r"Earned\s*3 h", page)
    assert re.search(r"Spent\s*−2 h", page)
    assert re.search(r"Gifted\s*−15 min", page)
    assert statement.checksum[:32] in page
    assert "Page 1 of 1" in page
    for line in statement.lines:
        row = re.search(rf"^{line.transaction_id} +{line.service_date}.*$", page, re.M)
        assert row is not None, line
        assert row.group(0).endswith(format_minutes(line.balance_minutes))


def test_a_long_statement_numbers_its_pages_and_keeps_every_line(
    engine: Engine, riverside: Riverside
) -> None:
    for _ in range(FIRST_PAGE_ROWS + 5):
        earn(engine, riverside, riverside.ana, 15)
    statement = anas_statement(engine, riverside)

    pages = pdf_text_of(statement_pdf(statement))

    assert len(pages) == 2
    assert "Page 1 of 2" in pages[0] and "Page 2 of 2" in pages[1]
    ids = re.findall(r"^(\d+) +\d{4}-\d\d-\d\d", "\n".join(pages), re.M)
    assert [int(i) for i in ids] == [line.transaction_id for line in statement.lines]
    assert pages[1].rstrip().count("\n") > 5


def test_the_csv_has_the_same_lines_between_opening_and_closing(
    engine: Engine, riverside: Riverside
) -> None:
    give_ana_one_entry_of_each_kind(engine, riverside)
    statement = anas_statement(engine, riverside, days_ago(12), days_ago(0))

    rows = list(csv.DictReader(io.StringIO(statement_csv(statement))))

    assert rows[0]["kind"] == "opening balance"
    assert rows[0]["balance_minutes"] == "120"
    assert rows[-1]["kind"] == "closing balance"
    assert rows[-1]["balance_minutes"] == "60"
    lines = rows[1:-1]
    assert [int(row["entry"]) for row in lines] == [
        line.transaction_id for line in statement.lines
    ]
    assert sum(int(r["minutes_in"]) - int(r["minutes_out"]) for r in lines) == -60


def test_the_csv_keeps_a_description_from_being_read_as_a_formula(
    engine: Engine, riverside: Riverside
) -> None:
    earn(engine, riverside, riverside.ana, 120)
    ana_gives_ben(engine, riverside, "=HYPERLINK(1)", days_ago(1))

    text = statement_csv(anas_statement(engine, riverside))

    assert "'=HYPERLINK(1)" in text


def test_after_an_erasure_statements_say_former_member_and_old_ones_still_verify(
    engine: Engine, riverside: Riverside
) -> None:
    earn(engine, riverside, riverside.ana, 120)
    ana_gives_ben(engine, riverside, "Thanks", days_ago(1))
    before = anas_statement(engine, riverside)
    run(
        engine,
        lambda s: erase_member(
            s,
            actor=riverside.admin,
            time_bank_id=riverside.bank_id,
            member_id=riverside.ben_id,
            reason="Asked in writing",
        ),
    )

    after = anas_statement(engine, riverside)

    assert verify(engine, before.number, before.checksum).genuine
    gift = after.lines[-1]
    assert gift.counterparty == "Former member"
    assert "Former member" in pdf_text_of(statement_pdf(after))[0]
    assert riverside.ben.name not in pdf_text_of(statement_pdf(after))[0]


def test_markup_and_sql_in_a_description_are_printed_as_they_were_written(
    engine: Engine, riverside: Riverside
) -> None:
    written = "<b>tea</b> & '; DROP TABLE x;--"
    earn(engine, riverside, riverside.ana, 120)
    ana_gives_ben(engine, riverside, written, days_ago(1))
    statement = anas_statement(engine, riverside)

    (page,) = pdf_text_of(statement_pdf(statement))
    rows = list(csv.DictReader(io.StringIO(statement_csv(statement))))

    assert written in page
    assert [row["description"] for row in rows if row["description"] == written]


def test_a_statement_drawn_in_welsh_reads_back_in_welsh(
    engine: Engine, riverside: Riverside
) -> None:
    give_ana_one_entry_of_each_kind(engine, riverside)

    with drawing_in(engine, "cy"):
        statement = anas_statement(engine, riverside)
        (page,) = pdf_text_of(statement_pdf(statement))
    in_the_books = balance(engine, riverside.ana_id).balance_minutes
    earned = statement.lines[0]

    assert f"Datganiad credydau {statement.number}" in page
    assert re.search(
        r"^Rhif +Digwyddodd +Cofnodwyd +Math +Yr ochr arall +Disgrifiad +I mewn"
        r" +Allan +Balans$",
        page,
        re.M,
    )
    first, last = statement.period.first_day, statement.period.last_day
    assert re.search(rf"Cyfnod\s*{in_welsh(first)} i {in_welsh(last)}\n", page)
    assert re.search(rf"^{earned.transaction_id} .* Ennill +Banc amser", page, re.M)
    assert re.search(rf"Balans cloi\s*{format_minutes(in_the_books)}\n", page)
    assert "Tudalen 1 o 1" in page
    assert "Closing balance" not in page


def rename(engine: Engine, user: User, name: str) -> None:
    run(
        engine,
        lambda s: s.execute(update(User).where(User.id == user.id).values(name=name)),
    )


@pytest.mark.parametrize("language", ["en", "cy"])
def test_names_in_any_alphabet_are_printed_as_they_are_written(
    engine: Engine, riverside: Riverside, language: str
) -> None:
    ana, ben = "Siôn Ŵyn Łukasz Ζωή", "Zoë Mŷr Дмитро"
    rename(engine, riverside.ana, ana)
    rename(engine, riverside.ben, ben)
    earn(engine, riverside, riverside.ana, 120)
    ana_gives_ben(engine, riverside, "Diolch, Ŵyn! Dziękuję, Ζωή", days_ago(1))

    with drawing_in(engine, language):
        (page,) = pdf_text_of(statement_pdf(anas_statement(engine, riverside)))

    # The holder in the summary's font, the other side and the description
    # in the lines' fixed-width one.
    assert ana in page
    assert re.search(rf"^\d+ .* {ben} .* Diolch, Ŵyn! Dziękuję, Ζωή ", page, re.M)
    assert "?" not in page


def test_a_statement_issued_in_welsh_verifies_as_one_in_english_would(
    engine: Engine, riverside: Riverside
) -> None:
    give_ana_one_entry_of_each_kind(engine, riverside)

    with drawing_in(engine, "cy"):
        welsh = anas_statement(engine, riverside)
        (page,) = pdf_text_of(statement_pdf(welsh))

    assert welsh.checksum[:32] in page
    assert verify(engine, welsh.number, welsh.checksum).genuine
