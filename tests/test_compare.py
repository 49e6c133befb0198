"""Campaign over campaign (SPEC §7 `compare`): two generated events, each on its own store, side by side.

Pairs run on SQLite, on PostgreSQL, and with this event on SQLite beside an earlier one on
PostgreSQL. The arithmetic cases are tables; the history path, a way into the program through the
event file, gets hostile text from hypothesis.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.campaign_events import BACKEND_PAIRS, fill, history, store_urls, warroom, write_event
from tests.conftest import ROOT
from tests.figures_helpers import at, checkin, make_event, order
from warroom import runtime
from warroom.campaign_history import earlier_figures, history_config, load_earlier
from warroom.cli import main
from warroom.compare import FigureChange, campaign_figures, compare, compare_json, revenue_curve, same_minute
from warroom.config import ConfigError, load_event
from warroom.figures import LiveFigures

NOW = datetime.fromisoformat("2026-05-21T12:00:00+08:00")


def earlier_rows():
    """Return the earlier event's rows: ¥400.00 from 3 orders (one refund aside), 4 live entries by 3 entrants of whom 2 paid, 5 joins."""
    rows = [order("100.00", customer="c1"), order("250.50", customer="c2"), order("49.50", customer="c3"), order("80", status="refunded", customer="c4")]
    rows += [checkin("enter_live", customer=customer) for customer in ("c1", "c2", "c4", "c4")]
    rows += [checkin("join_group", customer=f"c{number}") for number in range(1, 6)]
    return rows


@pytest.fixture(params=BACKEND_PAIRS)
def pair(request, tmp_path):
    """Return (this event file, the earlier one): this one names the earlier in [[history]]; both filled, each on its backend."""
    with store_urls(request.param, tmp_path) as (this_url, earlier_url):
        earlier = write_event(tmp_path / "earlier", "三八小场", earlier_url, budget=100)
        this = write_event(tmp_path / "this", "520小场", this_url, history("../earlier/event.toml", "三八节"))
        fill(earlier, *earlier_rows())
        fill(this, order("1000.01", customer="d1"), order("0.99", customer="d2"))
        yield this, earlier


def test_compare_json_is_spec_7(pair, capsys):
    this, earlier = pair
    assert main(["compare", "-c", str(this), "--with", str(earlier), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == {"events": [
        {"name": "520小场", "revenue": 1001.0, "orders": 2, "paying_customers": 2, "aov": 500.5, "gpm": None, "roi": None},
        {"name": "三八小场", "revenue": 400.0, "orders": 3, "paying_customers": 3, "aov": 133.33, "gpm": 100000.0, "roi": 4.0},
    ]}, f"compare --json differs from SPEC §7's figures: {printed}"


def test_compare_prints_a_readable_table(pair, capsys):
    this, earlier = pair
    assert main(["compare", "-c", str(this), "--with", str(earlier)]) == 0
    out = capsys.readouterr().out
    assert "520小场 compared with 三八节" in out, f"the heading names both events (the earlier by its [[history]] label):\n{out}"
    assert "¥1,001" in out and "¥400" in out, f"revenue of both events is in the table:\n{out}"
    assert "+150.3%" in out, f"the change of revenue (1001 ÷ 400 − 1) is shown:\n{out}"


def test_the_earlier_event_s_figures_and_live_conversion(pair):
    _this, earlier = pair
    figures = earlier_figures(load_event(earlier), NOW)
    assert (figures.entries, figures.entrants, figures.entrants_paying, figures.joined) == (4, 3, 2, 5), "entries, entrants, paying entrants, joined"
    assert figures.conversion == Decimal(2) / 3, f"conversion is entrants who paid ÷ entrants, got {figures.conversion}"
    assert figures.payer_rate == Decimal(3) / 5, f"payer rate is paying customers ÷ joined, got {figures.payer_rate}"


@pytest.mark.parametrize(("this", "earlier", "change"), [
    (150, 100, Decimal("0.5")),
    (50, 100, Decimal("-0.5")),
    (100, 100, Decimal(0)),
    (1, 3, Decimal(1) / 3 - 1),
    (5, 0, None),
    (5, None, None),
    (None, 5, None),
    (Decimal("1.5"), Decimal("0.5"), Decimal(2)),
])
def test_the_change_of_a_figure(this, earlier, change):
    assert FigureChange("revenue", this, earlier).change == change, f"{this} against {earlier}"


def test_history_names_the_earlier_event_and_its_label(pair):
    this, earlier = pair
    earlier_config, label = history_config(load_event(this))
    assert (earlier_config.event.name, label) == ("三八小场", "三八节"), "the [[history]] entry resolves relative to the event file"


def test_a_missing_history_file_is_one_line_at_use_not_at_load(tmp_path):
    event = write_event(tmp_path / "this", "520小场", f"sqlite:///{tmp_path / 'w.db'}", history("../elsewhere/event.toml"))
    config = load_event(event)  # loading does not read the earlier file
    with pytest.raises(ConfigError) as raised:
        history_config(config)
    assert "history[0].path" in str(raised.value) and "\n" not in str(raised.value), f"one line naming the key: {raised.value}"


def test_the_command_line_says_a_missing_earlier_file_in_one_line(tmp_path):
    event = write_event(tmp_path / "this", "520小场", f"sqlite:///{tmp_path / 'w.db'}")
    done = warroom("compare", "-c", str(event), "--with", str(tmp_path / "nope" / "event.toml"))
    assert done.returncode == 2, f"a user's mistake exits 2: {done.stderr}"
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr, f"one line: {done.stderr}"


def test_a_history_cycle_is_refused(tmp_path):
    first = write_event(tmp_path / "a", "甲", f"sqlite:///{tmp_path / 'a.db'}", history("../b/event.toml"))
    write_event(tmp_path / "b", "乙", f"sqlite:///{tmp_path / 'b.db'}", history("../a/event.toml"))
    with pytest.raises(ConfigError, match="goes round"):
        history_config(load_event(first))


def test_comparing_an_event_with_itself_is_refused(tmp_path):
    event = write_event(tmp_path / "a", "甲", f"sqlite:///{tmp_path / 'a.db'}")
    with pytest.raises(ConfigError, match="this event's own"):
        load_earlier(load_event(event), event)


def test_an_earlier_store_without_figures_is_one_line(tmp_path):
    this = write_event(tmp_path / "this", "520小场", f"sqlite:///{tmp_path / 'this.db'}")
    earlier = write_event(tmp_path / "earlier", "三八小场", f"sqlite:///{tmp_path / 'never-ingested.db'}")
    done = warroom("compare", "-c", str(this), "--with", str(earlier))
    assert done.returncode == 2 and "holds no figures yet" in done.stderr, f"the earlier store is not created, and the user told: {done.stderr}"
    assert not (tmp_path / "never-ingested.db").exists(), "reading the earlier event never creates its store"


def test_the_curve_folds_the_gap_between_sessions(open_store):
    config = make_event()  # sessions 20:00–21:00 and 21:30–22:30
    store = open_store(config)
    from tests.figures_helpers import apply

    apply(store, order("10", when=at(19, 30)), order("20", when=at(20, 15, 20)), order("30", when=at(21, 40, 5)))
    curve = revenue_curve(config, LiveFigures(store, config).refresh(at(23)))
    assert curve == ((0.0, 1000), (16.0, 3000), (71.0, 6000)), f"before the show at 0, the second session's minutes follow the first's: {curve}"


def test_the_earlier_event_at_the_same_minute(open_store):
    config = make_event()
    store = open_store(config)
    from tests.figures_helpers import apply

    apply(store, order("10", when=at(20, 5)), order("20", when=at(20, 40)), order("40", when=at(21, 35)))
    earlier = campaign_figures(store, config, at(23), label="三八节")
    # Now is 21:32 in this event: the first session's 60 minutes and 2 of the second: the earlier event had ¥30 by then.
    seen = same_minute(config, at(21, 32), earlier)
    assert (seen.label, seen.minutes, seen.revenue_fen) == ("三八节", 62.0, 3000), f"same minute: {seen}"
    assert seen.versus(3600) == Decimal("0.2"), "this event's ¥36 is 20 % ahead of the earlier ¥30"


def test_staff_in_both_grew_or_fell(open_store, tmp_path):
    this_config = make_event()
    earlier_config = make_event(event={"name": "三八"})
    from tests.figures_helpers import apply

    this_store = open_store(this_config)
    apply(this_store, order("300", staff="S01"), order("100", staff="S02"), order("50", staff="S03"))
    earlier_store_url = f"sqlite:///{tmp_path / 'earlier.db'}"
    from warroom.rules import LedgerRules
    from warroom.store import Store

    earlier_store = Store(earlier_store_url, LedgerRules.from_config(earlier_config))
    try:
        apply(earlier_store, order("100", staff="S01"), order("250", staff="S02"), order("50", staff="S03"))
        earlier = campaign_figures(earlier_store, earlier_config, at(23))
    finally:
        earlier_store.close()
    comparison = compare(campaign_figures(this_store, this_config, at(23)), earlier)
    trends = {row.staff_id: (row.change_fen, row.trend) for row in comparison.staff}
    assert trends == {"S01": (20000, "grew"), "S02": (-15000, "fell"), "S03": (0, "same")}, f"members of both, by revenue: {trends}"
    assert [row.staff_id for row in comparison.staff] == ["S01", "S03", "S02"], "most grown first"


def test_flash_sales_are_ranked_by_the_revenue_of_their_window(open_store):
    sales = [{"at": "2026-05-20T20:10:00+08:00", "sku": "P1", "price": 10}, {"at": "2026-05-20T20:40:00+08:00", "sku": "P2", "price": 10}]
    config = make_event(products=[{"sku": "P1", "name": "甲", "price": 20}, {"sku": "P2", "name": "乙", "price": 20}], flash_sales=sales)
    store = open_store(config)
    from tests.figures_helpers import apply

    apply(store, order("10", when=at(20, 12), sku="P1"), order("99", when=at(20, 41), sku="P2"), order("5", when=at(20, 42), sku="P1"))
    figures = campaign_figures(store, config, at(23))
    ranked = [(row.sale.sku, row.window_revenue_fen) for row in figures.flash_sales]
    assert ranked == [("P2", 10400), ("P1", 1000)], f"the later sale's window took more: {ranked}"


@pytest.mark.parametrize("earlier_backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_the_two_samples_compare_as_their_generator_says(tmp_path, earlier_backend, request):
    for name in ("520", "38"):
        shutil.copytree(ROOT / "sample_data" / name, tmp_path / name, ignore=shutil.ignore_patterns("warroom.db*", "replay_clock.json"))
    if earlier_backend == "postgres":
        url = request.getfixturevalue("pg_schema_url")
        event = tmp_path / "38" / "event.toml"
        event.write_text(event.read_text(encoding="utf-8").replace('url = "sqlite:///warroom.db"', f"url = {json.dumps(url)}"), encoding="utf-8")
    for name in ("38", "520"):
        done = warroom("ingest", "-c", str(tmp_path / name / "event.toml"), "--once")
        assert done.returncode == 0, done.stderr
    done = warroom("compare", "-c", str(tmp_path / "520" / "event.toml"), "--with", str(tmp_path / "38" / "event.toml"), "--json")
    assert done.returncode == 0, done.stderr
    events = json.loads(done.stdout)["events"]
    for shown, name in zip(events, ("520", "38"), strict=True):
        expected = json.loads((tmp_path / name / "expected.json").read_text(encoding="utf-8"))
        assert {key: shown[key] for key in ("revenue", "orders", "paying_customers")} == {key: expected[key] for key in ("revenue", "orders", "paying_customers")}, \
            f"{name}: compare agrees with the generator's totals"
        aov = (Decimal(str(expected["revenue"])) / expected["orders"]).quantize(Decimal("0.01"))
        assert Decimal(str(shown["aov"])) == aov, f"{name}: aov is revenue ÷ orders"


PATHS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
HOSTILE_PATH = st.one_of(
    st.text(st.characters(codec=None, categories=None), max_size=120),
    st.sampled_from(["", " ", "\x00", "/", "..", "../" * 40, "/etc/passwd", "\ud800", "C:\\Windows\\win.ini", "~/event.toml", "a" * 5000]),
)


@PATHS
@given(path=HOSTILE_PATH)
def test_any_history_path_loads_or_is_one_line(tmp_path, path):
    event = tmp_path / "event.toml"
    event.write_text(write_event(tmp_path / "x", "甲", f"sqlite:///{tmp_path / 'a.db'}").read_text(encoding="utf-8")
                     + history(path.encode("utf-8", "surrogatepass").decode("utf-8", "replace")), encoding="utf-8")
    try:
        history_config(load_event(event))
    except ConfigError as error:
        assert "\n" not in str(error).strip(), f"one line: {error!r}"


def test_the_review_exports_carry_the_comparison(pair, tmp_path):
    import io

    from openpyxl import load_workbook

    from warroom.review import build_review
    from warroom.web.exports import data_poster, poster_comparison_line, review_workbook

    this, earlier = pair
    this_config = load_event(this)
    earlier_config, label = history_config(this_config)
    from warroom.runtime import open_store

    store = open_store(this_config, read_only=True)
    try:
        comparison = compare(campaign_figures(store, this_config, NOW), earlier_figures(earlier_config, NOW, label))
        snapshot = LiveFigures(store, this_config).refresh(NOW)
        review = build_review(store, this_config, snapshot)
    finally:
        store.close()
    book = load_workbook(io.BytesIO(review_workbook(review, "zh", comparison)))
    assert book.sheetnames[-2:] == ["对比上一场", "对比上一场·成员"], f"the comparison's sheets come last: {book.sheetnames}"
    rows = [[cell.value for cell in row] for row in book["对比上一场"].iter_rows()]
    assert rows[0] == ["活动", "本场 · 520小场", "上一场 · 三八节", "变化"], f"the header names both events: {rows[0]}"
    assert rows[1][:3] == ["成交额", "¥1,001", "¥400"] and abs(rows[1][3] - 1.5025) < 1e-9, f"revenue side by side with its change: {rows[1]}"
    assert poster_comparison_line(comparison) == "比三八节：成交额 +150.3%", "the poster's line"
    assert data_poster(review, this_config, "zh", comparison).startswith(b"\x89PNG"), "the poster is drawn with the line"


def test_the_big_screen_gets_the_earlier_event_at_the_same_minute(pair):
    from warroom.clock import FixedClock
    from warroom.runtime import open_store
    from warroom.web.session import LiveEvent
    from warroom.web.views.compare import tv_history

    this, _earlier = pair
    config = load_event(this)
    store = open_store(config, read_only=True)
    try:
        live = LiveEvent(config=config, figures=LiveFigures(store, config, clock=FixedClock(NOW)))
        # The earlier event's orders all fell at 20:10, ten minutes into its one session (20:00–22:00); at 20:30, thirty minutes in, all ¥400 had come.
        seen = tv_history(live, datetime.fromisoformat("2026-05-20T20:30:00+08:00"))
    finally:
        store.close()
    assert seen is not None and (seen.label, seen.minutes, seen.revenue_fen) == ("三八节", 30.0, 40000), f"the earlier line at minute 30: {seen}"
    assert seen.curve == ((11.0, 40000),), f"its curve, by live minute, for the faint line: {seen.curve}"
    assert seen.versus(100100) == Decimal("1.5025"), "this event's ¥1,001 against the earlier ¥400 at the same minute"


# Any text an event file can hold: it is UTF-8, so no lone surrogate (the feeds' own tests send those).
HOSTILE_TEXT = st.one_of(
    st.text(st.characters(codec="utf-8", categories=None), max_size=60),
    st.sampled_from(["<script>alert(1)</script>", "=HYPERLINK(\"http://x\")", "%{y}", "\t", "13812345678", "三八节", "a" * 3000, "**x**"]),
)
HOSTILE = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@HOSTILE
@given(name=HOSTILE_TEXT, label=HOSTILE_TEXT, amounts=st.lists(st.integers(min_value=0, max_value=10**10), max_size=4),
       joins=st.integers(min_value=0, max_value=3))
def test_hostile_names_and_huge_amounts_compare_and_plan(store_url, tmp_path, name, label, amounts, joins):
    from hypothesis import assume

    from tests.figures_helpers import apply
    from warroom.campaign_report import compare_lines, plan_lines
    from warroom.plan import membership, plan_from, plan_json
    from warroom.rules import LedgerRules
    from warroom.store import Store
    from warroom.web.views.compare import figures_html

    earlier_file = write_event(tmp_path / "earlier", "旧", store_url)
    earlier_file.write_text(earlier_file.read_text(encoding="utf-8").replace('name = "旧"', f"name = {json.dumps(name, ensure_ascii=False)}"), encoding="utf-8")
    this_file = write_event(tmp_path / "this", "新", f"sqlite:///{tmp_path / 'this.db'}", history("../earlier/event.toml", label or None))
    try:
        config = load_event(this_file)
        earlier_config, shown_label = history_config(config)
    except ConfigError as error:
        assert "\n" not in str(error), f"a name or label the file cannot hold is one line: {error!r}"
        assume(False)
        return
    store = Store(store_url, LedgerRules.from_config(earlier_config))
    try:
        apply(store, *(order(f"{fen // 100}.{fen % 100:02d}", customer=f"h{index}") for index, fen in enumerate(amounts)),
              *(checkin("join_group", customer=f"h{index}") for index in range(joins)))
    finally:
        store.close()
    earlier = earlier_figures(earlier_config, NOW, shown_label)
    this_store = Store(config.store.url, LedgerRules.from_config(config))
    try:
        comparison = compare(campaign_figures(this_store, config, NOW), earlier)
    finally:
        this_store.close()
    json.dumps(compare_json(comparison), allow_nan=False)
    plan = plan_from(config, earlier)
    json.dumps(plan_json(plan), allow_nan=False)
    for line in [*compare_lines(comparison), *plan_lines(plan, membership(plan, config, 0, {}))]:
        assert "\n" not in line and "\x00" not in line, f"a terminal line holds no line break or NUL: {line!r}"
    html = figures_html(comparison, "zh")
    if "<" in shown_label:
        assert shown_label not in html, "the label is escaped in the page's HTML"


@pytest.mark.parametrize(("minutes", "moment"), [
    (0.0, "2026-05-20T20:00:00+08:00"),
    (30.0, "2026-05-20T20:30:00+08:00"),
    (60.0, "2026-05-20T21:00:00+08:00"),  # the end of the first session, before the gap
    (60.5, "2026-05-20T21:30:30+08:00"),  # the gap folded out: half a minute into the second
    (120.0, "2026-05-20T22:30:00+08:00"),
    (120.5, None),  # past this event's live time
])
def test_a_live_minute_on_this_event_s_clock(minutes, moment):
    from warroom.compare import moment_at_live_minute

    expected = datetime.fromisoformat(moment) if moment else None
    assert moment_at_live_minute(make_event(), minutes) == expected, f"minute {minutes} of live time"


def test_the_earlier_curve_on_this_event_s_clock():
    from warroom.compare import SameMinute

    seen = SameMinute(label="三八节", minutes=0.0, revenue_fen=0, curve=((10.0, 100), (70.0, 300), (500.0, 900)))
    points = seen.on_this_clock(make_event())
    assert points == [(at(20, 10), 100), (at(21, 40), 300)], f"laid on this event's sessions, the minute past its live time left out: {points}"


def test_the_demo_makes_the_earlier_event_ready(tmp_path):
    from warroom.demo import SAMPLE, prepare_folder
    from warroom.demo_history import prepare_history

    folder = prepare_folder(tmp_path / "demo")
    assert prepare_history(folder, SAMPLE) == ["三八女神节 宠粉专场"], "the sample's earlier event is made ready"
    config = load_event(folder / "event.toml")
    assert [entry.path for entry in config.history] == ["history/38/event.toml"], "the working copy points at the copied event"
    earlier_config, label = history_config(config)
    figures = earlier_figures(earlier_config, NOW, label)
    expected = json.loads((ROOT / "sample_data" / "38" / "expected.json").read_text(encoding="utf-8"))
    assert (figures.label, figures.revenue_fen, figures.orders) == ("三八节", round(expected["revenue"] * 100), expected["orders"]), \
        "its store holds the earlier event's feeds, ingested once"


def test_the_demo_goes_on_without_an_earlier_event_it_cannot_find(tmp_path, capsys):
    from warroom.demo_history import prepare_history

    sample = tmp_path / "sample" / "520"
    folder = tmp_path / "demo"
    write_event(sample, "520", f"sqlite:///{tmp_path / 's.db'}", history("../gone/event.toml"))
    folder.mkdir()
    (folder / "event.toml").write_text((sample / "event.toml").read_text(encoding="utf-8"), encoding="utf-8")
    assert prepare_history(folder, sample) == [], "nothing made ready"
    said = capsys.readouterr().err.strip().splitlines()
    assert len(said) == 1 and "left out" in said[0], f"one line says so: {said}"


def test_the_curves_money_axis_reads_in_wan_as_the_review_s_does(pair):
    from warroom.web.views.compare import curves_figure

    this, earlier_file = pair
    config = load_event(this)
    now = datetime.fromisoformat("2026-06-01T00:00:00+08:00")
    earlier = earlier_figures(load_earlier(config, earlier_file), now, "三八小场", this_url=config.store_url)
    store = runtime.open_store(config, read_only=True)
    try:
        comparison = compare(campaign_figures(store, config, now), earlier)
    finally:
        store.close()
    ticks = curves_figure(comparison, "zh").layout.yaxis.ticktext
    assert ticks[0] == "0" and all(tick.endswith("万") or tick.isdigit() for tick in ticks), ticks
