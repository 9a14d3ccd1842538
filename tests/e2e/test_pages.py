"""The main pages of the demo time bank, at desktop width, on a phone and zoomed.

Each page must pass axe-core at both widths, and must never scroll sideways on
a 320 px phone or at 200% zoom (WCAG 2.2's reflow), even with its folded parts
opened: a wide table scrolls inside itself instead. The desktop and phone
renderings are saved as screenshots in tests/e2e/screenshots/, one pair a page,
for people to look at. The dashboard is also seen in Welsh, by a member who
chose Cymraeg.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from timebank.banks.models import TimeBank
from timebank.demo import DEMO_NAME, DEMO_PASSWORD, DEMO_SLUG
from timebank.organisations.models import Organisation

from .steps import assert_no_serious_violations

SCREENSHOTS = Path(__file__).parent / "screenshots"
BANK = f"/banks/{DEMO_SLUG}"
# (screenshot name, who looks, path, main heading); who is the local part of
# a demo sign-in's email, or None for someone signed out. {food_bank} in a path
# is the id of the demo's food bank, which the database chose.
PAGES = [
    ("home", None, "/", "Timebank"),
    ("sign-in", None, "/sign-in", "Sign in"),
    ("dashboard", "ana", f"{BANK}/", "Your account"),
    ("dashboard-cy", "bronwen", f"{BANK}/", "Eich cyfrif"),
    ("history", "ana", f"{BANK}/history", "Your entries"),
    ("log-hours", "ana", f"{BANK}/log-hours", "Log your hours"),
    ("give", "ana", f"{BANK}/gift", "Give credits"),
    ("spend", "ana", f"{BANK}/spend", "Spend credits"),
    ("organisations", "ana", f"{BANK}/organisations", "Organisations"),
    ("queue", "broker", f"{BANK}/queue", "Waiting for approval"),
    ("members", "broker", f"{BANK}/members", "Members of Riverside Time Bank"),
    (
        "organisation",
        "foodbank",
        f"{BANK}/organisations/{{food_bank}}",
        "Riverside Food Bank",
    ),
    ("settings", "admin", f"{BANK}/admin/settings", f"Settings of {DEMO_NAME}"),
    ("audit", "admin", f"{BANK}/admin/audit", "Audit trail"),
]
# Who reads the pages in Welsh: they press the header's Cymraeg button once
# signed in, and their choice follows them to every page.
WELSH_READERS = {"bronwen"}
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 800}}
# The narrowest phone that WCAG's reflow asks a page to fit.
PHONE: dict[str, Any] = {"viewport": {"width": 320, "height": 640}}
# A 1280 px window at 200% zoom: half as many CSS pixels, each drawn twice as big.
ZOOMED: dict[str, Any] = {
    "viewport": {"width": 640, "height": 400},
    "device_scale_factor": 2,
}


@pytest.fixture(scope="package")
def signed_in_as(chromium: Browser, server: str) -> dict[str | None, Any]:
    """Return the cookies of each demo person the pages are seen by."""
    states: dict[str | None, Any] = {None: None}
    for who in {who for _, who, _, _ in PAGES if who is not None}:
        context = chromium.new_context(base_url=server)
        page = context.new_page()
        page.goto("/sign-in")
        page.get_by_label("Email address").fill(f"{who}@{DEMO_SLUG}.example")
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.locator("main").get_by_role("button", name="Sign in").click()
        page.get_by_role("button", name="Sign out").wait_for()
        if who in WELSH_READERS:
            page.get_by_role("button", name="Cymraeg").click()
            page.get_by_role("button", name="Allgofnodi").wait_for()
        states[who] = context.storage_state()
        context.close()
    return states


@pytest.fixture(scope="package")
def food_bank(engine: Engine) -> int:
    """Return the id of the demo's food bank."""
    with Session(engine) as session:
        return session.scalars(
            select(Organisation.id)
            .join(TimeBank, TimeBank.id == Organisation.time_bank_id)
            .where(
                TimeBank.slug == DEMO_SLUG, Organisation.name == "Riverside Food Bank"
            )
        ).one()


def open_page(
    new_context: Callable[..., BrowserContext],
    state: Any,
    size: dict[str, Any],
    path: str,
    heading: str,
    language: str,
) -> Page:
    """Open path at a size, as the person whose cookies state holds, in language."""
    page = new_context(storage_state=state, **size).new_page()
    page.goto(path)
    expect(page.locator("h1")).to_have_text(heading)
    expect(page.locator("html")).to_have_attribute("lang", language)
    return page


def assert_no_sideways_scrolling(page: Page) -> None:
    """Fail if the page, with all its folded parts opened, is wider than the window."""
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    width = page.evaluate(
        "({page: document.documentElement.scrollWidth, window: innerWidth})"
    )
    assert width["page"] <= width["window"], f"{page.url} scrolls sideways: {width}"


@pytest.mark.parametrize(
    "name, who, path, heading", PAGES, ids=[name for name, *_ in PAGES]
)
def test_page_passes_axe_and_fits_every_width(
    new_context: Callable[..., BrowserContext],
    signed_in_as: dict[str | None, Any],
    food_bank: int,
    name: str,
    who: str | None,
    path: str,
    heading: str,
) -> None:
    state = signed_in_as[who]
    path = path.format(food_bank=food_bank)
    language = "cy" if who in WELSH_READERS else "en"
    desktop = open_page(new_context, state, DESKTOP, path, heading, language)
    assert_no_serious_violations(desktop)
    desktop.screenshot(path=SCREENSHOTS / f"{name}-desktop.png", full_page=True)

    phone = open_page(new_context, state, PHONE, path, heading, language)
    assert_no_serious_violations(phone)
    phone.screenshot(path=SCREENSHOTS / f"{name}-phone.png", full_page=True)
    assert_no_sideways_scrolling(phone)

    zoomed = open_page(new_context, state, ZOOMED, path, heading, language)
    assert_no_sideways_scrolling(zoomed)
