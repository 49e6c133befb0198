"""Campaign over campaign in a real browser: the review's comparison with 三八节 and the setup page's plan, on `warroom demo`.

The demo copies the sample's earlier event (sample_data/38) beside its event file and ingests it at
start, so both views work with no set-up. The figures on the page are checked against the same
figures computed from the demo's stores; screenshots (1920×1080) go to tests/artifacts/browser/.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.browser_support import ARTIFACTS, DemoProcess, running_demo, sign_in_as_lead, wait_until
from warroom.i18n import fmt_int, fmt_yuan, t

pytestmark = pytest.mark.browser

SHOTS = ARTIFACTS / "browser"
TV = {"width": 1920, "height": 1080}
LOAD_MS = 60_000
expect.set_options(timeout=30_000)
TO_TOP = "element => element.scrollIntoView({block: 'start'})"  # Streamlit's page scrolls inside its own container


@pytest.fixture(scope="module")
def demo(chromium, tmp_path_factory) -> Iterator[DemoProcess]:
    """Yield a running `warroom demo` (fast, so the first evening is soon in the store); stopped at the end."""
    with running_demo(tmp_path_factory.mktemp("campaigns") / "demo", speed=200) as process:
        yield process


def earlier_and_plan(demo: DemoProcess):
    """Return the earlier event's figures and this event's plan, computed from the demo's stores as the pages do."""
    from warroom.campaign_history import earlier_figures, history_config
    from warroom.config import load_event
    from warroom.plan import plan_from

    config = load_event(demo.folder / "event.toml")
    earlier_config, label = history_config(config)
    earlier = earlier_figures(earlier_config, demo.event_now(), label)
    return earlier, plan_from(config, earlier)


def signed_in_lead(demo: DemoProcess, new_page):
    """Return a 1920×1080 page with the lead signed in."""
    page = new_page(TV)
    sign_in_as_lead(page, demo.url(), LOAD_MS)
    return page


def test_the_review_compares_with_the_earlier_event(demo, new_page):
    earlier, _plan = earlier_and_plan(demo)
    assert earlier.orders > 0, "the demo ingested the earlier event's feeds at start"
    page = signed_in_lead(demo, new_page)
    page.get_by_text(t("nav_review"), exact=True).first.click()
    heading = page.get_by_text(t("cmp_title"), exact=True)
    heading.wait_for(state="visible", timeout=LOAD_MS)
    table = page.locator(".wc-figures")
    table.wait_for(state="visible", timeout=LOAD_MS)
    text = table.inner_text()
    assert "三八节" in text, f"the earlier event is named by its [[history]] label:\n{text}"
    assert fmt_yuan(earlier.revenue_fen) in text, f"the earlier revenue {fmt_yuan(earlier.revenue_fen)} is in the table:\n{text}"
    assert fmt_int(earlier.orders) in text, f"the earlier orders are in the table:\n{text}"
    assert page.locator(".wc-figures tbody tr").count() == 8, "eight key figures side by side"
    page.get_by_text(t("cmp_only_history"), exact=True).wait_for(state="visible")
    heading.evaluate(TO_TOP)
    page.screenshot(path=str(SHOTS / "campaigns_01_review_compare.png"))
    curves = page.locator(".st-key-cmp_curves")
    curves.evaluate(TO_TOP)
    curves.locator(".main-svg").first.wait_for(state="visible")
    page.screenshot(path=str(SHOTS / "campaigns_02_review_curves.png"))
    staff = page.get_by_text(t("cmp_staff", count=12))
    staff.evaluate(TO_TOP)
    expect(staff).to_be_visible()
    page.screenshot(path=str(SHOTS / "campaigns_03_review_staff_sales.png"))

    # And in English, offered to the boss beside the Chinese.
    page.goto(demo.url("review", lang="en"))
    english = page.get_by_text(t("cmp_title", "en"), exact=True)
    english.wait_for(state="visible", timeout=LOAD_MS)
    english.evaluate(TO_TOP)
    page.locator(".wc-figures").wait_for(state="visible")
    assert t("cmp_fig_paying_customers", "en") in page.locator(".wc-figures").inner_text(), "the figures' names in English"
    page.screenshot(path=str(SHOTS / "campaigns_05_review_compare_en.png"))


def test_the_setup_page_plans_backwards_from_the_earlier_event(demo, new_page):
    _earlier, plan = earlier_and_plan(demo)
    page = signed_in_lead(demo, new_page)
    page.get_by_text(t("nav_setup"), exact=True).first.click()
    tiles = page.locator(".wc-plan")
    tiles.wait_for(state="visible", timeout=LOAD_MS)
    text = tiles.inner_text()
    for needed in (plan.figures.payers_needed, plan.figures.members_needed, plan.figures.entrants_needed):
        assert fmt_int(needed) in text, f"{fmt_int(needed)} is on the plan's tiles:\n{text}"
    takers = page.locator(".wc-plan-takers").inner_text()
    assert fmt_int(plan.invites_each_a_day) in takers, f"each order-taker's invites a day:\n{takers}"
    progress = page.locator('[data-testid="stProgress"]')
    progress.wait_for(state="visible", timeout=LOAD_MS)
    joined = wait_until(lambda: page.get_by_text(t("plan_joined", joined="", needed="", share="")[:3]).count(), timeout=30, what="the groups' fill line")
    assert joined, "the groups' fill against the need is shown"
    page.get_by_text(t("plan_title"), exact=True).evaluate(TO_TOP)
    page.screenshot(path=str(SHOTS / "campaigns_04_setup_plan.png"))
