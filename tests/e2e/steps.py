"""The steps of a journey in the browser, each checking what a person would notice.

``arrive`` is taken on every page a journey reaches: it waits for the page's
heading, then runs axe-core on the page and fails on any serious or critical
violation. The keyboard steps move by Tab alone and check that every element
they reach on the way shows where the focus is.
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page, expect

from timebank.people.models import User

PASSWORD = "correct horse"
AXE_SOURCE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.2 A and AA, and axe's best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
BLOCKING_IMPACTS = {"serious", "critical"}
# Tab presses to give up after: more than any page here has stops.
MOST_TABS = 80


def sign_in(page: Page, user: User, password: str = PASSWORD) -> None:
    """Sign in from the sign-in page."""
    page.goto("/sign-in")
    arrive(page, "Sign in")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(password)
    page.locator("main").get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def sign_in_by_keyboard(page: Page, user: User, password: str = PASSWORD) -> None:
    """Sign in with Tab, typing and Enter alone."""
    page.goto("/sign-in")
    arrive(page, "Sign in")
    tab_to(page, page.get_by_label("Email address"))
    page.keyboard.type(user.email)
    tab_to(page, page.get_by_label("Password"))
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def arrive(page: Page, heading: str) -> None:
    """Wait for the page whose main heading is heading, and check it with axe."""
    expect(page.locator("h1")).to_have_text(heading)
    assert_no_serious_violations(page)


def assert_no_serious_violations(page: Page) -> None:
    """Run axe-core on the page; fail on any serious or critical violation.

    axe is evaluated through the DevTools protocol, not added as a script
    element, so a strict Content-Security-Policy (no 'unsafe-inline') does not
    block it and the pages are checked under the policy people get.
    """
    # axe measures sizes and colours, so the stylesheet must have loaded.
    page.wait_for_load_state("load")
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE.read_text())
    results: dict[str, Any] = page.evaluate(
        # Only the violations are read: axe skips the details of what passed.
        "tags => axe.run({runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})",
        AXE_TAGS,
    )
    blocking = [
        {
            "rule": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "where": [node["target"] for node in violation["nodes"]],
        }
        for violation in results["violations"]
        if violation["impact"] in BLOCKING_IMPACTS
    ]
    assert not blocking, f"{page.url}:\n{json.dumps(blocking, indent=2)}"


def tab_to(page: Page, target: Locator) -> None:
    """Press Tab until target has the focus; every stop on the way must show it."""
    for _ in range(MOST_TABS):
        page.keyboard.press("Tab")
        focused = focus_style(page)
        if focused is not None:
            assert shows_focus(focused), focused
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"Tab never reached {target} on {page.url}")


@contextmanager
def leaving(page: Page) -> Iterator[None]:
    """Return, after the steps inside, once the page they lead to has loaded.

    For a page with the same heading as the one left (a form shown again with
    its errors, the queue after a decision): ``arrive`` would otherwise find
    the heading on the old page and check it, or be cut off as it goes, since
    a key pressed does not wait for the page it asks for.
    """
    with page.expect_event("load"):
        yield


def assert_focus_visible(page: Page) -> None:
    """Fail unless an element of the page has the focus, with an outline or a shadow."""
    focused = focus_style(page)
    assert focused is not None, f"nothing on {page.url} has the focus"
    assert shows_focus(focused), focused


def focus_style(page: Page) -> dict[str, Any] | None:
    """Return the focused element's outline and shadow, if the stylesheet draws it.

    None when the focus is elsewhere: past the last stop, where it leaves the
    page before coming back, or on a part that Chromium draws inside its own
    control, such as a date field's calendar button, which then has the focus
    while the field itself does not match :focus.
    """
    focused: dict[str, Any] | None = page.evaluate(
        """() => {
            const focused = document.activeElement;
            if (focused === null || focused === document.body) return null;
            if (!focused.matches(":focus")) return null;
            const style = getComputedStyle(focused);
            const outline = style.outlineStyle === "none" ? "0" : style.outlineWidth;
            return {
                element: focused.outerHTML.slice(0, 120),
                outline: parseFloat(outline),
                shadow: style.boxShadow,
            };
        }"""
    )
    return focused


def shows_focus(style: dict[str, Any]) -> bool:
    """Say whether an outline of 2 px or more, or a shadow, marks the focus."""
    return bool(style["outline"] >= 2 or style["shadow"] != "none")
