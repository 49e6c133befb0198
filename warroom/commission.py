"""Commission (SPEC §2, §4): price bands, the team pool, and when commission is final (each member's account and the payout sheet are `warroom.payouts`).

An order earns `(amount − refund_amount) × rate`, where the rate is the band that its unit price
(`amount / qty`, before any refund) falls in. The band is derived at ingest (`rules.LedgerRules`),
so the figures keep revenue per staff member and band, and commission is a sum over a handful
of bands, never over orders. A full refund or a cancellation earns nothing.

The team pool is `team_pool_rate × revenue` once revenue reaches its goal (base or stretch), and
nothing before. It locks again when refunds take revenue back under the goal: the store keeps the
highest revenue seen at any commit, so the pool can say "locked again" rather than just "locked".

Payouts are recorded in the store and never edited. A member's balance is what they earned
(commission plus pool share) minus what they were paid: a refund after a payout makes it
negative, which is a clawback. Everything stays pending until the event's refund window has
passed (`event.end + event.refund_window_days`), and is final after.

Money is fen: integer fen for revenue and payouts, `Decimal` fen for commission (a rate times a
fen amount can leave fractions of a fen). Rounding to yuan happens once, at display.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from warroom.config import EventConfig
from warroom.money import to_fen, yuan_text
from warroom.rules import LedgerRules

PENDING = "pending"
FINAL = "final"
CommissionStatus = Literal["pending", "final"]
PoolState = Literal["locked", "unlocked", "locked_again"]


def band_rates(config: EventConfig) -> tuple[Decimal, ...]:
    """Return each band's commission rate, in band order."""
    return tuple(band.rate for band in config.commission.bands)


def band_floors_fen(config: EventConfig) -> tuple[int, ...]:
    """Return each band's lowest unit price, in fen."""
    return tuple(to_fen(band.from_) for band in config.commission.bands)


def band_of(config: EventConfig, amount_fen: int, qty: int = 1) -> int:
    """Return the index of the band that an order's unit price (amount / qty) falls in."""
    return LedgerRules(band_floors_fen=band_floors_fen(config), group_owner={}).band(amount_fen, qty)


def order_commission_fen(config: EventConfig, amount_fen: int, qty: int = 1, refund_fen: int = 0) -> Decimal:
    """Return what one paid order earns: (amount − refund) × the rate of its unit price's band."""
    return (amount_fen - min(refund_fen, amount_fen)) * band_rates(config)[band_of(config, amount_fen, qty)]


def band_commission_fen(config: EventConfig, band_revenue_fen: Sequence[int]) -> tuple[Decimal, ...]:
    """Return the commission on each band's revenue."""
    return tuple(revenue * rate for revenue, rate in zip(band_revenue_fen, band_rates(config), strict=False))


def commission_by_staff(config: EventConfig, band_revenue_fen: Mapping[str, Sequence[int]]) -> dict[str, Decimal]:
    """Return each staff member's commission from their credited revenue per band (every member, 0 when none)."""
    return {member.id: sum(band_commission_fen(config, band_revenue_fen.get(member.id, ())), Decimal(0)) for member in config.staff}


def commission_status(config: EventConfig, now: datetime) -> CommissionStatus:
    """Return `final` once the refund window after the event has passed, else `pending`."""
    return FINAL if now >= config.event.refund_deadline else PENDING


@dataclass(frozen=True)
class TeamPool:
    """The team fund: locked until revenue reaches its goal, locked again if refunds take it back under."""

    rate: Decimal
    goal: str  # base or stretch
    goal_fen: int
    unlocked: bool
    amount_fen: Decimal
    shares_fen: dict[str, Decimal]  # staff id → share; empty while locked or when the split is `none`
    split: str = "equal"
    state: PoolState = "locked"
    short_fen: int = 0  # revenue still needed to (re)unlock it
    peak_fen: int = 0  # the highest revenue seen at any commit

    @property
    def locked_again(self) -> bool:
        """Return whether revenue reached the goal once and refunds took it back under."""
        return self.state == "locked_again"

    @property
    def reason(self) -> str:
        """Return one line that says why the pool is open or shut."""
        short = yuan_text(self.short_fen)
        if self.state == "unlocked":
            return f"unlocked: revenue reached the {self.goal} goal"
        if self.state == "locked_again":
            return f"locked again: refunds took revenue back under the {self.goal} goal ({short} short)"
        return f"locked until revenue reaches the {self.goal} goal ({short} to go)"


def team_pool(config: EventConfig, revenue_fen: int, staff_revenue_fen: Mapping[str, int], peak_fen: int = 0) -> TeamPool:
    """Return the team pool at this revenue: its state, amount and each member's share."""
    settings = config.commission
    goal_fen = to_fen(config.goals.base if settings.team_pool_goal == "base" else config.goals.stretch)
    unlocked = revenue_fen >= goal_fen and revenue_fen > 0
    peak_fen = max(peak_fen, revenue_fen)
    state: PoolState = "unlocked" if unlocked else ("locked_again" if peak_fen >= goal_fen and peak_fen > 0 else "locked")
    amount = settings.team_pool_rate * revenue_fen if unlocked else Decimal(0)
    shares: dict[str, Decimal] = {}
    if unlocked and config.staff and settings.team_pool_split == "equal":
        shares = {member.id: amount / len(config.staff) for member in config.staff}
    elif unlocked and settings.team_pool_split == "by_revenue":
        members = {member.id for member in config.staff}
        credited = {sid: value for sid, value in staff_revenue_fen.items() if sid in members and value > 0}
        total = sum(credited.values())
        shares = {sid: amount * value / total for sid, value in credited.items()} if total else {}
    return TeamPool(
        rate=settings.team_pool_rate, goal=settings.team_pool_goal, goal_fen=goal_fen, unlocked=unlocked, amount_fen=amount,
        shares_fen=shares, split=settings.team_pool_split, state=state, short_fen=max(goal_fen - revenue_fen, 0), peak_fen=peak_fen,
    )


def band_labels(config: EventConfig) -> list[str]:
    """Return a label per band, e.g. `¥500–999.99 @12%`."""
    floors = band_floors_fen(config)
    labels = []
    for index, (floor, rate) in enumerate(zip(floors, band_rates(config), strict=True)):
        upper = f"–{yuan_text(floors[index + 1] - 1, sign=False)}" if index + 1 < len(floors) else "+"
        percent = (rate * 100).normalize()
        labels.append(f"¥{yuan_text(floor, sign=False)}{upper} @{percent:f}%")
    return labels
