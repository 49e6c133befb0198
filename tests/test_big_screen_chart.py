"""The big screen's revenue chart, its rotating board and its big-order callout, at frozen moments of the 520 replay."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.browser_support import SAMPLE_EVENT
from tests.scenes import MOMENTS, freeze
from warroom.clock import FixedClock
from warroom.config import load_event
from warroom.figures import LiveFigures
from warroom.runtime import open_store
from warroom.schedule import live_sessions
from warroom.ticker import BigOrder
from warroom.timeline import LiveAxis
from warroom.web import charts
from warroom.web.views import big_screen, rail


@pytest.fixture(scope="module", params=list(MOMENTS))
def scene(request, tmp_path_factory):
    """Return (moment, config, snapshot) of the 520 event as it stood at one of the scenes' moments."""
    moment = MOMENTS[request.param]
    event_file = freeze(tmp_path_factory.mktemp(request.param) / "event", moment)
    config = load_event(event_file)
    store = open_store(config)
    try:
        snapshot = LiveFigures(store, config, clock=FixedClock(moment)).refresh(moment)
    finally:
        store.close()
    return request.param, config, snapshot


def layout_of(scene):
    _name, config, snapshot = scene
    return charts.revenue_figure(config, snapshot, "zh").to_plotly_json()


def test_the_time_axis_names_every_session_begun(scene):
    name, config, _snapshot = scene
    ticks = " ".join(layout_of(scene)["layout"]["xaxis"]["ticktext"])
    expected = {"early": ["第一晚"], "second_evening": ["第一晚", "第二晚"], "after_end": ["第一晚", "第二晚"]}[name]
    assert [session for session in ("第一晚", "第二晚") if session in ticks] == expected, ticks


def test_the_flash_sales_on_the_axis_are_shaded(scene):
    name, config, snapshot = scene
    axis = LiveAxis.of(live_sessions(config), config.event.tz)
    end_x = axis.session_end_x(snapshot.as_of)
    rects = [shape for shape in layout_of(scene)["layout"]["shapes"] if shape["type"] == "rect"]
    assert rects, "no flash-sale band"
    assert all(0 <= shape["x0"] < shape["x1"] for shape in rects)
    assert all(shape["x0"] < end_x for shape in rects), "a band beyond the axis"


def test_the_plan_lines_end_where_the_team_should_be_by_now(scene):
    name, config, snapshot = scene
    axis = LiveAxis.of(live_sessions(config), config.event.tz)
    now_x = axis.x(snapshot.as_of)
    dotted = [trace for trace in layout_of(scene)["data"] if trace.get("line", {}).get("dash") == "dot"]
    assert {trace["x"][-1] for trace in dotted} == {now_x}
    ends = sorted(round(trace["y"][-1]) for trace in dotted)
    assert ends == sorted(round(fen / 100) for fen in (snapshot.pace.planned_base_fen, snapshot.pace.planned_stretch_fen))


def test_the_projection_is_drawn_only_while_on_air(scene):
    name, _config, _snapshot = scene
    dashed = [trace for trace in layout_of(scene)["data"] if trace.get("line", {}).get("dash") == "dash"]
    assert len(dashed) == (0 if name == "after_end" else 1), name


def test_the_y_axis_fits_the_curve(scene):
    name, _config, snapshot = scene
    top = layout_of(scene)["layout"]["yaxis"]["range"][1]
    assert snapshot.revenue_fen / 100 <= top <= max(snapshot.revenue_fen / 100, snapshot.stretch_fen / 100) * 1.6, top


def test_a_goal_far_out_of_reach_is_named_above_the_chart_instead_of_squashing_it(tmp_path):
    moment = datetime.fromisoformat("2026-05-20T19:40:00+08:00")
    config = load_event(freeze(tmp_path / "event", moment))
    store = open_store(config)
    try:
        snapshot = LiveFigures(store, config, clock=FixedClock(moment)).refresh(moment)
    finally:
        store.close()
    layout = charts.revenue_figure(config, snapshot, "zh").to_plotly_json()["layout"]
    assert layout["yaxis"]["range"][1] < snapshot.base_fen / 100, layout["yaxis"]["range"]
    assert any("↑" in note.get("text", "") for note in layout["annotations"]), "no marker for the goals above"


# -- the board's rotation --------------------------------------------------------------------------


def test_the_board_turns_through_each_role_with_a_score_and_the_teams(scene):
    _name, _config, snapshot = scene
    boards = big_screen.rotation(snapshot)
    assert boards[0] == "order_taker"
    assert len(boards) == len(set(boards))
    for board in boards[1:]:
        assert board == "teams" or any(s.value > 0 for s in snapshot.leaderboards[board]), board


@pytest.mark.parametrize(("query", "configured", "expected"), [
    (None, 0, 0), ("30", 0, 30), ("30", 20, 30), (None, 20, 20), ("4", 20, 20), ("abc", 0, 0), ("99999", 0, 0), ("-5", 0, 0),
])
def test_the_rotation_period_comes_from_the_link_or_the_event_file(query, configured, expected):
    config = load_event(SAMPLE_EVENT)
    config = config.model_copy(update={"big_screen": config.big_screen.model_copy(update={"rotate_seconds": configured})})
    assert big_screen.rotate_seconds(query, config) == expected


def test_every_tv_shows_the_same_board_at_the_same_second(scene):
    _name, _config, snapshot = scene
    boards = big_screen.rotation(snapshot)
    shown = [big_screen.board_html(snapshot, "zh", 10, seconds) for seconds in (0, 9.9, 10, 10 * len(boards))]
    assert shown[0] == shown[1] == shown[3]
    assert (shown[2] != shown[0]) == (len(boards) > 1)


# -- the callout -----------------------------------------------------------------------------------


def order(order_id: str, yuan: int) -> BigOrder:
    return BigOrder(order_id, datetime.fromisoformat("2026-05-20T20:00:00+08:00") + timedelta(minutes=len(order_id)), yuan * 100, "P1", "和田玉手镯", "小林", "", "c1")


def test_the_first_look_calls_nothing_out():
    called, seen = rail.newly_called_out([order("a", 5000)], None, 300_000)
    assert (called, seen) == (None, {"a"})


def test_a_new_big_order_is_called_out_once():
    called, seen = rail.newly_called_out([order("b", 5000), order("a", 5000)], {"a"}, 300_000)
    assert called.order_id == "b"
    again, _ = rail.newly_called_out([order("b", 5000), order("a", 5000)], seen, 300_000)
    assert again is None


def test_an_order_under_the_callout_threshold_only_goes_on_the_ticker():
    called, _ = rail.newly_called_out([order("b", 1500)], set(), 300_000)
    assert called is None


def test_of_several_new_orders_the_biggest_is_called_out():
    called, _ = rail.newly_called_out([order("b", 3500), order("cc", 8000), order("ddd", 4000)], set(), 300_000)
    assert called.order_id == "cc"


def test_the_callout_escapes_a_name():
    html = rail.callout_html(replace(order("b", 5000), staff="<img src=x onerror=alert(1)>"), load_event(SAMPLE_EVENT), "zh")
    assert "<img" not in html and "&lt;img" in html


# -- the live room's strip and the show's summary ------------------------------------------------


def test_the_live_room_strip_says_the_snapshot_s_live_room(scene):
    _name, _config, snapshot = scene
    html = big_screen.live_room_html(snapshot, "zh")
    assert f"{snapshot.live.viewers:,}" in html
    assert f"{snapshot.live.entries:,}" in html


@pytest.fixture(scope="module")
def after_the_show(tmp_path_factory):
    """Return (config, snapshot) of the 520 event after its last session."""
    moment = MOMENTS["after_end"]
    config = load_event(freeze(tmp_path_factory.mktemp("after") / "event", moment))
    store = open_store(config)
    try:
        return config, LiveFigures(store, config, clock=FixedClock(moment)).refresh(moment)
    finally:
        store.close()


def test_the_summary_names_each_board_s_leader_and_the_goals(after_the_show):
    config, snapshot = after_the_show
    html = big_screen.summary_html(config, snapshot, "zh")
    assert "保底 ✓" in html and "冲刺 ✓" in html
    assert snapshot.leaderboards["order_taker"][0].name in html


def test_the_header_says_the_show_is_over_after_the_last_session(scene):
    name, config, snapshot = scene
    assert ("直播已结束" in big_screen.header_html(config, snapshot, "zh")) == (name == "after_end")


def test_the_earlier_event_runs_faint_beside_this_one_and_the_tile_says_vs_last_time(scene):
    from warroom.compare import SameMinute

    _name, config, snapshot = scene
    history = SameMinute(label="三八节", minutes=10.0, revenue_fen=snapshot.revenue_fen // 2 or 1, curve=((0.0, 0), (100.0, 5_000_000), (900.0, 9_000_000)))
    layout = charts.revenue_figure(config, snapshot, "zh", history).to_plotly_json()
    end_x = layout["layout"]["xaxis"]["range"][1]
    earlier = [trace for trace in layout["data"] if trace.get("opacity") == 0.45]
    assert len(earlier) == 1 and max(earlier[0]["x"]) <= end_x, earlier
    assert "比三八节同一时刻 +" in big_screen.revenue_html(config, snapshot, "zh", history)


@given(query=st.one_of(st.none(), st.text(max_size=40)))
def test_any_rotate_in_a_kiosk_link_is_a_period_or_none(query):
    period = big_screen.rotate_seconds(query, ROTATING)
    assert period == 0 or 5 <= period <= 3600, period


ROTATING = load_event(SAMPLE_EVENT)
