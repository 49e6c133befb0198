"""Campaign over campaign: two events' figures side by side, each read from its own store (SPEC §7 `compare`).

`campaign_figures(store, config, now)` reads one event through the same read model as every
screen (`warroom.figures` for the totals, `warroom.review` for the funnel and the flash sales), plus
the live room's entrants from the store. `compare(this, earlier)` lays two of them side by side:
the key figures with their change, the revenue curves on one axis of live minutes (the time
between sessions folded out, as the review's chart does: `warroom.review.live_x`), the funnel of
each, the staff in both events (matched by staff id) and each event's flash sales ranked by the
revenue of their window.

The earlier event comes from the event file's `[[history]]` (or the command line's `--with`):
`warroom.campaign_history` finds its file and opens its store.
`same_minute(config, now, earlier)` gives the big screen the earlier event's revenue at the same
minute into the live session, and its curve.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from warroom.clock import at_minute
from warroom.config import EventConfig
from warroom.figures import LiveFigures, Snapshot
from warroom.money import to_fen, to_yuan
from warroom.review import FlashSaleResult, FunnelStep, Review, build_review, live_x
from warroom.schedule import live_sessions
from warroom.store import Store
from warroom.timeline import LiveAxis

KEY_FIGURES = ("revenue", "orders", "paying_customers", "aov", "gpm", "conversion", "refunds", "roi")


@dataclass(frozen=True)
class StaffResult:
    """What one staff member sold in one event (credited revenue and paid orders)."""

    staff_id: str
    name: str
    role: str
    revenue_fen: int
    orders: int


@dataclass(frozen=True)
class CampaignFigures:
    """One event's figures for comparing and planning, read from its own store."""

    name: str
    label: str  # what the screens call it: the [[history]] label, else its name
    revenue_fen: int
    orders: int
    paying_customers: int
    refunded_orders: int
    refunded_fen: int
    budget_fen: int
    base_fen: int
    joined: int  # distinct customers who joined a group
    entries: int  # enter_live check-ins
    entrants: int  # distinct customers who entered the live room
    entrants_paying: int  # of them, those with a paid order
    live_minutes: float  # the length of the live sessions, gaps folded out
    curve: tuple[tuple[float, int], ...]  # (live minutes since the first session began, cumulative revenue in fen), ascending
    funnel: tuple[FunnelStep, ...]
    staff: dict[str, StaffResult]
    flash_sales: tuple[FlashSaleResult, ...]  # those begun by the snapshot's time, ranked by the revenue of their window, best first

    @property
    def aov_fen(self) -> Decimal | None:
        """Return revenue ÷ paid orders; None without orders."""
        return Decimal(self.revenue_fen) / self.orders if self.orders else None

    @property
    def gpm_fen(self) -> Decimal | None:
        """Return revenue per 1,000 live-room entries (SPEC §4.1); None without entries."""
        return Decimal(self.revenue_fen) * 1000 / self.entries if self.entries else None

    @property
    def conversion(self) -> Decimal | None:
        """Return the share of live-room entrants who paid (SPEC §4.1); None without entrants."""
        return Decimal(self.entrants_paying) / self.entrants if self.entrants else None

    @property
    def payer_rate(self) -> Decimal | None:
        """Return paying customers ÷ customers who joined a group (SPEC §7); None without joins."""
        return Decimal(self.paying_customers) / self.joined if self.joined else None

    @property
    def roi(self) -> Decimal | None:
        """Return revenue ÷ budget (投产比); None without a budget."""
        return Decimal(self.revenue_fen) / self.budget_fen if self.budget_fen else None

    def revenue_at(self, minutes: float) -> int:
        """Return the cumulative revenue in fen at `minutes` of live time (0 before the first sale)."""
        index = bisect_right([x for x, _ in self.curve], minutes)
        return self.curve[index - 1][1] if index else 0


def figure_value(figures: CampaignFigures, key: str) -> int | Decimal | None:
    """Return one key figure (KEY_FIGURES) of an event: money in fen, ratios as Decimals."""
    values = {
        "revenue": figures.revenue_fen, "orders": figures.orders, "paying_customers": figures.paying_customers, "aov": figures.aov_fen,
        "gpm": figures.gpm_fen, "conversion": figures.conversion, "refunds": figures.refunded_fen, "roi": figures.roi,
    }
    return values[key]


def revenue_curve(config: EventConfig, snapshot: Snapshot) -> tuple[tuple[float, int], ...]:
    """Return (live minutes, cumulative revenue in fen) at the end of each minute with sales; the gaps between sessions folded out."""
    running, totals = 0, []
    for _minute, revenue in snapshot.revenue_by_minute:
        running += revenue
        totals.append(running)
    positions = live_x(config, [at_minute(minute + 1) for minute, _ in snapshot.revenue_by_minute])
    return tuple(zip(positions, totals, strict=True))


def figures_of(config: EventConfig, snapshot: Snapshot, review: Review, live_entrants: tuple[int, int], label: str | None = None) -> CampaignFigures:
    """Return one event's figures from its snapshot, its review and its live entrants (`Store.live_entrants`): a screen passes its own."""
    entrants, entrants_paying = live_entrants
    staff = {
        staff_id: StaffResult(staff_id, member.name, member.role, sum(snapshot.staff_revenue_by_minute.get(staff_id, {}).values()),
                              snapshot.staff_paid_orders.get(staff_id, 0))
        for staff_id, member in config.staff_by_id().items()
    }
    return CampaignFigures(
        name=config.event.name, label=label or config.event.name,
        revenue_fen=snapshot.revenue_fen, orders=snapshot.paid_orders, paying_customers=snapshot.paying_customers,
        refunded_orders=snapshot.refunded_orders, refunded_fen=snapshot.refunded_fen,
        budget_fen=to_fen(config.event.budget), base_fen=snapshot.base_fen,
        joined=snapshot.funnel.get("joined", 0), entries=snapshot.checkins.get("enter_live", 0),
        entrants=entrants, entrants_paying=entrants_paying,
        live_minutes=sum((session.end - session.start).total_seconds() / 60 for session in live_sessions(config)),
        curve=revenue_curve(config, snapshot), funnel=tuple(review.funnel), staff=staff,
        # The sales held so far: one still to come has no revenue to rank yet.
        flash_sales=tuple(sorted((row for row in review.flash_sales if row.sale.at <= snapshot.as_of), key=lambda row: (-row.window_revenue_fen, row.sale.at))),
    )


def campaign_figures(store: Store, config: EventConfig, now: datetime, label: str | None = None) -> CampaignFigures:
    """Return one event's figures as of `now`, read from its store."""
    snapshot = LiveFigures(store, config).refresh(now)
    return figures_of(config, snapshot, build_review(store, config, snapshot), store.live_entrants(), label)


# -- two events side by side --------------------------------------------------------------------------


@dataclass(frozen=True)
class FigureChange:
    """One key figure of both events, and its change: this ÷ earlier − 1 (None when the earlier one is 0 or unknown)."""

    key: str
    this: int | Decimal | None
    earlier: int | Decimal | None

    @property
    def change(self) -> Decimal | None:
        """Return the relative change from the earlier event (0.25 = 25 % more)."""
        if self.this is None or not self.earlier:
            return None
        return Decimal(self.this) / Decimal(self.earlier) - 1


@dataclass(frozen=True)
class StaffChange:
    """A member of both events: what they sold in each, and whether they grew or fell."""

    staff_id: str
    name: str
    role: str
    this_fen: int
    earlier_fen: int
    this_orders: int
    earlier_orders: int

    @property
    def change_fen(self) -> int:
        """Return this event's revenue less the earlier one's."""
        return self.this_fen - self.earlier_fen

    @property
    def trend(self) -> str:
        """Return "grew", "fell" or "same", by credited revenue."""
        return "grew" if self.change_fen > 0 else "fell" if self.change_fen < 0 else "same"


@dataclass(frozen=True)
class Comparison:
    """Two events side by side: this one and the earlier one."""

    this: CampaignFigures
    earlier: CampaignFigures
    figures: tuple[FigureChange, ...]
    staff: tuple[StaffChange, ...]  # members of both who sold in either, by change, most grown first


def compare(this: CampaignFigures, earlier: CampaignFigures) -> Comparison:
    """Return the comparison of this event with an earlier one."""
    figures = tuple(FigureChange(key, figure_value(this, key), figure_value(earlier, key)) for key in KEY_FIGURES)
    staff = []
    for staff_id, now in this.staff.items():
        then = earlier.staff.get(staff_id)
        if then is None or not (now.revenue_fen or then.revenue_fen or now.orders or then.orders):
            continue
        staff.append(StaffChange(staff_id, now.name, now.role, now.revenue_fen, then.revenue_fen, now.orders, then.orders))
    staff.sort(key=lambda row: (-row.change_fen, row.staff_id))
    return Comparison(this=this, earlier=earlier, figures=figures, staff=tuple(staff))


def _rounded(value: Decimal | None, places: str) -> float | None:
    return None if value is None else float(value.quantize(Decimal(places), rounding=ROUND_HALF_UP))


def event_json(figures: CampaignFigures) -> dict:
    """Return one event of `compare --json` (SPEC §7): money in yuan and ratios to 2 decimals, null where undefined."""
    aov = figures.aov_fen
    return {
        "name": figures.name,
        "revenue": to_yuan(figures.revenue_fen),
        "orders": figures.orders,
        "paying_customers": figures.paying_customers,
        "aov": to_yuan(aov) if aov is not None else None,
        "gpm": to_yuan(figures.gpm_fen) if figures.gpm_fen is not None else None,
        "roi": _rounded(figures.roi, "0.01"),
    }


def compare_json(comparison: Comparison) -> dict:
    """Return `warroom compare --json` (SPEC §7): this event first."""
    return {"events": [event_json(comparison.this), event_json(comparison.earlier)]}


# -- the big screen: the earlier event at the same minute ---------------------------------------------


@dataclass(frozen=True)
class SameMinute:
    """The earlier event at the same minute into the live session as this one is now."""

    label: str
    minutes: float  # live minutes of this event at `now` (gaps between sessions folded out)
    revenue_fen: int  # the earlier event's cumulative revenue at that live minute
    curve: tuple[tuple[float, int], ...]  # the earlier event's whole curve: (live minutes, cumulative revenue in fen)

    def versus(self, revenue_fen: int) -> Decimal | None:
        """Return this event's revenue against the earlier one's at the same minute (0.12 = 12 % ahead); None when it had none yet."""
        return Decimal(revenue_fen) / self.revenue_fen - 1 if self.revenue_fen else None

    def on_this_clock(self, config: EventConfig) -> list[tuple[datetime, int]]:
        """Return the earlier curve laid on this event's sessions: (moment in this event, cumulative revenue in fen), for a time axis.

        A minute past the end of this event's live time has no moment here and is left out.
        """
        points = []
        for minutes, fen in self.curve:
            moment = moment_at_live_minute(config, minutes)
            if moment is not None:
                points.append((moment, fen))
        return points


def moment_at_live_minute(config: EventConfig, minutes: float) -> datetime | None:
    """Return the moment of this event that is `minutes` of live time into it (the inverse of review.live_x); None past its live time."""
    return LiveAxis.of(live_sessions(config), config.event.tz).moment_at(minutes)


def same_minute(config: EventConfig, now: datetime, earlier: CampaignFigures) -> SameMinute:
    """Return the earlier event's revenue at the same minute into the live session as `now` is in this event, and its curve."""
    minutes = live_x(config, [now])[0]
    return SameMinute(label=earlier.label, minutes=minutes, revenue_fen=earlier.revenue_at(minutes), curve=earlier.curve)
