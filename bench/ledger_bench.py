"""Measure the ledger's transfer throughput and read latency, beside pgbench.

Run from the repository root:

    .venv/bin/python bench/ledger_bench.py [--quick] [--postgres-url URL]

Every figure comes from throwaway databases: a new PostgreSQL database on the
server that --postgres-url names (dropped at the end, also on failure) and a
SQLite file in a temporary folder, both created by the project's migrations.
Workers are processes, each with its own engine, so that Python's GIL does not
cap the ledger at one core while pgbench's clients use them all.
"""

import argparse
import multiprocessing
import os
import re
import secrets
import sqlite3
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from random import Random
from typing import Any

from sqlalchemy import Connection, Engine, make_url, text
from sqlalchemy.pool import NullPool

import ledger
from ledger.chain import chain_resolved_entries
from timebank.database import upgrade_database

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
WORKER_COUNTS = (1, 8, 16)
MEMBERS = 1_000
OPENING_CREDIT_MINUTES = 100 * 60
TRANSFER_MINUTES = 15
# pgbench's scale is at least its client count, so that clients rarely share a branch.
PGBENCH_SCALE = max(WORKER_COUNTS)
SHORT_HISTORY = 1_000
LONG_HISTORY = 1_000_000
BALANCE_READS = 2_000
PAGE_READS = 200
PAGES_SKIPPED = 10
STARTUP_TIMEOUT_SECONDS = 120

# The targets.
PGBENCH_SHARE_TARGET = 0.5
PGBENCH_TARGET_WORKERS = (8, 16)
EARN_SHARE_TARGET = 0.8
LONG_READ_RATIO_TARGET = 1.2


@dataclass(frozen=True)
class Throughput:
    backend: str
    workers: int
    random_tps: float
    earn_tps: float
    pgbench_tps: float | None


@dataclass(frozen=True)
class Latency:
    read: str
    postings: int
    p50_us: float
    p99_us: float


@dataclass(frozen=True)
class Verification:
    postings: int
    seconds: float


def main() -> None:
    """Run every measurement and print the figures and the targets."""
    args = parse_arguments()
    duration = args.duration or (3 if args.quick else 10)
    with (
        throwaway_postgres(args.postgres_url) as postgres_url,
        tempfile.TemporaryDirectory(prefix="timebank_bench_") as folder,
    ):
        sqlite_url = f"sqlite:///{folder}/bench.sqlite"
        for url in (postgres_url, sqlite_url):
            upgrade_database(url)
        machine = describe_machine(postgres_url, duration)
        print(machine, flush=True)
        throughputs = [
            measure_sqlite(sqlite_url, duration),
            *measure_postgres(postgres_url, duration),
        ]
        latencies, verification = measure_reads(postgres_url)
    print_report(machine, throughputs, latencies, verification)


def parse_arguments() -> argparse.Namespace:
    """Read the server, and how long each run lasts, from the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--postgres-url",
        default=DEFAULT_POSTGRES_URL,
        help="a database on the server where the throwaway database is created",
    )
    parser.add_argument(
        "--quick", action="store_true", help="3 s per run instead of 10 s"
    )
    parser.add_argument("--duration", type=float, help="seconds per run")
    return parser.parse_args()


@contextmanager
def throwaway_postgres(server_url: str) -> Iterator[str]:
    """Create an empty database on the server for this run, and drop it after."""
    name = f"timebank_bench_{secrets.token_hex(4)}"
    server = ledger.create_engine(
        server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    try:
        with server.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield (
                make_url(server_url)
                .set(database=name)
                .render_as_string(hide_password=False)
            )
        finally:
            with server.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        server.dispose()


def describe_machine(postgres_url: str, duration: float) -> str:
    """Name the CPUs, the database versions and how busy the machine is."""
    with autocommit(postgres_url) as conn:
        version = conn.exec_driver_sql("SHOW server_version").scalar_one()
    return (
        f"{os.cpu_count()} CPUs, PostgreSQL {version}, "
        f"SQLite {sqlite3.sqlite_version}, {duration:g} s per run, "
        f"load average {os.getloadavg()[0]:.1f} at the start"
    )


@contextmanager
def autocommit(url: str) -> Iterator[Connection]:
    """Connect outside any transaction, for VACUUM and CHECKPOINT."""
    engine = ledger.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


# Throughput.


def open_members_book(url: str) -> tuple[int, list[int]]:
    """Open a book of members who each earned their opening credit."""

    def work(conn: Connection) -> tuple[int, list[int]]:
        book = ledger.open_book(conn, name="Bench")
        members = [
            ledger.open_account(
                conn, book_id=book.id, kind="member", owner=f"member {n}"
            ).id
            for n in range(MEMBERS)
        ]
        for member_id in members:
            ledger.transfer(
                conn,
                from_account_id=book.issuance_account_id,
                to_account_id=member_id,
                minutes=OPENING_CREDIT_MINUTES,
                kind="earn",
            )
        return book.id, members

    engine = ledger.create_engine(url)
    try:
        return ledger.run_in_transaction(engine, work)
    finally:
        engine.dispose()


def measure_sqlite(url: str, duration: float) -> Throughput:
    """Measure one writer on SQLite, the embedded default."""
    book_id, members = open_members_book(url)
    random_tps = measure_transfers(url, book_id, members, 1, False, duration)
    earn_tps = measure_transfers(url, book_id, members, 1, True, duration)
    check_books(url)
    return Throughput("sqlite", 1, random_tps, earn_tps, None)


def measure_postgres(url: str, duration: float) -> Iterator[Throughput]:
    """Measure pgbench, random transfers and earns at each worker count."""
    book_id, members = open_members_book(url)
    run_pgbench(url, "-i", "-q", "-s", str(PGBENCH_SCALE))
    for workers in WORKER_COUNTS:
        pgbench_tps = measure_pgbench(url, workers, duration)
        checkpoint(url)
        random_tps = measure_transfers(url, book_id, members, workers, False, duration)
        checkpoint(url)
        earn_tps = measure_transfers(url, book_id, members, workers, True, duration)
        yield Throughput("postgresql", workers, random_tps, earn_tps, pgbench_tps)


def checkpoint(url: str) -> None:
    """Flush dirty pages so that no run pays for the one before it."""
    with autocommit(url) as conn:
        conn.exec_driver_sql("CHECKPOINT")


def measure_transfers(
    url: str,
    book_id: int,
    members: list[int],
    workers: int,
    earn: bool,
    duration: float,
) -> float:
    """Return the transfers per second that worker processes record together."""
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(workers + 1)
    counts = context.Queue()
    processes = [
        context.Process(
            target=transfer_worker,
            args=(url, book_id, members, earn, seed, duration, start, counts),
        )
        for seed in range(workers)
    ]
    for process in processes:
        process.start()
    try:
        start.wait(timeout=STARTUP_TIMEOUT_SECONDS)
        results = [counts.get(timeout=duration + 60) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.terminate()
    recorded = sum(done for done, _ in results)
    refused = sum(refusals for _, refusals in results)
    tps = recorded / duration
    backend = make_url(url).get_backend_name()
    run = "earn from issuance" if earn else "random transfers"
    print(
        f"{backend} {run}, {count_workers(workers)}: "
        f"{tps:,.0f} tps ({refused} refused)",
        flush=True,
    )
    return tps


def transfer_worker(
    url: str,
    book_id: int,
    members: list[int],
    earn: bool,
    seed: int,
    duration: float,
    start: Any,
    counts: Any,
) -> None:
    """Record transfers until the time is up, then report how many succeeded."""
    engine = ledger.create_engine(url)
    # Reading the book also opens this worker's connection before the clock starts.
    book = ledger.run_in_transaction(
        engine, lambda conn: ledger.get_book(conn, book_id)
    )
    choose = Random(seed)
    done = refused = 0
    start.wait(timeout=STARTUP_TIMEOUT_SECONDS)
    deadline = time.perf_counter() + duration
    while time.perf_counter() < deadline:
        if earn:
            payer, payee = book.issuance_account_id, choose.choice(members)
        else:
            payer, payee = choose.sample(members, 2)
        try:
            ledger.run_in_transaction(
                engine,
                lambda conn, payer=payer, payee=payee: ledger.transfer(
                    conn,
                    from_account_id=payer,
                    to_account_id=payee,
                    minutes=TRANSFER_MINUTES,
                    kind="earn" if earn else "exchange",
                ),
            )
        except ledger.LedgerError:
            refused += 1
        else:
            done += 1
    counts.put((done, refused))
    engine.dispose()


def check_books(url: str) -> None:
    """Stop with the broken invariants if the runs left the books unsound."""
    engine = ledger.create_engine(url)
    try:
        violations = ledger.run_in_transaction(engine, ledger.find_violations)
    finally:
        engine.dispose()
    if violations:
        raise SystemExit("The benchmark broke the books:\n" + "\n".join(violations))


# pgbench.


def measure_pgbench(url: str, clients: int, duration: float) -> float:
    """Return the TPS of pgbench's default TPC-B-like script with this many clients."""
    checkpoint(url)
    output = run_pgbench(
        url, "-c", str(clients), "-j", str(clients), "-T", f"{duration:g}"
    )
    found = re.search(r"^tps = ([\d.]+)", output, re.MULTILINE)
    if found is None:
        raise SystemExit(f"pgbench printed no tps:\n{output}")
    tps = float(found.group(1))
    print(f"pgbench, {clients} clients: {tps:,.0f} tps", flush=True)
    return tps


def run_pgbench(url: str, *options: str) -> str:
    """Run pgbench on the database at url and return what it printed."""
    libpq_url = make_url(url).set(drivername="postgresql")
    completed = subprocess.run(
        ["pgbench", *options, libpq_url.render_as_string(hide_password=False)],
        capture_output=True,
        text=True,
    )
    if completed.returncode:
        raise SystemExit(f"pgbench {' '.join(options)} failed:\n{completed.stderr}")
    return completed.stdout


# Reads.


def measure_reads(url: str) -> tuple[list[Latency], Verification]:
    """Time balance reads and history pages on a short and a long history.

    Then time find_violations over the whole database, the long history
    included, which checks it.
    """
    engine = ledger.create_engine(url)
    try:
        short_id, long_id = open_history_accounts(engine)
        with autocommit(url) as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
        latencies = balance_read_latencies(engine, short_id, long_id)
        for postings, account_id in (
            (SHORT_HISTORY, short_id),
            (LONG_HISTORY, long_id),
        ):
            latencies.extend(page_latencies(engine, account_id, postings))
        verification = time_verification(engine)
    finally:
        engine.dispose()
    return latencies, verification


def time_verification(engine: Engine) -> Verification:
    """Time find_violations, and stop if it names any."""
    with engine.connect() as conn:
        postings = conn.scalar(text("SELECT count(*) FROM ledger_postings"))
        started = time.perf_counter()
        violations = ledger.find_violations(conn)
        seconds = time.perf_counter() - started
        conn.rollback()
    if violations:
        raise SystemExit("The benchmark broke the books:\n" + "\n".join(violations))
    print(f"find_violations over {postings:,} postings: {seconds:.1f} s", flush=True)
    return Verification(postings, seconds)


def open_history_accounts(engine: Engine) -> tuple[int, int]:
    """Open two members who earned 15 minutes a thousand and a million times."""

    def work(conn: Connection) -> tuple[int, int]:
        book = ledger.open_book(conn, name="Histories")
        short_id, long_id = (
            ledger.open_account(conn, book_id=book.id, kind="member", owner=owner).id
            for owner in ("short history", "long history")
        )
        for member_id, count in ((short_id, SHORT_HISTORY), (long_id, LONG_HISTORY)):
            insert_earns(conn, book, member_id, count)
        return short_id, long_id

    started = time.perf_counter()
    accounts = ledger.run_in_transaction(engine, work)
    print(
        f"wrote {SHORT_HISTORY + LONG_HISTORY:,} earns in "
        f"{time.perf_counter() - started:.0f} s",
        flush=True,
    )
    # The earns bypassed the ledger, so their postings join the chains here.
    started = time.perf_counter()
    chained = ledger.run_in_transaction(engine, chain_resolved_entries)
    print(
        f"chained their {chained:,} postings in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    return accounts


INSERT_EARNS = text(
    """
    WITH entries AS (
        INSERT INTO ledger_transactions
            (book_id, kind, status, memo, service_date, recorded_at, resolved_at)
        SELECT :book_id, 'earn', 'posted', 'Volunteering', moment::date, moment, moment
        FROM generate_series(
            now() - :count * interval '1 second',
            now() - interval '1 second',
            interval '1 second'
        ) AS moment
        RETURNING id, recorded_at
    )
    INSERT INTO ledger_postings (transaction_id, account_id, slot, minutes, recorded_at)
    SELECT id, :member_id, 0, :minutes, recorded_at FROM entries
    UNION ALL
    SELECT id, :issuance_id, :slot, -:minutes, recorded_at FROM entries
    """
)

ADD_TO_ACCOUNT = text(
    """
    UPDATE ledger_accounts
    SET balance_minutes = balance_minutes + :minutes, version = version + :count
    WHERE id = :account_id
    """
)

ADD_TO_SLOT = text(
    """
    UPDATE ledger_account_slots
    SET balance_minutes = balance_minutes + :minutes
    WHERE account_id = :account_id AND slot = :slot
    """
)


def insert_earns(
    conn: Connection, book: ledger.Book, member_id: int, count: int
) -> None:
    """Write count earns of 15 minutes to one member in one statement.

    The issuance side goes to the slot the ledger itself would choose (the
    member's id modulo the slot count), so that every total still equals the
    sum of its postings.
    """
    slot_count = conn.scalar(
        text("SELECT slot_count FROM ledger_accounts WHERE id = :id"),
        {"id": book.issuance_account_id},
    )
    slot = member_id % slot_count
    conn.execute(
        INSERT_EARNS,
        {
            "book_id": book.id,
            "count": count,
            "member_id": member_id,
            "issuance_id": book.issuance_account_id,
            "slot": slot,
            "minutes": TRANSFER_MINUTES,
        },
    )
    total = count * TRANSFER_MINUTES
    conn.execute(
        ADD_TO_ACCOUNT, {"account_id": member_id, "minutes": total, "count": count}
    )
    issuance = {"account_id": book.issuance_account_id, "minutes": -total}
    if slot:
        conn.execute(ADD_TO_SLOT, {**issuance, "slot": slot})
    else:
        conn.execute(ADD_TO_ACCOUNT, {**issuance, "count": count})


def balance_read_latencies(
    engine: Engine, short_id: int, long_id: int
) -> list[Latency]:
    """Time get_account on both accounts, alternating so that drift hits both."""
    samples: dict[int, list[int]] = {short_id: [], long_id: []}
    with engine.connect() as conn:
        for round_number in range(BALANCE_READS + 100):
            for account_id in (short_id, long_id):
                started = time.perf_counter_ns()
                ledger.get_account(conn, account_id)
                # The first hundred rounds warm the caches and are not counted.
                if round_number >= 100:
                    samples[account_id].append(time.perf_counter_ns() - started)
        conn.rollback()
    return [
        latency("get_account", SHORT_HISTORY, samples[short_id]),
        latency("get_account", LONG_HISTORY, samples[long_id]),
    ]


def page_latencies(engine: Engine, account_id: int, postings: int) -> list[Latency]:
    """Time the first page of history and the page after ten pages of cursor."""
    with engine.connect() as conn:
        cursor = None
        for _ in range(PAGES_SKIPPED):
            cursor = ledger.list_entries(conn, account_id, cursor=cursor).next_cursor
        latencies = []
        for read, page_cursor in (
            ("list_entries, page 1", None),
            (f"list_entries, page {PAGES_SKIPPED + 1}", cursor),
        ):
            samples = []
            for _ in range(PAGE_READS):
                started = time.perf_counter_ns()
                ledger.list_entries(conn, account_id, cursor=page_cursor)
                samples.append(time.perf_counter_ns() - started)
            latencies.append(latency(read, postings, samples))
        conn.rollback()
    return latencies


def latency(read: str, postings: int, samples_ns: list[int]) -> Latency:
    """Summarise timings in nanoseconds as a median and a 99th percentile."""
    cuts = statistics.quantiles(samples_ns, n=100)
    return Latency(read, postings, cuts[49] / 1000, cuts[98] / 1000)


# Report.


def print_report(
    machine: str,
    throughputs: list[Throughput],
    latencies: list[Latency],
    verification: Verification,
) -> None:
    """Print the figures as two tables, then each target with pass or FAIL."""
    print()
    # Other work on the machine takes CPU from the workers: the load tells.
    print(f"Machine: {machine}, {os.getloadavg()[0]:.1f} at the end")
    print()
    print("Transfers per second (earn: every transfer is an earn from issuance)")
    print(
        f"{'backend':<11}{'workers':>8}{'random':>9}{'earn':>9}{'earn/random':>13}"
        f"{'pgbench':>9}{'random/pgbench':>16}{'earn/pgbench':>14}"
    )
    for run in throughputs:
        pgbench = "-" if run.pgbench_tps is None else f"{run.pgbench_tps:,.0f}"
        shares = ("-", "-")
        if run.pgbench_tps:
            shares = tuple(
                f"{tps / run.pgbench_tps:.2f}" for tps in (run.random_tps, run.earn_tps)
            )
        print(
            f"{run.backend:<11}{run.workers:>8}{run.random_tps:>9,.0f}"
            f"{run.earn_tps:>9,.0f}{run.earn_tps / run.random_tps:>13.2f}"
            f"{pgbench:>9}{shares[0]:>16}{shares[1]:>14}"
        )
    print()
    print("Read latency on PostgreSQL, microseconds")
    print(f"{'read':<22}{'postings':>11}{'p50':>9}{'p99':>9}")
    for read in latencies:
        print(
            f"{read.read:<22}{read.postings:>11,}{read.p50_us:>9.0f}{read.p99_us:>9.0f}"
        )
    print()
    print(
        f"find_violations on PostgreSQL over {verification.postings:,} postings "
        f"({LONG_HISTORY:,} in one account): {verification.seconds:.1f} s"
    )
    print()
    print("Targets")
    for target, figure, passed in targets(throughputs, latencies):
        print(f"{target:<52}{figure:>7.2f}  {'pass' if passed else 'FAIL'}")


def targets(
    throughputs: list[Throughput], latencies: list[Latency]
) -> Iterator[tuple[str, float, bool]]:
    """Yield each target of the issue with its figure and whether it is met."""
    postgres = [run for run in throughputs if run.backend == "postgresql"]
    for run in postgres:
        if run.workers in PGBENCH_TARGET_WORKERS:
            share = run.random_tps / run.pgbench_tps
            yield (
                f"random transfers >= {PGBENCH_SHARE_TARGET} x pgbench, "
                f"{count_workers(run.workers)}",
                share,
                share >= PGBENCH_SHARE_TARGET,
            )
    for run in postgres:
        share = run.earn_tps / run.random_tps
        yield (
            f"earn >= {EARN_SHARE_TARGET} x random transfers, "
            f"{count_workers(run.workers)}",
            share,
            share >= EARN_SHARE_TARGET,
        )
    balance = {read.postings: read for read in latencies if read.read == "get_account"}
    ratio = balance[LONG_HISTORY].p50_us / balance[SHORT_HISTORY].p50_us
    yield (
        f"get_account p50 at 1M postings <= {LONG_READ_RATIO_TARGET} x at 1k",
        ratio,
        ratio <= LONG_READ_RATIO_TARGET,
    )


def count_workers(workers: int) -> str:
    return f"{workers} worker{'s' * (workers > 1)}"


if __name__ == "__main__":
    main()
