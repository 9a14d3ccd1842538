"""The unit of work commits once, rolls back on any error, retries conflicts."""

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from timebank.people.models import User
from timebank.unit_of_work import run_use_case

from .factories import new_user


def count_users(engine: Engine) -> int:
    """Return how many users there are."""
    return run_use_case(
        lambda s: s.scalar(select(func.count()).select_from(User)) or 0, engine=engine
    )


def test_a_failing_use_case_leaves_no_trace(engine: Engine) -> None:
    before = count_users(engine)

    def work(s: Session) -> None:
        new_user(s, "Gone")
        raise RuntimeError("the request failed half way")

    with pytest.raises(RuntimeError):
        run_use_case(work, engine=engine)
    assert count_users(engine) == before


def test_a_transient_conflict_is_retried_and_then_commits(engine: Engine) -> None:
    before = count_users(engine)
    attempts = []

    def work(s: Session) -> User:
        attempts.append(1)
        user = new_user(s, "Persistent")
        if len(attempts) < 3:
            raise OperationalError("BEGIN", {}, Exception("database is locked"))
        return user

    run_use_case(work, engine=engine)
    assert len(attempts) == 3
    assert count_users(engine) == before + 1


def test_retries_are_bounded(engine: Engine) -> None:
    def work(s: Session) -> None:
        raise OperationalError("BEGIN", {}, Exception("database is locked"))

    with pytest.raises(OperationalError):
        run_use_case(work, engine=engine, attempts=2)
