"""The personal view's data: where one staff member stands, who is close, and what one more order would do.

Everything here is a pure function of a `Snapshot` and the event file, so a personal page costs
nothing beyond the big screen's refresh. Values are in the leaderboard's own unit: fen for
money metrics, a count or a ratio otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from warroom.commission import band_of, band_rates, order_commission_fen, team_pool
from warroom.config import EventConfig
from warroom.figures import Snapshot
from warroom.leaderboards import Standing
from warroom.money import yuan_text
from warroom.payouts import Account, account

# The metrics that one more credited order moves, and by how much (given the order's amount).
_ORDER_EFFECT = {"revenue": lambda amount_fen: amount_fen, "orders": lambda _amount_fen: 1}


@dataclass(frozen=True)
class PersonalView:
    """One member's place on their role's leaderboard, their neighbours, and their money."""

    staff_id: str
    name: str
    role: str
    team: str | None
    metric: str | None  # None when the member's role has no leaderboard
    standing: Standing | None  # my row: rank, value, movement
    board_size: int
    place_above: Standing | None  # the nearest row with a better rank; None at the top
    gap_to_above: int | Decimal | None  # how much more of the metric it takes to draw level with the place above
    above: list[Standing]  # up to two rows just above me, nearest last
    below: list[Standing]  # up to two rows just below me, nearest first
    rival: Standing | None  # the neighbour closest to me in value (the one above on a draw)
    rival_gap: int | Decimal | None  # the rival's value minus mine: positive when they are ahead
    account: Account  # commission so far, pool share, paid out, balance

    @property
    def rank(self) -> int | None:
        """Return my rank, or None without a leaderboard."""
        return self.standing.rank if self.standing else None


def personal_view(snapshot: Snapshot, config: EventConfig, staff_id: str) -> PersonalView:
    """Return one member's personal view; raise KeyError for an unknown staff id."""
    member = config.staff_by_id()[staff_id]
    board = snapshot.leaderboards.get(member.role, [])
    position = next((index for index, row in enumerate(board) if row.staff_id == staff_id), None)
    mine = board[position] if position is not None else None
    place_above = rival = None
    gap = rival_gap = None
    above: list[Standing] = []
    below: list[Standing] = []
    if mine is not None and position is not None:
        above, below = board[max(0, position - 2):position], board[position + 1:position + 3]
        place_above = next((row for row in reversed(board[:position]) if row.rank < mine.rank), None)
        gap = place_above.value - mine.value if place_above else None
        neighbours = [row for row in (board[position - 1] if position else None, board[position + 1] if position + 1 < len(board) else None) if row]
        if neighbours:
            # min() keeps the first of equals, and the row above comes first.
            rival = min(neighbours, key=lambda row: abs(row.value - mine.value))
            rival_gap = rival.value - mine.value
    return PersonalView(
        staff_id=staff_id, name=member.name, role=member.role, team=member.team,
        metric=mine.metric if mine else None, standing=mine, board_size=len(board),
        place_above=place_above, gap_to_above=gap, above=above, below=below, rival=rival, rival_gap=rival_gap,
        account=account(snapshot, staff_id),
    )


@dataclass(frozen=True)
class WhatIf:
    """What one more credited order would change for one member."""

    staff_id: str
    unit_price_fen: int
    qty: int
    band: int
    rate: Decimal
    commission_fen: Decimal  # what the order itself would earn
    pool_share_delta_fen: Decimal  # how my team-pool share would change (the order may unlock the pool)
    pool_unlocks: bool
    metric: str | None
    value_before: int | Decimal | None
    value_after: int | Decimal | None
    rank_before: int | None
    rank_after: int | None

    @property
    def amount_fen(self) -> int:
        """Return the order's amount."""
        return self.unit_price_fen * self.qty

    @property
    def earned_fen(self) -> Decimal:
        """Return the commission plus the change in pool share."""
        return self.commission_fen + self.pool_share_delta_fen

    @property
    def places_up(self) -> int:
        """Return how many places the order would climb."""
        return (self.rank_before - self.rank_after) if self.rank_before and self.rank_after else 0

    def describe(self) -> str:
        """Return one line such as "one more ¥1,299 order: +¥194.85, up to rank 3" (the commission; a pool change is added after)."""
        price = yuan_text(self.unit_price_fen)
        order = f"one more {price} order" if self.qty == 1 else f"one more order of {self.qty} × {price}"
        text = f"{order}: +{yuan_text(self.commission_fen)}"
        if self.places_up:
            text += f", up to rank {self.rank_after}"
        elif self.rank_after:
            text += f", still rank {self.rank_after}"
        if self.pool_unlocks:
            text += f", unlocks the team pool (+{yuan_text(self.pool_share_delta_fen)} share)"
        elif self.pool_share_delta_fen:
            text += f", pool share +{yuan_text(self.pool_share_delta_fen)}"
        return text


def what_if(snapshot: Snapshot, config: EventConfig, staff_id: str, unit_price_fen: int, qty: int = 1) -> WhatIf:
    """Return what one more order of `qty` × `unit_price_fen`, credited to this member, would earn and where it would rank them.

    The order moves a `revenue` board by its amount (a host's only while they are on air) and an
    `orders` board by one; other metrics (invites, joins, activity, conversion, GPM) stay put.
    """
    if unit_price_fen < 0 or qty < 1:
        raise ValueError("a unit price of at least 0 and a quantity of at least 1")
    member = config.staff_by_id()[staff_id]
    amount = unit_price_fen * qty
    band = band_of(config, amount, qty)
    board = snapshot.leaderboards.get(member.role, [])
    mine = next((row for row in board if row.staff_id == staff_id), None)
    metric = mine.metric if mine else None
    value_after = rank_after = None
    if mine is not None:
        effect = _ORDER_EFFECT.get(mine.metric)
        # A host's revenue counts only what sells while they are on air.
        counts = effect is not None and (member.role != "host" or snapshot.pace.host_on_air == staff_id)
        value_after = mine.value + effect(amount) if counts else mine.value
        rank_after = 1 + sum(1 for row in board if row.staff_id != staff_id and row.value > value_after)
    staff_revenue = {sid: sum(bands) for sid, bands in snapshot.staff_band_revenue_fen.items()}
    staff_revenue[staff_id] = staff_revenue.get(staff_id, 0) + amount
    after = team_pool(config, snapshot.revenue_fen + amount, staff_revenue, snapshot.revenue_peak_fen)
    before = snapshot.team_pool
    return WhatIf(
        staff_id=staff_id, unit_price_fen=unit_price_fen, qty=qty, band=band, rate=band_rates(config)[band],
        commission_fen=order_commission_fen(config, amount, qty),
        pool_share_delta_fen=after.shares_fen.get(staff_id, Decimal(0)) - before.shares_fen.get(staff_id, Decimal(0)),
        pool_unlocks=after.unlocked and not before.unlocked,
        metric=metric, value_before=mine.value if mine else None, value_after=value_after,
        rank_before=mine.rank if mine else None, rank_after=rank_after,
    )
