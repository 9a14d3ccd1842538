"""Measure statements: one of 10,000 entries, and printing 1,000 at once.

Run from the repository root:

    .venv/bin/python bench/statements_bench.py [--postgres-url URL | --sqlite-only]

It builds a throwaway database (a SQLite file in a temporary folder, and a
PostgreSQL database on the server named, dropped at the end) with the
project's migrations, seeds it through the services and the ledger, and
prints each figure as it comes, then the targets with pass or FAIL.
Each bulk print runs in a forked process of its own, so that its peak
resident memory is its own.
"""

import argparse
import multiprocessing
import os
import resource
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from random import Random

from argon2 import PasswordHasher
from ledger_bench import DEFAULT_POSTGRES_URL, throwaway_postgres
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

import ledger
from ledger.schema import accounts
from timebank.banks.models import TimeBank
from timebank.banks.rules import today
from timebank.banks.services import open_time_bank
from timebank.database import upgrade_database
from timebank.people import services as people
from timebank.people.models import Membership, Role, User
from timebank.statements.csv_file import statement_csv
from timebank.statements.pdf import statement_pdf
from timebank.statements.services import (
    issue_statement,
    print_run,
    request_print_run,
)
from timebank.unit_of_work import run_use_case

LONG_HISTORY = 10_000
BULK_COUNTS = (250, 1_000)
ENTRIES_PER_MEMBER = 12
STATEMENT_RUNS = 3

# The issue's targets.
ONE_STATEMENT_SECONDS = 1.0
BULK_SECONDS = 60.0
# Peak memory printing the larger count within this much of the smaller's.
MEMORY_GROWTH_LIMIT = 1.25


@dataclass(frozen=True)
class Bulk:
    backend: str
    count: int
    file_format: str
    seconds: float
    peak_megabytes: float
    file_megabytes: float


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--sqlite-only", action="store_true")
    arguments = parser.parse_args()
    # Seeding registers a thousand users: hash their passwords cheaply.
    people.password_hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    results: list[Bulk] = []
    one: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        backends = [("sqlite", f"sqlite:///{Path(folder) / 'bench.sqlite3'}")]
        for backend, url in backends:
            one[backend] = bench_backend(backend, url, Path(folder), results)
        if not arguments.sqlite_only:
            with throwaway_postgres(arguments.postgres_url) as url:
                one["postgres"] = bench_backend("postgres", url, Path(folder), results)
    report(one, results)


def bench_backend(backend: str, url: str, folder: Path, results: list[Bulk]) -> float:
    """Seed a database at url, time one long statement, and print in bulk."""
    upgrade_database(url)
    engine = ledger.create_engine(url)
    started = time.perf_counter()
    seeds = {count: seed_bank(engine, f"bank-{count}", count) for count in BULK_COUNTS}
    long_account = seeds[BULK_COUNTS[0]].member_accounts[0]
    write_history(engine, seeds[BULK_COUNTS[0]], long_account, LONG_HISTORY)
    print(f"{backend}: seeded in {time.perf_counter() - started:.1f} s", flush=True)

    best = min(
        time_one_statement(engine, seeds[BULK_COUNTS[0]], long_account)
        for _ in range(STATEMENT_RUNS)
    )
    print(
        f"{backend}: one statement of {LONG_HISTORY:,} entries, issued and drawn "
        f"as PDF: {best:.2f} s (best of {STATEMENT_RUNS}); as CSV: "
        f"{time_csv(engine, seeds[BULK_COUNTS[0]], long_account):.2f} s",
        flush=True,
    )
    engine.dispose()
    for count in BULK_COUNTS:
        for file_format in ("pdf", "zip"):
            result = bulk_in_child(backend, url, seeds[count], file_format, folder)
            results.append(result)
            print(
                f"{backend}: {count:,} statements as one {file_format.upper()}: "
                f"{result.seconds:.1f} s, peak memory {result.peak_megabytes:.0f} MB, "
                f"file {result.file_megabytes:.1f} MB",
                flush=True,
            )
    return best


@dataclass(frozen=True)
class Seed:
    bank_id: int
    admin_id: int
    issuance_account: int
    member_accounts: list[int]


def seed_bank(engine: Engine, slug: str, members: int) -> Seed:
    """Open a time bank of members, each with a few entries over the past year."""

    def open_bank(s: Session) -> Seed:
        admin = people.register_user(
            s, email=f"admin@{slug}.example", name="Admin", password="bench-password"
        )
        bank = open_time_bank(s, founder=admin, name=slug, slug=slug)
        broker = enrol(s, admin, bank, "Broker")
        people.grant_role(
            s,
            actor=admin,
            time_bank_id=bank.id,
            member_id=broker.id,
            role=Role.BROKER,
            reason="Prints statements",
        )
        accounts_of_members = [
            enrol(s, admin, bank, f"Member {n:05d}").account_id for n in range(members)
        ]
        issuance = s.scalars(
            select(accounts.c.id).where(
                accounts.c.book_id == bank.book_id, accounts.c.kind == "issuance"
            )
        ).one()
        return Seed(bank.id, admin.id, issuance, accounts_of_members)

    seed = run_use_case(open_bank, engine=engine)
    random = Random(slug)
    with engine.begin() as conn:
        for account_id in seed.member_accounts:
            for _ in range(ENTRIES_PER_MEMBER):
                ledger.transfer(
                    conn,
                    from_account_id=seed.issuance_account,
                    to_account_id=account_id,
                    minutes=random.choice([15, 30, 60, 120]),
                    kind="earn",
                    service_date=today() - timedelta(days=random.randrange(365)),
                )
    return seed


def enrol(s: Session, admin: User, bank: TimeBank, name: str) -> Membership:
    user = people.register_user(
        s,
        email=f"{name.lower().replace(' ', '.')}@{bank.slug}.example",
        name=name,
        password="bench-password",
    )
    return people.enrol_member(s, actor=admin, time_bank_id=bank.id, user_id=user.id)


def write_history(engine: Engine, seed: Seed, account_id: int, entries: int) -> None:
    """Give one member a history of entries: earns, and gifts to the pool."""
    random = Random(entries)
    with engine.begin() as conn:
        bank_pool = conn.execute(
            select(TimeBank.pool_account_id).where(TimeBank.id == seed.bank_id)
        ).scalar_one()
        for n in range(entries):
            earning = n % 3 != 2
            ledger.transfer(
                conn,
                from_account_id=seed.issuance_account if earning else account_id,
                to_account_id=account_id if earning else bank_pool,
                minutes=random.choice([15, 30, 60]),
                kind="earn" if earning else "gift",
                service_date=today() - timedelta(days=random.randrange(365)),
            )


def time_one_statement(engine: Engine, seed: Seed, account_id: int) -> float:
    """Return the seconds to issue a year's statement of the account and draw it."""
    started = time.perf_counter()

    def work(s: Session) -> bytes:
        statement = issue_statement(
            s,
            actor=s.get_one(User, seed.admin_id),
            account_id=account_id,
            first_day=today() - timedelta(days=365),
            last_day=today(),
        )
        assert len(statement.lines) >= LONG_HISTORY
        return statement_pdf(statement)

    run_use_case(work, engine=engine)
    return time.perf_counter() - started


def time_csv(engine: Engine, seed: Seed, account_id: int) -> float:
    """Return the seconds to issue the same statement and write it as CSV."""
    started = time.perf_counter()
    run_use_case(
        lambda s: statement_csv(
            issue_statement(
                s,
                actor=s.get_one(User, seed.admin_id),
                account_id=account_id,
                first_day=today() - timedelta(days=365),
                last_day=today(),
            )
        ),
        engine=engine,
    )
    return time.perf_counter() - started


def bulk_in_child(
    backend: str, url: str, seed: Seed, file_format: str, folder: Path
) -> Bulk:
    """Print every member's statement of a bank in a forked process; measure it."""
    receive, send = multiprocessing.Pipe(duplex=False)
    child = multiprocessing.get_context("fork").Process(
        target=_bulk, args=(url, seed, file_format, folder, send)
    )
    child.start()
    seconds, peak_kilobytes, size = receive.recv()
    child.join()
    return Bulk(
        backend,
        len(seed.member_accounts),
        file_format,
        seconds,
        peak_kilobytes / 1024,
        size / 1024 / 1024,
    )


def _bulk(url: str, seed: Seed, file_format: str, folder: Path, send: object) -> None:
    engine = ledger.create_engine(url)
    output = folder / f"bulk-{os.getpid()}.{file_format}"

    def ask(s: Session) -> int:
        return request_print_run(
            s,
            actor=s.get_one(User, seed.admin_id),
            time_bank_id=seed.bank_id,
            organisation_id=None,
            first_day=today() - timedelta(days=365),
            last_day=today(),
            file_format=file_format,
        ).id

    started = time.perf_counter()
    run_id = run_use_case(ask, engine=engine)
    print_run(engine, run_id=run_id, path_for=lambda _: output)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    send.send((seconds, peak, output.stat().st_size))  # type: ignore[attr-defined]
    output.unlink()
    engine.dispose()


def report(one: dict[str, float], results: list[Bulk]) -> None:
    """Print the figures against the issue's targets."""
    print(f"\nLoad average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("\ntarget                                                  figure   result")
    for backend, seconds in one.items():
        verdict = "pass" if seconds <= ONE_STATEMENT_SECONDS else "FAIL"
        print(
            f"{backend:8} one statement of {LONG_HISTORY:,} entries <= "
            f"{ONE_STATEMENT_SECONDS:.0f} s       {seconds:6.2f} s  {verdict}"
        )
    largest = max(BULK_COUNTS)
    for result in results:
        if result.count != largest:
            continue
        verdict = "pass" if result.seconds <= BULK_SECONDS else "FAIL"
        print(
            f"{result.backend:8} {largest:,} statements as {result.file_format.upper()}"
            f" <= {BULK_SECONDS:.0f} s          {result.seconds:6.1f} s  {verdict}"
        )
        smaller = next(
            r
            for r in results
            if (r.backend, r.file_format, r.count)
            == (result.backend, result.file_format, min(BULK_COUNTS))
        )
        growth = result.peak_megabytes / smaller.peak_megabytes
        verdict = "pass" if growth <= MEMORY_GROWTH_LIMIT else "FAIL"
        print(
            f"{result.backend:8} {result.file_format.upper()} peak memory "
            f"{min(BULK_COUNTS):,} -> {largest:,}: "
            f"{smaller.peak_megabytes:.0f} -> {result.peak_megabytes:.0f} MB"
            f" (x{growth:.2f} <= x{MEMORY_GROWTH_LIMIT})  {verdict}"
        )


if __name__ == "__main__":
    main()
