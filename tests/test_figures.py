"""The live figures on both backends: pace over the sessions, leaderboards, ties, movement, teams, and the incremental model."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from tests.figures_helpers import MINUTE, apply, at, checkin, fen, make_event, order, recompute
from warroom.figures import LiveFigures, stats_json
from warroom.leaderboards import competition_ranks
from warroom.pace import pace_at
from warroom.records import BadRow, Batch
from warroom.schedule import live_sessions

SESSION_ONE, SESSION_TWO = (at(20, 0), at(21, 0)), (at(21, 30), at(22, 30))


def live_minutes_before(now):
    """Return the start of every live minute before `now`."""
    minutes = []
    for start, end in (SESSION_ONE, SESSION_TWO):
        moment = start
        while moment < min(end, now):
            minutes.append(moment)
            moment += MINUTE
    return minutes


def one_order_a_minute(store, now, amount="100"):
    """Sell one order of `amount` yuan in every live minute before `now`."""
    apply(store, *(order(amount, when=minute + timedelta(seconds=10)) for minute in live_minutes_before(now)))


# -- pace --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("now", [at(19, 30), at(20, 30), at(21, 15), at(22, 0), at(23, 30)],
                         ids=["before-the-first", "middle-of-first", "between-sessions", "middle-of-second", "after-the-event"])
def test_the_figures_pace_is_the_pace_formula_over_the_stores_revenue(open_store, now):
    config = make_event()
    store = open_store(config)
    one_order_a_minute(store, now)
    snapshot = LiveFigures(store, config).refresh(now)
    expected = pace_at(live_sessions(config), dict(snapshot.revenue_by_minute), snapshot.revenue_fen, snapshot.base_fen, snapshot.stretch_fen, now)
    assert snapshot.pace == expected, "pace_at over the folded revenue by minute"


@pytest.mark.parametrize(
    ("now", "needed_base", "needed_stretch"),
    [
        (at(19, 30), Decimal(1_000_000) / 120, Decimal(1_500_000) / 120),
        (at(20, 30), Decimal(700_000) / 90, Decimal(1_200_000) / 90),
        (at(21, 15), Decimal(400_000) / 60, Decimal(900_000) / 60),
        (at(22, 15), None, Decimal(450_000) / 15),
        (at(22, 30), None, None),
    ],
    ids=["before-the-first", "middle-of-first", "between-sessions", "base-reached", "no-time-left"],
)
def test_needed_run_rate_per_live_minute_left(open_store, now, needed_base, needed_stretch):
    config = make_event()
    store = open_store(config)
    one_order_a_minute(store, now)
    pace = LiveFigures(store, config).refresh(now).pace
    assert (pace.needed_base_fen, pace.needed_stretch_fen) == (needed_base, needed_stretch)


def test_time_left_counts_the_seconds_of_the_current_minute(open_store):
    config = make_event()
    pace = LiveFigures(open_store(config), config).refresh(at(20, 59, 30)).pace
    assert pace.live_minutes_left == 61


def test_run_rate_of_the_last_ten_minutes_against_the_ten_before(open_store):
    config = make_event()
    store = open_store(config)
    apply(store, *(order("100" if minute < at(20, 20) else "200", when=minute) for minute in live_minutes_before(at(20, 30))))
    pace = LiveFigures(store, config).refresh(at(20, 30)).pace
    assert (pace.rate_last_fen, pace.rate_before_fen, pace.trend) == (20000, 10000, 1)


def test_the_run_rate_window_spans_the_break_between_sessions(open_store):
    config = make_event()
    store = open_store(config)
    apply(store, order("500", when=at(20, 58)), order("1000", when=at(21, 31)), order("9999", when=at(21, 15)))
    pace = LiveFigures(store, config).refresh(at(21, 35)).pace
    assert pace.rate_last_fen == Decimal(150000) / 10


@pytest.mark.parametrize(
    ("now", "host", "next_session"),
    [(at(20, 10), "S30", None), (at(20, 40), "S31", None), (at(21, 10), None, "第二场"), (at(21, 40), None, None), (at(22, 40), None, None)],
    ids=["first-slot", "second-slot", "between-sessions", "session-without-slots", "after-the-last"],
)
def test_who_is_on_air_and_what_comes_next(open_store, now, host, next_session):
    config = make_event()
    pace = LiveFigures(open_store(config), config).refresh(now).pace
    assert (pace.host_on_air, pace.next_session) == (host, next_session)


def test_without_sessions_the_whole_event_is_live(open_store):
    config = make_event(sessions=[])
    pace = LiveFigures(open_store(config), config).refresh(at(21, 0)).pace
    assert pace.on_air
    assert pace.live_minutes_elapsed == 120
    assert pace.live_minutes_left == 120


# -- goals, buyers, AOV, GPM and the funnel ----------------------------------------------------------


def test_revenue_is_net_of_refunds(open_store):
    config = make_event()
    store = open_store(config)
    apply(store, order("1299", refund="300"), order("500", status="refunded"), order("200", status="cancelled"), order("100"))
    assert LiveFigures(store, config).refresh(at(21)).revenue_fen == fen("1099")


@pytest.mark.parametrize(
    ("goals", "expected"),
    [({"paying_customers": 50}, (50, False)), ({}, (20, True))],
    ids=["from-the-event-file", "estimated-from-revenue-per-buyer"],
)
def test_buyers_needed(open_store, goals, expected):
    config = make_event(goals={"base": 10000, "stretch": 15000, **goals})
    store = open_store(config)
    apply(store, order("500", customer="c1"), order("500", customer="c2"))
    snapshot = LiveFigures(store, config).refresh(at(21))
    assert (snapshot.buyers_needed, snapshot.buyers_needed_estimated) == expected


def test_aov_and_gpm(open_store):
    config = make_event()
    store = open_store(config)
    apply(store, order("300"), order("100"), *(checkin("enter_live", customer=f"v{i}") for i in range(8)))
    snapshot = LiveFigures(store, config).refresh(at(21))
    assert (snapshot.aov_fen, snapshot.live.gpm_fen) == (20000, Decimal(40000) * 1000 / 8), "AOV, GPM"


def test_the_funnel_counts_distinct_customers_per_stage(open_store):
    config = make_event()
    store = open_store(config)
    apply(store, checkin("join_group", customer="c1"), checkin("join_group", customer="c1"), checkin("join_group", customer="c2"),
          checkin("enter_live", customer="c1"), checkin("enter_live", customer="c1"), order("100", customer="c1"), order("50", customer="c1"))
    assert LiveFigures(store, config).refresh(at(21)).funnel == {"joined": 2, "entered_live": 1, "paid": 1}


# -- leaderboards ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "ranks"),
    [([5, 3, 3, 1], [1, 2, 2, 4]), ([2, 2, 2], [1, 1, 1]), ([9, 8, 7], [1, 2, 3]), ([4, 4, 1, 1], [1, 1, 3, 3]), ([], [])],
    ids=["one-tie", "all-tied", "no-tie", "two-ties", "empty"],
)
def test_competition_ranks(values, ranks):
    assert competition_ranks(values) == ranks


def test_tied_staff_share_a_rank_and_the_next_skips(open_store):
    config = make_event()
    store = open_store(config)
    apply(store, order("500", staff="S01"), order("300", staff="S02"), order("300", staff="S03"), order("100", staff="S04"))
    board = LiveFigures(store, config).refresh(at(21)).leaderboards["order_taker"]
    assert [(row.staff_id, row.rank) for row in board] == [("S01", 1), ("S02", 2), ("S03", 2), ("S04", 4), ("S05", 5)]


def test_each_role_has_its_default_metric_and_roles_without_one_are_left_out(open_store):
    config = make_event()
    snapshot = LiveFigures(open_store(config), config).refresh(at(21))
    assert {role: board[0].metric for role, board in snapshot.leaderboards.items()} == {
        "order_taker": "revenue", "community": "revenue", "host": "revenue", "hype": "activity",
    }


LEADERBOARD_CASES = [
    ("order_taker", "revenue", "S01", [order("300"), order("200"), order("100", status="refunded")], 50000),
    ("order_taker", "orders", "S01", [order("300"), order("200"), order("100", status="refunded")], 2),
    ("order_taker", "invites", "S01", [checkin("invite", customer=f"c{i}", staff="S01") for i in range(3)], 3),
    ("order_taker", "conversion", "S01",
     [checkin("invite", customer="b1", staff="S01"), checkin("invite", customer="b2", staff="S01"), order("100", staff=None, customer="b1")], Decimal("0.5")),
    ("community", "revenue", "S20", [order("300", staff=None, group="G01"), order("200", staff="S02", group="G01"), order("100", group="G02")], 50000),
    ("community", "joins", "S20", [checkin("join_group", customer=f"j{i}", group="G01") for i in range(2)] + [checkin("join_group", group="G02")], 2),
    ("host", "revenue", "S30", [order("100", when=at(20, 10)), order("200", when=at(20, 40)), order("400", when=at(19, 50))], 10000),
    ("host", "gpm", "S30", [order("100", when=at(20, 10))] + [checkin("enter_live", customer=f"e{i}", when=at(20, 5)) for i in range(4)],
     Decimal(10000) * 1000 / 4),
    ("hype", "activity", "S40", [checkin("share", staff="S40"), checkin("check_in", staff="S40"), checkin("invite", staff="S40")], 2),
    ("hype", "shares", "S40", [checkin("share", staff="S40"), checkin("check_in", staff="S40")], 1),
    ("hype", "check_ins", "S40", [checkin("share", staff="S40"), checkin("check_in", staff="S40")], 1),
    ("stats", "revenue", "S50", [order("120", staff="S50")], 12000),
]


@pytest.mark.parametrize(("role", "metric", "staff_id", "rows", "value"), LEADERBOARD_CASES, ids=[f"{c[0]}-{c[1]}" for c in LEADERBOARD_CASES])
def test_the_event_file_picks_a_roles_metric(open_store, role, metric, staff_id, rows, value):
    config = make_event(leaderboards=[{"role": role, "metric": metric}])
    store = open_store(config)
    apply(store, *rows)
    board = LiveFigures(store, config).refresh(at(21)).leaderboards[role]
    assert next((row.metric, row.value) for row in board if row.staff_id == staff_id) == (metric, value)


def test_a_metric_the_role_does_not_know_falls_back_to_its_default(open_store):
    config = make_event(leaderboards=[{"role": "hype", "metric": "revenue"}])
    snapshot = LiveFigures(open_store(config), config).refresh(at(21))
    assert snapshot.leaderboards["hype"][0].metric == "activity"


@pytest.mark.parametrize(
    ("window_minutes", "movement"),
    [(15, {"S02": 1, "S01": -1, "S03": 0}), (5, {"S02": 0, "S01": 0, "S03": 0})],
    ids=["overtaken-inside-the-window", "overtaken-before-the-window"],
)
def test_rank_movement_over_the_last_minutes(open_store, window_minutes, movement):
    config = make_event()
    store = open_store(config)
    apply(store, order("1000", staff="S01", when=at(20, 30)), order("500", staff="S02", when=at(20, 30)), order("300", staff="S03", when=at(20, 30)),
          order("800", staff="S02", when=at(20, 50)))
    board = LiveFigures(store, config, rank_window=timedelta(minutes=window_minutes)).refresh(at(21)).leaderboards["order_taker"]
    assert {row.staff_id: row.movement for row in board if row.staff_id in movement} == movement


def test_movement_counts_checkins_in_the_window(open_store):
    config = make_event(leaderboards=[{"role": "order_taker", "metric": "invites"}])
    store = open_store(config)
    apply(store, checkin("invite", staff="S01", customer="a", when=at(20, 0)), *(checkin("invite", staff="S03", customer=f"b{i}", when=at(20, 55)) for i in range(2)))
    board = LiveFigures(store, config).refresh(at(21)).leaderboards["order_taker"]
    assert next(row.movement for row in board if row.staff_id == "S03") == 1


def test_conversion_has_no_movement(open_store):
    config = make_event(leaderboards=[{"role": "order_taker", "metric": "conversion"}])
    snapshot = LiveFigures(open_store(config), config).refresh(at(21))
    assert {row.movement for row in snapshot.leaderboards["order_taker"]} == {None}


def test_team_totals_rank_teams_by_credited_revenue(open_store):
    config = make_event()
    store = open_store(config)
    apply(store, order("1000", staff="S01"), order("200", staff="S02"), order("700", staff="S03"), order("600", staff="S04"), order("50", staff="S20"))
    teams = LiveFigures(store, config).refresh(at(21)).teams
    assert [(t.rank, t.team, t.revenue_fen, t.paid_orders, t.commission_fen) for t in teams] == [(1, "B", 130000, 2, 15600), (2, "A", 120000, 2, 17000)]


def test_no_teams_without_team_names(open_store):
    config = make_event(staff=[{"id": "S01", "name": "小林", "role": "order_taker"}], groups=[], sessions=[])
    assert LiveFigures(open_store(config), config).refresh(at(21)).teams == []


# -- the incremental model against a full read ----------------------------------------------------


def rich_history(store):
    """Apply a mixed history in several commits: sales, invites, refunds, a late invite, viewers and bad rows."""
    apply(store, checkin("invite", customer="c2", staff="S02", when=at(19, 40)), checkin("join_group", customer="c2", group="G01", when=at(19, 41)),
          checkin("enter_live", customer="c1", when=at(20, 1)), checkin("viewers", customer=None, value=300, when=at(20, 2)),
          checkin("share", staff="S40", when=at(20, 3)))
    yield
    apply(store, order("1299", order_id="a1", staff="S01", customer="c1", when=at(20, 10)), order("520", order_id="a2", staff=None, customer="c2", when=at(20, 20)),
          order("99", order_id="a3", staff=None, customer="c3", group="G01", when=at(20, 40)), order("2999", order_id="a4", staff="S03", customer="c4", qty=2, when=at(20, 50)))
    yield
    apply(store, order("520", order_id="a2", staff=None, customer="c2", status="refunded", when=at(21, 40)),
          order("1299", order_id="a1", staff="S01", customer="c1", refund="300", when=at(21, 41)), checkin("invite", customer="c3", staff="S04", when=at(19, 0)),
          checkin("viewers", customer=None, value=280, when=at(20, 45)))
    store.apply(Batch(bad_rows=[BadRow("orders", "orders.csv:line 9", "x,y", "amount 'y' is not a number")]))
    yield
    store.record_payout("S01", 10000, at(22, 0), "first half")


@pytest.mark.parametrize("now", [at(20, 0), at(20, 45), at(21, 15), at(22, 50), at(23, 0, day=28)], ids=["start", "mid", "between", "late", "final"])
def test_incremental_figures_equal_a_full_recompute_after_every_commit(open_store, now):
    config = make_event()
    store = open_store(config)
    figures = LiveFigures(store, config)
    for _ in rich_history(store):
        assert figures.refresh(now) == recompute(store, config, now)
    assert figures.refresh(now) == recompute(store, config, now)


def test_a_refresh_without_new_writes_gives_the_same_figures(open_store):
    config = make_event()
    store = open_store(config)
    figures = LiveFigures(store, config)
    for _ in rich_history(store):
        pass
    assert figures.refresh(at(21)) == figures.refresh(at(21))


def test_an_earlier_snapshot_is_not_changed_by_a_later_refresh(open_store):
    config = make_event()
    store = open_store(config)
    figures = LiveFigures(store, config)
    apply(store, order("100", staff="S01", when=at(20, 10)))
    first = figures.refresh(at(21))
    apply(store, order("200", staff="S01", when=at(20, 10)))
    figures.refresh(at(21))
    assert first.staff_revenue_by_minute["S01"] == {int(at(20, 10).timestamp()) // 60: 10000}


# -- warroom stats --json on both backends ------------------------------------------------------------


@pytest.fixture
def both_backends(tmp_path, pg_schema_url):
    """Return (SQLite store, PostgreSQL store) for the same event."""
    from warroom.rules import LedgerRules
    from warroom.store import Store

    config = make_event()
    stores = (Store(f"sqlite:///{tmp_path / 'same.db'}", LedgerRules.from_config(config)), Store(pg_schema_url, LedgerRules.from_config(config)))
    yield config, stores
    for store in stores:
        store.close()


@pytest.mark.postgres
def test_stats_json_is_identical_on_sqlite_and_postgresql(both_backends):
    config, stores = both_backends
    for _ in zip(rich_history(stores[0]), rich_history(stores[1]), strict=True):
        pass
    sqlite_stats, pg_stats = (stats_json(LiveFigures(store, config).refresh(at(22, 50))) for store in stores)
    assert sqlite_stats == pg_stats


@pytest.mark.postgres
def test_every_figure_is_identical_on_sqlite_and_postgresql(both_backends):
    config, stores = both_backends
    for _ in zip(rich_history(stores[0]), rich_history(stores[1]), strict=True):
        pass
    sqlite_figures, pg_figures = (LiveFigures(store, config).refresh(at(22, 50)) for store in stores)
    assert sqlite_figures == pg_figures


def test_stats_json_has_the_spec_shape(open_store):
    config = make_event()
    store = open_store(config)
    for _ in rich_history(store):
        pass
    stats = stats_json(LiveFigures(store, config).refresh(at(22, 50)))
    assert {key: sorted(value) if isinstance(value, dict) else type(value).__name__ for key, value in stats.items()} == {
        "event": "str", "revenue": "float", "orders": "int", "paying_customers": "int", "refunds": ["amount", "orders"],
        "goals": ["base", "base_progress", "stretch", "stretch_progress"], "leaderboards": ["community", "host", "hype", "order_taker"],
        "commission": ["staff", "team_pool"], "checkins": ["check_in", "enter_live", "invite", "join_group", "share"], "quarantined": "int",
        "live": ["conversion", "entrants", "entries", "gpm", "peak_viewers", "viewers"],
    }


def test_stats_json_values(open_store):
    config = make_event()
    store = open_store(config)
    for _ in rich_history(store):
        pass
    stats = stats_json(LiveFigures(store, config).refresh(at(22, 50)))
    assert (stats["revenue"], stats["orders"], stats["refunds"], stats["commission"]["staff"][0]) == (
        999 + 99 + 2999.0, 3, {"orders": 1, "amount": 520.0}, {"staff_id": "S01", "commission": 149.85},
    )


def test_released_quarantine_is_counted_at_the_next_refresh(open_store):
    config = make_event()
    store = open_store(config)
    figures = LiveFigures(store, config)
    store.apply(Batch(bad_rows=[BadRow("orders", "orders.csv:line 9", "x,y", "amount 'y' is not a number")]))
    figures.refresh(at(21))
    store.release_quarantine()
    assert figures.refresh(at(21)).quarantined == 0


def test_the_revenue_series_is_patched_where_it_changed(open_store):
    config = make_event()
    store = open_store(config)
    figures = LiveFigures(store, config)
    apply(store, *(order("100", order_id=f"m{i}", when=at(20, 0) + i * MINUTE) for i in range(60)))
    figures.refresh(at(21))
    apply(store, order("100", order_id="m5", status="refunded"), order("100", order_id="m6", refund="40"), order("70", when=at(21, 40)))
    assert figures.refresh(at(22)).revenue_by_minute == recompute(store, config, at(22)).revenue_by_minute


@pytest.mark.parametrize("late", [at(20, 30), at(20, 55)], ids=["before-the-rank-window", "inside-the-rank-window"])
def test_rank_movement_follows_rows_that_land_after_a_refresh(open_store, late):
    config = make_event(leaderboards=[{"role": "order_taker", "metric": "revenue"}])
    store = open_store(config)
    figures = LiveFigures(store, config)
    apply(store, order("1000", staff="S01", when=at(20, 30)), order("500", staff="S02", when=at(20, 30)), order("800", staff="S02", when=at(20, 50)))
    figures.refresh(at(21))
    apply(store, order("900", staff="S03", when=late), checkin("invite", staff="S03", customer="late", when=late))
    assert figures.refresh(at(21)) == recompute(store, config, at(21))
