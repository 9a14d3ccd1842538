"""Who may open which page: every route, for every kind of viewer.

A member sees only their own account; a broker or admin only their own time
bank; an organisation's admin only their organisation. The subject of each
page is Ana, a member of Riverside, its food bank, and an entry of Ana's.
Each route is sent the method it answers: a form is posted empty with a
valid CSRF token, so that a viewer who may use it meets the form's own
refusal (422) and nobody else gets that far. Every route of the web pages
must be in the matrix; the API's have a matrix of their own.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask, url_for
from sqlalchemy import Engine
from werkzeug.routing import Rule

from timebank import create_app
from timebank.people.models import User
from timebank.tokens.services import create_token

from ..factories import Riverside, earn, open_riverside, run
from ..test_statements import account_of
from .conftest import PASSWORD, TOKEN, Browser
from .test_statements import print_whole_bank

VIEWERS = ("anonymous", "ana", "ben", "broker", "charity_admin", "admin", "outsider")

# The status each viewer gets, in the order of VIEWERS: Ana (the member the
# pages are about), Ben (another member), a broker, the food bank's admin
# (also a member), the time bank's admin (no member role), and a broker of
# another time bank. 302 sends an anonymous visitor to sign in; 403 refuses
# someone inside the time bank; 404 hides the time bank from outsiders. A
# route starting with ~ is a page of the time bank, under /banks/<slug>.
# fmt: off
MATRIX: dict[tuple[str, str], str] = {
    ("GET", "/"):                                               "200 302 302 302 302 302 302",
    ("GET", "/healthz"):                                        "200 200 200 200 200 200 200",
    ("GET", "/sign-in"):                                        "200 200 200 200 200 200 200",
    ("POST", "/sign-in"):                                       "422 422 422 422 422 422 422",
    ("GET", "/tokens"):                                         "302 200 200 200 200 200 200",
    ("POST", "/tokens"):                                        "302 422 422 422 422 422 422",
    ("POST", "/tokens/<id:token_id>/revoke"):                   "302 302 422 422 422 422 422",
    ("POST", "/sign-out"):                                      "302 302 302 302 302 302 302",
    ("POST", "/language"):                                      "422 422 422 422 422 422 422",
    ("GET", "~/"):                                              "302 200 200 200 200 200 404",
    ("GET", "~/history"):                                       "302 200 200 200 200 200 404",
    ("GET", "~/members/<id:member_id>/"):                       "302 200 403 200 403 200 404",
    ("GET", "~/members/<id:member_id>/history"):                "302 200 403 200 403 200 404",
    ("GET", "~/log-hours"):                                     "302 200 200 200 200 403 404",
    ("POST", "~/log-hours"):                                    "302 422 422 422 422 403 404",
    ("GET", "~/members/<id:member_id>/log-hours"):              "302 200 403 200 403 403 404",
    ("POST", "~/members/<id:member_id>/log-hours"):             "302 422 403 422 403 403 404",
    ("GET", "~/gift"):                                          "302 200 200 200 200 403 404",
    ("POST", "~/gift"):                                         "302 422 422 422 422 403 404",
    ("GET", "~/exchange"):                                      "302 200 200 200 200 403 404",
    ("POST", "~/exchange"):                                     "302 422 422 422 422 403 404",
    ("GET", "~/spend"):                                         "302 200 200 200 200 403 404",
    ("POST", "~/spend"):                                        "302 422 422 422 422 403 404",
    ("GET", "~/queue"):                                         "302 403 403 200 200 403 404",
    ("POST", "~/queue"):                                        "302 403 403 422 422 403 404",
    ("GET", "~/members"):                                       "302 403 403 200 403 200 404",
    ("GET", "~/members/<id:member_id>/password"):               "302 403 403 200 403 200 404",
    ("POST", "~/members/<id:member_id>/password"):              "302 403 403 422 403 422 404",
    ("GET", "~/entries/<id:transaction_id>/reverse"):           "302 403 403 200 403 403 404",
    ("POST", "~/entries/<id:transaction_id>/reverse"):          "302 403 403 422 403 403 404",
    ("GET", "~/organisations"):                                 "302 200 200 200 200 200 404",
    ("GET", "~/organisations/<id:organisation_id>"):            "302 403 403 200 200 200 404",
    ("GET", "~/organisations/<id:organisation_id>/activities/new"): "302 403 403 403 200 200 404",
    ("POST", "~/organisations/<id:organisation_id>/activities/new"): "302 403 403 403 422 422 404",
    ("GET", "~/admin/members/new"):                             "302 403 403 403 403 200 404",
    ("POST", "~/admin/members/new"):                            "302 403 403 403 403 422 404",
    ("GET", "~/admin/members/<id:member_id>"):                  "302 403 403 200 403 200 404",
    ("POST", "~/admin/members/<id:member_id>/roles/grant"):     "302 403 403 422 403 422 404",
    ("POST", "~/admin/members/<id:member_id>/roles/revoke"):    "302 403 403 422 403 422 404",
    ("POST", "~/admin/members/<id:member_id>/floor"):           "302 403 403 422 403 422 404",
    ("POST", "~/admin/members/<id:member_id>/freeze"):          "302 403 403 422 403 422 404",
    ("POST", "~/admin/members/<id:member_id>/unfreeze"):        "302 403 403 422 403 422 404",
    ("POST", "~/admin/members/<id:member_id>/organisations"):   "302 403 403 422 403 422 404",
    ("POST", "~/admin/members/<id:member_id>/erase"):           "302 403 403 422 403 422 404",
    ("GET", "~/admin/organisations/new"):                       "302 403 403 403 403 200 404",
    ("POST", "~/admin/organisations/new"):                      "302 403 403 403 403 422 404",
    ("GET", "~/admin/settings"):                                "302 403 403 403 403 200 404",
    ("POST", "~/admin/settings"):                               "302 403 403 403 403 422 404",
    ("GET", "~/admin/audit"):                                   "302 403 403 403 403 200 404",
    ("GET", "~/admin/books"):                                   "302 403 403 403 403 200 404",
    ("GET", "~/admin/books.beancount"):                         "302 403 403 403 403 200 404",
    ("GET", "~/reports/impact"):                                "302 403 403 200 403 200 404",
    ("GET", "~/reports/impact.pdf"):                            "302 403 403 200 403 200 404",
    ("GET", "~/organisations/<id:organisation_id>/impact"):     "302 403 403 200 200 200 404",
    ("GET", "~/organisations/<id:organisation_id>/impact.pdf"): "302 403 403 200 200 200 404",
    ("GET", "~/organisations/<id:organisation_id>/statement"):  "302 403 403 200 200 403 404",
    ("GET", "~/organisations/<id:organisation_id>/statement.pdf"): "302 403 403 200 200 403 404",
    ("GET", "~/organisations/<id:organisation_id>/statement.csv"): "302 403 403 200 200 403 404",
    ("GET", "~/accounts/<id:account_id>/statement"):            "302 200 403 200 403 200 404",
    ("GET", "/statements/verify"):                              "200 200 200 200 200 200 200",
    ("GET", "~/statements/print"):                              "302 403 403 200 200 200 404",
    ("POST", "~/statements/print"):                             "302 403 403 422 422 422 404",
    ("GET", "~/statements/print/<id:run_id>"):                  "302 403 403 200 403 200 404",
    ("GET", "~/statements/print/<id:run_id>/file"):             "302 403 403 200 403 200 404",
}
# fmt: on


BANK = "/banks/<slug>"


def routes(app: Flask) -> dict[tuple[str, str], Rule]:
    """Return each route the app answers, but its static files, by method and rule."""
    return {
        (method, rule.rule.replace(BANK, "~", 1)): rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and not rule.rule.startswith("/api/")
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }


def test_the_matrix_covers_every_route_of_the_app() -> None:
    assert set(routes(create_app({"DATABASE_URL": "sqlite://"}))) == set(MATRIX)


@dataclass(frozen=True)
class Scene:
    """Riverside, a browser for each viewer, and the ids the pages are about."""

    browsers: dict[str, Browser]
    ids: dict[str, object]


@pytest.fixture
def scene(
    engine: Engine,
    riverside: Riverside,
    app: Flask,
    browser_for: Callable[[User], Browser],
    tmp_path: Path,
) -> Scene:
    users = {
        "ana": riverside.ana,
        "ben": riverside.ben,
        "broker": riverside.broker,
        "charity_admin": riverside.charity_admin,
        "admin": riverside.admin,
        "outsider": open_riverside(engine).broker,
    }
    log = earn(engine, riverside, riverside.ana, 60)
    printed = print_whole_bank(engine, riverside, app, tmp_path)
    token, _ = run(
        engine,
        lambda s: create_token(s, email=riverside.ana.email, password=PASSWORD),
    )
    browsers = {"anonymous": Browser(app.test_client())}
    browsers.update({name: browser_for(user) for name, user in users.items()})
    return Scene(
        browsers=browsers,
        ids={
            "slug": riverside.slug,
            "member_id": riverside.ana_id,
            "organisation_id": riverside.charity.id,
            "transaction_id": log.transaction_id,
            "token_id": token.id,
            "account_id": account_of(engine, riverside.ana_id),
            "run_id": printed.id,
        },
    )


@pytest.mark.parametrize(("method", "rule"), sorted(MATRIX))
def test_each_viewer_gets_the_status_the_matrix_gives(
    app: Flask, scene: Scene, method: str, rule: str
) -> None:
    route = routes(app)[method, rule]
    with app.test_request_context():
        url = url_for(
            route.endpoint, **{name: scene.ids[name] for name in route.arguments}
        )
    found = {}
    for viewer in VIEWERS:
        browser = scene.browsers[viewer]
        if method == "GET":
            response = browser.get(url)
        else:
            token = TOKEN.search(browser.get("/sign-in").get_data(as_text=True))
            assert token is not None
            response = browser.post(url, {"csrf_token": token.group(1)})
        found[viewer] = response.status_code
    expected = [int(status) for status in MATRIX[method, rule].split()]
    assert found == dict(zip(VIEWERS, expected, strict=True))
