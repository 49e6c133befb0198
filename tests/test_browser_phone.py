"""The war room on a phone (390 × 844) in Debian's Chromium, against `warroom demo` (issue 17).

A staff member opens their personal link: the page menu (») is thumb-sized and folds away after a
choice, and a poster designer's page shows the team's way to the pool, not a what-if on orders
that role does not take. The browser is a narrow window that does not call itself a phone (as a
tablet, a desktop browser or an in-app browser may): Streamlit folds its menu away by itself only
for a browser that does. Screenshots go to tests/artifacts/browser/phone_*.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from tests.browser_support import ARTIFACTS, DemoProcess, running_demo, staff_query, wait_until
from warroom.i18n import t

pytestmark = pytest.mark.browser

SHOTS = ARTIFACTS / "browser"
PHONE = {"width": 390, "height": 844}
THUMB_PX = 44  # the smallest touch target (Apple's HIG, WCAG 2.5.5)
LOAD_MS = 60_000
ORDER_TAKER, POSTER_DESIGNER = "S01", "S30"  # 小林 and 阿图 of the 520 sample
expect.set_options(timeout=30_000)


@pytest.fixture(scope="module")
def demo(chromium, tmp_path_factory) -> Iterator[DemoProcess]:
    """Yield a running `warroom demo --speed 60` on a free port, in a fresh folder; stopped at the end."""
    with running_demo(tmp_path_factory.mktemp("phone") / "demo", speed=60) as process:
        yield process


def shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"phone_{name}.png"))


def my_page(demo: DemoProcess, new_page, staff_id: str):
    """Return a phone's page on a staff member's personal link, once their page has rendered to its last line."""
    page = new_page(PHONE)
    page.goto(f"{demo.url()}?{urlencode(staff_query(staff_id))}")
    page.get_by_text(t("my_only_mine")).wait_for(state="visible", timeout=LOAD_MS)
    return page


def menu_width(page) -> float:
    """Return how wide the page menu (Streamlit's sidebar) is drawn on screen: 0 when folded away."""
    box = page.locator('[data-testid="stSidebar"]').bounding_box()
    return 0.0 if box is None or box["x"] + box["width"] <= 0 else box["width"]


def menu_open(page) -> bool:
    """Return whether the page menu is drawn whole on screen (not sliding in)."""
    box = page.locator('[data-testid="stSidebar"]').bounding_box()
    return box is not None and box["x"] >= 0 and box["width"] > 0


def test_the_menu_button_is_thumb_sized(demo, new_page):
    page = my_page(demo, new_page, ORDER_TAKER)
    box = page.locator('[data-testid="stExpandSidebarButton"]').bounding_box()
    shot(page, "01_my_page")
    assert box is not None and (box["width"], box["height"]) >= (THUMB_PX, THUMB_PX), f"the » button is {box}"


def test_the_menu_s_choices_are_thumb_sized(demo, new_page):
    page = my_page(demo, new_page, ORDER_TAKER)
    page.locator('[data-testid="stExpandSidebarButton"]').click()
    links = page.locator('[data-testid="stSidebarNavLink"]')
    links.first.wait_for(state="visible")
    wait_until(lambda: menu_open(page), timeout=10, what="the menu to open", pause=page.wait_for_timeout)
    shot(page, "02_menu_open")
    heights = {text.split("\n")[-1]: links.nth(index).bounding_box()["height"] for index, text in enumerate(links.all_inner_texts())}
    assert len(heights) == 2 and min(heights.values()) >= THUMB_PX, f"the menu's choices are {heights} px high"


def test_the_menu_folds_away_after_a_choice(demo, new_page):
    page = my_page(demo, new_page, ORDER_TAKER)
    page.locator('[data-testid="stExpandSidebarButton"]').click()
    wait_until(lambda: menu_open(page), timeout=10, what="the menu to open", pause=page.wait_for_timeout)
    page.locator('[data-testid="stSidebarNavLink"]').filter(has_text=t("nav_leaderboards")).click()
    page.get_by_text(t("boards_title"), exact=True).first.wait_for(state="visible", timeout=LOAD_MS)
    wait_until(lambda: menu_width(page) == 0, timeout=10, what="the menu to fold away", pause=page.wait_for_timeout)
    shot(page, "03_after_choosing_leaderboards")
    assert page.get_by_text(t("boards_title"), exact=True).first.is_visible()


def test_a_poster_designer_s_page_has_no_what_if(demo, new_page):
    page = my_page(demo, new_page, POSTER_DESIGNER)
    shot(page, "04_poster_designer")
    assert page.get_by_text(t("whatif_title")).count() == 0, "a poster designer's page offers 再出一单"
    assert page.get_by_text(t("my_team_goal")).count() == 1, "a poster designer's page does not show the team pool's progress"


def test_an_order_taker_s_page_keeps_the_what_if(demo, new_page):
    # So that the check above is not passing on a page that never has a what-if.
    page = my_page(demo, new_page, ORDER_TAKER)
    expect(page.get_by_text(t("whatif_title"))).to_have_count(1)
