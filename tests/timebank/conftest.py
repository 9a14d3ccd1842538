"""Fixtures of the domain's tests: databases, a cheap password hasher, a time bank.

Each test opens a time bank of its own, with people of its own, so the tests
do not need an empty database: on PostgreSQL they share the session's database
as it is, since emptying it costs more than most of these tests. On SQLite
each still gets a fresh copy, which is cheap. A test that checks the whole
database (the invariants) takes ``empty_engine`` instead.
"""

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine

from tests.conftest import BACKENDS
from timebank.people import services as people

from .factories import Riverside, open_riverside


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest) -> Engine:
    """Return an engine on a database migrated to head, once per backend."""
    if request.param == "sqlite":
        sqlite_engine: Engine = request.getfixturevalue("sqlite_engine")
        return sqlite_engine
    postgres_engine: Engine = request.getfixturevalue("postgres_session_engine")
    return postgres_engine


@pytest.fixture(params=BACKENDS)
def empty_engine(request: pytest.FixtureRequest) -> Engine:
    """Return an engine on an empty database at head, for whole-database checks."""
    backend_engine: Engine = request.getfixturevalue(f"{request.param}_engine")
    return backend_engine


@pytest.fixture(autouse=True)
def cheap_password_hasher(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash passwords with the cheapest Argon2 parameters, to keep tests fast."""
    monkeypatch.setattr(
        people,
        "password_hasher",
        PasswordHasher(time_cost=1, memory_cost=8, parallelism=1),
    )


@pytest.fixture
def riverside(engine: Engine) -> Riverside:
    """Return the Riverside time bank with its people, on each backend."""
    return open_riverside(engine)
