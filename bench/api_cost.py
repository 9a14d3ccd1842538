"""Count what one gift through the JSON API costs: SQL statements and CPU time.

Run from the repository root:

    .venv/bin/python bench/api_cost.py [--gifts N] [--postgres-url URL]

In one process, with Flask's test client and no HTTP server: it seeds a
small time bank in a throwaway PostgreSQL database, sends a few gifts to
warm up, then prints the statements of one ``POST /api/v1/transfers`` and
the CPU time per gift over N more. CPU time is of this process only, so
other work on the machine moves it less than it moves a rate; under
``valgrind --tool=callgrind``, a run with ``--gifts 0`` and one with
``--gifts 100`` give the instructions per gift by their difference.
"""

import argparse
import json
import os
import time
import uuid
from typing import Any

from api_service import add_postgres_url, seed_time_bank
from argon2 import PasswordHasher
from ledger_bench import throwaway_postgres
from sqlalchemy import event

from timebank import create_app
from timebank.database import EXTENSION, upgrade_database
from timebank.people import services as people

MEMBERS = 8
WARM_UP_GIFTS = 10


def main() -> None:
    """Seed, warm up, and print the statements and CPU time of a gift."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_postgres_url(parser)
    parser.add_argument("--gifts", type=int, default=500, help="gifts timed (500)")
    args = parser.parse_args()
    # Seeding hashes passwords; what a gift costs does not depend on how.
    people.password_hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    with throwaway_postgres(args.postgres_url) as url:
        upgrade_database(url)
        # Gifts go round a ring, so one day's credits never run out.
        givers = seed_time_bank(url, members=MEMBERS, shifts=1).givers
        os.environ["DATABASE_URL"] = url
        app = create_app()
        statements: list[str] = []

        @event.listens_for(app.extensions[EXTENSION], "before_cursor_execute")
        def count(*arguments: Any) -> None:
            statements.append(" ".join(arguments[2].split()))

        client = app.test_client()

        def give(n: int) -> None:
            giver, to = givers[n % MEMBERS], givers[(n + 1) % MEMBERS]
            response = client.post(
                "/api/v1/transfers",
                data=json.dumps(
                    {
                        "kind": "gift",
                        "from_account_id": giver.account_id,
                        "to_account_id": to.account_id,
                        "minutes": 15,
                        "memo": "Thank you",
                    }
                ),
                headers={
                    "Authorization": f"Bearer {giver.token}",
                    "Content-Type": "application/json",
                    "Idempotency-Key": f"cost-{uuid.uuid4().hex}",
                },
            )
            assert response.status_code == 201, response.get_data(as_text=True)

        for n in range(WARM_UP_GIFTS):
            give(n)
        statements.clear()
        give(0)
        print(f"{len(statements)} statements per gift:")
        for statement in statements:
            print(f"  {statement[:100]}")
        if args.gifts:
            started = time.process_time()
            for n in range(args.gifts):
                give(n)
            spent = time.process_time() - started
            print(f"{1000 * spent / args.gifts:.2f} ms of CPU per gift")


if __name__ == "__main__":
    main()
