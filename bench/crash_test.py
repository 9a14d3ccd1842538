"""Kill the API's server and cut its database connections under transfers.

Run from the repository root:

    .venv/bin/python bench/crash_test.py [--clients N] [--kills N]
        [--connection-breaks N] [--postgres-url URL]

It creates a throwaway PostgreSQL database, opens a time bank, serves it with
gunicorn, and has each client send gifts through ``POST /api/v1/transfers``,
each with an ``Idempotency-Key`` and the key as its memo. Meanwhile, at
random moments, it SIGKILLs gunicorn's whole process group and starts it
again, and separately terminates the app's PostgreSQL connections. A client
whose request got no answer, or a 5xx, sends it again with the same key until
it is answered, as a careful client would. Then it checks that every gift
acknowledged with a 201 is in the books exactly once under its id and its key,
that no refused or unsent gift is, and that ``ledger.find_violations`` finds
nothing. It exits non-zero naming each failure.
"""

import argparse
import http.client
import json
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from random import Random

from api_service import (
    Gunicorn,
    SeededBank,
    add_postgres_url,
    outcome_of,
    seed_time_bank,
)
from ledger_bench import throwaway_postgres
from sqlalchemy import select

import ledger
from timebank.database import upgrade_database
from timebank.idempotency.models import IdempotencyKey

TRANSFERS = "/api/v1/transfers"
GIFT_MINUTES = 15
# Two days each: more than a client gives in a run, so refusals stay rare.
SHIFTS_PER_MEMBER = 2
REQUEST_TIMEOUT_SECONDS = 10
RETRY_PAUSE_SECONDS = 0.05
# A request still unanswered after this long means the service did not recover.
GIVE_UP_SECONDS = 120


@dataclass(frozen=True)
class Gift:
    """One gift as a client sent it, and the answer that finally came."""

    key: str
    status: int
    transfer_id: int | None


@dataclass
class Client:
    """What one client sent and saw."""

    gifts: list[Gift] = field(default_factory=list)
    # Every attempt's outcome: a status, a replay, or the error a socket raised.
    attempts: Counter[str] = field(default_factory=Counter)
    unanswered: list[str] = field(default_factory=list)


def main() -> None:
    """Seed, serve, disrupt, check, and say what the service survived."""
    args = parse_arguments()
    choose = Random(args.seed)
    disruptions = ["kill"] * args.kills + ["break"] * args.connection_breaks
    choose.shuffle(disruptions)
    started = time.perf_counter()
    with throwaway_postgres(args.postgres_url) as url:
        upgrade_database(url)
        bank = seed_time_bank(url, members=args.clients, shifts=SHIFTS_PER_MEMBER)
        with tempfile.TemporaryFile() as log:
            server = Gunicorn(url, workers=args.workers, threads=args.threads, log=log)
            server.start()
            try:
                clients = drive(server, bank, disruptions, choose, args.longest_pause)
            finally:
                server.stop()
        failures = check(url, clients)
    attempts: Counter[str] = Counter()
    for client in clients:
        attempts.update(client.attempts)
    gifts = [gift for client in clients for gift in client.gifts]
    recorded = sum(gift.status == 201 for gift in gifts)
    print(f"attempts: {', '.join(f'{k}: {n:,}' for k, n in sorted(attempts.items()))}")
    if failures:
        raise SystemExit("The crash test failed:\n" + "\n".join(failures))
    print(
        f"Survived {args.kills} kills and {args.connection_breaks} connection "
        f"breaks with {args.clients} clients: {recorded:,} transfers acknowledged "
        f"and each recorded once, {len(gifts) - recorded:,} refused and recorded "
        f"never, {attempts['201 replayed']:,} answers lost and replayed, books "
        f"sound, in {time.perf_counter() - started:.0f} s"
    )


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_postgres_url(parser)
    parser.add_argument("--clients", type=int, default=8, help="clients (8)")
    parser.add_argument("--kills", type=int, default=5, help="SIGKILLs of gunicorn (5)")
    parser.add_argument(
        "--connection-breaks",
        type=int,
        default=3,
        help="times the app's database connections are terminated (3)",
    )
    parser.add_argument(
        "--longest-pause",
        type=float,
        default=2.0,
        help="the most seconds of traffic between two disruptions (2)",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (4)")
    parser.add_argument("--seed", type=int, default=None, help="for the moments")
    return parser.parse_args()


def drive(
    server: Gunicorn,
    bank: SeededBank,
    disruptions: list[str],
    choose: Random,
    longest_pause: float,
) -> list[Client]:
    """Run the clients while the disruptions come, then let them finish."""
    stop = threading.Event()
    clients = [Client() for _ in bank.givers]
    threads = [
        threading.Thread(
            target=give_until_stopped,
            args=(server.port, bank, n, Random(choose.random()), stop, client),
        )
        for n, client in enumerate(clients)
    ]
    for thread in threads:
        thread.start()
    try:
        for disruption in disruptions:
            time.sleep(choose.uniform(0.1, longest_pause))
            if disruption == "kill":
                server.kill()
                server.start()
            else:
                print(f"terminated {terminate_connections(server.url)} connections")
        time.sleep(choose.uniform(0.1, longest_pause))
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    return clients


def terminate_connections(url: str) -> int:
    """Terminate every connection to the app's database but this one."""
    engine = ledger.create_engine(url)
    try:
        with engine.connect() as conn:
            return len(
                conn.exec_driver_sql(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database()"
                    " AND pid <> pg_backend_pid()"
                ).all()
            )
    finally:
        engine.dispose()


def give_until_stopped(
    port: int,
    bank: SeededBank,
    n: int,
    choose: Random,
    stop: threading.Event,
    client: Client,
) -> None:
    """Give as member n to random others until stopped; see each gift answered."""
    giver = bank.givers[n]
    others = [g.account_id for g in bank.givers if g is not giver]
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=REQUEST_TIMEOUT_SECONDS
    )
    while not stop.is_set():
        key = f"crash-{uuid.uuid4().hex}"
        body = json.dumps(
            {
                "kind": "gift",
                "from_account_id": giver.account_id,
                "to_account_id": choose.choice(others),
                "minutes": GIFT_MINUTES,
                "memo": key,
            }
        )
        headers = {
            "Authorization": f"Bearer {giver.token}",
            "Content-Type": "application/json",
            "Idempotency-Key": key,
        }
        gift = send_until_answered(connection, key, body, headers, client)
        if gift is None:
            client.unanswered.append(key)
            return
        client.gifts.append(gift)
    connection.close()


def send_until_answered(
    connection: http.client.HTTPConnection,
    key: str,
    body: str,
    headers: dict[str, str],
    client: Client,
) -> Gift | None:
    """Send the same request until it gets an answer that is not a server error."""
    deadline = time.monotonic() + GIVE_UP_SECONDS
    while time.monotonic() < deadline:
        try:
            connection.request("POST", TRANSFERS, body, headers)
            response = connection.getresponse()
            answer = response.read()
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            client.attempts[type(error).__name__] += 1
            time.sleep(RETRY_PAUSE_SECONDS)
            continue
        outcome = outcome_of(response.status, answer)
        if response.getheader("Idempotent-Replayed") == "true":
            outcome += " replayed"
        client.attempts[outcome] += 1
        if response.status >= 500:
            time.sleep(RETRY_PAUSE_SECONDS)
            continue
        transfer_id = json.loads(answer)["id"] if response.status == 201 else None
        return Gift(key, response.status, transfer_id)
    return None


def check(url: str, clients: list[Client]) -> list[str]:
    """Return a sentence for each gift not in the books as it was answered."""
    engine = ledger.create_engine(url)
    try:
        with engine.connect() as conn:
            entries = conn.execute(
                select(
                    ledger.schema.transactions.c.memo, ledger.schema.transactions.c.id
                ).where(ledger.schema.transactions.c.memo.like("crash-%"))
            ).all()
            keys = dict(
                conn.execute(
                    select(IdempotencyKey.key, IdempotencyKey.outcome).where(
                        IdempotencyKey.key.like("crash-%")
                    )
                ).all()
            )
            violations = ledger.find_violations(conn)
    finally:
        engine.dispose()
    ids_by_key: dict[str, list[int]] = {}
    for memo, entry_id in entries:
        ids_by_key.setdefault(memo, []).append(entry_id)
    failures = [f"books: {violation}" for violation in violations]
    answered = set()
    for client in clients:
        failures.extend(f"{key}: never answered" for key in client.unanswered)
        for gift in client.gifts:
            answered.add(gift.key)
            found = ids_by_key.get(gift.key, [])
            if gift.status != 201:
                if found:
                    failures.append(f"{gift.key}: refused ({gift.status}) but {found}")
                continue
            if found != [gift.transfer_id]:
                failures.append(f"{gift.key}: acknowledged {gift.transfer_id}, {found}")
            claimed = json.loads(keys.get(gift.key) or "{}").get("id")
            if claimed != gift.transfer_id:
                failures.append(f"{gift.key}: its key's answer names {claimed}")
    failures.extend(
        f"{key}: recorded {found} though never acknowledged"
        for key, found in ids_by_key.items()
        if key not in answered
    )
    return failures


if __name__ == "__main__":
    main()
