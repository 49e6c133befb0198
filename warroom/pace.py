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

PACE_WINDOW = timedelta(minutes=10)
# The projected finish's band: these percentiles of the rate over past runs of live time as long as
# the time left (see `pace_at`).
BAND_QUANTILES = (Decimal("0.2"), Decimal("0.8"))


@dataclass(frozen=True)
class Pace:
    """How fast the event is selling and where it is heading."""

    rate_last_fen: Decimal  # per minute, over the last 10 minutes of live time
    rate_before_fen: Decimal  # per minute, over the 10 minutes of live time before that
    rate_average_fen: Decimal  # per minute, over all live time so far
    live_minutes_elapsed: int  # whole minutes of live time before now
    live_minutes_left: int  # minutes of live time from now on, rounded up
    projected_fen: int  # revenue now + the live average over the live time left
    projected_low_fen: int  # … at `rate_low_fen` (never below the revenue now)
    projected_high_fen: int  # … at `rate_high_fen`
    needed_base_fen: Decimal | None  # per minute of remaining live time; None when reached or no time left
    needed_stretch_fen: Decimal | None
    on_air: bool
    session: str | None  # the session on air now
    host_on_air: str | None = None  # the staff id of the host in the current slot
    next_session: str | None = None  # when off air: the next session still to come
    next_start: datetime | None = None
    # The band's rates, per minute: the 20th and 80th percentiles of the rate over every past run
    # of `band_minutes` live minutes (the time left, at most half the live time so far), widened
    # to hold the live average. See `pace_at`.
    rate_low_fen: Decimal = Decimal(0)
    rate_high_fen: Decimal = Decimal(0)
    band_minutes: int = 0

    @property
    def trend(self) -> Decimal | None:
        """Return the last 10 minutes' rate relative to the 10 before (0.2 = 20 % faster); None without a before."""
        return self.rate_last_fen / self.rate_before_fen - 1 if self.rate_before_fen else None



def _merged(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Return half-open spans merged where they overlap, ascending."""
    merged: list[tuple[int, int]] = []
    for low, high in sorted(spans):
        if merged and low <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


def quantile(values: Sequence[int | Decimal], q: Decimal) -> Decimal:
    """Return the q-quantile of values, interpolating linearly between the closest ranks (numpy's default); 0 for none."""
    if not values:
        return Decimal(0)
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    index = int(position)
    if index + 1 >= len(ordered):
        return Decimal(ordered[-1])
    return ordered[index] + (ordered[index + 1] - ordered[index]) * (position - index)


def band_rates(live_revenue: Sequence[int], stretch: int, quantiles: tuple[Decimal, Decimal] = BAND_QUANTILES) -> tuple[Decimal, Decimal]:
    """Return the low and high quantiles of the per-minute rate over every run of `stretch` consecutive live minutes.

    `live_revenue` is the revenue of each live minute so far, oldest first (the breaks between
    sessions left out). Empty history gives (0, 0).
    """
    stretch = max(1, min(stretch, len(live_revenue)))
    if not live_revenue:
        return Decimal(0), Decimal(0)
    running = sum(live_revenue[:stretch])
    sums = [running]
    for index in range(stretch, len(live_revenue)):
        running += live_revenue[index] - live_revenue[index - stretch]
        sums.append(running)
    low, high = (quantile(sums, q) for q in quantiles)
    return low / stretch, high / stretch


def pace_at(sessions: Sequence[LiveSession | tuple[datetime, datetime]], revenue_by_minute: Mapping[int, int], revenue_fen: int,
            base_fen: int, stretch_fen: int, now: datetime) -> Pace:
    """Return the pace at `now`: a pure function of the sessions, the revenue so far and the time.

    `sessions` are the live sessions (`live_sessions(config)`, or bare (start, end) pairs),
    `revenue_by_minute` the revenue sold in each epoch minute (read with `.get(minute, 0)`), and
    `revenue_fen` the revenue now.

    Rates count whole live minutes before now, across the breaks between sessions; the time left
    is counted to the second. The projected finish adds the live average over the live time left
    (a flash-sale burst would swing a 10-minute rate wildly). Its band adds, over the same time,
    the 20th and 80th percentiles of the rate over every past run of live minutes as long as the
    time left (at most half the live time so far, so there are always several runs to compare):
    what a slow and a good stretch of that length so far would add. The band always holds the
    projection and never starts below the revenue now; before any live minute, or with no live
    time left, it is the projection itself (`band_minutes` 0).
    """
    sessions = sorted((s if isinstance(s, LiveSession) else LiveSession(start=s[0], end=s[1]) for s in sessions), key=lambda s: s.start)
    now_minute, now_ts = minute_of(now), int(now.timestamp())
    elapsed = [(low, min(high, now_minute)) for low, high in _merged((minute_of(s.start), minute_of(s.end)) for s in sessions) if low < min(high, now_minute)]
    live_revenue = [revenue_by_minute.get(minute, 0) for low, high in elapsed for minute in range(low, high)]
    left_seconds = sum(max(0, high - max(low, now_ts)) for low, high in _merged((int(s.start.timestamp()), int(s.end.timestamp())) for s in sessions))
    left_minutes = Decimal(left_seconds) / 60
    window = int(PACE_WINDOW.total_seconds() // 60)

    def rate(revenues: Sequence[int]) -> Decimal:
        return Decimal(sum(revenues)) / len(revenues) if revenues else Decimal(0)

    rate_average = rate(live_revenue)
    stretch = max(1, min(math.ceil(left_seconds / 60), len(live_revenue) // 2)) if left_seconds and live_revenue else 0
    low, high = band_rates(live_revenue, stretch) if stretch else (rate_average, rate_average)
    rate_low, rate_high = min(low, rate_average), max(high, rate_average)

    def projected(at_rate: Decimal) -> int:
        return max(revenue_fen, revenue_fen + int((at_rate * left_minutes).to_integral_value(ROUND_HALF_UP)))

    def needed(goal: int) -> Decimal | None:
        return Decimal(goal - revenue_fen) / left_minutes if goal > revenue_fen and left_seconds else None

    current = next((s for s in sessions if s.start <= now < s.end), None)
    slot = next((slot for slot in current.slots if slot.start <= now < slot.end), None) if current else None
    upcoming = next((s for s in sessions if s.start > now), None) if current is None else None
    return Pace(
        rate_last_fen=rate(live_revenue[-window:]), rate_before_fen=rate(live_revenue[-2 * window:-window]), rate_average_fen=rate_average,
        live_minutes_elapsed=len(live_revenue), live_minutes_left=math.ceil(left_seconds / 60),
        projected_fen=projected(rate_average), projected_low_fen=projected(rate_low), projected_high_fen=projected(rate_high),
        needed_base_fen=needed(base_fen), needed_stretch_fen=needed(stretch_fen),
        on_air=current is not None, session=current.name if current else None,
        host_on_air=slot.host if slot else None,
        next_session=upcoming.name if upcoming else None, next_start=upcoming.start if upcoming else None,
        rate_low_fen=rate_low, rate_high_fen=rate_high, band_minutes=stretch,
    )
