"""The pace: how fast the event sells in live time, and where it is heading (a pure function of the sessions, the revenue and the time).

The figures (`warroom.figures`) fold the rollups into revenue per minute and call `pace_at`; the
prompts' behind-pace rule calls it on its own minute series.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from warroom.clock import minute_of
from warroom.config import LiveSession
from warroom.schedule import session_at

PACE_WINDOW = timedelta(minutes=10)
# The projection blends the plan with the live average, the plan weighing as much as this many live
# minutes: early on, a slow first hour or one flash sale does not swing the projected finish; by the
# end the plan has faded out. The plan is the middle of the base and the stretch goal (the base is the
# floor a team expects to pass, the stretch what it hopes for), spread evenly over the live time.
# bench/projection_error.py measures the choice on the 520 sample (README, Benchmarks).
PRIOR_MINUTES = 60
# Sales come in bursts about as long as a flash sale: the band takes the time left as runs of this
# many minutes whose rates spread as the runs so far did (see `pace_at`).
RUN_MINUTES = 10
# Before the live minutes say otherwise, a run's rate is taken to spread by as much as the plan's rate
# (on the 520 sample, the runs' standard deviation ends at 1.02 times their mean).
PRIOR_SPREAD = Decimal(1)
# The band holds the finish with about 80 % confidence: ±1.2816 standard deviations of a normal.
BAND_Z = Decimal("1.2816")


@dataclass(frozen=True)
class Pace:
    """How fast the event is selling and where it is heading."""

    rate_last_fen: Decimal  # per minute, over the last 10 minutes of live time
    rate_before_fen: Decimal  # per minute, over the 10 minutes of live time before that
    rate_average_fen: Decimal  # per minute, over all live time so far
    live_minutes_elapsed: int  # whole minutes of live time before now
    live_minutes_left: int  # minutes of live time from now on, across every session left, rounded up (for the run-rate needed)
    projected_fen: int  # revenue now + the projected rate over the live time left (never outside its band)
    projected_low_fen: int  # the band's low end (never below the revenue now)
    projected_high_fen: int  # the band's high end
    needed_base_fen: Decimal | None  # per minute of remaining live time; None when reached or no time left
    needed_stretch_fen: Decimal | None
    on_air: bool
    session: str | None  # the session on air now
    host_on_air: str | None = None  # the staff id of the host in the current slot
    next_session: str | None = None  # when off air: the next session still to come
    next_start: datetime | None = None
    # The projected rate per minute (the plan's and the live average, blended), and the band's
    # standard deviation of the finish, in fen. See `pace_at`.
    rate_projected_fen: Decimal = Decimal(0)
    spread_fen: Decimal = Decimal(0)
    # Where the plan says revenue should be now: each goal spread evenly over the live time (the TV's "where we should be" lines).
    planned_base_fen: int = 0
    planned_stretch_fen: int = 0
    finished: bool = False  # the last session has ended: no pace, no band, the show's summary instead
    session_minutes_left: int = 0  # of the session on air alone, rounded up (the TV's "剩余直播 … 分钟"); 0 off air

    def projected_within(self, minutes: Decimal, revenue_fen: int) -> tuple[int, int, int]:
        """Return (low, point, high) of the revenue `minutes` of live time from now: the projection and its band cut short.

        The same model as the finish (see `pace_at`): the projected rate over `minutes`, and a band whose
        variance grows as m + m²/(n + PRIOR_MINUTES), scaled from the finish's over the live time left.
        The TV's chart draws it to the end of the session on air.
        """
        if self.finished or minutes <= 0:
            return revenue_fen, revenue_fen, revenue_fen
        left = Decimal(self.live_minutes_left)
        known = Decimal(self.live_minutes_elapsed + PRIOR_MINUTES)
        minutes = min(minutes, left) if left else Decimal(0)
        share = ((minutes + minutes ** 2 / known) / (left + left ** 2 / known)).sqrt() if left else Decimal(0)
        spread = self.spread_fen * share
        centre = revenue_fen + self.rate_projected_fen * minutes
        low = max(revenue_fen, int((centre - BAND_Z * spread).to_integral_value(ROUND_HALF_UP)))
        high = max(low, int((centre + BAND_Z * spread).to_integral_value(ROUND_HALF_UP)))
        return low, min(max(int(centre.to_integral_value(ROUND_HALF_UP)), low), high), high

    @property
    def trend(self) -> Decimal | None:
        """Return the last 10 minutes' rate relative to the 10 before (0.2 = 20 % faster); None without a before or once the show is over."""
        return self.rate_last_fen / self.rate_before_fen - 1 if self.rate_before_fen and not self.finished else None

    @property
    def band(self) -> tuple[int, int] | None:
        """Return the projected finish's band (low, high) in fen; None once the show is over."""
        return None if self.finished else (self.projected_low_fen, self.projected_high_fen)


def _merged(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Return half-open spans merged where they overlap, ascending."""
    merged: list[tuple[int, int]] = []
    for low, high in sorted(spans):
        if merged and low <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


def planned_fen(sessions: Sequence[LiveSession], goal_fen: int, moment: datetime) -> int:
    """Return where the plan says revenue should be at `moment`: the goal spread evenly over the live time (the TV chart's "where we should be" line).

    It climbs through each session and holds between them; before the first it is 0, after the last the goal.
    """
    spans = _merged((int(s.start.timestamp()), int(s.end.timestamp())) for s in sessions)
    total = sum(high - low for low, high in spans)
    if not total:
        return goal_fen
    now = int(moment.timestamp())
    done = sum(max(0, min(high, now) - low) for low, high in spans)
    return int((Decimal(goal_fen) * done / total).to_integral_value(ROUND_HALF_UP))


def run_spread(live_revenue: Sequence[int], run: int = RUN_MINUTES) -> Decimal:
    """Return the standard deviation of the per-minute rate over every run of `run` consecutive live minutes (fewer when there are fewer); 0 for under two runs.

    `live_revenue` is the revenue of each live minute so far, oldest first (the breaks between sessions left out).
    """
    run = max(1, min(run, len(live_revenue) // 2))
    if len(live_revenue) < 2:
        return Decimal(0)
    running = sum(live_revenue[:run])
    sums = [running]
    for index in range(run, len(live_revenue)):
        running += live_revenue[index] - live_revenue[index - run]
        sums.append(running)
    mean = Decimal(sum(sums)) / len(sums)
    variance = sum((Decimal(value) - mean) ** 2 for value in sums) / len(sums)
    return variance.sqrt() / run


def pace_at(sessions: Sequence[LiveSession | tuple[datetime, datetime]], revenue_by_minute: Mapping[int, int], revenue_fen: int,
            base_fen: int, stretch_fen: int, now: datetime) -> Pace:
    """Return the pace at `now`: a pure function of the sessions, the revenue so far, the goals and the time.

    `sessions` are the live sessions (`live_sessions(config)`, or bare (start, end) pairs),
    `revenue_by_minute` the revenue sold in each epoch minute (read with `.get(minute, 0)`), and
    `revenue_fen` the revenue now.

    Rates count whole live minutes before now, across the breaks between sessions; the time left
    is counted to the second, over every session still to come. The projected finish adds, over the
    live time left, a rate that blends the plan's (the middle of the base and the stretch goal over
    the whole live time) with the live average, weighted n / (n + PRIOR_MINUTES) for the average
    after n live minutes. Its band is ±BAND_Z standard deviations of the finish: the time left is
    taken as runs of RUN_MINUTES whose rates spread as the runs so far did (the plan's spread, its
    rate times PRIOR_SPREAD, blended in as above), so the band shrinks with the square root of the
    time left, and is wider while the rate itself is known from few live minutes:
    Var = σ² · RUN_MINUTES · (L + L² / (n + PRIOR_MINUTES)) over L minutes left. The band never
    starts below the revenue now and always holds the projection; with no live time left both are
    the revenue now, and once the last session has ended the pace is `finished`.
    """
    sessions = sorted((s if isinstance(s, LiveSession) else LiveSession(start=s[0], end=s[1]) for s in sessions), key=lambda s: s.start)
    now_minute, now_ts = minute_of(now), int(now.timestamp())
    elapsed = [(low, min(high, now_minute)) for low, high in _merged((minute_of(s.start), minute_of(s.end)) for s in sessions) if low < min(high, now_minute)]
    live_revenue = [revenue_by_minute.get(minute, 0) for low, high in elapsed for minute in range(low, high)]
    live_spans = _merged((int(s.start.timestamp()), int(s.end.timestamp())) for s in sessions)
    left_seconds = sum(max(0, high - max(low, now_ts)) for low, high in live_spans)
    total_seconds = sum(high - low for low, high in live_spans)
    left_minutes = Decimal(left_seconds) / 60
    window = int(PACE_WINDOW.total_seconds() // 60)

    def rate(revenues: Sequence[int]) -> Decimal:
        return Decimal(sum(revenues)) / len(revenues) if revenues else Decimal(0)

    rate_average = rate(live_revenue)
    plan_rate = Decimal(base_fen + stretch_fen) / 2 * 60 / total_seconds if total_seconds else Decimal(0)
    observed = Decimal(len(live_revenue)) / (len(live_revenue) + PRIOR_MINUTES)
    rate_projected = max(Decimal(0), observed * rate_average + (1 - observed) * plan_rate)
    run_variance = observed * run_spread(live_revenue) ** 2 + (1 - observed) * (PRIOR_SPREAD * plan_rate) ** 2
    # Var(finish) = σ²·RUN·(L + L²/(n + PRIOR)): L/RUN runs still to sell, and the rate itself known from n + PRIOR minutes.
    spread = (run_variance * RUN_MINUTES * (left_minutes + left_minutes ** 2 / (len(live_revenue) + PRIOR_MINUTES))).sqrt()

    def fen(amount: Decimal) -> int:
        return int(amount.to_integral_value(ROUND_HALF_UP))

    low = max(revenue_fen, fen(revenue_fen + rate_projected * left_minutes - BAND_Z * spread))
    high = max(low, fen(revenue_fen + rate_projected * left_minutes + BAND_Z * spread))
    projected = min(max(fen(revenue_fen + rate_projected * left_minutes), low), high)

    def needed(goal: int) -> Decimal | None:
        return Decimal(goal - revenue_fen) / left_minutes if goal > revenue_fen and left_seconds else None

    on_air = session_at(sessions, now)
    current, upcoming = on_air.session, on_air.next_session
    slot = next((slot for slot in current.slots if slot.start <= now < slot.end), None) if current else None
    return Pace(
        rate_last_fen=rate(live_revenue[-window:]), rate_before_fen=rate(live_revenue[-2 * window:-window]), rate_average_fen=rate_average,
        live_minutes_elapsed=len(live_revenue), live_minutes_left=math.ceil(left_seconds / 60),
        projected_fen=projected, projected_low_fen=low, projected_high_fen=high,
        needed_base_fen=needed(base_fen), needed_stretch_fen=needed(stretch_fen),
        on_air=current is not None, session=current.name if current else None,
        host_on_air=slot.host if slot else None,
        next_session=upcoming.name if upcoming else None, next_start=upcoming.start if upcoming else None,
        rate_projected_fen=rate_projected, spread_fen=spread,
        planned_base_fen=planned_fen(sessions, base_fen, now), planned_stretch_fen=planned_fen(sessions, stretch_fen, now),
        finished=bool(sessions) and left_seconds == 0 and now >= sessions[-1].end, session_minutes_left=on_air.minutes_left,
    )
