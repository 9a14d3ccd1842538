"""Measure gifts through the JSON API under concurrent clients, beside pgbench.

Run from the repository root:

    .venv/bin/python bench/api_bench.py [--duration S] [--workers N] [--threads N]

It creates a throwaway PostgreSQL database on the server that --postgres-url
names (or TIMEBANK_BENCH_DATABASE_URL), builds it with the project's
migrations, opens a time bank through the domain's services, serves it with
gunicorn, and drives ``POST /api/v1/transfers`` from separate client processes,
one thread and one keep-alive connection per client. The server and the
database are stopped and dropped at the end, also on failure.
"""

import argparse
import http.client
import json
import multiprocessing
import os
import statistics
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from random import Random
from typing import Any

from api_service import (
    STARTUP_TIMEOUT_SECONDS,
    Giver,
    Tally,
    add_postgres_url,
    describe_server,
    outcome_of,
    seed_time_bank,
    serving,
)
from ledger_bench import (
    autocommit,
    check_books,
    checkpoint,
    measure_pgbench,
    run_pgbench,
    throwaway_postgres,
)

from timebank.database import upgrade_database

CLIENT_COUNTS = (8, 32, 64)
# One member per client at the most; every member is someone's recipient.
MEMBERS = max(CLIENT_COUNTS)
# Each member earns this many day-long shifts before the runs: 480 hours, so
# that the few members who give at 8 clients do not run dry within a run.
SHIFTS_PER_MEMBER = 20
GIFT_MINUTES = 15
# pgbench's scale is at least its client count, so that clients rarely share a branch.
PGBENCH_SCALE = max(CLIENT_COUNTS)
TRANSFERS = "/api/v1/transfers"
REQUEST_TIMEOUT_SECONDS = 30

# The targets.
PGBENCH_SHARE_TARGET = 0.25
P99_TARGET_MS = 100.0
TARGET_CLIENTS = 32
EXPECTED_OUTCOMES = {"201", "422 insufficient-credit"}


@dataclass(frozen=True)
class Run:
    """The figures of one client count."""

    clients: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    outcomes: Counter[str]
    pgbench_tps: float

    @property
    def pgbench_share(self) -> float:
        return self.requests_per_second / self.pgbench_tps


def main() -> None:
    """Seed, measure pgbench, serve the API, drive it, and print the figures."""
    args = parse_arguments()
    server = describe_server(args.workers, args.threads)
    with throwaway_postgres(args.postgres_url) as url:
        upgrade_database(url)
        machine = describe_machine(url, args.duration, server)
        print(machine, flush=True)
        givers = seed_time_bank(url, members=MEMBERS, shifts=SHIFTS_PER_MEMBER).givers
        run_pgbench(url, "-i", "-q", "-s", str(PGBENCH_SCALE))
        # pgbench runs before gunicorn opens its pools, so that their
        # connections together stay within the server's max_connections.
        pgbench_tps = {
            clients: measure_pgbench(url, clients, args.duration)
            for clients in CLIENT_COUNTS
        }
        runs = []
        with serving(url, args.workers, args.threads) as server:
            for clients in CLIENT_COUNTS:
                checkpoint(url)
                tally = drive_api(
                    server.port, givers, clients, args.client_processes, args.duration
                )
                runs.append(summarise(clients, tally, args.duration, pgbench_tps))
        check_books(url)
    print_report(machine, runs)


def parse_arguments() -> argparse.Namespace:
    """Read the server, the run's length and gunicorn's workers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_postgres_url(parser)
    parser.add_argument(
        "--duration", type=float, default=10, help="seconds per run (10)"
    )
    parser.add_argument(
        "--workers", type=int, default=4, help="gunicorn's worker processes (4)"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=4,
        help="threads per worker (4); 1 runs gunicorn's sync workers",
    )
    parser.add_argument(
        "--client-processes",
        type=int,
        default=2,
        help="processes sharing the clients' threads (2)",
    )
    return parser.parse_args()


def describe_machine(url: str, duration: float, server: str) -> str:
    """Name the CPUs, the database, the server and how busy the machine is."""
    with autocommit(url) as conn:
        version = conn.exec_driver_sql("SHOW server_version").scalar_one()
    return (
        f"{os.cpu_count()} CPUs, PostgreSQL {version}, {server}, "
        f"{duration:g} s per run, load average {os.getloadavg()[0]:.1f} at the start"
    )


# The clients.


def drive_api(
    port: int, givers: list[Giver], clients: int, processes: int, duration: float
) -> Tally:
    """Drive the API with one thread per client, spread over client processes.

    The processes are forked, not spawned: a spawned one would import this
    module, and with it the whole app, only to send HTTP requests.
    """
    context = multiprocessing.get_context("fork")
    processes = min(processes, clients)
    start = context.Barrier(processes + 1)
    results = context.Queue()
    account_ids = [giver.account_id for giver in givers]
    workers = [
        context.Process(
            target=client_process,
            args=(
                port,
                givers[first:clients:processes],
                account_ids,
                clients * 1000 + first,
                duration,
                start,
                results,
            ),
        )
        for first in range(processes)
    ]
    for worker in workers:
        worker.start()
    try:
        start.wait(timeout=STARTUP_TIMEOUT_SECONDS)
        tally = Tally()
        for _ in workers:
            tally.add(results.get(timeout=duration + 2 * REQUEST_TIMEOUT_SECONDS))
    finally:
        for worker in workers:
            worker.join(timeout=10)
            if worker.is_alive():
                worker.terminate()
    print(f"API, {clients} clients: {format_outcomes(tally.outcomes)}", flush=True)
    return tally


def client_process(
    port: int,
    givers: list[Giver],
    account_ids: list[int],
    seed: int,
    duration: float,
    start: Any,
    results: Any,
) -> None:
    """Run one client thread per giver, all started together, and report."""
    ready = threading.Barrier(len(givers) + 1)
    go = threading.Event()
    tallies = [Tally() for _ in givers]
    threads = [
        threading.Thread(
            target=client,
            args=(
                port,
                giver,
                account_ids,
                Random(seed + n),
                duration,
                ready,
                go,
                tally,
            ),
        )
        for n, (giver, tally) in enumerate(zip(givers, tallies, strict=True))
    ]
    for thread in threads:
        thread.start()
    ready.wait(timeout=STARTUP_TIMEOUT_SECONDS)
    start.wait(timeout=STARTUP_TIMEOUT_SECONDS)
    go.set()
    for thread in threads:
        thread.join()
    total = Tally()
    for tally in tallies:
        total.add(tally)
    results.put(total)


def client(
    port: int,
    giver: Giver,
    account_ids: list[int],
    choose: Random,
    duration: float,
    ready: threading.Barrier,
    go: threading.Event,
    tally: Tally,
) -> None:
    """Give to random other members until the time is up, timing each answer.

    The first gift opens the connection and is not counted; neither is an
    answer that comes after the time is up, so every counted one fits in it.
    """
    recipients = [
        account_id for account_id in account_ids if account_id != giver.account_id
    ]
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=REQUEST_TIMEOUT_SECONDS
    )
    give(connection, giver, choose.choice(recipients))
    ready.wait(timeout=STARTUP_TIMEOUT_SECONDS)
    go.wait()
    deadline = time.perf_counter_ns() + int(duration * 1e9)
    while (sent := time.perf_counter_ns()) < deadline:
        outcome = give(connection, giver, choose.choice(recipients))
        answered = time.perf_counter_ns()
        if answered <= deadline:
            tally.outcomes[outcome] += 1
            tally.latencies_ns.append(answered - sent)
    connection.close()


def give(
    connection: http.client.HTTPConnection, giver: Giver, to_account_id: int
) -> str:
    """Send one gift and return its outcome: the status, and a 4xx's problem type.

    A connection that fails is closed, and the next request opens a new one.
    """
    body = json.dumps(
        {
            "kind": "gift",
            "from_account_id": giver.account_id,
            "to_account_id": to_account_id,
            "minutes": GIFT_MINUTES,
            "memo": "Thank you",
        }
    )
    headers = {
        "Authorization": f"Bearer {giver.token}",
        "Content-Type": "application/json",
        "Idempotency-Key": f"bench-{uuid.uuid4().hex}",
    }
    try:
        connection.request("POST", TRANSFERS, body, headers)
        response = connection.getresponse()
        answer = response.read()
    except (OSError, http.client.HTTPException) as error:
        connection.close()
        return type(error).__name__
    return outcome_of(response.status, answer)


# Report.


def summarise(
    clients: int, tally: Tally, duration: float, pgbench_tps: dict[int, float]
) -> Run:
    """Reduce a run's answers to its rate, its latencies and its outcomes."""
    latencies_ms = [ns / 1e6 for ns in tally.latencies_ns]
    cuts = (
        statistics.quantiles(latencies_ms, n=100)
        if len(latencies_ms) > 1
        else [float("nan")] * 99
    )
    return Run(
        clients=clients,
        requests_per_second=len(latencies_ms) / duration,
        p50_ms=cuts[49],
        p99_ms=cuts[98],
        outcomes=tally.outcomes,
        pgbench_tps=pgbench_tps[clients],
    )


def format_outcomes(outcomes: Counter[str]) -> str:
    return ", ".join(
        f"{outcome}: {count:,}" for outcome, count in sorted(outcomes.items())
    )


def print_report(machine: str, runs: list[Run]) -> None:
    """Print the figures as a table, then each target with PASS or FAIL."""
    print()
    # Clients, server and database share the CPUs: the load tells of other work.
    print(f"Machine: {machine}, {os.getloadavg()[0]:.1f} at the end")
    print()
    print(f"POST {TRANSFERS}: gifts of {GIFT_MINUTES} minutes between random members")
    print(
        f"{'clients':>7}{'requests/s':>12}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'pgbench tps':>13}{'api/pgbench':>13}  outcomes"
    )
    for run in runs:
        print(
            f"{run.clients:>7}{run.requests_per_second:>12,.0f}{run.p50_ms:>9.1f}"
            f"{run.p99_ms:>9.1f}{run.pgbench_tps:>13,.0f}{run.pgbench_share:>13.2f}"
            f"  {format_outcomes(run.outcomes)}"
        )
    print()
    print("Targets")
    for target, figure, passed in targets(runs):
        print(f"{target:<52}{figure:>9}  {'PASS' if passed else 'FAIL'}")


def targets(runs: list[Run]) -> Iterator[tuple[str, str, bool]]:
    """Yield each target of the issue with its figure and whether it is met."""
    run = next(run for run in runs if run.clients == TARGET_CLIENTS)
    yield (
        f"requests/s >= {PGBENCH_SHARE_TARGET} x pgbench, {TARGET_CLIENTS} clients",
        f"{run.pgbench_share:.2f}",
        run.pgbench_share >= PGBENCH_SHARE_TARGET,
    )
    yield (
        f"p99 <= {P99_TARGET_MS:g} ms, {TARGET_CLIENTS} clients",
        f"{run.p99_ms:.1f}",
        run.p99_ms <= P99_TARGET_MS,
    )
    errors = sum(
        count
        for each in runs
        for outcome, count in each.outcomes.items()
        if outcome not in EXPECTED_OUTCOMES
    )
    yield (
        "no answers but 201 and 422 insufficient credit",
        f"{errors:,}",
        errors == 0,
    )


if __name__ == "__main__":
    main()
