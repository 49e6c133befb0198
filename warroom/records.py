"""Domain records that flow from the connectors into the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

ORDER_STATUSES = ("paid", "refunded", "cancelled")
CHECKIN_KINDS = ("join_group", "enter_live", "check_in", "invite", "share", "viewers")


# Order lines and check-ins are made by the million at ingest: a NamedTuple is built several
# times faster than a frozen dataclass, and is just as immutable.
class OrderLine(NamedTuple):
    """One order line as a feed states it; money in integer fen, time in UTC epoch seconds."""

    order_id: str
    ts: int
    amount_fen: int
    status: str = "paid"
    refund_fen: int = 0
    sku: str | None = None
    product: str | None = None
    qty: int = 1
    customer_id: str | None = None
    staff_id: str | None = None
    group_id: str | None = None


class CheckIn(NamedTuple):
    """One engagement event; `checkin_id` is the feed's id, or a digest of the row when it has none."""

    checkin_id: str
    ts: int
    kind: str
    customer_id: str | None = None
    group_id: str | None = None
    staff_id: str | None = None
    value: int | None = None


@dataclass(frozen=True, slots=True)
class BadRow:
    """A row that could not be understood: kept in quarantine with where it came from and why."""

    feed: str
    position: str
    raw: str
    reason: str
    # The row was stored once its control characters were removed (SPEC §5): a note, not a row set aside.
    repaired: bool = False


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """Where a feed's file has been read up to: the file is known by its fingerprint, not its path."""

    feed: str
    fingerprint: str
    path: str
    offset: int
    done: bool = False


@dataclass(slots=True)
class Batch:
    """What one read of a feed produced; committed with its checkpoints in one transaction."""

    orders: list[OrderLine] = field(default_factory=list)
    checkins: list[CheckIn] = field(default_factory=list)
    bad_rows: list[BadRow] = field(default_factory=list)
    checkpoints: list[Checkpoint] = field(default_factory=list)
    # The feed the rows came from, for quarantining a row the store refuses (connectors/poison.py).
    feed: str = ""

    def __len__(self) -> int:
        return len(self.orders) + len(self.checkins) + len(self.bad_rows)
