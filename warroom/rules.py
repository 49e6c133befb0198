"""Business rules that the write model applies at ingest: bands, attribution and state precedence."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from warroom.config import BigScreenSettings, EventConfig
from warroom.money import to_fen

# Order state precedence: an order's state only moves forward, so re-reading an old row
# (after a rotation, a repeated export or a restart) can never undo a refund. A row applies
# when its (rank, refund) key is at least the stored one; among equal keys the later row wins.
# A refund outranks a cancellation because shops often show a refunded order as "closed".
STATUS_RANK = {"paid": 0, "cancelled": 1, "refunded": 2}


def state_key(status: str, refund_fen: int) -> tuple[int, int]:
    """Return the precedence key of an order state: higher never gives way to lower."""
    return STATUS_RANK[status], refund_fen


@dataclass(frozen=True)
class LedgerRules:
    """What ingest needs from the event file to derive attribution and bands."""

    band_floors_fen: tuple[int, ...]
    group_owner: dict[str, str]
    # The bound of the store's partial index of big orders (`[big_screen] big_order`).
    big_order_fen: int = to_fen(BigScreenSettings().big_order)

    @classmethod
    def from_config(cls, config: EventConfig) -> LedgerRules:
        """Return the rules of this event."""
        return cls(
            band_floors_fen=tuple(to_fen(band.from_) for band in config.commission.bands),
            group_owner={group.id: group.owner for group in config.groups},
            big_order_fen=to_fen(config.big_screen.big_order),
        )

    def band(self, amount_fen: int, qty: int) -> int:
        """Return the index of the commission band that the unit price (amount / qty) falls in."""
        # unit price >= floor  <=>  amount >= floor * qty, which stays exact in integers.
        return max(0, bisect_right([floor * max(qty, 1) for floor in self.band_floors_fen], amount_fen) - 1)

    def credit(self, staff_id: str | None, inviter: str | None, group_id: str | None) -> str | None:
        """Return who an order is credited to: its staff, else the earliest inviter, else the group owner."""
        return staff_id or inviter or self.group_owner.get(group_id or "")
