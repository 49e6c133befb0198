"""The big screen's live reads: the ticker of big orders, kept incrementally, and net revenue from one counter.

`BigOrderFeed` keeps the latest big orders (≥ `[big_screen] big_order`, default ¥1,000) by reading only the orders
whose seq is newer than the last it saw. The flash sales and the milestones the big screen shows are
`warroom.schedule`'s.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from warroom.clock import at_second
from warroom.config import EventConfig
from warroom.i18n import mask_phone
from warroom.money import to_fen
from warroom.store import Store
from warroom.store.keys import REVENUE_COUNTER

# The default threshold, which the big screen's ticker title quotes.


def big_order_fen(config: EventConfig) -> int:
    """Return the event's big-order threshold in fen (`[big_screen] big_order`)."""
    return to_fen(config.big_screen.big_order)


def revenue_now(store: Store) -> int | None:
    """Return net revenue from the store's running counter (one row), or None before the first sale."""
    return store.counter(REVENUE_COUNTER)


@dataclass(frozen=True)
class BigOrder:
    """A paid order at or above the ticker's threshold."""

    order_id: str
    ts: datetime
    amount_fen: int  # net of any partial refund
    sku: str
    product: str
    staff: str  # the credited staff member's name, or '' when unattributed
    group: str  # the group's name, or ''
    customer: str  # the customer id, phone numbers masked


class BigOrderFeed:
    """The latest big orders, kept incrementally: each poll reads only the orders whose seq is newer than the last one seen.

    The first poll reads the newest `keep` big orders by walking the seq index backwards. An order
    that is refunded (or falls under the threshold after a partial refund) leaves the ticker.
    Thread-safe: one feed can serve every session of a process.
    """

    def __init__(self, config: EventConfig, threshold_fen: int | None = None, keep: int = 30):
        self.config = config
        self.threshold_fen = big_order_fen(config) if threshold_fen is None else threshold_fen
        self.keep = keep
        self._lock = threading.Lock()
        self._seq: int | None = None
        self._orders: dict[str, BigOrder] = {}
        self._staff = {member.id: member.name for member in config.staff}
        self._groups = {group.id: group.name for group in config.groups}
        self._products = {product.sku: product.name for product in config.products}

    def poll(self, store: Store, now: datetime | None = None, limit: int = 5) -> list[BigOrder]:
        """Fold in the orders changed since the last poll and return the newest big orders up to `now`, newest first."""
        with self._lock:
            rows, latest = store.big_orders(self.threshold_fen, after_seq=self._seq, keep=self.keep, until=int(now.timestamp()) if now else None)
            for order_id, ts, amount, refund, status, sku, product, customer, staff, group, _seq in sorted(rows, key=lambda row: row.seq):
                net = amount - refund
                if status != "paid" or net < self.threshold_fen:
                    self._orders.pop(order_id, None)
                    continue
                self._orders[order_id] = BigOrder(
                    order_id=order_id, ts=at_second(ts), amount_fen=net, sku=sku or "",
                    product=self._products.get(sku or "", product or sku or ""), staff=self._staff.get(staff or "", staff or ""),
                    group=self._groups.get(group or "", group or ""), customer=mask_phone(customer or ""),
                )
            if len(self._orders) > self.keep:
                newest = sorted(self._orders.values(), key=lambda order: order.ts, reverse=True)[:self.keep]
                self._orders = {order.order_id: order for order in newest}
            self._seq = max(latest, self._seq or 0)
            chosen = [order for order in self._orders.values() if now is None or order.ts <= now]
        return sorted(chosen, key=lambda order: (order.ts, order.order_id), reverse=True)[:limit]
