"""Statements on the web: downloads, the verify page, and printing in bulk."""

import csv
import io
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from pypdf import PdfReader
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import Queue, SimpleWorker
from sqlalchemy import Engine, func, select

from timebank.people.models import User
from timebank.statements import jobs
from timebank.statements.models import IssuedStatement, PrintRun
from timebank.statements.services import print_run, request_print_run

from ..factories import Riverside, days_ago, earn, give_ana_one_entry_of_each_kind, run
from ..test_statements import account_of
from .conftest import Browser, choose, error_beside, refusal_beside

REDIS_URL = "redis://127.0.0.1:6379/0"


def print_whole_bank(
    engine: Engine, place: Riverside, app: Flask, folder: Path
) -> PrintRun:
    """Print every member's statement of the last 30 days as the broker, at once."""
    app.config["STATEMENTS_FOLDER"] = str(folder)
    requested = run(
        engine,
        lambda s: request_print_run(
            s,
            actor=place.broker,
            time_bank_id=place.bank_id,
            organisation_id=None,
            first_day=days_ago(30),
            last_day=days_ago(0),
            file_format="pdf",
        ),
    )
    return print_run(
        engine,
        run_id=requested.id,
        path_for=lambda printed: jobs.printed_path(folder, printed),
    )


def issued_count(engine: Engine) -> int:
    return run(
        engine, lambda s: s.scalar(select(func.count()).select_from(IssuedStatement))
    )


def statement_url(place: Riverside, account_id: int, **query: str) -> str:
    where = "&".join(f"{name}={value}" for name, value in query.items())
    return f"/banks/{place.slug}/accounts/{account_id}/statement?{where}".rstrip("?")


@pytest.fixture
def ana(riverside: Riverside, browser_for: Callable[[User], Browser]) -> Browser:
    return browser_for(riverside.ana)


def test_a_member_finds_and_downloads_their_statement_as_pdf(
    engine: Engine, riverside: Riverside, ana: Browser
) -> None:
    give_ana_one_entry_of_each_kind(engine, riverside)
    account_id = account_of(engine, riverside.ana_id)
    url = statement_url(riverside, account_id)

    assert url in ana.get(f"/banks/{riverside.slug}/").get_data(as_text=True)
    assert url in ana.get(f"/banks/{riverside.slug}/history").get_data(as_text=True)
    form = ana.get(url)
    response = ana.get(
        statement_url(
            riverside, account_id, **{"from": str(days_ago(30)), "to": str(days_ago(0))}
        )
    )

    assert form.status_code == 200
    assert 'name="from"' in form.get_data(as_text=True)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    text = PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    assert "Ana" in text and "Closing balance" in text


def test_a_member_reading_in_welsh_downloads_their_statement_in_welsh(
    engine: Engine, riverside: Riverside, ana: Browser
) -> None:
    earn(engine, riverside, riverside.ana, 90)
    account_id = account_of(engine, riverside.ana_id)
    choose(ana, "cy", on=f"/banks/{riverside.slug}/")

    response = ana.get(
        statement_url(
            riverside, account_id, **{"from": str(days_ago(5)), "to": str(days_ago(0))}
        )
    )

    text = PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    assert "Datganiad credydau ST-" in text
    assert "Balans cloi\n1 h 30 min" in text
    assert "Tudalen 1 o 1" in text


def test_a_member_downloads_their_statement_as_csv(
    engine: Engine, riverside: Riverside, ana: Browser
) -> None:
    earn(engine, riverside, riverside.ana, 90)
    account_id = account_of(engine, riverside.ana_id)

    response = ana.get(
        statement_url(
            riverside,
            account_id,
            **{"from": str(days_ago(5)), "to": str(days_ago(0)), "format": "csv"},
        )
    )

    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [row["balance_minutes"] for row in rows] == ["0", "90", "90"]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"from": "2026-02-30", "to": "2026-03-01"}, "from", "as a date"),
        ({"from": "yesterday", "to": "2026-03-01"}, "from", "as a date"),
        ({"from": "2026-03-01"}, "to", "as a date"),
        ({"from": str(days_ago(1)), "to": str(days_ago(2))}, "to", "on or after"),
        ({"from": str(days_ago(1)), "to": str(days_ago(-5))}, "to", "at the latest"),
        ({"from": "1900-01-01", "to": str(days_ago(0))}, "to", "ten years"),
        (
            {"from": str(days_ago(1)), "to": str(days_ago(0)), "format": "doc"},
            "format",
            "PDF or CSV",
        ),
    ],
)
def test_a_bad_period_is_refused_beside_its_field_and_issues_nothing(
    engine: Engine,
    riverside: Riverside,
    ana: Browser,
    query: dict[str, str],
    field: str,
    message: str,
) -> None:
    before = issued_count(engine)

    response = ana.get(
        statement_url(riverside, account_of(engine, riverside.ana_id), **query)
    )

    assert response.status_code == 422
    assert message in error_beside(response, field)
    assert issued_count(engine) == before


def test_the_verify_page_tells_a_genuine_statement_from_a_changed_one(
    engine: Engine, riverside: Riverside, ana: Browser, browser: Browser
) -> None:
    earn(engine, riverside, riverside.ana, 60)
    response = ana.get(
        statement_url(
            riverside,
            account_of(engine, riverside.ana_id),
            **{"from": str(days_ago(5)), "to": str(days_ago(0)), "format": "csv"},
        )
    )
    number = next(csv.DictReader(io.StringIO(response.get_data(as_text=True))))[
        "statement"
    ]
    checksum = run(
        engine,
        lambda s: s.scalars(
            select(IssuedStatement.checksum).order_by(IssuedStatement.id.desc())
        ).first(),
    )

    genuine = browser.get(f"/statements/verify?number={number}&checksum={checksum}")
    changed = browser.get(f"/statements/verify?number={number}&checksum={'f' * 64}")
    unknown = browser.get(f"/statements/verify?number=ST-99999999&checksum={checksum}")

    assert "Genuine" in genuine.get_data(as_text=True)
    assert "not the one statement" in changed.get_data(as_text=True)
    assert unknown.status_code == 422
    assert "No statement numbered" in error_beside(unknown, "number")


def wait_for(engine: Engine, run_id: int) -> PrintRun:
    """Wait for a print run in the background to finish, for a minute at most."""
    for _ in range(1200):
        printed = run(engine, lambda s: s.get_one(PrintRun, run_id))
        if printed.status in ("done", "failed"):
            return printed
        time.sleep(0.05)
    raise AssertionError(f"print run {run_id} is still {printed.status}")


def ask_to_print(
    browser: Browser, place: Riverside, scope: str, file_format: str
) -> int:
    url = f"/banks/{place.slug}/statements/print"
    response = browser.submit(
        url,
        {
            "scope": scope,
            "from": str(days_ago(30)),
            "to": str(days_ago(0)),
            "format": file_format,
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.location.rstrip("/").rsplit("/", 1)[1])


def test_a_broker_prints_every_members_statement_into_one_pdf(
    engine: Engine,
    riverside: Riverside,
    app: Flask,
    browser_for: Callable[[User], Browser],
    tmp_path: Path,
) -> None:
    app.config["STATEMENTS_FOLDER"] = str(tmp_path)
    earn(engine, riverside, riverside.ana, 60)
    broker = browser_for(riverside.broker)

    run_id = ask_to_print(broker, riverside, "bank", "pdf")
    printed = wait_for(engine, run_id)
    page = broker.get(f"/banks/{riverside.slug}/statements/print/{run_id}")
    download = broker.get(f"/banks/{riverside.slug}/statements/print/{run_id}/file")

    # The broker, Ana, Ben and the food bank's admin are Riverside's members.
    assert (printed.status, printed.done_count, printed.statement_count) == (
        "done",
        4,
        4,
    )
    assert "All 4 statements are printed" in page.get_data(as_text=True)
    pages = PdfReader(io.BytesIO(download.data)).pages
    assert len(pages) == 4
    assert ["Page 1 of 1" in p.extract_text() for p in pages] == [True] * 4


def test_a_broker_reading_in_welsh_prints_every_statement_in_welsh(
    engine: Engine,
    riverside: Riverside,
    app: Flask,
    browser_for: Callable[[User], Browser],
    tmp_path: Path,
) -> None:
    app.config["STATEMENTS_FOLDER"] = str(tmp_path)
    broker = browser_for(riverside.broker)
    choose(broker, "cy", on=f"/banks/{riverside.slug}/statements/print")

    run_id = ask_to_print(broker, riverside, "bank", "pdf")
    printed = wait_for(engine, run_id)
    download = broker.get(f"/banks/{riverside.slug}/statements/print/{run_id}/file")

    assert printed.status == "done"
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(download.data)).pages]
    assert len(pages) == 4
    assert all("Datganiad credydau" in page for page in pages)
    assert all("Tudalen 1 o 1" in page for page in pages)


def test_an_organisations_admin_prints_its_volunteers_statements_as_a_zip(
    engine: Engine,
    riverside: Riverside,
    app: Flask,
    browser_for: Callable[[User], Browser],
    tmp_path: Path,
) -> None:
    app.config["STATEMENTS_FOLDER"] = str(tmp_path)
    earn(engine, riverside, riverside.ana, 60)
    charity = browser_for(riverside.charity_admin)

    form = charity.get(f"/banks/{riverside.slug}/statements/print")
    run_id = ask_to_print(charity, riverside, str(riverside.charity.id), "zip")
    wait_for(engine, run_id)
    download = charity.get(f"/banks/{riverside.slug}/statements/print/{run_id}/file")

    assert "Every member" not in form.get_data(as_text=True)
    with zipfile.ZipFile(io.BytesIO(download.data)) as archive:
        (name,) = archive.namelist()
        text = PdfReader(io.BytesIO(archive.read(name))).pages[0].extract_text()
    assert "Ana" in text


def test_printing_for_the_whole_bank_is_not_offered_to_an_organisations_admin(
    engine: Engine,
    riverside: Riverside,
    browser_for: Callable[[User], Browser],
) -> None:
    charity = browser_for(riverside.charity_admin)

    message = refusal_beside(
        engine,
        charity,
        f"/banks/{riverside.slug}/statements/print",
        {"scope": "bank", "from": str(days_ago(3)), "to": str(days_ago(0))},
        "scope",
    )

    assert "from the list" in message


@pytest.fixture
def redis_queue(monkeypatch: pytest.MonkeyPatch, app: Flask) -> Iterator[Queue]:
    """Return an RQ queue of this test's own on the local Redis."""
    connection = Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except RedisConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    name = f"statements-test-{time.monotonic_ns()}"
    monkeypatch.setattr(jobs, "QUEUE", name)
    app.config["REDIS_URL"] = REDIS_URL
    queue = Queue(name, connection=connection)
    yield queue
    queue.delete(delete_jobs=True)


def test_with_redis_the_print_runs_on_an_rq_worker(
    engine: Engine,
    riverside: Riverside,
    app: Flask,
    browser_for: Callable[[User], Browser],
    tmp_path: Path,
    redis_queue: Queue,
) -> None:
    app.config["STATEMENTS_FOLDER"] = str(tmp_path)
    broker = browser_for(riverside.broker)

    run_id = ask_to_print(broker, riverside, "bank", "zip")
    waiting = run(engine, lambda s: s.get_one(PrintRun, run_id))
    SimpleWorker([redis_queue], connection=redis_queue.connection).work(burst=True)
    printed = run(engine, lambda s: s.get_one(PrintRun, run_id))

    assert waiting.status == "queued"
    assert printed.status == "done"
    with zipfile.ZipFile(tmp_path / f"print-run-{run_id}.zip") as archive:
        assert len(archive.namelist()) == 4
