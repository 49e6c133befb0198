"""The war room in a real browser: Debian's Chromium, driven by Playwright, against `warroom demo`.

One demo (the 520 sample replayed at 60×) serves every test of this module; the last test stops it
with SIGINT, as Ctrl-C does. Each step's screenshot is saved in tests/artifacts/browser/.

Needs /usr/bin/chromium (`apt-get install chromium fonts-noto-cjk fonts-noto-color-emoji`; `make test` installs them). The
tests fail, never skip, without it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from decimal import Decimal
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from tests.browser_support import (
    ARTIFACTS,
    BOSS_PASSWORD,
    LEAD_PASSWORD,
    DemoProcess,
    demo_access,
    kiosk_query,
    parse_money,
    port_open,
    process_alive,
    running_demo,
    sign_in_as_lead,
    staff_query,
    wait_until,
)
from warroom.i18n import t

pytestmark = pytest.mark.browser

SHOTS = ARTIFACTS / "browser"
SPEED = 60  # event seconds per wall second: the revenue moves within a few seconds
STAFF_ID = "S01"  # an order-taker of the 520 sample
TV = {"width": 1920, "height": 1080}
PHONE = {"width": 390, "height": 844}
LOAD_MS = 60_000  # the first page of a fresh server imports pandas and plotly
expect.set_options(timeout=30_000)  # a busy two-core CI machine runs the demo, its ingest and Chromium at once


@pytest.fixture(scope="module")
def demo(chromium, tmp_path_factory) -> Iterator[DemoProcess]:
    """Yield a running `warroom demo --speed 60` on a free port, in a fresh folder; stopped at the end (after Chromium is known to be there)."""
    with running_demo(tmp_path_factory.mktemp("browser") / "demo", speed=SPEED) as process:
        yield process


def shot(page, name: str) -> None:
    """Save a screenshot of the page as tests/artifacts/browser/<name>.png."""
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def others_commission(demo: DemoProcess, staff_id: str) -> dict[str, set[str]]:
    """Return each other staff member's name → their commission texts as the commission page would show them, read from the demo's store now."""
    from warroom.clock import ReplayClock
    from warroom.config import load_event
    from warroom.figures import LiveFigures
    from warroom.money import yuan_text
    from warroom.payouts import payout_sheet
    from warroom.runtime import open_store

    config = load_event(demo.folder / "event.toml")
    store = open_store(config)
    try:
        snapshot = LiveFigures(store, config, clock=ReplayClock(demo.folder / "replay_clock.json")).refresh()
        rows = payout_sheet(snapshot, config)
    finally:
        store.close()
    amounts: dict[str, set[str]] = {}
    for row in rows:
        if row.staff_id != staff_id and row.total_fen > 0:
            amounts.setdefault(row.name, set()).update({yuan_text(row.commission_fen), yuan_text(row.total_fen)})
    return amounts


def wait_for_my_page(page) -> None:
    """Wait until a staff member's own page has rendered to its last line ("only your own commission is shown")."""
    page.get_by_text(t("my_only_mine")).wait_for(state="visible", timeout=LOAD_MS)
    page.locator(".wp-who b").wait_for(state="visible")


def row_texts(page) -> list[str]:
    """Return the text of every table row and leaderboard row on the page."""
    return page.locator("tr, .wp-row, .wr-row").all_inner_texts()


# -- a page's address -----------------------------------------------------------------------------


def test_a_fresh_server_s_first_visitor_at_a_page_s_address_must_sign_in(demo, new_page):
    # First in this module, so that this is the server's first request: Streamlit then ran
    # pages/big_screen.py by itself, without app.py's sign-in, and showed it to anyone (session._through_app).
    page = new_page(TV)
    page.goto(demo.url("big_screen"))
    page.locator('input[type="password"]').wait_for(state="visible", timeout=LOAD_MS)
    shot(page, "00_fresh_server_big_screen_address")
    assert page.locator(".wr-revenue").count() == 0


def test_a_visitor_at_a_page_s_address_signs_in_there_and_gets_that_page(demo, new_page):
    page = new_page(TV)
    page.goto(demo.url("review"))
    password = page.locator('input[type="password"]')
    password.wait_for(state="visible", timeout=LOAD_MS)
    # The sign-in page, at the page's own address: not Streamlit's "Page not found" (in English).
    assert (urlparse(page.url).path, page.get_by_text("Page not found").count()) == ("/review", 0)
    page.locator('[data-testid="stForm"]').get_by_text(t("viewer_boss"), exact=True).click()
    password.fill(BOSS_PASSWORD)
    page.locator('[data-testid="stFormSubmitButton"] button').click()
    page.locator("h1").get_by_text(t("rv_title"), exact=True).wait_for(state="visible", timeout=LOAD_MS)
    shot(page, "00_signed_in_at_review_address")
    assert urlparse(page.url).path == "/review"


# -- the big screen -------------------------------------------------------------------------------


def test_big_screen_revenue_grows_between_two_looks(demo, new_page):
    page = new_page(TV)
    page.goto(demo.url(**kiosk_query()))
    revenue = page.locator(".wr-revenue")
    updated = page.locator(".wr-updated")
    revenue.wait_for(state="visible", timeout=LOAD_MS)
    first, first_updated = parse_money(revenue.inner_text()), updated.inner_text()
    shot(page, "01_big_screen_first_look")

    looks = [first]

    def grown() -> Decimal | None:
        looks.append(parse_money(revenue.inner_text()))
        return looks[-1] if looks[-1] > first else None

    second = wait_until(grown, timeout=45, interval=0.25, what=f"the big-screen revenue to grow past ¥{first:,}", pause=lambda seconds: page.wait_for_timeout(seconds * 1000))
    shot(page, "02_big_screen_second_look")
    assert second > first
    # The counter only rises during the show (refunds are shown apart).
    assert looks == sorted(looks), f"the revenue went down between looks: {looks}"
    assert updated.inner_text() != first_updated, "the revenue changed but its 'updated' time did not"
    # The kiosk link is the TV: no Streamlit header or menu, no navigation, no sign-in form.
    assert not page.locator('header[data-testid="stHeader"]').is_visible()
    assert page.locator('input[type="password"]').count() == 0
    assert page.get_by_text(t("nav_commission"), exact=True).count() == 0


SCREENS = {"laptop_1280": {"width": 1280, "height": 800}, "laptop_1440": {"width": 1440, "height": 900}, "tv_1920": TV, "phone": PHONE}
# Sets the revenue to a figure far past the 520 goals (as the server would: the text and its width in em), then
# returns every big-screen figure that is wider than its box, and whether the page scrolls sideways.
OVERFLOWS = """([text, ems, banner]) => {
  const revenue = document.querySelector('.wr-revenue');
  revenue.textContent = text;
  revenue.style.setProperty('--wr-ems', ems);
  const wide = [...document.querySelectorAll('.wr-revenue, .wr-tile-value, .wr-goal-row, .wr-row, .wr-clock-time, .wr-countdown-time, .wr-header')]
    .filter(element => element.scrollWidth > element.clientWidth + 1).map(element => element.className + ': ' + element.textContent);
  const main = document.querySelector('[data-testid="stMain"]');
  // The milestone banner, as the celebration fragment shows it (fixed in the middle of the viewport).
  const holder = document.createElement('div');
  holder.innerHTML = banner;
  document.body.appendChild(holder);
  const box = holder.firstElementChild.getBoundingClientRect();
  holder.remove();
  return {wide, sideways: main.scrollWidth > main.clientWidth + 1, revenue_px: parseFloat(getComputedStyle(revenue).fontSize),
          banner_inside: box.left >= 0 && box.right <= window.innerWidth};
}"""


@pytest.mark.parametrize("screen", list(SCREENS))
def test_big_screen_fits_the_screen(demo, new_page, screen):
    from warroom.web.text import fit_style, text_ems
    from warroom.web.views.rail import celebration_html

    viewport = SCREENS[screen]
    page = new_page(viewport, **({"is_mobile": True, "has_touch": True} if screen == "phone" else {}))
    page.goto(demo.url(**kiosk_query()))
    page.locator(".wr-tile-value").last.wait_for(state="visible", timeout=LOAD_MS)
    page.locator(".wr-clock-time").wait_for(state="visible")
    page.locator(".js-plotly-plot .main-svg").first.wait_for(state="visible", timeout=LOAD_MS)  # so the screenshot shows the chart
    text = "¥12,345,678"
    ems = re.search(r"--wr-ems:([\d.]+)", fit_style(text_ems(text))).group(1)
    found = page.evaluate(OVERFLOWS, [text, ems, celebration_html(150_000_000, "stretch", "zh")])
    shot(page, f"09_big_screen_{screen}")
    assert found["wide"] == [], f"at {viewport['width']} px these overflow their panels: {found['wide']}"
    assert not found["sideways"], f"at {viewport['width']} px the big screen scrolls sideways"
    assert found["banner_inside"], f"at {viewport['width']} px the milestone banner is wider than the screen"
    # Fitted, not shrunk to nothing: still the largest type on the screen.
    assert found["revenue_px"] >= (40 if screen == "phone" else 70)


# -- an order-taker's personal link ---------------------------------------------------------------


def test_personal_link_shows_own_page(demo, new_page):
    config, _settings = demo_access()
    member = config.staff_by_id()[STAFF_ID]
    page = new_page(PHONE, is_mobile=True, has_touch=True)
    page.goto(demo.url(**staff_query(STAFF_ID)))
    who = page.locator(".wp-who")
    wait_for_my_page(page)
    assert who.locator("b").inner_text() == member.name
    assert t(f"role_{member.role}") in who.inner_text()

    rank_text = page.locator(".wp-rank").inner_text()
    shown = re.search(r"第\s*(\d+)\s*名", rank_text)
    assert shown, f"no rank on the personal page: {rank_text!r}"
    # The highlighted row of "around me" is this member, at the same rank.
    me_row = page.locator(".wp-row.me")
    assert me_row.count() == 1
    assert member.name in me_row.inner_text() and t("my_me") in me_row.inner_text()
    assert me_row.locator(".wp-pos").inner_text().strip() == shown.group(1)
    # Their own commission, once.
    assert page.get_by_text(t("my_commission"), exact=False).count() == 1
    shot(page, "03_personal_link_my_ranking")


def test_personal_link_cannot_open_others_commission_or_review(demo, new_page):
    config, _settings = demo_access()
    member = config.staff_by_id()[STAFF_ID]
    link = staff_query(STAFF_ID)
    page = new_page(PHONE, is_mobile=True, has_touch=True)
    before = others_commission(demo, STAFF_ID)
    # The titles and section headings of the commission, review, setup and big-screen pages, and words only they show.
    forbidden_headings = {t(key) for key in ("cm_title", "cm_pool", "cm_people", "rv_title", "rv_over_time", "rv_exports", "nav_setup", "page_big_screen")}
    forbidden_text = [t("cm_people"), t("cm_download"), t("rv_over_time")]
    seen_rows: list[str] = []

    for path in ("commission", "review", "setup"):
        page.goto(demo.url(path, **link))
        # The address names a page this link does not have: the app runs the member's own page instead.
        wait_for_my_page(page)
        assert page.locator(".wp-who b").inner_text() == member.name
        assert urlparse(page.url).path in ("/", "/my_ranking"), f"/{path} with a staff link stayed at {page.url}"
        assert page.get_by_text("Page not found").count() == 0, f"/{path}: Streamlit's own 'Page not found' shown"
        body = page.locator("body").inner_text()
        for heading in forbidden_headings:
            assert page.locator("h1, h2, h3, h4").get_by_text(heading, exact=True).count() == 0, f"/{path}: heading {heading!r} shown to staff"
        for text in forbidden_text:
            assert text not in body, f"/{path}: {text!r} shown to staff"
        assert page.locator('[data-testid="stDataFrame"], [data-testid="stDownloadButton"], .wr-revenue').count() == 0, f"/{path}: a lead's widget shown to staff"
        # The menu (in the collapsed sidebar on a phone) offers the member's own page and the leaderboards, nothing else.
        for key in ("nav_my_ranking", "nav_leaderboards"):
            assert page.get_by_text(t(key), exact=True).count() >= 1, f"the staff menu has no {t(key)!r}"
        for key in ("nav_commission", "nav_review", "nav_setup", "nav_prompts"):
            assert page.get_by_text(t(key), exact=True).count() == 0, f"/{path}: the staff menu offers {t(key)!r}"
        seen_rows += row_texts(page)
        shot(page, f"04_personal_link_tries_{path}")

    # The leaderboards are open to staff, without anyone's commission.
    page.goto(demo.url("leaderboards", **link))
    # The boards (one tab per role), then the team totals: the last table.
    page.get_by_text(t("boards_teams"), exact=True).wait_for(state="visible", timeout=LOAD_MS)
    page.locator("table.wp-table").last.wait_for(state="visible")
    assert urlparse(page.url).path == "/leaderboards"
    assert page.locator("th").get_by_text(t("boards_commission"), exact=True).count() == 0, "the leaderboards show a commission column to staff"
    seen_rows += row_texts(page)
    shot(page, "05_personal_link_leaderboards")

    after = others_commission(demo, STAFF_ID)
    assert before or after, "nobody has earned commission yet: the check would prove nothing"
    for name in before.keys() | after.keys():
        amounts = before.get(name, set()) | after.get(name, set())
        for row in seen_rows:
            if name in row:
                leaked = [amount for amount in amounts if amount in row]
                assert not leaked, f"{name}'s commission {leaked} shown to {member.name}: {row!r}"


# -- passwords ------------------------------------------------------------------------------------


def test_wrong_password_is_refused_and_the_right_one_lets_a_lead_in(demo, new_page):
    page = new_page(TV)
    # A made-up personal link is refused too: it lands on the sign-in page, with a warning, where a lead can still sign in.
    page.goto(demo.url(token="not-a-real-token-0000"))
    page.get_by_text(t("login_bad_link")).wait_for(state="visible", timeout=LOAD_MS)
    assert page.locator(".wp-who").count() == 0
    password = page.locator('input[type="password"]')
    password.wait_for(state="visible")
    password.fill("lead521")
    page.locator('[data-testid="stFormSubmitButton"] button').click()
    page.get_by_text(t("login_wrong_password")).wait_for(state="visible")
    shot(page, "06_login_wrong_password")
    assert page.locator(".wr-revenue").count() == 0
    assert page.get_by_text(t("nav_commission"), exact=True).count() == 0
    assert password.is_visible(), "the sign-in form went away after a wrong password"

    password.fill(LEAD_PASSWORD)
    page.locator('[data-testid="stFormSubmitButton"] button').click()
    # A lead lands on the big screen, with the lead's menu.
    page.locator(".wr-revenue").wait_for(state="visible", timeout=LOAD_MS)
    # (The sign-in page's elements linger for a moment while the rerun replaces them.)
    expect(page.get_by_text(t("login_wrong_password"))).to_have_count(0)
    expect(password).to_have_count(0)
    for key in ("nav_leaderboards", "nav_commission", "nav_review", "nav_setup"):
        assert page.get_by_text(t(key), exact=True).count() >= 1, f"the lead's menu has no {t(key)!r}"
    shot(page, "07_login_lead_big_screen")

    # And the pages a staff link could not open are there for the lead (so the checks above are not vacuous).
    page.get_by_text(t("nav_commission"), exact=True).first.click()
    page.locator("h1").get_by_text(t("cm_title"), exact=True).wait_for(state="visible", timeout=LOAD_MS)
    page.locator('[data-testid="stDataFrame"]').first.wait_for(state="visible")
    shot(page, "08_lead_commission")


def test_a_lead_stays_signed_in_across_a_reload_until_signing_out(demo, new_page):
    page = new_page({"width": 1440, "height": 900})
    sign_in_as_lead(page, demo.url(), LOAD_MS)
    cookie = next(cookie for cookie in page.context.cookies() if cookie["name"] == "warroom_session")
    # Written by the app's route, not by a script in the page: a script cannot read it either.
    assert (cookie["sameSite"], cookie["httpOnly"], cookie["value"].split(".")[0]) == ("Lax", True, "lead")

    # A reload is a new Streamlit session: the signed cookie brings the lead back, menu and all.
    page.reload()
    page.locator(".wr-revenue").wait_for(state="visible", timeout=LOAD_MS)
    assert page.get_by_text(t("nav_commission"), exact=True).count() >= 1
    page.goto(demo.url("review"))
    page.locator("h1").get_by_text(t("rv_title"), exact=True).wait_for(state="visible", timeout=LOAD_MS)
    shot(page, "10_lead_review_after_reload")
    # The landing page's own address (a bookmark of the big screen) opens it, without a "Page not found" box.
    page.goto(demo.url("big_screen"))
    page.locator(".wr-revenue").wait_for(state="visible", timeout=LOAD_MS)
    page.wait_for_timeout(1000)
    assert page.get_by_text("Page not found").count() == 0

    # Signing out drops the cookie, and the token no longer works even if a copy of it was kept.
    page.goto(demo.url("sign_out"))
    page.locator('input[type="password"]').wait_for(state="visible", timeout=LOAD_MS)
    page.context.add_cookies([{**cookie, "expires": -1}])
    page.reload()
    page.locator('input[type="password"]').wait_for(state="visible", timeout=LOAD_MS)
    assert page.locator(".wr-revenue").count() == 0
    shot(page, "11_signed_out_after_reload")


# -- Ctrl-C ---------------------------------------------------------------------------------------


def test_demo_stops_cleanly_on_sigint(demo):
    server = demo.server_pid()
    assert server is not None, "the demo's app server is not running"
    started = time.monotonic()
    code = demo.interrupt(timeout=30)
    took = time.monotonic() - started
    assert code == 0, f"warroom demo exited with {code} on SIGINT:\n{demo.log_text()[-2000:]}"
    assert took < 30
    # Nothing is left behind: the app server is gone and the port is free.
    wait_until(lambda: not port_open(demo.port), timeout=10, what=f"port {demo.port} to close")
    wait_until(lambda: not process_alive(server), timeout=10, what=f"the app server (pid {server}) to exit")
    assert "Traceback" not in demo.log_text(), demo.log_text()[-2000:]

