"""What members and brokers do most, in a real browser, by mouse and by keyboard.

Each journey starts in a fresh Riverside time bank of its own, and every page
it reaches is checked with axe-core (``steps.arrive``). The keyboard journeys
move with Tab, type, and press Enter or Space; each stop they reach must
show its focus. One is in Welsh, its fields and buttons found by their Welsh
names. The statement journeys download a PDF through the browser and read it
back: its opening balance, its lines and its closing balance, which must be the
account's balance in the books.
"""

import re
from collections.abc import Callable
from datetime import date

from playwright.sync_api import BrowserContext, Page, expect
from pypdf import PdfReader
from sqlalchemy import Engine

import ledger
from timebank.banks.models import EarnSource
from timebank.durations import format_minutes
from timebank.hour_logs.models import HourLog
from timebank.hour_logs.services import approve_hour_log
from timebank.people.models import User

from ..timebank.factories import (
    Riverside,
    balance,
    days_ago,
    earn,
    log_for,
    open_riverside,
    rows_in_bank,
    run,
    snapshot,
)
from .steps import (
    arrive,
    assert_focus_visible,
    leaving,
    sign_in,
    sign_in_by_keyboard,
    tab_to,
)

NewContext = Callable[..., BrowserContext]


def flash(page: Page) -> str:
    """Return the message a finished form left at the top of the page."""
    return page.get_by_role("status").inner_text()


def figure(page: Page, name: str) -> str:
    """Return the figure shown under a name on a dashboard."""
    return page.locator(".figures div").filter(has_text=name).locator("dd").inner_text()


def language_of(engine: Engine, user: User) -> str:
    """Return the language a user chose for their pages, as the database keeps it."""
    return run(engine, lambda s: s.get_one(User, user.id).language)


def test_member_signs_in_and_logs_hours(
    page: Page, engine: Engine, riverside: Riverside
) -> None:
    sign_in(page, riverside.ana)
    arrive(page, "Your account")
    page.get_by_role("navigation").get_by_role("link", name="Log hours").click()
    arrive(page, "Log your hours")
    page.get_by_label("Who did you volunteer for?").select_option(
        str(riverside.charity.id)
    )
    page.get_by_label("Hours").fill("2")
    page.get_by_label("Minutes").fill("30")
    page.get_by_label("What did you do?").fill("Packed food parcels")
    page.locator("main").get_by_role("button", name="Log hours").click()

    arrive(page, "Your account")
    assert flash(page) == "Logged 2 h 30 min. It earns credits once approved."
    [log] = rows_in_bank(engine, HourLog, riverside)
    assert (log.membership_id, log.minutes, log.status) == (
        riverside.ana_id,
        150,
        "pending",
    )


def test_member_logs_hours_by_keyboard(
    page: Page, engine: Engine, riverside: Riverside
) -> None:
    sign_in_by_keyboard(page, riverside.ana)
    arrive(page, "Your account")
    tab_to(page, page.get_by_role("navigation").get_by_role("link", name="Log hours"))
    page.keyboard.press("Enter")
    arrive(page, "Log your hours")
    tab_to(page, page.get_by_label("Who did you volunteer for?"))
    page.keyboard.type("Riverside Food")
    tab_to(page, page.get_by_label("Hours"))
    page.keyboard.type("1")
    tab_to(page, page.get_by_label("What did you do?"))
    page.keyboard.type("Drove the van")
    tab_to(page, page.locator("main").get_by_role("button", name="Log hours"))
    page.keyboard.press("Enter")

    arrive(page, "Your account")
    assert flash(page) == "Logged 1 h. It earns credits once approved."
    [log] = rows_in_bank(engine, HourLog, riverside)
    assert (log.organisation_id, log.minutes) == (riverside.charity.id, 60)


def test_member_switches_to_welsh_and_logs_hours_by_keyboard(
    page: Page, engine: Engine, riverside: Riverside
) -> None:
    sign_in_by_keyboard(page, riverside.ana)
    arrive(page, "Your account")
    tab_to(page, page.get_by_role("banner").get_by_role("button", name="Cymraeg"))
    page.keyboard.press("Enter")
    arrive(page, "Eich cyfrif")
    expect(page.locator("html")).to_have_attribute("lang", "cy")
    tab_to(
        page, page.get_by_role("navigation").get_by_role("link", name="Cofnodi oriau")
    )
    page.keyboard.press("Enter")
    arrive(page, "Cofnodi eich oriau")
    tab_to(page, page.get_by_label("I bwy wnaethoch chi wirfoddoli?"))
    page.keyboard.type("Riverside Food")
    tab_to(page, page.get_by_label("Oriau"))
    page.keyboard.type("2")
    tab_to(page, page.get_by_label("Beth wnaethoch chi?"))
    page.keyboard.type("Didoli rhoddion")
    tab_to(page, page.locator("main").get_by_role("button", name="Cofnodi oriau"))
    page.keyboard.press("Enter")

    arrive(page, "Eich cyfrif")
    assert flash(page) == (
        "Wedi cofnodi 2 h. Bydd yn ennill credydau pan gaiff ei gymeradwyo."
    )
    expect(page.locator("html")).to_have_attribute("lang", "cy")
    expect(page.get_by_role("heading", name="Cofnodion diweddaraf")).to_be_visible()
    header = page.get_by_role("banner")
    expect(header.get_by_role("button", name="Allgofnodi")).to_be_visible()
    expect(header.get_by_role("button", name="English")).to_be_visible()
    [log] = rows_in_bank(engine, HourLog, riverside)
    assert (log.organisation_id, log.minutes, log.description) == (
        riverside.charity.id,
        120,
        "Didoli rhoddion",
    )
    assert language_of(engine, riverside.ana) == "cy"


def test_broker_approves_hours_and_the_member_sees_the_credit(
    new_context: NewContext, engine: Engine, riverside: Riverside
) -> None:
    log_for(engine, riverside, minutes=90)
    broker = new_context().new_page()
    sign_in(broker, riverside.broker)
    broker.goto(f"/banks/{riverside.slug}/queue")
    arrive(broker, "Waiting for approval")
    broker.get_by_role("checkbox", name="Ana").check()
    broker.get_by_role("button", name="Approve ticked items").click()
    arrive(broker, "Waiting for approval")
    assert flash(broker) == "Approved 1 item."

    member = new_context().new_page()
    sign_in(member, riverside.ana)
    member.goto(f"/banks/{riverside.slug}/")
    arrive(member, "Your account")
    assert figure(member, "Balance") == "1 h 30 min"
    assert balance(engine, riverside.ana_id).balance_minutes == 90


def test_broker_approves_hours_by_keyboard(
    page: Page, engine: Engine, riverside: Riverside
) -> None:
    log_for(engine, riverside, minutes=60)
    sign_in_by_keyboard(page, riverside.broker)
    arrive(page, "Your account")
    tab_to(page, page.get_by_role("navigation").get_by_role("link", name="Queue"))
    page.keyboard.press("Enter")
    arrive(page, "Waiting for approval")
    ana = page.get_by_role("checkbox", name="Ana")
    tab_to(page, ana)
    page.keyboard.press("Space")
    expect(ana).to_be_checked()
    tab_to(page, page.get_by_role("button", name="Approve ticked items"))
    with leaving(page):
        page.keyboard.press("Enter")

    arrive(page, "Waiting for approval")
    assert flash(page) == "Approved 1 item."
    expect(page.locator("main")).to_contain_text("Nothing is waiting for approval.")
    [log] = rows_in_bank(engine, HourLog, riverside)
    assert (log.status, log.decided_by_id) == ("approved", riverside.broker.id)
    assert balance(engine, riverside.ana_id).balance_minutes == 60


def test_member_gives_a_gift_and_spends_on_an_activity(
    page: Page, engine: Engine, riverside: Riverside
) -> None:
    earn(engine, riverside, riverside.ana, 180)
    sign_in(page, riverside.ana)
    page.goto(f"/banks/{riverside.slug}/")
    page.get_by_role("link", name="Give credits").click()
    arrive(page, "Give credits")
    page.get_by_label("Who do you want to give to?").select_option(label="Ben")
    page.get_by_label("Minutes").fill("30")
    page.get_by_label("Hours").fill("0")
    page.get_by_label("Message (optional)").fill("Thanks for the lift")
    page.locator("main").get_by_role("button", name="Give credits").click()
    arrive(page, "Your account")
    assert flash(page) == "You gave 30 min to Ben."

    page.get_by_role("link", name="Spend credits").click()
    arrive(page, "Spend credits")
    page.get_by_label("What do you want to do?").select_option(str(riverside.swim.id))
    page.locator("main").get_by_role("button", name="Spend credits").click()
    arrive(page, "Your account")
    assert flash(page) == "You spent 1 h on Swim at Leisure Centre."
    assert figure(page, "Balance") == "1 h 30 min"
    assert balance(engine, riverside.ben_id).balance_minutes == 30


def test_member_gives_and_spends_by_keyboard(
    page: Page, engine: Engine, riverside: Riverside
) -> None:
    earn(engine, riverside, riverside.ana, 120)
    sign_in_by_keyboard(page, riverside.ana)
    page.goto(f"/banks/{riverside.slug}/")
    tab_to(page, page.get_by_role("link", name="Give credits"))
    page.keyboard.press("Enter")
    arrive(page, "Give credits")
    tab_to(page, page.get_by_label("Who do you want to give to?"))
    page.keyboard.type("Ben")
    tab_to(page, page.get_by_label("Hours"))
    page.keyboard.type("1")
    tab_to(page, page.locator("main").get_by_role("button", name="Give credits"))
    page.keyboard.press("Enter")
    arrive(page, "Your account")
    assert flash(page) == "You gave 1 h to Ben."

    tab_to(page, page.get_by_role("link", name="Spend credits"))
    page.keyboard.press("Enter")
    arrive(page, "Spend credits")
    tab_to(page, page.get_by_label("What do you want to do?"))
    page.keyboard.type("Swim")
    tab_to(page, page.locator("main").get_by_role("button", name="Spend credits"))
    page.keyboard.press("Enter")
    arrive(page, "Your account")
    assert flash(page) == "You spent 1 h on Swim at Leisure Centre."
    assert balance(engine, riverside.ana_id).balance_minutes == 0


def test_broker_logs_hours_on_a_members_behalf(
    page: Page, engine: Engine, riverside: Riverside
) -> None:
    sign_in(page, riverside.broker)
    page.goto(f"/banks/{riverside.slug}/")
    page.get_by_role("link", name="Members").click()
    arrive(page, "Members of Riverside")
    page.get_by_role("link", name="Log hours for Ana").click()
    arrive(page, "Log hours for Ana")
    page.get_by_label("Who did you volunteer for?").select_option(
        str(riverside.charity.id)
    )
    page.get_by_label("Hours").fill("3")
    page.get_by_label("What did you do?").fill("Stock-taking")
    page.locator("main").get_by_role("button", name="Log hours").click()

    arrive(page, "Ana's account")
    assert flash(page) == "Logged 3 h. It earns credits once approved."
    [log] = rows_in_bank(engine, HourLog, riverside)
    assert (log.membership_id, log.minutes) == (riverside.ana_id, 180)
    assert log.logged_by_id == riverside.broker.id


def test_broker_logs_hours_on_a_members_behalf_by_keyboard(
    page: Page, engine: Engine, riverside: Riverside
) -> None:
    sign_in_by_keyboard(page, riverside.broker)
    arrive(page, "Your account")
    tab_to(page, page.get_by_role("navigation").get_by_role("link", name="Members"))
    page.keyboard.press("Enter")
    arrive(page, "Members of Riverside")
    tab_to(page, page.get_by_role("link", name="Log hours for Ana"))
    page.keyboard.press("Enter")
    arrive(page, "Log hours for Ana")
    tab_to(page, page.get_by_label("Who did you volunteer for?"))
    page.keyboard.type("Riverside Food")
    tab_to(page, page.get_by_label("Hours"))
    page.keyboard.type("1")
    # The focus selects the field's 0, which the typing replaces.
    tab_to(page, page.get_by_label("Minutes"))
    page.keyboard.type("45")
    tab_to(page, page.get_by_label("What did you do?"))
    page.keyboard.type("Welcomed visitors")
    tab_to(page, page.locator("main").get_by_role("button", name="Log hours"))
    page.keyboard.press("Enter")

    arrive(page, "Ana's account")
    assert flash(page) == "Logged 1 h 45 min. It earns credits once approved."
    [log] = rows_in_bank(engine, HourLog, riverside)
    assert (log.membership_id, log.minutes, log.status) == (
        riverside.ana_id,
        105,
        "pending",
    )
    assert log.logged_by_id == riverside.broker.id


def test_a_wrong_form_shows_its_field_error_and_changes_nothing(
    page: Page, engine: Engine, riverside: Riverside
) -> None:
    sign_in(page, riverside.ana)
    page.goto(f"/banks/{riverside.slug}/log-hours")
    arrive(page, "Log your hours")
    before = snapshot(engine)
    page.get_by_label("Hours").fill("1")
    page.locator("main").get_by_role("button", name="Log hours").click()

    arrive(page, "Log your hours")
    organisation = page.get_by_label("Who did you volunteer for?")
    expect(organisation).to_have_attribute("aria-invalid", "true")
    expect(organisation).to_have_accessible_description(
        page.locator("#organisation_id-error").inner_text()
    )
    expect(page.get_by_role("alert")).to_contain_text("Please correct this")
    assert snapshot(engine) == before


def test_the_error_summary_leads_to_the_field_by_keyboard(
    page: Page, riverside: Riverside
) -> None:
    sign_in_by_keyboard(page, riverside.ana)
    page.goto(f"/banks/{riverside.slug}/log-hours")
    arrive(page, "Log your hours")
    tab_to(page, page.locator("main").get_by_role("button", name="Log hours"))
    with leaving(page):
        page.keyboard.press("Enter")

    arrive(page, "Log your hours")
    error = page.locator("#organisation_id-error").inner_text()
    tab_to(page, page.get_by_role("alert").get_by_role("link", name=error))
    page.keyboard.press("Enter")
    expect(page.get_by_label("Who did you volunteer for?")).to_be_focused()


def test_the_skip_link_shows_and_leads_past_the_navigation(
    page: Page, riverside: Riverside
) -> None:
    sign_in(page, riverside.broker)
    arrive(page, "Your account")
    skip = page.get_by_role("link", name="Skip to the content")
    tab_to(page, skip)
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main') !== null")
    assert_focus_visible(page)


def approve_at_the_food_bank(
    engine: Engine, place: Riverside, *, member: User, minutes: int, days: int
) -> int:
    """Approve the minutes a member logged for days ago; return the entry's number."""
    log = log_for(
        engine,
        place,
        member_id=place.ana_id if member == place.ana else place.ben_id,
        minutes=minutes,
        actor=member,
        service_date=days_ago(days),
    )
    approved = run(
        engine, lambda s: approve_hour_log(s, actor=place.broker, hour_log_id=log.id)
    )
    assert approved.transaction_id is not None
    return approved.transaction_id


def account_balance(engine: Engine, account_id: int) -> int:
    """Return an account's balance in the books."""
    return run(
        engine, lambda s: ledger.get_account(s.connection(), account_id)
    ).balance_minutes


def download_pdf(page: Page, submit: Callable[[], None]) -> tuple[str, list[str]]:
    """Download the file that submit asks for; return its name and its pages' text."""
    with page.expect_download() as asked:
        submit()
    download = asked.value
    pages = PdfReader(download.path()).pages
    return download.suggested_filename, [sheet.extract_text() for sheet in pages]


def assert_statement_shows(
    pages: list[str], *, opening: int, entries: list[int], closing: int
) -> None:
    """Check a statement PDF's opening balance, entry numbers and closing balance."""
    text = "\n".join(pages)
    for label, minutes in (("Opening", opening), ("Closing", closing)):
        shown = re.escape(format_minutes(minutes))
        assert re.search(rf"{label} balance\s*{shown}\n", text), (label, text)
    numbers = re.findall(r"^(\d+) +\d{4}-\d\d-\d\d", text, re.M)
    assert [int(number) for number in numbers] == entries


def choose_period(page: Page, first_day: date, last_day: date) -> None:
    page.get_by_label("First day").fill(first_day.isoformat())
    page.get_by_label("Last day").fill(last_day.isoformat())


def test_organisation_admin_downloads_the_organisations_statement(
    page: Page, engine: Engine
) -> None:
    place = open_riverside(engine, earn_source=EarnSource.ORGANISATION)
    approve_at_the_food_bank(engine, place, member=place.ana, minutes=120, days=9)
    entries = [
        approve_at_the_food_bank(engine, place, member=place.ben, minutes=90, days=4),
        approve_at_the_food_bank(engine, place, member=place.ana, minutes=45, days=1),
    ]
    first_day, last_day = days_ago(6), days_ago(0)
    sign_in(page, place.charity_admin)
    page.goto(f"/banks/{place.slug}/")
    arrive(page, "Your account")
    page.get_by_role("navigation").get_by_role("link", name="Organisations").click()
    arrive(page, "Organisations")
    page.get_by_role("link", name="Riverside Food Bank").click()
    arrive(page, "Riverside Food Bank")
    page.get_by_role("link", name="Statement of this account").click()
    arrive(page, "Statement of Riverside Food Bank")
    choose_period(page, first_day, last_day)
    page.get_by_label("File").select_option("pdf")
    name, pages = download_pdf(
        page,
        page.get_by_role("button", name="Download the statement").click,
    )

    assert name.endswith(f"-{first_day}-{last_day}.pdf")
    assert_statement_shows(
        pages,
        opening=-120,
        entries=entries,
        closing=account_balance(engine, place.charity.account_id),
    )
    assert account_balance(engine, place.charity.account_id) == -255


def test_organisation_admin_downloads_the_statement_by_keyboard(
    new_context: NewContext, engine: Engine
) -> None:
    place = open_riverside(engine, earn_source=EarnSource.ORGANISATION)
    approve_at_the_food_bank(engine, place, member=place.ana, minutes=60, days=8)
    entries = [
        approve_at_the_food_bank(engine, place, member=place.ben, minutes=30, days=2),
    ]
    # Chromium's date fields take their digits month first in American English.
    page = new_context(locale="en-US").new_page()
    sign_in_by_keyboard(page, place.charity_admin)
    page.goto(f"/banks/{place.slug}/organisations")
    arrive(page, "Organisations")
    tab_to(page, page.get_by_role("link", name="Riverside Food Bank"))
    page.keyboard.press("Enter")
    arrive(page, "Riverside Food Bank")
    tab_to(page, page.get_by_role("link", name="Statement of this account"))
    page.keyboard.press("Enter")
    arrive(page, "Statement of Riverside Food Bank")
    first_day, last_day = days_ago(5), days_ago(0)
    for field, day in (("First day", first_day), ("Last day", last_day)):
        tab_to(page, page.get_by_label(field))
        page.keyboard.type(day.strftime("%m%d%Y"))
    tab_to(page, page.get_by_role("button", name="Download the statement"))
    name, pages = download_pdf(page, lambda: page.keyboard.press("Enter"))

    assert name.endswith(f"-{first_day}-{last_day}.pdf")
    assert_statement_shows(
        pages,
        opening=-60,
        entries=entries,
        closing=account_balance(engine, place.charity.account_id),
    )


def test_broker_downloads_a_members_statement_from_the_members_page(
    page: Page, engine: Engine, riverside: Riverside
) -> None:
    approve_at_the_food_bank(
        engine, riverside, member=riverside.ana, minutes=60, days=12
    )
    entries = [
        approve_at_the_food_bank(
            engine, riverside, member=riverside.ana, minutes=15 * day, days=day
        )
        for day in (3, 2, 1)
    ]
    first_day, last_day = days_ago(7), days_ago(0)
    sign_in(page, riverside.broker)
    page.goto(f"/banks/{riverside.slug}/members")
    arrive(page, "Members of Riverside")
    page.get_by_role("link", name="Ana", exact=True).click()
    arrive(page, "Ana's account")
    page.get_by_role("link", name="Ana's statement").click()
    arrive(page, "Statement of Ana")
    choose_period(page, first_day, last_day)
    name, pages = download_pdf(
        page,
        page.get_by_role("button", name="Download the statement").click,
    )

    assert name.endswith(f"-{first_day}-{last_day}.pdf")
    assert_statement_shows(
        pages,
        opening=60,
        entries=entries,
        closing=balance(engine, riverside.ana_id).balance_minutes,
    )
    assert balance(engine, riverside.ana_id).balance_minutes == 150
