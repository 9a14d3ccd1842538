"""Hostile input to every form: refused with a 4xx that changes nothing.

Every form the app posts to gets, from a viewer allowed to send it, every
field any form reads, each holding bytes chosen to hurt: any Unicode, broken
UTF-8, NULs, numbers no column holds, floats, impossible dates, long text.
Then the text a member writes, full of HTML and SQL metacharacters, must come
back from the database exactly as written and appear in pages escaped.
"""

import secrets
from collections.abc import Callable
from urllib.parse import urlencode

import pytest
from flask import Flask, url_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from timebank.forms import FormSchema
from timebank.gifts.models import Gift
from timebank.hour_logs.models import HourLog
from timebank.people.models import User

from ..factories import Riverside, earn, rows_in_bank, run, snapshot
from .conftest import TOKEN, Browser
from .test_exchanges import exchange_form
from .test_gifts import gift_form
from .test_hour_logs import hour_log_form
from .test_permissions import MATRIX, VIEWERS, Scene, routes, scene
from .test_spending import spend_form

__all__ = ["scene"]

# Text a member might type that means something to a browser or a database.
METACHARACTERS = (
    "<script>alert('x')</script> & \"quotes\" <b>bold</b> "
    "'; DROP TABLE users; -- %_ \\ ` $1 ?"
)


def form_fields() -> list[str]:
    """Return the name of every field any form of the app reads."""
    schemas: list[type[FormSchema]] = []
    pending = [FormSchema]
    while pending:
        schema = pending.pop()
        schemas.append(schema)
        pending.extend(schema.__subclasses__())
    return sorted({name for schema in schemas for name in schema._declared_fields})


# Bytes that no form should take for a number, a date, a choice or a secret,
# and text of any kind for the fields that take text.
HOSTILE_VALUES = st.one_of(
    st.text(),
    # Lone surrogates too, sent as the broken UTF-8 a careless client writes.
    st.text(st.characters(exclude_categories=())).map(
        lambda text: text.encode("utf-8", "surrogatepass")
    ),
    st.binary(max_size=64),
    st.integers(min_value=2**63).map(str),
    # Numbers a column holds, but not once turned from hours into minutes.
    st.integers(min_value=10**6, max_value=2**63 - 1).map(str),
    st.integers(max_value=-1).map(str),
    st.floats().map(repr),
    st.sampled_from(
        [
            "1e999",
            "NaN",
            "-0",
            "0x10",
            "１２",
            "9999-12-31",
            "0000-00-00",
            "2026-02-30",
            "\x00",
            "x" * 100_000,
            METACHARACTERS,
        ]
    ),
)


def poster(viewers: str) -> str:
    """Return the first viewer whose post reaches the form's own checks (a 422)."""
    statuses = viewers.split()
    return VIEWERS[statuses.index("422")]


POSTED_FORMS = [
    pytest.param(rule, poster(statuses), id=rule)
    for (method, rule), statuses in sorted(MATRIX.items())
    if method == "POST" and "422" in statuses.split()
]


@pytest.mark.parametrize(("rule", "viewer"), POSTED_FORMS)
def test_a_form_refuses_hostile_fields_and_changes_nothing(
    engine: Engine, app: Flask, scene: Scene, rule: str, viewer: str
) -> None:
    """Whatever a form is sent, it answers a 4xx and writes nothing, or accepts.

    A form whose only field is free text (a reversal's reason, say) may
    rightly accept what it is sent: then it redirects. It never fails with a
    server error, and a refusal never leaves a trace in the database.
    """
    route = routes(app)["POST", rule]
    with app.test_request_context():
        url = url_for(
            route.endpoint, **{name: scene.ids[name] for name in route.arguments}
        )
    browser = scene.browsers[viewer]
    token = TOKEN.search(browser.get("/sign-in").get_data(as_text=True))
    assert token is not None
    names = form_fields()

    @given(
        fields=st.fixed_dictionaries({}, optional=dict.fromkeys(names, HOSTILE_VALUES))
    )
    @settings(
        max_examples=15,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def post(fields: dict[str, str | bytes]) -> None:
        before = snapshot(engine)
        body = urlencode({**fields, "csrf_token": token.group(1)})
        response = browser.client.post(
            url, data=body, content_type="application/x-www-form-urlencoded"
        )
        if response.status_code in (302, 303):
            return
        assert 400 <= response.status_code < 500, response.status_code
        assert snapshot(engine) == before

    post()


# Ana's forms that move credits, each with a valid filling.
MEMBER_FORMS = {
    "gift": gift_form,
    "exchange": exchange_form,
    "log-hours": hour_log_form,
    "spend": spend_form,
}


@pytest.mark.parametrize("page", sorted(MEMBER_FORMS))
def test_one_hostile_field_in_a_valid_form_reaches_no_server_error(
    engine: Engine,
    riverside: Riverside,
    browser_for: Callable[[User], Browser],
    page: str,
) -> None:
    """A valid form with one field made hostile is refused and changes nothing.

    Its other fields are valid, so the hostile one gets past the form's
    schema whenever it parses, and reaches the service and the database. A
    value that is valid after all (text in a description) is accepted.
    """
    earn(engine, riverside, riverside.ana, 600)
    valid = MEMBER_FORMS[page](riverside)
    ana = browser_for(riverside.ana)
    url = f"/banks/{riverside.slug}/{page}"
    token = TOKEN.search(ana.get(url).get_data(as_text=True))
    assert token is not None

    @given(field=st.sampled_from(sorted(valid)), value=HOSTILE_VALUES)
    @settings(
        max_examples=25,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def post(field: str, value: str | bytes) -> None:
        before = snapshot(engine)
        sent = {**valid, field: value, "csrf_token": token.group(1)}
        sent["request_key"] = secrets.token_urlsafe(16)
        response = ana.client.post(
            url, data=urlencode(sent), content_type="application/x-www-form-urlencoded"
        )
        if response.status_code in (302, 303):
            return
        assert 400 <= response.status_code < 500, response.status_code
        assert snapshot(engine) == before

    post()


def test_a_gift_message_is_stored_as_written_and_shown_escaped(
    engine: Engine,
    riverside: Riverside,
    browser_for: Callable[[User], Browser],
) -> None:
    earn(engine, riverside, riverside.ana, 60)
    ana = browser_for(riverside.ana)
    sent = ana.submit(
        f"/banks/{riverside.slug}/gift", gift_form(riverside, message=METACHARACTERS)
    )
    assert sent.status_code == 302
    (gift,) = rows_in_bank(engine, Gift, riverside)
    assert gift.message == METACHARACTERS
    page = ana.get(f"/banks/{riverside.slug}/history").get_data(as_text=True)
    assert str(escape(METACHARACTERS)) in page
    assert "<script>alert" not in page


def test_an_hour_log_description_is_stored_as_written_and_shown_escaped(
    engine: Engine,
    riverside: Riverside,
    browser_for: Callable[[User], Browser],
) -> None:
    sent = browser_for(riverside.ana).submit(
        f"/banks/{riverside.slug}/log-hours",
        hour_log_form(riverside, description=METACHARACTERS),
    )
    assert sent.status_code == 302

    def descriptions(s: Session) -> list[str]:
        return list(s.scalars(select(HourLog.description)))

    assert METACHARACTERS in run(engine, descriptions)
    queue = browser_for(riverside.broker).get(f"/banks/{riverside.slug}/queue")
    page = queue.get_data(as_text=True)
    assert str(escape(METACHARACTERS)) in page
    assert "<script>alert" not in page
