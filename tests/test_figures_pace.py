"""Pace as a pure function of the sessions, the revenue by minute and an injected time: no store, no clock."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from tests.figures_helpers import at, make_event
from warroom.clock import minute_of
from warroom.pace import pace_at, planned_fen, run_spread
from warroom.schedule import live_sessions

SESSIONS = live_sessions(make_event())  # 第一场 20:00–21:00 (hosts S30 then S31), 第二场 21:30–22:30
BASE, STRETCH = 1_000_000, 1_500_000


def flash_sale_evening(now):
    """Return (revenue by minute, revenue now): ¥100 in every live minute before `now`, ¥400 during the 20:10–20:20 flash sale."""
    by_minute = {}
    for session in SESSIONS:
        moment = session.start
        while moment < min(session.end, now):
            by_minute[minute_of(moment)] = 40_000 if at(20, 10) <= moment < at(20, 20) else 10_000
            moment += timedelta(minutes=1)
    return by_minute, sum(by_minute.values())


# (now, on_air, session, host on air, next session, live minutes elapsed, live minutes left, finished).
SCHEDULE_CASES = [
    ("before-the-first", at(19, 30), False, None, None, "第一场", 0, 120, False),
    ("start-of-first", at(20, 0), True, "第一场", "S30", None, 0, 120, False),
    ("middle-of-first", at(20, 30), True, "第一场", "S31", None, 30, 90, False),
    ("end-of-first", at(21, 0), False, None, None, "第二场", 60, 60, False),
    ("between-sessions", at(21, 15), False, None, None, "第二场", 60, 60, False),
    ("start-of-second", at(21, 30), True, "第二场", None, None, 60, 60, False),
    ("middle-of-second", at(22, 0), True, "第二场", None, None, 90, 30, False),
    ("end-of-last", at(22, 30), False, None, None, None, 120, 0, True),
    ("after-the-event", at(23, 30), False, None, None, None, 120, 0, True),
]
EVERY_MOMENT = [case[1] for case in SCHEDULE_CASES]
MOMENT_IDS = [case[0] for case in SCHEDULE_CASES]


@pytest.mark.parametrize(("now", "on_air", "session", "host", "next_session", "elapsed", "left", "finished"), [case[1:] for case in SCHEDULE_CASES], ids=MOMENT_IDS)
def test_what_is_on_air_and_the_live_time_over_an_evening(now, on_air, session, host, next_session, elapsed, left, finished):
    by_minute, revenue = flash_sale_evening(now)
    pace = pace_at(SESSIONS, by_minute, revenue, BASE, STRETCH, now)
    assert (pace.on_air, pace.session, pace.host_on_air, pace.next_session) == (on_air, session, host, next_session), "on air"
    assert (pace.live_minutes_elapsed, pace.live_minutes_left, pace.finished) == (elapsed, left, finished), "live minutes"


@pytest.mark.parametrize("now", EVERY_MOMENT, ids=MOMENT_IDS)
def test_the_projection_lies_inside_its_band_which_starts_at_the_revenue_now(now):
    by_minute, revenue = flash_sale_evening(now)
    pace = pace_at(SESSIONS, by_minute, revenue, BASE, STRETCH, now)
    assert revenue <= pace.projected_low_fen <= pace.projected_fen <= pace.projected_high_fen, "revenue ≤ low ≤ point ≤ high"


@pytest.mark.parametrize("now", [at(20, 5), at(20, 30), at(22, 0)], ids=["early", "middle", "late"])
def test_the_point_is_off_the_edges_of_its_band_while_live_time_is_left(now):
    by_minute, revenue = flash_sale_evening(now)
    pace = pace_at(SESSIONS, by_minute, revenue, BASE, STRETCH, now)
    assert pace.projected_low_fen < pace.projected_fen < pace.projected_high_fen, "the point inside, not at an edge"


def test_the_band_narrows_as_the_evening_goes_on():
    widths = []
    for now in (at(20, 30), at(21, 0), at(22, 0), at(22, 20)):
        by_minute, revenue = flash_sale_evening(now)
        pace = pace_at(SESSIONS, by_minute, revenue, BASE, STRETCH, now)
        widths.append(pace.projected_high_fen - pace.projected_low_fen)
    assert widths == sorted(widths, reverse=True) and len(set(widths)) == len(widths), f"band widths {widths} narrow"


def test_the_band_never_starts_below_the_revenue_now():
    now = at(20, 30)
    by_minute, revenue = flash_sale_evening(now)
    # A correction booked in the last live minute (negative revenue) must not drag the low end below what is in.
    by_minute[max(by_minute)] = -5_000_000
    pace = pace_at(SESSIONS, by_minute, revenue, BASE, STRETCH, now)
    assert pace.projected_low_fen >= revenue, "low end at least the revenue now"


def test_before_any_live_minute_the_projection_is_the_plan():
    pace = pace_at(SESSIONS, {}, 0, BASE, STRETCH, at(19, 30))
    # The middle of the goals; the band ±1.2816 × 10,416.67 × √(10 × (120 + 120² / 60)).
    assert (pace.projected_low_fen, pace.projected_fen, pace.projected_high_fen) == (449_000, 1_250_000, 2_051_000), "the plan and its spread"


def test_the_plan_fades_as_live_minutes_come_in():
    """40 minutes at ¥100 a minute: the live average weighs 40 / (40 + 60), the plan's ¥104.17 a minute the rest."""
    by_minute = {minute_of(at(20, 0)) + offset: 10_000 for offset in range(40)}
    pace = pace_at(SESSIONS, by_minute, 400_000, BASE, STRETCH, at(20, 40))
    assert pace.rate_projected_fen == 10_250, "0.4 × 10,000 + 0.6 × 10,416.67"
    # The runs so far do not spread: σ² = 0.6 × 10,416.67²; Var = σ² × 10 × (80 + 80² / 100); ±1.2816 σ.
    assert (pace.projected_low_fen, pace.projected_fen, pace.projected_high_fen) == (827_592, 400_000 + 10_250 * 80, 1_612_408), "point and band"


def test_a_flash_sale_burst_moves_the_projection_by_less_than_the_burst_over_the_time_left():
    """Ten minutes of a ¥400-a-minute flash sale after ten at ¥100: the plan and the average absorb it."""
    before, after = at(20, 10), at(20, 20)
    moved = [pace_at(SESSIONS, *flash_sale_evening(now), BASE, STRETCH, now).projected_fen for now in (before, after)]
    burst_over_time_left = 30_000 * 100  # what the old run-rate projection would have added
    assert 0 < moved[1] - moved[0] < burst_over_time_left / 4, f"projection moved {moved}"


def test_where_the_plan_says_revenue_should_be_now():
    pace = pace_at(SESSIONS, {}, 0, BASE, STRETCH, at(20, 30))
    # 30 of 120 live minutes gone: a quarter of each goal.
    assert (pace.planned_base_fen, pace.planned_stretch_fen) == (250_000, 375_000), "planned base, stretch"


@pytest.mark.parametrize("now", [at(22, 30), at(23, 30)], ids=["end-of-last", "after-the-event"])
def test_after_the_show_there_is_no_trend_and_no_band(now):
    by_minute, revenue = flash_sale_evening(now)
    pace = pace_at(SESSIONS, by_minute, revenue, BASE, STRETCH, now)
    assert (pace.finished, pace.trend, pace.band, pace.projected_fen) == (True, None, None, revenue), "finished, no trend, no band"


def test_between_sessions_the_show_is_not_finished():
    by_minute, revenue = flash_sale_evening(at(21, 15))
    pace = pace_at(SESSIONS, by_minute, revenue, BASE, STRETCH, at(21, 15))
    assert (pace.finished, pace.band is not None) == (False, True), "not finished, a band"


def test_a_flash_sale_burst_shows_in_the_ten_minute_rates():
    now = at(20, 20)
    by_minute, revenue = flash_sale_evening(now)
    pace = pace_at(SESSIONS, by_minute, revenue, BASE, STRETCH, now)
    assert (pace.rate_last_fen, pace.rate_before_fen, pace.rate_average_fen) == (40_000, 10_000, 25_000), "last 10, 10 before, average"


def test_times_between_minutes_count_the_seconds_left():
    by_minute, revenue = flash_sale_evening(at(20, 30))
    pace = pace_at(SESSIONS, by_minute, revenue, BASE, STRETCH, at(20, 30, 30))
    assert (pace.live_minutes_left, pace.needed_base_fen) == (90, Decimal(BASE - revenue) / Decimal("89.5")), "89.5 live minutes left"


@pytest.mark.parametrize(
    ("revenue", "run", "expected"),
    [
        ([], 10, 0),
        ([7], 10, 0),
        ([100, 100, 100], 10, 0),
        # runs of 2 (half the history): sums 0, 10, 20 → sd √(200/3), per minute half that
        ([0, 0, 10, 10], 10, Decimal(200 / Decimal(3)).sqrt() / 2),
        # runs of 1: the per-minute rates 0 and 30
        ([0, 30], 5, 15),
    ],
    ids=["no-history", "one-minute", "steady", "slow-then-fast", "run-longer-than-half-the-history"],
)
def test_run_spread_over_runs_of_live_minutes(revenue, run, expected):
    assert run_spread(revenue, run) == expected, "the spread of the runs' per-minute rates"


@pytest.fixture(scope="module")
def replayed_520(tmp_path_factory):
    """Return the pace at every live minute of the 520 sample, replayed as bench/projection_error.py does, and the final revenue."""
    from bench.projection_error import EVENT, ingest_sample, replay

    config, by_minute, final_fen = ingest_sample(EVENT, tmp_path_factory.mktemp("replay"))
    return replay(config, by_minute, 1), final_fen


def test_on_the_520_replay_the_point_is_always_inside_its_band(replayed_520):
    minutes, _final = replayed_520
    outside = [row.at for row in minutes if not row.pace.projected_low_fen < row.pace.projected_fen < row.pace.projected_high_fen]
    assert not outside, f"the point on or outside its band at {outside[:3]}"


def test_on_the_520_replay_the_band_narrows_from_the_first_hour_to_the_last(replayed_520):
    minutes, final = replayed_520
    width = [(row.pace.projected_high_fen - row.pace.projected_low_fen) / final for row in minutes]
    first_hour, last_hour = sum(width[:60]) / 60, sum(width[-60:]) / 60
    assert last_hour < first_hour / 4, f"mean band width {first_hour:.1%} in the first hour, {last_hour:.1%} in the last"


def test_on_the_520_replay_no_minute_moves_the_projection_by_more_than_a_flash_sale_sells(replayed_520):
    minutes, final = replayed_520
    # The biggest flash sale sold about 11.6 % of the final revenue in its 10 minutes.
    jumps = [abs(later.pace.projected_fen - earlier.pace.projected_fen) / final for earlier, later in zip(minutes, minutes[1:], strict=False)]
    assert max(jumps) < 0.15, f"largest move of the projection in a minute: {max(jumps):.1%}"


@pytest.mark.parametrize(
    ("moment", "expected"),
    [(at(19, 30), 0), (at(20, 30), 250_000), (at(21, 15), 500_000), (at(22, 0), 750_000), (at(23, 0), 1_000_000)],
    ids=["before-the-first", "middle-of-first", "between-sessions-it-holds", "middle-of-second", "after-the-last"],
)
def test_the_plan_line_climbs_through_the_sessions_and_holds_between_them(moment, expected):
    assert planned_fen(SESSIONS, BASE, moment) == expected, "the base goal spread over the live time"
