"""A request sent again with its key takes effect once and gets the first outcome."""

import secrets
import threading

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from timebank.errors import IdempotencyKeyReused, InvalidIdempotencyKey
from timebank.idempotency.services import Outcome, run_once
from timebank.people.models import User

from .factories import make_user, new_user, run


def send(
    engine: Engine, user: User, key: str, request: dict[str, object], name: str
) -> Outcome:
    """Register a user called name, once per key; the outcome is their id."""
    return run(
        engine,
        lambda s: run_once(
            s,
            user_id=user.id,
            key=key,
            request=request,
            work=lambda: str(new_user(s, name).id),
        ),
    )


def test_a_request_sent_twice_runs_once_and_replays_its_outcome(engine: Engine) -> None:
    sender = make_user(engine, "Sender")
    key = secrets.token_urlsafe(16)
    first = send(engine, sender, key, {"minutes": 60}, "Once")
    second = send(engine, sender, key, {"minutes": 60}, "Twice")
    assert first == Outcome(value=first.value, replayed=False)
    assert second == Outcome(value=first.value, replayed=True)


def test_the_same_key_for_another_request_is_refused(engine: Engine) -> None:
    sender = make_user(engine, "Sender")
    key = secrets.token_urlsafe(16)
    send(engine, sender, key, {"minutes": 60}, "First")
    with pytest.raises(IdempotencyKeyReused):
        send(engine, sender, key, {"minutes": 90}, "Other")


def test_keys_belong_to_their_user(engine: Engine) -> None:
    key = secrets.token_urlsafe(16)
    one, two = make_user(engine, "One"), make_user(engine, "Two")
    assert not send(engine, one, key, {}, "A").replayed
    assert not send(engine, two, key, {}, "B").replayed


def test_a_refused_request_leaves_its_key_free(engine: Engine) -> None:
    sender = make_user(engine, "Sender")
    key = secrets.token_urlsafe(16)

    def refused(s: Session) -> Outcome:
        def work() -> str:
            raise ValueError("refused")

        return run_once(s, user_id=sender.id, key=key, request={}, work=work)

    with pytest.raises(ValueError):
        run(engine, refused)
    assert not send(engine, sender, key, {}, "Later").replayed


@pytest.mark.parametrize("key", ["short", "x" * 65, "has space!", ""])
def test_a_malformed_key_is_refused(engine: Engine, key: str) -> None:
    sender = make_user(engine, "Sender")
    with pytest.raises(InvalidIdempotencyKey):
        send(engine, sender, key, {}, "Never")


@pytest.mark.postgres
def test_racing_copies_of_a_request_run_it_once(
    postgres_session_engine: Engine,
) -> None:
    engine = postgres_session_engine
    sender = make_user(engine, "Sender")
    key = secrets.token_urlsafe(16)
    barrier = threading.Barrier(8)
    outcomes: list[Outcome] = []

    def racer() -> None:
        barrier.wait()
        outcomes.append(send(engine, sender, key, {"minutes": 60}, "Racer"))

    threads = [threading.Thread(target=racer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 8
    assert len({outcome.value for outcome in outcomes}) == 1
    assert sum(not outcome.replayed for outcome in outcomes) == 1
