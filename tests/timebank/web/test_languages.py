"""The pages in English or Welsh: each person's choice, remembered."""

import csv
import html
import io
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from babel.dates import format_date
from flask import Flask
from sqlalchemy import Engine, select

from api.openapi import document
from timebank.languages.services import choose_language
from timebank.people.models import User
from timebank.statements.models import IssuedStatement

from ..api.conftest import ApiClient
from ..factories import Riverside, days_ago, earn, log_for, run, snapshot
from ..test_statements import WELSH_MONTHS, account_of
from .conftest import PASSWORD, Browser, choose, error_beside, refusal_beside
from .test_statements import print_whole_bank
from .test_tokens import make_token

WELSH_SIGN_IN = "Mewngofnodi"


def html_lang(page_text: str) -> str:
    found = re.search(r'<html lang="([^"]+)">', page_text)
    assert found is not None
    return found.group(1)


def test_pages_are_in_english_unless_someone_asks_for_welsh(
    riverside: Riverside, browser: Browser
) -> None:
    text = browser.get("/sign-in").get_data(as_text=True)
    assert html_lang(text) == "en"
    assert "<h1>Sign in</h1>" in text
    assert 'value="cy" lang="cy">Cymraeg</button>' in text


def test_a_browser_that_prefers_welsh_gets_the_pages_in_welsh(
    riverside: Riverside, browser: Browser
) -> None:
    page = browser.client.get("/sign-in", headers={"Accept-Language": "cy, en;q=0.5"})
    text = page.get_data(as_text=True)
    assert html_lang(text) == "cy"
    assert f"<h1>{WELSH_SIGN_IN}</h1>" in text


def test_a_visitor_switches_to_welsh_and_back(
    riverside: Riverside, browser: Browser
) -> None:
    assert choose(browser, "cy") == "/sign-in"
    text = browser.get("/sign-in").get_data(as_text=True)
    assert html_lang(text) == "cy"
    assert f"<h1>{WELSH_SIGN_IN}</h1>" in text
    assert 'value="en" lang="en">English</button>' in text
    choose(browser, "en")
    assert "<h1>Sign in</h1>" in browser.get("/sign-in").get_data(as_text=True)


def test_a_members_choice_of_welsh_is_kept_for_their_next_sign_in(
    engine: Engine, riverside: Riverside, app: Flask, browser: Browser
) -> None:
    dashboard = f"/banks/{riverside.slug}/"
    app_browser = Browser(app.test_client())
    app_browser.sign_in(riverside.ana)
    choose(app_browser, "cy", on=dashboard)
    assert html_lang(app_browser.get(dashboard).get_data(as_text=True)) == "cy"
    stored = run(
        engine,
        lambda s: s.scalar(select(User.language).where(User.id == riverside.ana.id)),
    )
    assert stored == "cy"

    # Another browser, which has never seen the switcher, asks for English.
    browser.sign_in(riverside.ana)
    text = browser.client.get(dashboard, headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert html_lang(text) == "cy"
    assert "Allgofnodi" in text


def test_a_member_who_never_chose_sees_english_whatever_a_visitor_chose_before(
    riverside: Riverside, browser: Browser
) -> None:
    choose(browser, "cy")
    browser.sign_in(riverside.ben)
    text = browser.get(f"/banks/{riverside.slug}/").get_data(as_text=True)
    assert html_lang(text) == "en"


def test_an_unknown_language_is_refused_and_changes_nothing(
    engine: Engine, riverside: Riverside, browser: Browser
) -> None:
    browser.sign_in(riverside.ana)
    response = browser.submit("/language", {"language": "fr"}, form_url="/sign-in")
    assert response.status_code == 422
    assert "The pages are shown in English (en) or Cymraeg (cy) only." in (
        response.get_data(as_text=True)
    )
    stored = run(
        engine,
        lambda s: s.scalar(select(User.language).where(User.id == riverside.ana.id)),
    )
    assert stored == "en"


@pytest.mark.parametrize(
    ("page", "welsh_heading"),
    [
        ("/", "<h1>Eich cyfrif</h1>"),
        ("/history", "<h1>Eich cofnodion</h1>"),
        ("/log-hours", "<h1>Cofnodi eich oriau</h1>"),
        ("/exchange", "<h1>Cefais help gan rywun</h1>"),
        ("/gift", "<h1>Rhoi credydau</h1>"),
        ("/spend", "<h1>Gwario credydau</h1>"),
    ],
)
def test_a_member_who_chose_welsh_reads_their_pages_in_welsh(
    riverside: Riverside,
    browser_for: Callable[[User], Browser],
    page: str,
    welsh_heading: str,
) -> None:
    url = f"/banks/{riverside.slug}{page}"
    browser = browser_for(riverside.ana)
    choose(browser, "cy", on=url)
    text = browser.get(url).get_data(as_text=True)
    assert welsh_heading in text
    assert 'lang="cy"' in text
    assert "Fy nghyfrif" in text


def test_a_refused_form_in_welsh_still_says_what_to_correct(
    riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    url = f"/banks/{riverside.slug}/gift"
    browser = browser_for(riverside.ana)
    choose(browser, "cy", on=url)
    response = browser.submit(url, {"recipient": "", "hours": "1", "minutes": "0"})
    assert response.status_code == 422
    assert "Cywirwch hyn, os gwelwch yn dda" in response.get_data(as_text=True)


def test_a_gift_given_in_welsh_is_confirmed_in_welsh(
    riverside: Riverside, browser_for: Callable[[User], Browser], engine: Engine
) -> None:
    earn(engine, riverside, riverside.ana, 120)
    url = f"/banks/{riverside.slug}/gift"
    browser = browser_for(riverside.ana)
    choose(browser, "cy", on=url)
    response = browser.submit(
        url, {"recipient": str(riverside.ben_id), "hours": "1", "minutes": "0"}
    )
    assert response.status_code == 302
    dashboard = browser.get(response.location).get_data(as_text=True)
    assert f"Rydych chi wedi rhoi 1 h i {riverside.ben.name}." in dashboard


def test_a_failed_sign_in_is_explained_in_welsh(
    riverside: Riverside, browser: Browser
) -> None:
    choose(browser, "cy")
    response = browser.submit(
        "/sign-in", {"email": riverside.ana.email, "password": "not the password"}
    )
    assert response.status_code == 422
    assert "Nid yw&#39;r cyfeiriad e-bost a&#39;r cyfrinair yn cyfateb." in (
        response.get_data(as_text=True)
    )


def test_the_choices_of_a_welsh_form_are_in_welsh(
    riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    browser = browser_for(riverside.ana)
    history = f"/banks/{riverside.slug}/history"
    choose(browser, "cy", on=history)
    assert '<option value="all">Popeth</option>' in browser.get(history).text
    gift = browser.get(f"/banks/{riverside.slug}/gift").text
    assert '<option value="pool">Y gronfa gymunedol</option>' in gift


def welsh_month(day: date) -> str:
    return f"{WELSH_MONTHS[day.month - 1]} {day.year}"


def welsh_day(day: date) -> str:
    return f"{day.day} {welsh_month(day)}"


@pytest.mark.parametrize(
    ("page", "welsh_heading"),
    [
        ("", "<h2>Gwirfoddolwyr</h2>"),
        ("/statement", "<h2>Oriau wedi'u cymeradwyo fesul gweithgaredd</h2>"),
        (
            "/impact",
            "<h2 id=\"credits-heading\">Credydau wedi'u hennill a'u gwario</h2>",
        ),
    ],
)
def test_an_organisation_admin_who_chose_welsh_reads_its_pages_in_welsh(
    engine: Engine,
    riverside: Riverside,
    browser_for: Callable[[User], Browser],
    page: str,
    welsh_heading: str,
) -> None:
    earn(engine, riverside, riverside.ana, 90)
    url = f"/banks/{riverside.slug}/organisations/{riverside.charity.id}{page}"
    browser = browser_for(riverside.charity_admin)
    choose(browser, "cy", on=url)
    text = browser.get(url).text
    assert html_lang(text) == "cy"
    assert welsh_heading in text
    today = days_ago(0)
    assert f'<th scope="row">{welsh_month(today)}</th>' in text
    assert f"{today:%B}" not in text


def test_an_organisation_report_in_welsh_names_its_period_and_months_in_welsh(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    first, last = date(2025, 1, 20), date(2025, 3, 4)
    url = (
        f"/banks/{riverside.slug}/organisations/{riverside.charity.id}"
        f"/impact?from={first}&to={last}"
    )
    browser = browser_for(riverside.charity_admin)
    choose(browser, "cy", on=url)
    text = browser.get(url).text
    assert "<h2>20 Ionawr 2025 i 4 Mawrth 2025</h2>" in text
    assert "bob mis, Ionawr 2025 – Mawrth 2025</figcaption>" in text
    month_letters = re.findall(r"<text [^>]*>([^<]+)</text>", text)
    assert month_letters == ["I", "Ch", "M"] * 2


def test_a_statement_checked_in_welsh_is_found_genuine_in_welsh(
    engine: Engine,
    riverside: Riverside,
    browser: Browser,
    browser_for: Callable[[User], Browser],
) -> None:
    earn(engine, riverside, riverside.ana, 60)
    first, last = days_ago(5), days_ago(0)
    download = browser_for(riverside.ana).get(
        f"/banks/{riverside.slug}/accounts/{account_of(engine, riverside.ana_id)}"
        f"/statement?from={first}&to={last}&format=csv"
    )
    number = next(csv.DictReader(io.StringIO(download.text)))["statement"]
    checksum = run(
        engine,
        lambda s: s.scalars(
            select(IssuedStatement.checksum).order_by(IssuedStatement.id.desc())
        ).first(),
    )
    choose(browser, "cy", on="/statements/verify")
    text = browser.get(f"/statements/verify?number={number}&checksum={checksum}").text
    assert html_lang(text) == "cy"
    assert "<h1>Gwirio datganiad</h1>" in text
    issued = welsh_day(days_ago(0))
    assert f"Dilys: cafodd y datganiad hwn ei roi ar {issued} am " in text
    assert f"ar gyfer {welsh_day(first)} i {welsh_day(last)}, ac mae" in text


def test_a_print_run_of_statements_in_welsh_counts_them_in_welsh(
    engine: Engine,
    riverside: Riverside,
    app: Flask,
    tmp_path: Path,
    browser_for: Callable[[User], Browser],
) -> None:
    printed = print_whole_bank(engine, riverside, app, tmp_path)
    url = f"/banks/{riverside.slug}/statements/print/{printed.id}"
    browser = browser_for(riverside.broker)
    choose(browser, "cy", on=url)
    text = browser.get(url).text
    assert f"<h1>Datganiadau {welsh_day(days_ago(30))} i " in text
    assert "Mae'r 4 datganiad i gyd wedi'u hargraffu." in text
    assert ">Lawrlwytho'r PDF (" in text


def test_the_tokens_page_in_welsh_lists_and_revokes_tokens_in_welsh(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    token, _ = make_token(engine, riverside.ana, "Weekly report")
    browser = browser_for(riverside.ana)
    choose(browser, "cy", on="/tokens")
    text = browser.get("/tokens").text
    assert html_lang(text) == "cy"
    assert "<h1>Eich tocynnau API</h1>" in text
    made = format_date(token.created_at, "d MMM y", locale="cy")
    assert f"<td>{made}, " in text
    assert 'Dirymu<span class="visually-hidden"> Weekly report</span>' in text
    response = browser.submit(f"/tokens/{token.id}/revoke", {}, form_url="/tokens")
    assert response.status_code == 302
    landing = browser.get("/tokens").text
    assert "Wedi dirymu&#39;r tocyn “Weekly report”." in landing


def test_the_api_docs_explain_tokens_in_welsh_but_the_openapi_document_stays_english(
    app: Flask, browser: Browser
) -> None:
    document.cache_clear()
    choose(browser, "cy", on="/api/v1/docs")
    text = browser.get("/api/v1/docs").text
    assert html_lang(text) == "cy"
    assert '<h2 id="getting-a-token">Cael tocyn</h2>' in text
    assert "Gwnewch docyn personol gyda <code>POST /api/v1/tokens</code>" in text
    described = browser.client.get("/api/v1/openapi.json").get_json()
    assert described["info"]["description"].startswith(
        "The time bank's services for programs"
    )
    assert "``POST /api/v1/tokens``" in described["info"]["description"]


@pytest.mark.parametrize(
    ("who", "page", "welsh"),
    [
        (
            "broker",
            "queue",
            [
                "<h1>Yn aros am gymeradwyaeth</h1>",
                "1 eitem yn aros",
                "Gwirfoddoli i ",
                "Cymeradwyo'r eitemau wedi'u ticio</button>",
            ],
        ),
        (
            "broker",
            "members",
            [
                '<th scope="col">Camau</th>',
                "Chwilio</button>",
                'Cofnodi oriau<span class="visually-hidden"> ar ran Ana</span>',
            ],
        ),
        (
            "broker",
            "members/{ana_id}/password",
            ["<h1>Cyfrinair newydd i Ana</h1>", "Gosod y cyfrinair newydd</button>"],
        ),
        (
            "broker",
            "entries/{entry_id}/reverse",
            ["<dd>Wedi ennill</dd>", "Gwrthdroi'r cofnod hwn</button>"],
        ),
        (
            "broker",
            "admin/members/{ana_id}",
            [
                '<h2 id="floor-heading">Gorddrafft</h2>',
                "Newid yr isafswm</button>",
                "Cofrestrwyd Ana",
            ],
        ),
        (
            "admin",
            "admin/audit",
            [
                "<h1>Trywydd archwilio</h1>",
                "Cymeradwywyd log oriau",
                "Rhoddwyd rôl i Bea Broker",
                "Rôl: brocer",
            ],
        ),
        (
            "admin",
            "admin/settings",
            ["Pryd mae rhodd yn aros am frocer?", "Cadw'r gosodiadau</button>"],
        ),
        (
            "admin",
            "admin/books",
            ["<h1>Y llyfrau cyfrifon</h1>", "<dt>Postiadau</dt>"],
        ),
    ],
)
def test_a_broker_or_admin_who_chose_welsh_reads_their_pages_in_welsh(
    engine: Engine,
    riverside: Riverside,
    browser_for: Callable[[User], Browser],
    who: str,
    page: str,
    welsh: list[str],
) -> None:
    earned = earn(engine, riverside, riverside.ana, 60)
    log_for(engine, riverside)
    page = page.format(ana_id=riverside.ana_id, entry_id=earned.transaction_id)
    url = f"/banks/{riverside.slug}/{page}"
    browser = browser_for(getattr(riverside, who))
    choose(browser, "cy", on=url)
    text = browser.get(url).text
    assert html_lang(text) == "cy"
    for words in welsh:
        assert words in text


def test_a_brokers_decision_in_welsh_is_confirmed_in_welsh(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    log = log_for(engine, riverside)
    url = f"/banks/{riverside.slug}/queue"
    browser = browser_for(riverside.broker)
    choose(browser, "cy", on=url)
    response = browser.submit(
        url, {"item": f"hour_log:{log.id}", "decision": "approve"}
    )
    assert response.status_code == 302
    assert "Rydych chi wedi cymeradwyo 1 eitem." in browser.get(response.location).text


def test_an_admins_change_in_welsh_is_confirmed_in_welsh(
    riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    page = f"/banks/{riverside.slug}/admin/members/{riverside.ana_id}"
    browser = browser_for(riverside.admin)
    choose(browser, "cy", on=page)
    response = browser.submit(
        f"{page}/freeze", {"status_reason": "Asked to pause"}, form_url=page
    )
    assert response.status_code == 302
    text = browser.get(response.location).text
    assert "Rydych chi wedi rhewi cyfrif Ana." in text
    assert "Rhewyd cyfrif Ana" in text


def test_the_error_pages_are_in_welsh_for_a_welsh_reader(
    riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    bank = f"/banks/{riverside.slug}"
    browser = browser_for(riverside.ana)
    choose(browser, "cy", on=f"{bank}/")
    missing = browser.get(f"{bank}/no-such-page")
    assert missing.status_code == 404
    assert html_lang(missing.text) == "cy"
    assert "<h1>Heb ei ganfod</h1>" in missing.text
    refused = browser.get(f"{bank}/admin/audit")
    assert refused.status_code == 403
    assert "<h1>Dim hawl</h1>" in refused.text
    expired = browser.post(f"{bank}/gift", {"recipient": str(riverside.ben_id)})
    assert expired.status_code == 400
    assert "Mae&#39;r ffurflen hon wedi dod i ben." in expired.text


# What a refused form says, in Welsh on the pages and in English in the API.


def test_a_field_its_schema_refuses_is_explained_in_welsh(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    url = f"/banks/{riverside.slug}/log-hours"
    browser = browser_for(riverside.ana)
    choose(browser, "cy", on=url)
    form = {
        "organisation_id": str(riverside.charity.id),
        "hours": "1",
        "minutes": "75",
        "service_date": days_ago(1).isoformat(),
        "description": "Sorting donations",
    }
    error = refusal_beside(engine, browser, url, form, "time")
    assert html.unescape(error) == "Rhowch y munudau fel rhif cyfan rhwng 0 a 59."


def test_a_time_off_the_time_banks_steps_is_refused_in_welsh(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    url = f"/banks/{riverside.slug}/log-hours"
    browser = browser_for(riverside.ana)
    choose(browser, "cy", on=url)
    form = {
        "organisation_id": str(riverside.charity.id),
        "hours": "0",
        "minutes": "7",
        "service_date": days_ago(1).isoformat(),
        "description": "Sorting donations",
    }
    error = refusal_beside(engine, browser, url, form, "time")
    assert html.unescape(error) == (
        "Rhaid i'r amser fod fesul 15 munud yn y banc amser hwn, nid 7 munud."
    )


def test_a_gift_to_oneself_is_refused_in_welsh(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    earn(engine, riverside, riverside.ana, 120)
    url = f"/banks/{riverside.slug}/gift"
    browser = browser_for(riverside.ana)
    choose(browser, "cy", on=url)
    form = {"recipient": str(riverside.ana_id), "hours": "1", "minutes": "0"}
    error = refusal_beside(engine, browser, url, form, "recipient")
    assert html.unescape(error) == "Does neb yn rhoi credydau iddyn nhw eu hunain."


def test_a_period_that_runs_backwards_is_refused_in_welsh(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    browser = browser_for(riverside.ana)
    choose(browser, "cy", on="/sign-in")
    account_id = account_of(engine, riverside.ana_id)
    before = snapshot(engine)
    response = browser.get(
        f"/banks/{riverside.slug}/accounts/{account_id}/statement"
        f"?from={days_ago(1).isoformat()}&to={days_ago(2).isoformat()}"
    )
    assert response.status_code == 422
    assert html.unescape(error_beside(response, "to")) == (
        "Rhaid i'r diwrnod olaf fod ar y diwrnod cyntaf neu ar ei ôl."
    )
    assert snapshot(engine) == before


def test_the_api_answers_in_english_whatever_language_its_caller_chose(
    engine: Engine, riverside: Riverside, app: Flask
) -> None:
    run(engine, lambda s: choose_language(s, user_id=riverside.ana.id, language="cy"))
    made = ApiClient(app).post(
        "/api/v1/tokens", {"email": riverside.ana.email, "password": PASSWORD}
    )
    api = ApiClient(app, made.json["token"])
    api.headers["Accept-Language"] = "cy"
    url = f"/api/v1/accounts/{account_of(engine, riverside.ana_id)}/statement"
    before = snapshot(engine)

    backwards = api.get(url, **{"from": str(days_ago(1)), "to": str(days_ago(2))})
    not_a_date = api.get(url, **{"from": "yesterday", "to": str(days_ago(2))})

    assert backwards.status_code == 422
    assert backwards.json["detail"] == "The last day must be on or after the first day."
    assert not_a_date.status_code == 422
    assert not_a_date.json["errors"]["from"] == [
        "Enter the first day as a date, like 2026-03-31."
    ]
    assert snapshot(engine) == before
