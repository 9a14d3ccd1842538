"""Time banks: their book, pool and settings."""

from sqlalchemy import Engine
from sqlalchemy.orm import Session

import ledger
from timebank.audit.services import list_events
from timebank.banks.models import TimeBank
from timebank.banks.services import change_settings, open_time_bank
from timebank.errors import AlreadyTaken, InvalidSetting, NotPermitted

from .factories import Riverside, assert_refused, make_user, run


def test_a_time_bank_opens_with_its_book_pool_and_default_settings(
    engine: Engine,
) -> None:
    founder = make_user(engine, "Fay Founder")

    def work(s: Session) -> tuple[TimeBank, ledger.Account]:
        bank = open_time_bank(s, founder=founder, name="Hillside", slug="hillside")
        return bank, ledger.get_account(s.connection(), bank.pool_account_id)

    bank, pool = run(engine, work)
    assert (bank.granularity_minutes, bank.backdating_days) == (15, 30)
    assert (bank.exchange_approval, bank.gift_approval) == ("always", "never")
    assert bank.earn_source == "issuance"
    assert (pool.kind, pool.book_id) == ("pool", bank.book_id)


def test_bad_settings_are_refused_and_change_nothing(engine: Engine) -> None:
    founder = make_user(engine, "Fay Founder")
    run(engine, lambda s: open_time_bank(s, founder=founder, name="A", slug="taken"))
    cases = [
        ({"slug": "taken"}, AlreadyTaken, "taken"),
        ({"slug": "Not A Slug"}, InvalidSetting, "slug"),
        ({"exchange_approval": "sometimes"}, InvalidSetting, "always, above, never"),
        ({"gift_approval_above_minutes": -1}, InvalidSetting, "threshold"),
        ({"backdating_days": 10_000}, InvalidSetting, "back-dating"),
        ({"earn_source": "thin air"}, InvalidSetting, "issuance, organisation"),
        ({"default_member_floor_minutes": 30}, InvalidSetting, "floor"),
    ]
    for change, error, message in cases:
        request = {"founder": founder, "name": "B", "slug": "fresh", **change}
        assert_refused(
            engine,
            lambda s, request=request: open_time_bank(s, **request),  # type: ignore[misc]
            error,
            message,
        )


def test_an_admin_changes_the_settings_and_the_change_is_audited(
    engine: Engine, riverside: Riverside
) -> None:
    bank = run(
        engine,
        lambda s: change_settings(
            s,
            actor=riverside.admin,
            time_bank_id=riverside.bank_id,
            reason="Fewer approvals",
            exchange_approval="above",
            exchange_approval_above_minutes=120,
        ),
    )
    assert bank.exchange_needs_approval(135)
    assert not bank.exchange_needs_approval(120)
    events = run(engine, lambda s: list_events(s, time_bank_id=riverside.bank_id))
    assert (events[0].action, events[0].reason) == (
        "settings_changed",
        "Fewer approvals",
    )
    assert_refused(
        engine,
        lambda s: change_settings(
            s,
            actor=riverside.broker,
            time_bank_id=riverside.bank_id,
            reason="Mine now",
            exchange_approval="never",
        ),
        NotPermitted,
        "admin",
    )
