"""The demo page at a desktop's and a phone's width (390 px): the header fits, cards line up, an
unknown member shows nothing of the one before, names are not repeated, the stand-in widget
invents no message, and the signed-out Members link leads to the sign-in.

Layout is asserted with bounding boxes; each test saves a screenshot per width in
tests/browser/artifacts/ for a person to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from adapter.app import create_app
from adapter.demo.app import AVATAR_BASE_ENV
from tests.browser.support import Traffic, screenshot
from tests.servers import LiveServer
from tests.support import reference_data, settings_from

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDTHS = {"desktop": (1280, 860), "phone": (390, 844)}


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    """The adapter with its demo page, avatars served by the demo itself (nothing off-origin)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(AVATAR_BASE_ENV, "/demo-upstream")
        with LiveServer(create_app(settings_from(reference_data()))) as live:
            yield live


@pytest.fixture(params=list(WIDTHS))
def width(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def page(browser: Any, server: LiveServer, width: str) -> Iterator[Any]:
    """A fresh page (own cookies) at `width`, on the signed-out demo; no error, nothing broken."""
    context = browser.new_context(viewport={"width": WIDTHS[width][0], "height": WIDTHS[width][1]})
    opened = context.new_page()
    traffic = Traffic(server.url)
    traffic.watch(opened)
    opened.goto(f"{server.url}/demo/")
    opened.wait_for_selector("#welcome", state="visible")
    yield opened
    context.close()
    assert traffic.errors == []
    assert traffic.failures == []
    assert traffic.off_origin() == []


def _sign_in(page: Any, username: str = "user6") -> None:
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "demo")
    page.click("#sign-in button[type=submit]")
    page.wait_for_selector("#member-list li[data-user-id='7']")
    page.wait_for_function(
        "[...document.querySelectorAll('#member-list img')].every((i) => i.complete)"
    )


def _within_viewport(page: Any, selector: str) -> None:
    box = page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is not shown"
    viewport = page.viewport_size
    assert box["x"] >= 0, (selector, box)
    assert box["x"] + box["width"] <= viewport["width"], (selector, box)
    assert box["y"] >= 0, (selector, box)
    assert box["y"] + box["height"] <= viewport["height"], (selector, box)


def test_the_header_fits_the_width(page: Any, width: str) -> None:
    """Signed in, the header's Sign out button is whole within the viewport; nothing scrolls
    sideways."""
    _sign_in(page)
    screenshot(page, f"layout-members-{width}")
    _within_viewport(page, "#account button")
    _within_viewport(page, "#nav-members")
    assert page.inner_text("#account button") == "Sign out"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_message_buttons_line_up(page: Any, width: str) -> None:
    """In each row of member cards the Message buttons share one height, badge or not."""
    _sign_in(page)
    cards = page.evaluate(
        """[...document.querySelectorAll('#member-list li')].map((card) => {
          const button = card.querySelector('.actions button');
          return {
            top: Math.round(card.getBoundingClientRect().top),
            badge: card.querySelector('.badge').textContent !== '',
            button: button && button.getBoundingClientRect().top,
            right: button && button.getBoundingClientRect().right,
          };
        })"""
    )
    rows: dict[int, list[dict[str, Any]]] = {}
    for card in cards:
        rows.setdefault(card["top"], []).append(card)
    if width == "desktop":
        # The first row mixes cards with and without a badge: the case that went wrong.
        assert {card["badge"] for card in rows[min(rows)]} == {True, False}
    for row in rows.values():
        heights = {round(card["button"]) for card in row if card["button"] is not None}
        assert len(heights) <= 1, row
        assert all(card["right"] is None or card["right"] <= WIDTHS[width][0] for card in row)


def test_an_unknown_member_after_another_shows_nothing_of_it(page: Any, width: str) -> None:
    """Member 7's profile, then an unknown id: "No such member", with no avatar, link or button
    left from member 7."""
    _sign_in(page)
    page.evaluate("location.hash = '#/members/7'")
    page.wait_for_selector("#profile-avatar.large[src]")
    assert page.is_visible("#profile-link")
    page.evaluate("location.hash = '#/members/999999'")
    page.wait_for_function(
        "document.querySelector('#profile-name').textContent === 'No such member'"
    )
    screenshot(page, f"layout-unknown-member-{width}")
    avatar = page.locator("#profile-avatar")
    assert avatar.evaluate("(node) => node.tagName") == "SPAN"
    assert avatar.inner_text() == "?"
    assert not page.is_visible("#profile-link")
    assert not page.is_visible("#write-message")
    assert not page.is_visible("#profile-badge")
    assert not page.is_visible("#chat-json-panel")


def test_member_names_are_all_different(page: Any) -> None:
    """The twelve members listed have twelve different names (6 and 11 were both Elena
    Garcia)."""
    _sign_in(page)
    names = page.locator("#member-list a.name").all_inner_texts()
    assert len(names) == 12
    assert len(set(names)) == len(names), names


def test_the_stand_in_dialog_invents_no_message(page: Any, width: str) -> None:
    """An open conversation with no messages shows notes only: nothing reads as a message
    from the member."""
    _sign_in(page)
    page.click("#member-list li[data-user-id='7'] .actions button")
    page.wait_for_selector("#imbachat-stand-in .ic-window")
    screenshot(page, f"layout-dialog-{width}")
    body = page.locator("#imbachat-stand-in .ic-body > *")
    assert body.count() > 0
    assert body.evaluate_all("(nodes) => nodes.every((n) => n.className === 'ic-note')")
    assert "no messages yet" in page.inner_text("#imbachat-stand-in .ic-body")
    _within_viewport(page, "#imbachat-stand-in .ic-close")


def test_signed_out_members_link_leads_to_the_sign_in(page: Any, width: str) -> None:
    """Signed out, Members says to sign in and puts the cursor in the username field."""
    page.click("#nav-members")
    page.wait_for_function(
        "document.querySelector('#problem').textContent === 'Sign in to see the members.'"
    )
    assert page.evaluate("document.activeElement.name") == "username"
    screenshot(page, f"layout-signed-out-{width}")
    _within_viewport(page, "#account button")
