"""The Streamlit app: smoke tests of every page on a real SQLite store, and the house rules of its shape."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.imports import imported_modules
from warroom.access import SESSION_KEY, Viewer
from warroom.clock import FixedClock
from warroom.config import load_event
from warroom.figures import LiveFigures
from warroom.i18n import (
    STRINGS,
    fmt_axis_money,
    fmt_compact,
    fmt_int,
    fmt_list,
    fmt_pct,
    fmt_price,
    fmt_short_yuan,
    fmt_wan,
    fmt_wan_yuan,
    fmt_yuan,
    normalize_lang,
    t,
)
from warroom.records import Batch, OrderLine
from warroom.rules import LedgerRules
from warroom.runtime import serve_command
from warroom.store import Store
from warroom.web import session
from warroom.web.charts import revenue_figure
from warroom.web.session import Latest
from warroom.web.templating import scaled
from warroom.web.text import fit_style, text_ems
from warroom.web.theme import GOLD
from warroom.web.views.big_screen import header_html, revenue_html
from warroom.web.views.boss import kpis_html

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
PAGES = sorted((ROOT / "pages").glob("*.py"))
EVENT_21H = int(datetime.fromisoformat("2026-05-20T21:00:00+08:00").timestamp())
# Pages that do not show the event's revenue: sign-in, one member's own page, setup (tests/test_pages_nav.py covers them).
NO_REVENUE = {"login.py", "my_ranking.py", "setup.py"}
LEAD = Viewer(role="lead")


def sell(config, *orders: tuple[str, int, str]) -> None:
    """Commit paid orders (order id, yuan, staff id) at 21:00 event time into the event's own store."""
    store = Store(config.store_url, LedgerRules.from_config(config))
    lines = [OrderLine(order_id=oid, ts=EVENT_21H, amount_fen=yuan * 100, customer_id=f"C-{oid}", staff_id=staff) for oid, yuan, staff in orders]
    store.apply(Batch(orders=lines))
    store.close()


@pytest.fixture
def live_event(event_dir, small_event, monkeypatch, read_afresh):
    """Return the small event with two orders in its SQLite store, named by WARROOM_EVENT."""
    for name in ("WARROOM_DB_URL", "WARROOM_REPLAY_CLOCK"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WARROOM_EVENT", str(event_dir / "event.toml"))
    sell(small_event, ("A1", 12_345, "S01"), ("A2", 1_000, "S02"))
    return small_event


def routed_page(script: Path, timeout: float = 30) -> AppTest:
    """Return an app test of one page file as app.py runs it: in a session app.py has run in (else the page reruns through app.py)."""
    app = AppTest.from_file(str(script), default_timeout=timeout)
    app.session_state[session.APP_RAN_KEY] = True
    return app


def run(script: Path, lang: str | None = None, viewer: Viewer | None = LEAD) -> AppTest:
    """Return the app test after one run of `script`, in `lang` when given, signed in as `viewer` (a lead by default)."""
    app = routed_page(script)
    if viewer is not None:
        app.session_state[SESSION_KEY] = viewer
    if lang:
        app.query_params["lang"] = lang
    return app.run()


def rendered(app: AppTest) -> str:
    """Return every HTML and markdown body the run produced, joined."""
    return "\n".join([element.proto.body for element in app.get("html")] + [element.value for element in app.markdown])


@pytest.mark.parametrize("script", [APP, *(page for page in PAGES if page.name not in NO_REVENUE)], ids=lambda path: path.name)
def test_page_renders_revenue(live_event, script):
    app = run(script)
    assert not app.exception
    assert "¥13,345" in rendered(app)


def test_big_screen_ranks_order_takers(live_event):
    body = rendered(run(APP))
    assert body.index("小林") < body.index("小周")


def test_big_screen_in_english(live_event):
    assert "Revenue" in rendered(run(APP, lang="en"))


def test_big_screen_escapes_names(event_dir, monkeypatch):
    source = event_dir / "event.toml"
    source.write_text(source.read_text(encoding="utf-8").replace('name = "小林"', 'name = "<b>小林</b>"'), encoding="utf-8")
    monkeypatch.delenv("WARROOM_DB_URL", raising=False)
    monkeypatch.setenv("WARROOM_EVENT", str(source))
    sell(load_event(source), ("A1", 100, "S01"))
    assert "&lt;b&gt;小林&lt;/b&gt;" in rendered(run(APP))


def test_missing_event_is_one_error_line(monkeypatch):
    monkeypatch.delenv("WARROOM_EVENT", raising=False)
    app = run(APP)
    assert not app.exception and "WARROOM_EVENT" in app.error[0].value


def test_invalid_event_names_the_file(tmp_path, monkeypatch):
    broken = tmp_path / "broken.toml"
    broken.write_text('[event]\nname = "x"\n', encoding="utf-8")
    monkeypatch.setenv("WARROOM_EVENT", str(broken))
    app = run(APP)
    assert not app.exception and "broken.toml" in app.error[0].value


def test_revenue_line_is_in_event_time(live_event):
    store = Store(live_event.store_url, LedgerRules.from_config(live_event))
    snapshot = LiveFigures(store, live_event, clock=FixedClock(datetime.fromisoformat("2026-05-20T21:30:00+08:00"))).refresh()
    store.close()
    figure = revenue_figure(live_event, snapshot, "zh")
    curve = next(trace for trace in figure.data if trace.line.color == GOLD)
    # Minutes of live time from the session's 20:00 start: the minute after the 21:00 sale, then now.
    assert (curve.x[-2], curve.x[-1]) == (61.0, 90.0)
    assert "21:30" in figure.layout.xaxis.ticktext


def test_revenue_line_stops_with_the_show(live_event):
    # A TV left on the morning after: the line and the axis end with the session, not at the clock.
    store = Store(live_event.store_url, LedgerRules.from_config(live_event))
    snapshot = LiveFigures(store, live_event, clock=FixedClock(datetime.fromisoformat("2026-05-21T09:00:00+08:00"))).refresh()
    store.close()
    figure = revenue_figure(live_event, snapshot, "zh")
    curve = next(trace for trace in figure.data if trace.line.color == GOLD)
    assert (curve.x[-1], figure.layout.xaxis.range[1]) == (120.0, 120.0)  # 22:00, the session's end


@pytest.mark.parametrize(("clock", "pill"), [("2026-05-20T19:00:00+08:00", "○ 未在直播 · 下一场 第一晚 20:00"), ("2026-05-20T23:30:00+08:00", "○ 直播已结束")])
def test_off_air_the_header_says_when_the_show_is_back(live_event, clock, pill):
    store = Store(live_event.store_url, LedgerRules.from_config(live_event))
    snapshot = LiveFigures(store, live_event, clock=FixedClock(datetime.fromisoformat(clock))).refresh()
    store.close()
    assert f'<span class="wr-pill off">{pill}</span>' in header_html(live_event, snapshot, "zh")


def test_a_shared_value_is_built_once_per_key():
    latest, builds = Latest(), []
    values = [latest.get(key, lambda: builds.append(1) or len(builds)) for key in (1, 1, 2, 2)]
    assert values == [1, 1, 2, 2]


def test_a_shared_value_older_than_its_age_is_rebuilt():
    latest, builds = Latest(), []
    values = [latest.get("k", lambda: builds.append(1) or len(builds), max_age=0) for _ in range(2)]
    assert values == [1, 2]


def test_while_one_session_builds_the_others_take_the_last_value():
    latest = Latest()
    latest.get(1, lambda: "old")
    latest._lock.acquire()  # another session is building the value for key 2
    try:
        assert latest.get(2, lambda: "new") == "old"
    finally:
        latest._lock.release()


@pytest.mark.parametrize(("option", "value"), [("--server.fileWatcherType", "none"), ("--runner.postScriptGC", "false"), ("--global.minCachedMessageSize", "1000")])
def test_the_served_app_skips_per_run_housekeeping(option, value):
    command, _env = serve_command(Path("event.toml"), 8501)
    assert command[command.index(option) + 1] == value


@pytest.mark.parametrize(("given", "served_with"), [(None, "2"), ("4", "4")])
def test_the_served_app_keeps_few_malloc_arenas_unless_told_otherwise(monkeypatch, given, served_with):
    if given is None:
        monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    else:
        monkeypatch.setenv("MALLOC_ARENA_MAX", given)
    _command, env = serve_command(Path("event.toml"), 8501)
    assert env["MALLOC_ARENA_MAX"] == served_with


def test_big_screen_css_scales_with_the_screen():
    assert scaled(".a { font-size: 9.6rem; padding: 0 1rem; } .b { width: 2.5em; }") == (
        ".a { font-size: calc(9.6 * var(--wr-u)); padding: 0 calc(1 * var(--wr-u)); } .b { width: 2.5em; }"
    )


@pytest.mark.parametrize(("shorter", "longer"), [("¥7,806", "¥1,760,000"), ("¥1,760,000", "¥12,345,678"), ("63.9万", "¥2,468")])
def test_a_longer_figure_is_set_smaller(shorter, longer):
    assert text_ems(shorter) < text_ems(longer)


def test_kpi_cards_say_how_wide_their_figures_are():
    assert f'<div class="wb-kpi-value gold"{fit_style(text_ems("¥57,205.95"))}>¥57,205.95</div>' in kpis_html([("提成", "¥57,205.95", "", "gold")])


def test_revenue_says_how_wide_it_is(live_event):
    store = Store(live_event.store_url, LedgerRules.from_config(live_event))
    snapshot = LiveFigures(store, live_event, clock=FixedClock(datetime.fromisoformat("2026-05-20T21:30:00+08:00"))).refresh()
    store.close()
    assert f'<div class="wr-revenue"{fit_style(text_ems("¥13,345"))}>¥13,345</div>' in revenue_html(live_event, snapshot, "zh")


# -- i18n and number formats -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("formatter", "value", "expected"),
    [
        (fmt_yuan, 176_000_000, "¥1,760,000"),
        (fmt_yuan, 12_345_650, "¥123,457"),
        (fmt_yuan, 0, "¥0"),
        (fmt_wan, 176_000_000, "176.0万"),
        (fmt_wan, 1_234_567, "1.2万"),
        (fmt_int, 1001, "1,001"),
        (fmt_pct, 0.7634, "76.3%"),
        (lambda fen: fmt_compact(fen, "zh"), 32_700_000, "32.7万"),
        (lambda fen: fmt_compact(fen, "zh"), 500_000, "¥5,000"),
        (lambda fen: fmt_compact(fen, "en"), 176_000_000, "¥1.76M"),
        (lambda fen: fmt_axis_money(fen, "zh"), 150_000_000, "150万"),
        (lambda fen: fmt_axis_money(fen, "en"), 150_000_000, "¥1.5M"),
        (fmt_price, 9_990, "99.9"),
        (fmt_price, 52_000, "520"),
        (fmt_wan_yuan, 25_000_000, "25 万元"),
        (fmt_wan_yuan, 12_500_000, "12.5 万元"),
        (fmt_wan_yuan, 800_000, "8,000 元"),
        (fmt_short_yuan, 25_000_000, "¥250K"),
        (fmt_short_yuan, 125_000_000, "¥1.25M"),
        (fmt_short_yuan, 800_000, "¥8,000"),
        (lambda names: fmt_list(names, "zh"), ["1群", "2群"], "1群、2群"),
        (lambda names: fmt_list(names, "en"), ["G1", "G2"], "G1, G2"),
    ],
)
def test_number_formats(formatter, value, expected):
    assert formatter(value) == expected


@pytest.mark.parametrize(("asked", "lang"), [(None, "zh"), ("", "zh"), ("zh", "zh"), ("en", "en"), ("EN-us", "en"), ("fr", "zh")])
def test_language_from_query(asked, lang):
    assert normalize_lang(asked) == lang


def test_every_string_has_both_languages_with_the_same_placeholders():
    import string

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    assert all(zh and all(form and fields(form) == fields(zh) for form in (en if isinstance(en, tuple) else (en,))) for zh, en in STRINGS.values())


@pytest.mark.parametrize(("key", "values", "english"), [
    ("orders_count", {"count": "1"}, "1 order"),
    ("orders_count", {"count": "1,001"}, "1,001 orders"),
    ("cm_earners", {"count": 1}, "1 person earning"),
    ("cm_earners", {"count": 0}, "0 people earning"),
    ("pt_order_screenshots_reason", {"time": "20:15", "product": "P", "orders": 1}, "The 20:15 flash sale of P is over: 1 order"),
])
def test_an_english_count_of_one_takes_the_singular(key, values, english):
    assert t(key, "en", **values) == english
    assert t(key, "zh", **values) != english  # the Chinese has no plural


def test_a_fen_value_is_written_by_the_money_format_its_placeholder_names():
    assert (t("pt_milestone_title", "zh", milestone_fen=25_000_000), t("pt_milestone_title", "en", milestone_fen=25_000_000)) == (
        "推送数据海报：突破 25 万元", "Push the data poster: past ¥250K",
    )


def test_chinese_is_the_default():
    assert t("revenue") == "累计成交额"


# -- the shape of the house -------------------------------------------------------------------------




@pytest.mark.parametrize("page", PAGES, ids=lambda path: path.name)
def test_pages_hold_no_sql(page):
    source = page.read_text(encoding="utf-8")
    assert not [marker for marker in ("select(", "text(", ".execute(") if marker in source]
    assert not imported_modules(source) & {"sqlalchemy", "sqlite3", "psycopg"}


def test_app_lists_its_pages_explicitly():
    source = APP.read_text(encoding="utf-8")
    assert "st.navigation(" in source and all(f'"pages/{page.name}"' in source for page in PAGES)
