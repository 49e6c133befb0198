"""Commission (SPEC §2, §4): price bands, the team pool, balances against payouts, the payout sheet.

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
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Literal

from warroom.config import EventConfig
from warroom.rules import LedgerRules, to_fen

if TYPE_CHECKING:
    from warroom.figures import Snapshot

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


@dataclass(frozen=True)
class Account:
    """What one staff member has earned, been paid, and is owed (negative: a clawback)."""

    staff_id: str
    commission_fen: Decimal
    pool_share_fen: Decimal
    paid_fen: int
    status: CommissionStatus

    @property
    def earned_fen(self) -> Decimal:
        """Return commission plus pool share."""
        return self.commission_fen + self.pool_share_fen

    @property
    def balance_fen(self) -> Decimal:
        """Return earned minus paid: still owed when positive, a clawback when negative."""
        return self.earned_fen - self.paid_fen

    @property
    def clawback_fen(self) -> Decimal:
        """Return how much was paid beyond what is now earned (0 when nothing is owed back)."""
        return max(-self.balance_fen, Decimal(0))


def account(snapshot: Snapshot, staff_id: str) -> Account:
    """Return one member's account at a snapshot."""
    return Account(
        staff_id=staff_id,
        commission_fen=snapshot.commission_fen.get(staff_id, Decimal(0)),
        pool_share_fen=snapshot.team_pool.shares_fen.get(staff_id, Decimal(0)),
        paid_fen=snapshot.paid_out_fen.get(staff_id, 0),
        status=snapshot.commission_status,
    )


def accounts(snapshot: Snapshot) -> dict[str, Account]:
    """Return every staff member's account (and anyone paid who is no longer in the event file)."""
    ids = list(snapshot.commission_fen) + [sid for sid in snapshot.paid_out_fen if sid not in snapshot.commission_fen]
    return {sid: account(snapshot, sid) for sid in ids}


@dataclass(frozen=True)
class PayoutRow:
    """One line of the payout sheet: a member's revenue and commission by band, pool share, payouts and balance."""

    staff_id: str
    name: str
    role: str
    team: str | None
    band_revenue_fen: tuple[int, ...]
    band_commission_fen: tuple[Decimal, ...]
    commission_fen: Decimal
    pool_share_fen: Decimal
    paid_fen: int
    status: CommissionStatus
    revenue_fen: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "revenue_fen", sum(self.band_revenue_fen))

    @property
    def total_fen(self) -> Decimal:
        """Return commission plus pool share."""
        return self.commission_fen + self.pool_share_fen

    @property
    def balance_fen(self) -> Decimal:
        """Return total minus paid: negative is a clawback."""
        return self.total_fen - self.paid_fen


def band_labels(config: EventConfig) -> list[str]:
    """Return a label per band, e.g. `¥500–999.99 @12%`."""
    floors = band_floors_fen(config)
    labels = []
    for index, (floor, rate) in enumerate(zip(floors, band_rates(config), strict=True)):
        upper = f"–{yuan_text(floors[index + 1] - 1, sign=False)}" if index + 1 < len(floors) else "+"
        percent = (rate * 100).normalize()
        labels.append(f"¥{yuan_text(floor, sign=False)}{upper} @{percent:f}%")
    return labels


def payout_sheet(snapshot: Snapshot, config: EventConfig) -> list[PayoutRow]:
    """Return the payout sheet: one row per staff member, in event-file order."""
    bands = len(config.commission.bands)
    rows = []
    for member in config.staff:
        revenue = tuple(snapshot.staff_band_revenue_fen.get(member.id, (0,) * bands))
        member_account = account(snapshot, member.id)
        rows.append(PayoutRow(
            staff_id=member.id, name=member.name, role=member.role, team=member.team,
            band_revenue_fen=revenue, band_commission_fen=band_commission_fen(config, revenue),
            commission_fen=member_account.commission_fen, pool_share_fen=member_account.pool_share_fen,
            paid_fen=member_account.paid_fen, status=member_account.status,
        ))
    return rows


def payout_records(snapshot: Snapshot, config: EventConfig) -> list[dict]:
    """Return the payout sheet as flat records in yuan (2 decimals), ready for a table or a CSV."""
    labels = band_labels(config)
    records = []
    for row in payout_sheet(snapshot, config):
        record: dict = {"staff_id": row.staff_id, "name": row.name, "role": row.role, "team": row.team or ""}
        for label, revenue, earned in zip(labels, row.band_revenue_fen, row.band_commission_fen, strict=True):
            record[f"revenue {label}"] = to_yuan(revenue)
            record[f"commission {label}"] = to_yuan(earned)
        record |= {
            "revenue": to_yuan(row.revenue_fen), "commission": to_yuan(row.commission_fen), "pool_share": to_yuan(row.pool_share_fen),
            "total": to_yuan(row.total_fen), "paid": to_yuan(row.paid_fen), "balance": to_yuan(row.balance_fen), "status": row.status,
        }
        records.append(record)
    return records


def to_yuan(fen: int | Decimal) -> float:
    """Return fen as yuan, rounded half-up to 2 decimals once (SPEC §4)."""
    return float((Decimal(fen) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def yuan_text(fen: int | Decimal, *, sign: bool = True) -> str:
    """Return fen as short yuan text: `¥1,299`, `¥194.85` (rounded half-up)."""
    amount = (Decimal(fen) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    text = f"{amount:,.2f}".removesuffix(".00")
    return f"¥{text}" if sign else text
