"""The API's statements: a PDF or CSV of an account, for whoever may see it."""

import csv
import io
from collections.abc import Callable

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine

from timebank.people.models import User

from ..factories import Riverside, days_ago, earn, snapshot
from ..test_statements import account_of
from .conftest import ApiClient

LAST_30_DAYS = {"from": days_ago(30).isoformat(), "to": days_ago(0).isoformat()}


def test_a_member_gets_their_statement_as_pdf_and_csv(
    engine: Engine, riverside: Riverside, api_for: Callable[[User], ApiClient]
) -> None:
    earn(engine, riverside, riverside.ana, 120)
    ana = api_for(riverside.ana)
    url = f"/api/v1/accounts/{account_of(engine, riverside.ana_id)}/statement"

    pdf = ana.get(url, **LAST_30_DAYS)
    spreadsheet = ana.get(url, **LAST_30_DAYS, format="csv")

    assert pdf.status_code == 200
    assert pdf.mimetype == "application/pdf"
    assert "Closing balance" in PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()
    rows = list(csv.DictReader(io.StringIO(spreadsheet.get_data(as_text=True))))
    assert rows[-1]["balance_minutes"] == "120"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2026-13-01", "to": "2026-12-31"}, "from"),
        ({"to": "2026-12-31"}, "from"),
        ({**LAST_30_DAYS, "format": "docx"}, "format"),
        ({**LAST_30_DAYS, "pages": "2"}, "pages"),
    ],
)
def test_a_query_that_does_not_parse_gets_each_fields_message(
    engine: Engine,
    riverside: Riverside,
    api_for: Callable[[User], ApiClient],
    query: dict[str, str],
    field: str,
) -> None:
    ana = api_for(riverside.ana)
    url = f"/api/v1/accounts/{account_of(engine, riverside.ana_id)}/statement"

    response = ana.get(url, **query)

    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in response.json["errors"]


@pytest.mark.parametrize(
    ("first_day", "last_day", "detail"),
    [
        (days_ago(1), days_ago(2), "on or after the first day"),
        (days_ago(0), days_ago(-1), "at the latest"),
        (days_ago(4000), days_ago(0), "at most ten years"),
    ],
)
def test_a_bad_period_gets_a_problem_and_changes_nothing(
    engine: Engine,
    riverside: Riverside,
    api_for: Callable[[User], ApiClient],
    first_day: object,
    last_day: object,
    detail: str,
) -> None:
    ana = api_for(riverside.ana)
    url = f"/api/v1/accounts/{account_of(engine, riverside.ana_id)}/statement"
    before = snapshot(engine)

    response = ana.get(url, **{"from": str(first_day), "to": str(last_day)})

    assert response.status_code == 422
    assert detail in response.json["detail"]
    assert snapshot(engine) == before
