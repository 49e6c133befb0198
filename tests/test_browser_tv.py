"""The big screen in Chromium at three frozen moments of the 520 replay, on a 720p, a 1080p and a 4K TV, in Chinese and English.

Each moment is a scene (tests/scenes.py): the feeds written up to that event time and the clock stopped
there, so the screen is the same however long the browser takes. Screenshots go to
tests/artifacts/browser/tv-<moment>-<width>-<lang>.png.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest

from tests.browser_support import ARTIFACTS, free_port, kiosk_query
from tests.scenes import MOMENTS, Scene, freeze

pytestmark = pytest.mark.browser
LOAD_MS = 90_000
SIZES = {"720p": (1280, 720), "1080p": (1920, 1080), "4k": (3840, 2160)}

# What a viewer across the room must be able to read: whole lines, no "…" and nothing cut by its box.
CUT_TEXT = """() => {
  const cut = [];
  for (const e of document.querySelectorAll('.wr-prompt-title, .wr-prompt-meta, .wr-tick .p')) {
    const style = getComputedStyle(e);
    const clipped = style.overflow !== 'visible' && (e.scrollWidth > e.clientWidth + 2 || e.scrollHeight > e.clientHeight + 2);
    if (style.textOverflow === 'ellipsis' || clipped || e.textContent.includes('…'))
      cut.push(e.textContent.slice(0, 40));
  }
  return cut;
}"""

CHART = """() => {
  const svg = document.querySelector('.st-key-revenue_line .main-svg');
  const texts = [...document.querySelectorAll('.st-key-revenue_line .xtick text')].map(e => e.textContent);
  const bands = document.querySelectorAll('.st-key-revenue_line .shapelayer path').length;
  const dotted = [...document.querySelectorAll('.st-key-revenue_line .scatterlayer path.js-line')]
    .filter(e => (e.style.strokeDasharray || '').length > 0).length;
  const tick = document.querySelector('.st-key-revenue_line .ytick text');
  const box = svg.getBoundingClientRect(), card = document.querySelector('.st-key-revenue_line').parentElement.getBoundingClientRect();
  return {ticks: texts.join(' '), bands, dotted, tick_px: tick ? tick.getBoundingClientRect().height : 0,
          width: box.width, column: card.width};
}"""


@pytest.fixture(scope="module", params=list(MOMENTS))
def scene(request, chromium, tmp_path_factory) -> Iterator[tuple[str, Scene]]:
    folder = tmp_path_factory.mktemp(f"tv-{request.param}") / "event"
    freeze(folder, MOMENTS[request.param])
    served = Scene(folder, free_port()).start()
    try:
        yield request.param, served
    finally:
        served.close()


@pytest.fixture(scope="module")
def looks(scene, chromium) -> Iterator:
    """Return a function giving what one TV size and language shows at this scene: each is loaded, shot and read once."""
    moment, served = scene
    seen: dict[tuple[str, str], dict] = {}
    contexts = []

    def look(size: str, lang: str) -> dict:
        if (size, lang) not in seen:
            width, height = SIZES[size]
            context = chromium.new_context(viewport={"width": width, "height": height}, locale="zh-CN", timezone_id="Asia/Shanghai")
            contexts.append(context)
            page = context.new_page()
            page.goto(f"{served.base_url}/?{urlencode({**kiosk_query(), 'lang': lang})}", timeout=LOAD_MS)
            page.locator(".st-key-revenue_line .main-svg").first.wait_for(state="visible", timeout=LOAD_MS)
            page.locator(".wr-tick, .wr-rail-empty").first.wait_for(state="visible", timeout=LOAD_MS)
            page.wait_for_timeout(1500)  # the chart's second draw, at its zoomed size
            (ARTIFACTS / "browser").mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "browser" / f"tv-{moment}-{width}-{lang}.png"))
            seen[size, lang] = {"cut": page.evaluate(CUT_TEXT), "chart": page.evaluate(CHART), "text": page.inner_text("body")}
            context.close()
        return seen[size, lang]

    yield look
    for context in contexts:
        with contextlib.suppress(Exception):
            context.close()


# Every size in Chinese; English on the 1080p TV.
LOOKS = [(size, "zh") for size in SIZES] + [("1080p", "en")]


@pytest.mark.parametrize(("size", "lang"), LOOKS)
def test_no_prompt_or_product_is_cut_on_the_tv(looks, size, lang):
    assert looks(size, lang)["cut"] == []


@pytest.mark.parametrize("size", list(SIZES))
def test_the_chart_names_each_session_begun(scene, looks, size):
    moment, _served = scene
    ticks = looks(size, "zh")["chart"]["ticks"]
    expected = ["第一晚"] if moment == "early" else ["第一晚", "第二晚"]
    assert [name for name in ("第一晚", "第二晚") if name in ticks] == expected, ticks


@pytest.mark.parametrize("size", list(SIZES))
def test_the_chart_shades_the_flash_sales(looks, size):
    assert looks(size, "zh")["chart"]["bands"] > 0, "no flash-sale band on the chart"


@pytest.mark.parametrize("size", list(SIZES))
def test_the_chart_fills_its_column(looks, size):
    chart = looks(size, "zh")["chart"]
    assert chart["width"] >= chart["column"] * 0.9, chart


@pytest.mark.parametrize("size", list(SIZES))
def test_the_chart_s_text_grows_with_the_screen(looks, size):
    # Tick labels of about 1/60 of the screen's height on every TV: 4K's are twice 1080p's.
    tick_px = looks(size, "zh")["chart"]["tick_px"]
    assert SIZES[size][1] / 90 <= tick_px <= SIZES[size][1] / 30, (size, tick_px)


def test_the_plan_is_drawn_and_the_projection_only_while_on_air(scene, looks):
    moment, _served = scene
    chart = looks("1080p", "zh")["chart"]
    # Two plan lines (dotted) and, on air, the projection (dashed): every one has a dash pattern.
    assert chart["dotted"] == (2 if moment == "after_end" else 3), chart


def test_after_the_show_the_summary_takes_the_pace_tiles_place(scene, looks):
    moment, _served = scene
    text = looks("1080p", "zh")["text"]
    assert ("本场战报" in text) == (moment == "after_end"), moment
    assert ("当前节奏" in text) == (moment != "after_end"), moment


def test_the_live_room_strip_shows_viewers_and_conversion(looks):
    text = looks("1080p", "zh")["text"]
    for label in ("直播间", "在线", "进房", "转化率", "千次观看成交"):
        assert label in text, label


# -- an order-taker's phone at the same moments ---------------------------------------------------

PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def phone_look(scene, chromium) -> dict:
    """Return what S01's personal page shows on a 390×844 phone at this scene: loaded, shot and read once."""
    from tests.browser_support import staff_query
    from warroom.i18n import t

    moment, served = scene
    context = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN", timezone_id="Asia/Shanghai")
    try:
        page = context.new_page()
        page.goto(f"{served.base_url}/?{urlencode(staff_query('S01'))}", timeout=LOAD_MS)
        page.get_by_text(t("my_only_mine")).wait_for(state="visible", timeout=LOAD_MS)
        page.screenshot(path=str(ARTIFACTS / "browser" / f"phone-{moment}-390-zh.png"), full_page=True)
        sideways = page.evaluate("() => { const main = document.querySelector('[data-testid=\"stMain\"]') || document.body; return main.scrollWidth > main.clientWidth + 1; }")
        return {"text": page.inner_text("body"), "sideways": sideways}
    finally:
        context.close()


def test_the_phone_page_shows_the_order_taker_s_own_figures(phone_look):
    assert "小林" in phone_look["text"]
    assert "¥" in phone_look["text"]


def test_the_phone_page_does_not_scroll_sideways(phone_look):
    assert not phone_look["sideways"]
