"""The prompts page and the review in Debian's Chromium, against `warroom demo` (issue 17).

A lead signs in, clicks 「我已推送」 on the prompts page, and the review's push tab then credits the
lead (团队长), never the first member of the hype squad (阿豪), and names the prompt by its title,
never a rule id such as `live_now#1`. The review's by-role tab has a slice for every role that
earns. Screenshots go to tests/artifacts/browser/prompts_*.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.browser_support import ARTIFACTS, DemoProcess, running_demo, sign_in_as_lead
from warroom.i18n import t

pytestmark = pytest.mark.browser

SHOTS = ARTIFACTS / "browser"
DESK = {"width": 1280, "height": 900}
LOAD_MS = 60_000
PROMPT_MS = 120_000  # the replay at 60× reaches the first flash sale's poster prompt within a minute or two
RULE_ID = re.compile(r"\b(poster|live_now|order_screenshots|momentum_drop|viewer_surge|behind_pace|quiet_group|milestone)(#\d+)?\b")
expect.set_options(timeout=30_000)


@pytest.fixture(scope="module")
def demo(chromium, tmp_path_factory) -> Iterator[DemoProcess]:
    """Yield a running `warroom demo --speed 60` on a free port, in a fresh folder; stopped at the end."""
    with running_demo(tmp_path_factory.mktemp("prompts") / "demo", speed=60) as process:
        yield process


@pytest.fixture(scope="module")
def lead_pushed(demo, chromium):
    """Return a lead's page after they clicked 「我已推送」 on the first active prompt (one push for the module)."""
    context = chromium.new_context(viewport=DESK, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(30_000)
    page = context.new_page()
    sign_in_as_lead(page, demo.url(), LOAD_MS)
    page.get_by_text(t("nav_prompts"), exact=True).first.click()
    push = page.get_by_role("button", name=t("op_push")).first
    push.wait_for(state="visible", timeout=PROMPT_MS)
    expect(push).to_be_enabled()
    page.screenshot(path=str(SHOTS / "prompts_01_lead_before_push.png"), full_page=True)
    push.click()
    page.get_by_text(t("op_acked", title="", groups="").split("：")[0]).first.wait_for(state="visible", timeout=LOAD_MS)
    page.screenshot(path=str(SHOTS / "prompts_02_lead_pushed.png"), full_page=True)
    yield page
    context.close()


def review_tab(page, tab_key: str, shot: str):
    """Open the review, then one of its tabs; return the page."""
    page.get_by_text(t("nav_review"), exact=True).first.click()
    page.locator("h1").get_by_text(t("rv_title"), exact=True).wait_for(state="visible", timeout=LOAD_MS)
    page.get_by_role("tab", name=t(tab_key)).click()
    page.locator('[role="tabpanel"]:visible [data-testid="stDataFrame"]').first.wait_for(state="visible", timeout=LOAD_MS)
    page.screenshot(path=str(SHOTS / f"prompts_{shot}.png"), full_page=True)
    return page


def grid_cells(page) -> list[list[str]]:
    """Return the text of every cell of each table in the open tab (the grids' accessible tables), one list per table."""
    grids = page.locator('[role="tabpanel"]:visible [data-testid="stDataFrame"]')
    # The grid draws on a canvas and fills its accessible table a moment later.
    for index in range(grids.count()):
        grids.nth(index).locator("td").first.wait_for(state="attached", timeout=LOAD_MS)
    return [grids.nth(index).evaluate("grid => Array.from(grid.querySelectorAll('th, td')).map(cell => cell.textContent.trim())")
            for index in range(grids.count())]


def test_the_prompts_page_asks_whom_to_record_and_offers_the_lead_first(lead_pushed):
    box = lead_pushed.locator('[data-testid="stSelectbox"]').first
    inputs = box.locator("input")
    chosen = " ".join([box.text_content() or "", *(inputs.nth(index).input_value() for index in range(inputs.count()))])
    assert t("op_me_lead", role=t("viewer_lead")) in chosen, f"the push is recorded under {chosen!r}"


def test_the_review_credits_the_lead_not_the_hype_squad(lead_pushed):
    *_, pushes = grid_cells(review_tab(lead_pushed, "rv_sheet_pushes", "03_review_pushes"))
    assert t("viewer_lead") in pushes, f"the push table does not name the lead: {pushes[:20]}"
    assert "阿豪" not in pushes, "the push table credits 阿豪, who did not click"


def test_the_review_names_prompts_by_title_not_rule_id(lead_pushed):
    tables = grid_cells(review_tab(lead_pushed, "rv_sheet_pushes", "03_review_pushes"))
    cells = [cell for table in tables for cell in table]
    chart = lead_pushed.locator('[role="tabpanel"]:visible .js-plotly-plot').first.inner_text()
    assert [cell for cell in [*cells, chart] if RULE_ID.search(cell)] == [], "a rule id is shown in the push tab"
    assert any(cell.startswith("推送") for cell in cells) and any(cell.startswith("文案 ") for cell in cells), cells[:30]


def test_the_review_by_role_has_a_slice_for_every_role_that_earns(lead_pushed):
    page = review_tab(lead_pushed, "rv_sheet_roles", "04_review_by_role")
    earnings, _sales = grid_cells(page)
    donut = page.locator('[role="tabpanel"]:visible .js-plotly-plot').first.inner_text()
    roles = [role for role in ("接单员", "社群运营", "主播", "气氛组") if role in earnings]
    assert roles and all(role in donut for role in roles), f"the donut shows {donut!r}, the earnings table {roles}"
