"""A time bank served by gunicorn, for the scripts that drive its JSON API.

The API benchmark, the crash test and the load run all need the same few
things: a server on which to make their throwaway database, members who
earned enough to give and who hold personal tokens, a gunicorn serving
``wsgi:app`` on a database that can be killed and started again, one word
for what each answer was, and a tally of the answers.
"""

import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import IO

from ledger_bench import DEFAULT_POSTGRES_URL
from sqlalchemy.orm import Session

import ledger
from timebank.banks.rules import DAY_MINUTES, today
from timebank.banks.services import open_time_bank
from timebank.hour_logs.services import approve_hour_log, log_hours
from timebank.organisations.models import Organisation
from timebank.organisations.services import register_organisation
from timebank.people.models import Role, User
from timebank.people.services import enrol_member, grant_role, register_user
from timebank.tokens.services import create_token
from timebank.unit_of_work import run_use_case

PROJECT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password"
STARTUP_TIMEOUT_SECONDS = 120
# Longer than the pause between a client's first request and the start of a
# run, so that no keep-alive connection is closed under a waiting client.
KEEP_ALIVE_SECONDS = 30


def add_postgres_url(parser: argparse.ArgumentParser) -> None:
    """Read the server for the throwaway database: --postgres-url or the environment."""
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("TIMEBANK_BENCH_DATABASE_URL", DEFAULT_POSTGRES_URL),
        help="a database on the server where the throwaway database is created",
    )


@dataclass(frozen=True)
class Giver:
    """A member who gives from their account with their personal token."""

    token: str
    member_id: int
    account_id: int


@dataclass(frozen=True)
class SeededBank:
    """The time bank the clients use: its issuing organisation and its members."""

    time_bank_id: int
    organisation_id: int
    givers: list[Giver]


def seed_time_bank(url: str, *, members: int, shifts: int) -> SeededBank:
    """Open a time bank whose members each earned shifts of a day and hold a token.

    Everything goes through the domain's services, one unit of work per
    member; most of the time is Argon2 hashing the passwords.
    """
    started = time.perf_counter()
    engine = ledger.create_engine(url)
    try:
        bank_id, broker, organisation = run_use_case(open_bank, engine=engine)
        givers = [
            run_use_case(
                partial(
                    enrol_giver,
                    bank_id=bank_id,
                    broker=broker,
                    organisation=organisation,
                    n=number,
                    shifts=shifts,
                ),
                engine=engine,
            )
            for number in range(members)
        ]
    finally:
        engine.dispose()
    print(
        f"seeded {members} members with {shifts} approved shifts each "
        f"in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    return SeededBank(bank_id, organisation.id, givers)


def open_bank(session: Session) -> tuple[int, User, Organisation]:
    """Open the time bank with an admin, a broker and a food bank that issues."""
    admin = register_user(
        session, email="admin@bench.example", name="Admin", password=PASSWORD
    )
    bank = open_time_bank(session, founder=admin, name="Bench", slug="bench")
    broker = register_user(
        session, email="broker@bench.example", name="Broker", password=PASSWORD
    )
    membership = enrol_member(
        session, actor=admin, time_bank_id=bank.id, user_id=broker.id
    )
    grant_role(
        session,
        actor=admin,
        time_bank_id=bank.id,
        member_id=membership.id,
        role=Role.BROKER,
        reason="Approves the members' hours",
    )
    organisation = register_organisation(
        session,
        actor=admin,
        time_bank_id=bank.id,
        name="Food Bank",
        is_issuer=True,
        is_spend_partner=False,
    )
    return bank.id, broker, organisation


def enrol_giver(
    session: Session,
    *,
    bank_id: int,
    broker: User,
    organisation: Organisation,
    n: int,
    shifts: int,
) -> Giver:
    """Enrol member n, who logs shifts that the broker approves, and make a token."""
    email = f"member{n}@bench.example"
    user = register_user(session, email=email, name=f"Member {n}", password=PASSWORD)
    membership = enrol_member(
        session, actor=broker, time_bank_id=bank_id, user_id=user.id
    )
    for _ in range(shifts):
        log = log_hours(
            session,
            actor=user,
            time_bank_id=bank_id,
            member_id=membership.id,
            organisation_id=organisation.id,
            description="Sorting donations",
            minutes=DAY_MINUTES,
            service_date=today(),
        )
        approve_hour_log(session, actor=broker, hour_log_id=log.id)
    _, secret = create_token(session, email=email, password=PASSWORD, name="Bench")
    return Giver(
        token=secret, member_id=membership.id, account_id=membership.account_id
    )


# The server.


def describe_server(workers: int, threads: int) -> str:
    if threads == 1:
        return f"gunicorn with {workers} sync workers"
    return f"gunicorn with {workers} gthread workers of {threads} threads"


class Gunicorn:
    """gunicorn serving the app on one port, in a process group of its own.

    Its own group lets a crash take the master and every worker at once,
    as a machine that loses power would, and nothing else.
    """

    def __init__(self, url: str, *, workers: int, threads: int, log: IO[bytes]):
        self.url = url
        self.workers = workers
        self.threads = threads
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log = log

    def start(self) -> None:
        """Start gunicorn and return once the app answers /healthz."""
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--threads",
            str(self.threads),
            "--keep-alive",
            str(KEEP_ALIVE_SECONDS),
            "wsgi:app",
        ]
        self.process = subprocess.Popen(
            command,
            cwd=PROJECT,
            env={**os.environ, "DATABASE_URL": self.url},
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until_healthy(self.port, self.process, self.log)

    def kill(self) -> None:
        """SIGKILL the master and its workers together, and reap the master."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.process = None

    def stop(self) -> None:
        """Ask gunicorn to finish its requests and stop; kill it if it lingers."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()
        self.process = None

    def pids(self) -> list[int]:
        """Return the master's process id and its workers'."""
        assert self.process is not None
        master = self.process.pid
        children = Path(f"/proc/{master}/task/{master}/children").read_text()
        return [master, *map(int, children.split())]


@contextmanager
def serving(url: str, workers: int, threads: int) -> Iterator[Gunicorn]:
    """Serve the app with gunicorn on a free port until the block ends."""
    with tempfile.TemporaryFile() as log:
        server = Gunicorn(url, workers=workers, threads=threads, log=log)
        try:
            server.start()
            yield server
        finally:
            server.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_healthy(
    port: int, server: subprocess.Popen[bytes], log: IO[bytes]
) -> None:
    """Return once /healthz answers 200, or stop with what gunicorn printed."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline and server.poll() is None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(0.1)
    log.seek(0)
    printed = log.read().decode(errors="replace")
    raise SystemExit(f"gunicorn did not become healthy:\n{printed[-4000:]}")


# Answers.


def outcome_of(status: int, body: bytes) -> str:
    """Name an answer: its status, and for a 4xx its problem type."""
    if not 400 <= status < 500:
        return str(status)
    try:
        problem = json.loads(body)["type"].rsplit("/", 1)[-1]
    except (ValueError, KeyError, TypeError, AttributeError):
        problem = "not a problem body"
    return f"{status} {problem}"


@dataclass
class Tally:
    """What clients saw: each answer's outcome and how long it took."""

    outcomes: Counter[str] = field(default_factory=Counter)
    latencies_ns: list[int] = field(default_factory=list)

    def add(self, other: "Tally") -> None:
        self.outcomes.update(other.outcomes)
        self.latencies_ns.extend(other.latencies_ns)
