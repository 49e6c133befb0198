"""The show's summary: what the TV shows in place of the pace once the last live session has ended.

`show_summary(snapshot, config)` reads only the snapshot and the event's schedule: the final
revenue, the goals reached, the top of each leaderboard and the flash sale that sold the most in
its window. The TV switches to it when `snapshot.pace.finished`.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from datetime import datetime

from warroom.clock import minute_of
from warroom.config import EventConfig
from warroom.figures import Snapshot
from warroom.leaderboards import Standing
from warroom.schedule import FlashSale, flash_sales


@dataclass(frozen=True)
class BestFlashSale:
    """The flash sale whose window sold the most."""

    sale: FlashSale
    revenue_fen: int  # everything sold in the minutes of its window (net of refunds), not only its product


@dataclass(frozen=True)
class ShowSummary:
    """The show's result at its end."""

    revenue_fen: int
    paid_orders: int
    paying_customers: int
    base_fen: int
    stretch_fen: int
    goals_reached: tuple[str, ...]  # "base", then "stretch", those revenue reached
    leaders: dict[str, list[Standing]]  # per role, the members ranked first (ties share it), when their value is above 0
    best_flash_sale: BestFlashSale | None  # None without a flash sale that sold anything
    peak_viewers: int | None
    data_as_of: datetime


def window_revenue_fen(revenue_by_minute: list[tuple[int, int]], sale: FlashSale) -> int:
    """Return the revenue sold in the minutes of a flash sale's window, from (epoch minute, revenue) pairs in ascending order."""
    first, end = minute_of(sale.at), minute_of(sale.end)
    start = bisect_left(revenue_by_minute, (first,))
    stop = bisect_left(revenue_by_minute, (end,))
    return sum(revenue for _minute, revenue in revenue_by_minute[start:stop])


def show_summary(snapshot: Snapshot, config: EventConfig) -> ShowSummary:
    """Return the show's summary from a snapshot: final revenue, goals reached, each board's top and the best flash sale."""
    reached = tuple(goal for goal, goal_fen in (("base", snapshot.base_fen), ("stretch", snapshot.stretch_fen)) if goal_fen > 0 and snapshot.revenue_fen >= goal_fen)
    leaders = {role: [row for row in board if row.rank == 1 and row.value > 0] for role, board in snapshot.leaderboards.items()}
    # In time order: max keeps the first of equals, so the earlier sale wins a tie.
    sold = [(window_revenue_fen(snapshot.revenue_by_minute, sale), sale) for sale in flash_sales(config)]
    best = max(sold, default=None, key=lambda item: item[0])
    return ShowSummary(
        revenue_fen=snapshot.revenue_fen,
        paid_orders=snapshot.paid_orders,
        paying_customers=snapshot.paying_customers,
        base_fen=snapshot.base_fen,
        stretch_fen=snapshot.stretch_fen,
        goals_reached=reached,
        leaders={role: rows for role, rows in leaders.items() if rows},
        best_flash_sale=BestFlashSale(best[1], best[0]) if best and best[0] > 0 else None,
        peak_viewers=snapshot.live.peak_viewers,
        data_as_of=snapshot.data_as_of,
    )
