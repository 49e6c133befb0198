"""Pace as a pure function of the sessions, the revenue by minute and an injected time: no store, no clock."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from tests.figures_helpers import at, make_event
from warroom.clock import minute_of
from warroom.pace import band_rates, pace_at, quantile
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


# (now, on_air, session, host on air, next session, live minutes elapsed, live minutes left, band minutes,
#  projected low, projected, projected high). The hand sums are in the comments.
PACE_CASES = [
    # Nothing live yet: no rate, the projection is the revenue now.
    ("before-the-first", at(19, 30), False, None, None, "第一场", 0, 120, 0, 0, 0, 0),
    ("start-of-first", at(20, 0), True, "第一场", "S30", None, 0, 120, 0, 0, 0, 0),
    # 5 minutes at ¥100: runs of 2 minutes all sell ¥200, so the band is the average: 50,000 + 10,000 × 115.
    ("five-minutes-in", at(20, 5), True, "第一场", "S30", None, 5, 115, 2, 1_200_000, 1_200_000, 1_200_000),
    # 30 minutes, ¥6,000 (average ¥200): 15-minute runs hold 5–10 flash-sale minutes; the 20th
    # percentile run (6) sells ¥220 a minute, above the average, so the band starts at the projection;
    # the 80th (10) sells ¥300: 600,000 + 30,000 × 90.
    ("middle-of-first", at(20, 30), True, "第一场", "S31", None, 30, 90, 15, 2_400_000, 2_400_000, 3_300_000),
    # 60 minutes, ¥9,000 (average ¥150): 30-minute runs hold 0–10 flash-sale minutes; 20th percentile 0
    # (¥100 a minute), 80th 10 (¥200 a minute), over 60 minutes left.
    ("end-of-first", at(21, 0), False, None, None, "第二场", 60, 60, 30, 1_500_000, 1_800_000, 2_100_000),
    ("between-sessions", at(21, 15), False, None, None, "第二场", 60, 60, 30, 1_500_000, 1_800_000, 2_100_000),
    ("start-of-second", at(21, 30), True, "第二场", None, None, 60, 60, 30, 1_500_000, 1_800_000, 2_100_000),
    # 90 minutes, ¥12,000 (average ¥133.33): 61 runs of 30 minutes; 20th percentile 0 flash-sale
    # minutes (¥100), 80th 8 (¥180) over 30 minutes left.
    ("middle-of-second", at(22, 0), True, "第二场", None, None, 90, 30, 30, 1_500_000, 1_600_000, 1_740_000),
    # No live time left: everything is the revenue now.
    ("end-of-last", at(22, 30), False, None, None, None, 120, 0, 0, 1_500_000, 1_500_000, 1_500_000),
    ("after-the-event", at(23, 30), False, None, None, None, 120, 0, 0, 1_500_000, 1_500_000, 1_500_000),
]


@pytest.mark.parametrize(
    ("now", "on_air", "session", "host", "next_session", "elapsed", "left", "band_minutes", "low", "projected", "high"),
    [case[1:] for case in PACE_CASES], ids=[case[0] for case in PACE_CASES],
)
def test_pace_over_an_evening_with_a_flash_sale(now, on_air, session, host, next_session, elapsed, left, band_minutes, low, projected, high):
    by_minute, revenue = flash_sale_evening(now)
    pace = pace_at(SESSIONS, by_minute, revenue, BASE, STRETCH, now)
    assert (pace.on_air, pace.session, pace.host_on_air, pace.next_session) == (on_air, session, host, next_session)
    assert (pace.live_minutes_elapsed, pace.live_minutes_left, pace.band_minutes) == (elapsed, left, band_minutes)
    assert (pace.projected_low_fen, pace.projected_fen, pace.projected_high_fen) == (low, projected, high)
    assert revenue <= pace.projected_low_fen <= pace.projected_fen <= pace.projected_high_fen


@pytest.mark.parametrize("now", [case[1] for case in PACE_CASES], ids=[case[0] for case in PACE_CASES])
def test_the_band_never_starts_below_the_revenue_now(now):
    by_minute, revenue = flash_sale_evening(now)
    # A correction booked in the last live minute (negative revenue) must not drag the low end below what is in.
    last_live = max(by_minute, default=None)
    if last_live is not None:
        by_minute[last_live] = -5_000_000
    pace = pace_at(SESSIONS, by_minute, revenue, BASE, STRETCH, now)
    assert pace.projected_low_fen >= revenue


def test_the_band_holds_a_steady_rate_exactly():
    now = at(20, 40)
    by_minute = {minute_of(at(20, 0)) + offset: 10_000 for offset in range(40)}
    pace = pace_at(SESSIONS, by_minute, 400_000, BASE, STRETCH, now)
    assert pace.projected_low_fen == pace.projected_fen == pace.projected_high_fen == 400_000 + 10_000 * 80


def test_a_flash_sale_burst_does_not_swing_the_projection():
    """Ten minutes into a ¥400-a-minute flash sale, after ten at ¥100: the projection runs the live
    average, and the band's top is a good 10-minute run so far, not the burst over the whole time left."""
    now = at(20, 20)
    by_minute, revenue = flash_sale_evening(now)
    pace = pace_at(SESSIONS, by_minute, revenue, BASE, STRETCH, now)
    assert (pace.rate_last_fen, pace.rate_before_fen, pace.rate_average_fen) == (40_000, 10_000, 25_000)
    # 10-minute runs (11 of them) sell ¥1,000 + ¥3,000 per flash-sale minute, 0 to 10: 20th percentile 2, 80th 8.
    assert (pace.projected_low_fen, pace.projected_fen, pace.projected_high_fen) == (revenue + 16_000 * 100, revenue + 25_000 * 100, revenue + 34_000 * 100)


def test_times_between_minutes_count_the_seconds_left():
    by_minute, revenue = flash_sale_evening(at(20, 30))
    pace = pace_at(SESSIONS, by_minute, revenue, BASE, STRETCH, at(20, 30, 30))
    # 89.5 live minutes left at the live average of ¥200.
    assert (pace.live_minutes_left, pace.projected_fen) == (90, 600_000 + 20_000 * 89 + 10_000)


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [([], "0.2", 0), ([7], "0.8", 7), ([1, 2, 3, 4, 5], "0.2", Decimal("1.8")), ([5, 1, 4, 2, 3], "0.8", Decimal("4.2")),
     ([0, 10], "0.5", 5), ([3, 3, 3], "0.2", 3)],
    ids=["empty", "one", "low", "high-unsorted", "middle", "all-equal"],
)
def test_quantile_interpolates_between_ranks(values, q, expected):
    assert quantile(values, Decimal(q)) == expected


@pytest.mark.parametrize(
    ("revenue", "stretch", "expected"),
    [
        ([], 10, (0, 0)),
        ([100, 100, 100], 2, (100, 100)),
        # runs of 2: sums 0, 0, 0, 10, 20, 20, 20 → 20th percentile 0, 80th 20 (a rate of 10 a minute)
        ([0, 0, 0, 0, 10, 10, 10, 10], 2, (0, 10)),
        # a stretch longer than the history is the whole history
        ([0, 30], 5, (15, 15)),
    ],
    ids=["no-history", "steady", "slow-then-fast", "stretch-longer-than-history"],
)
def test_band_rates_over_runs_of_live_minutes(revenue, stretch, expected):
    assert band_rates(revenue, stretch) == expected
