"""Run the JSON API under a mix of reads and writes for minutes, watching memory.

Run from the repository root:

    .venv/bin/python bench/load_run.py [--duration S] [--clients N]
        [--workers N] [--threads N] [--postgres-url URL]

It creates a throwaway PostgreSQL database, opens a time bank, serves it with
gunicorn, and has each client (64 by default, one thread and one keep-alive
connection each, in forked client processes) send, as its own member, a
random mix of GET /me, GET /accounts/{id}, pages of GET /accounts/{id}/entries,
gifts through POST /transfers and POST /hour-logs until the time is up. Every
few seconds it samples the resident memory of gunicorn's processes. It prints
the rate, p50 and p99 of each kind of request, every outcome, the memory
over time, and whether any answer was not the expected one.
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
from collections.abc import Callable
from pathlib import Path
from random import Random
from typing import Any

from api_service import (
    STARTUP_TIMEOUT_SECONDS,
    Giver,
    SeededBank,
    Tally,
    add_postgres_url,
    describe_server,
    outcome_of,
    seed_time_bank,
    serving,
)
from ledger_bench import check_books, throwaway_postgres

from timebank.banks.rules import today
from timebank.database import upgrade_database

API = "/api/v1"
# Five days each: a member gives about as much as they receive, so this is
# slack for a run of many minutes.
SHIFTS_PER_MEMBER = 5
GIFT_MINUTES = 15
HOUR_LOG_MINUTES = 60
PAGE_SIZE = 20
REQUEST_TIMEOUT_SECONDS = 30
# The most the server's memory may grow in the run's second half and be flat.
FLAT_MEMORY_GROWTH = 0.02
# The mix: how often each kind of request is sent, out of the weights' sum.
MIX = {
    "GET /me": 2,
    "GET /accounts/{id}": 2,
    "GET /accounts/{id}/entries": 2,
    "POST /transfers": 3,
    "POST /hour-logs": 1,
}
# Every answer but these is an error.
EXPECTED = {
    "GET /me": {"200"},
    "GET /accounts/{id}": {"200"},
    "GET /accounts/{id}/entries": {"200"},
    "POST /transfers": {"201", "422 insufficient-credit"},
    "POST /hour-logs": {"201"},
}


def main() -> None:
    """Seed, serve, load, sample memory, and print the figures."""
    args = parse_arguments()
    with throwaway_postgres(args.postgres_url) as url:
        upgrade_database(url)
        bank = seed_time_bank(url, members=args.clients, shifts=SHIFTS_PER_MEMBER)
        start_load = os.getloadavg()[0]
        with serving(url, args.workers, args.threads) as server:
            tallies, memory = drive(
                server.port,
                server.pids,
                bank,
                args.client_processes,
                args.duration,
                args.sample_every,
            )
        check_books(url)
    print_report(
        args, describe_server(args.workers, args.threads), start_load, tallies, memory
    )


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_postgres_url(parser)
    parser.add_argument(
        "--duration", type=float, default=180, help="seconds of load (180)"
    )
    parser.add_argument("--clients", type=int, default=64, help="clients (64)")
    parser.add_argument(
        "--client-processes",
        type=int,
        default=2,
        help="processes sharing the clients' threads (2)",
    )
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (4)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (4)")
    parser.add_argument(
        "--sample-every",
        type=float,
        default=10,
        help="seconds between two samples of the server's memory (10)",
    )
    return parser.parse_args()


# Memory.


def resident_kib(pid: int) -> int:
    """Return a process's resident memory in KiB, as /proc says."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def sample_memory(pids: Callable[[], list[int]]) -> list[int]:
    """Return the resident KiB of gunicorn's master, then of each worker."""
    return [resident_kib(pid) for pid in pids()]


# The clients.


def drive(
    port: int,
    pids: Callable[[], list[int]],
    bank: SeededBank,
    processes: int,
    duration: float,
    sample_every: float,
) -> tuple[dict[str, Tally], list[tuple[float, list[int]]]]:
    """Load the API from forked client processes while sampling the server's memory.

    Forked, not spawned: a spawned process would import the whole app only
    to send HTTP requests.
    """
    context = multiprocessing.get_context("fork")
    clients = len(bank.givers)
    processes = min(processes, clients)
    start = context.Barrier(processes + 1)
    results = context.Queue()
    workers = [
        context.Process(
            target=client_process,
            args=(port, bank, range(first, clients, processes), duration, start),
            kwargs={"results": results},
        )
        for first in range(processes)
    ]
    for worker in workers:
        worker.start()
    try:
        start.wait(timeout=STARTUP_TIMEOUT_SECONDS)
        began = time.monotonic()
        memory = [(0.0, sample_memory(pids))]
        while (elapsed := time.monotonic() - began) < duration:
            time.sleep(min(sample_every, duration - elapsed))
            memory.append((time.monotonic() - began, sample_memory(pids)))
        tallies: dict[str, Tally] = {kind: Tally() for kind in MIX}
        for _ in workers:
            for kind, tally in results.get(timeout=2 * REQUEST_TIMEOUT_SECONDS).items():
                tallies[kind].add(tally)
    finally:
        for worker in workers:
            worker.join(timeout=10)
            if worker.is_alive():
                worker.terminate()
    return tallies, memory


def client_process(
    port: int,
    bank: SeededBank,
    members: range,
    duration: float,
    start: Any,
    results: Any,
) -> None:
    """Run one client thread per member, all started together, and report."""
    ready = threading.Barrier(len(members) + 1)
    go = threading.Event()
    tallies = [{kind: Tally() for kind in MIX} for _ in members]
    threads = [
        threading.Thread(
            target=client,
            args=(port, bank, n, Random(n), duration, ready, go, tally),
        )
        for n, tally in zip(members, tallies, strict=True)
    ]
    for thread in threads:
        thread.start()
    ready.wait(timeout=STARTUP_TIMEOUT_SECONDS)
    start.wait(timeout=STARTUP_TIMEOUT_SECONDS)
    go.set()
    for thread in threads:
        thread.join()
    total = {kind: Tally() for kind in MIX}
    for tally in tallies:
        for kind, each in tally.items():
            total[kind].add(each)
    results.put(total)


class Member:
    """One client: member n with their token, sending requests of each kind."""

    def __init__(self, port: int, bank: SeededBank, n: int, choose: Random):
        self.giver: Giver = bank.givers[n]
        self.bank = bank
        self.choose = choose
        self.others = [g.account_id for g in bank.givers if g is not self.giver]
        self.connection = http.client.HTTPConnection(
            "127.0.0.1", port, timeout=REQUEST_TIMEOUT_SECONDS
        )
        self.cursor: str | None = None

    def send(self, kind: str) -> str:
        """Send one request of a kind and return its outcome."""
        account = f"{API}/accounts/{self.giver.account_id}"
        if kind == "GET /me":
            return self.request("GET", f"{API}/me")[0]
        if kind == "GET /accounts/{id}":
            return self.request("GET", account)[0]
        if kind == "GET /accounts/{id}/entries":
            # Each page follows the last one's cursor, back to the first at the end.
            query = f"?limit={PAGE_SIZE}"
            if self.cursor:
                query += f"&cursor={self.cursor}"
            outcome, answer = self.request("GET", f"{account}/entries{query}")
            self.cursor = answer.get("next_cursor") if outcome == "200" else None
            return outcome
        if kind == "POST /transfers":
            gift = {
                "kind": "gift",
                "from_account_id": self.giver.account_id,
                "to_account_id": self.choose.choice(self.others),
                "minutes": GIFT_MINUTES,
                "memo": "Thank you",
            }
            key = {"Idempotency-Key": f"load-{uuid.uuid4().hex}"}
            return self.request("POST", f"{API}/transfers", gift, key)[0]
        shift = {
            "organisation_id": self.bank.organisation_id,
            "minutes": HOUR_LOG_MINUTES,
            "service_date": today().isoformat(),
            "description": "Sorting donations",
        }
        return self.request("POST", f"{API}/hour-logs", shift)[0]

    def request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[str, dict[str, Any]]:
        """Send a request and return its outcome and its JSON body."""
        sent = {"Authorization": f"Bearer {self.giver.token}", **(headers or {})}
        payload = None
        if body is not None:
            payload = json.dumps(body)
            sent["Content-Type"] = "application/json"
        try:
            self.connection.request(method, path, payload, sent)
            response = self.connection.getresponse()
            answer = response.read()
        except (OSError, http.client.HTTPException) as error:
            self.connection.close()
            return type(error).__name__, {}
        outcome = outcome_of(response.status, answer)
        if response.status != 200:
            return outcome, {}
        return outcome, json.loads(answer)


def client(
    port: int,
    bank: SeededBank,
    n: int,
    choose: Random,
    duration: float,
    ready: threading.Barrier,
    go: threading.Event,
    tallies: dict[str, Tally],
) -> None:
    """Send a random mix of requests until the time is up, timing each answer.

    The first request opens the connection and is not counted; neither is an
    answer that comes after the time is up.
    """
    member = Member(port, bank, n, choose)
    member.send("GET /me")
    ready.wait(timeout=STARTUP_TIMEOUT_SECONDS)
    go.wait()
    kinds, weights = list(MIX), list(MIX.values())
    deadline = time.perf_counter_ns() + int(duration * 1e9)
    while (sent := time.perf_counter_ns()) < deadline:
        kind = choose.choices(kinds, weights)[0]
        outcome = member.send(kind)
        answered = time.perf_counter_ns()
        if answered <= deadline:
            tallies[kind].outcomes[outcome] += 1
            tallies[kind].latencies_ns.append(answered - sent)
    member.connection.close()


# Report.


def print_report(
    args: argparse.Namespace,
    server: str,
    start_load: float,
    tallies: dict[str, Tally],
    memory: list[tuple[float, list[int]]],
) -> None:
    """Print the machine, each kind's figures, the memory, and the errors."""
    print()
    print(
        f"{os.cpu_count()} CPUs, {server}, {args.clients} clients for "
        f"{args.duration:g} s, load average {start_load:.1f} at the start and "
        f"{os.getloadavg()[0]:.1f} at the end"
    )
    print()
    print(
        f"{'request':<28}{'count':>8}{'per s':>8}{'p50 ms':>8}{'p99 ms':>8}  outcomes"
    )
    everything = Tally()
    for kind, tally in tallies.items():
        everything.add(tally)
        print_row(kind, tally, args.duration)
    print_row("all", everything, args.duration)
    print()
    print("Resident memory of gunicorn, MiB: master, then each worker")
    for elapsed, kib in memory:
        each = " ".join(f"{k / 1024:6.1f}" for k in kib)
        print(f"{elapsed:6.0f} s  total {sum(kib) / 1024:7.1f}   {each}")
    first, last = sum(memory[0][1]), sum(memory[-1][1])
    settled = sum(memory[len(memory) // 2][1])
    print(
        f"total {first / 1024:.1f} MiB at the start, {settled / 1024:.1f} halfway, "
        f"{last / 1024:.1f} at the end"
    )
    # The first half warms caches and pools; a leak shows in the second.
    growth = (last - settled) / settled
    errors = {
        f"{kind}: {outcome}": count
        for kind, tally in tallies.items()
        for outcome, count in tally.outcomes.items()
        if outcome not in EXPECTED[kind]
    }
    print()
    print(
        f"{'PASS' if growth <= FLAT_MEMORY_GROWTH else 'FAIL'}: memory grew "
        f"{growth:.2%} in the second half (flat: at most {FLAT_MEMORY_GROWTH:.0%})"
    )
    if errors:
        print(f"FAIL: unexpected answers: {errors}")
    else:
        print("PASS: no answer but the expected ones")


def print_row(kind: str, tally: Tally, duration: float) -> None:
    latencies_ms = [ns / 1e6 for ns in tally.latencies_ns]
    cuts = (
        statistics.quantiles(latencies_ms, n=100)
        if len(latencies_ms) > 1
        else [float("nan")] * 99
    )
    outcomes = ", ".join(f"{o}: {n:,}" for o, n in sorted(tally.outcomes.items()))
    print(
        f"{kind:<28}{len(latencies_ms):>8,}{len(latencies_ms) / duration:>8,.0f}"
        f"{cuts[49]:>8.1f}{cuts[98]:>8.1f}  {outcomes}"
    )


if __name__ == "__main__":
    main()
