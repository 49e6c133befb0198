"""Order lines a read-ahead reader stages in files for the writer (connectors/pipeline.py, Store.apply(staged=…)).

Plain sqlite3, no SQLAlchemy: the reader process loads only what it uses, and SQLAlchemy alone
would be 20 MB of the ingest's 150 MB budget. Its statements come from the store
(warroom.store.ledger.staging_plan), where the schema is declared.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from warroom.records import OrderLine
from warroom.rules import LedgerRules


@dataclass(frozen=True)
class StagingPlan:
    """How a reader process stages order lines (warroom.store.ledger.staging_plan, where the tables are declared)."""

    # The staged file's tables (lines, sums), the insert of a first_seen_rows row, and the statements that sum the lines up.
    create_sql: tuple[str, ...]
    insert_sql: str
    summarize_sql: tuple[str, ...]
    # The staged lines as OrderLine fields, in the order they were staged.
    lines_sql: str


@dataclass(frozen=True)
class StagedOrders:
    """A file of staged order lines (write_staged_orders) and how many lines it holds."""

    path: Path
    lines: int


def write_staged_orders(path: Path, lines: Sequence[OrderLine], rules: LedgerRules, plan: StagingPlan) -> StagedOrders:
    """Write order lines to a new SQLite file for Store.apply(staged=…), deriving band, minute and group owner by `rules`.

    The caller promises what the writer then relies on: no line names an order the store holds or another line names.
    """
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        # A transport file, not a store: a crash loses nothing the feed's checkpoints do not bring back.
        connection.execute("PRAGMA journal_mode=OFF")
        connection.execute("PRAGMA synchronous=OFF")
        for statement in plan.create_sql:
            connection.execute(statement)
        connection.execute("BEGIN")
        connection.executemany(plan.insert_sql, first_seen_rows(lines, rules, {}))
        for statement in plan.summarize_sql:
            connection.execute(statement)
        connection.execute("COMMIT")
    finally:
        connection.close()
    return StagedOrders(path=path, lines=len(lines))


def read_staged_orders(staged: StagedOrders, plan: StagingPlan) -> list[OrderLine]:
    """Return the order lines a staged file holds, as the reader read them (to take them the slow way after all)."""
    connection = sqlite3.connect(staged.path)
    try:
        return [OrderLine._make(row) for row in connection.execute(plan.lines_sql)]
    finally:
        connection.close()


def first_seen_rows(lines: Iterable[OrderLine], rules: LedgerRules, bands: dict[tuple[int, int], int]) -> Iterator[tuple]:
    """Yield each line as a row of the ledger's first-seen stage, with what Python alone can derive: the refund capped at
    the amount, the band (cached in `bands`), the minute, the group's owner, and the credit when the line names its staff."""
    owner, band_of = rules.group_owner.get, rules.band
    for order_id, ts, amount_fen, status, refund_fen, sku, product, qty, customer_id, staff_id, group_id in lines:
        band = bands.get((amount_fen, qty))
        if band is None:
            band = bands[(amount_fen, qty)] = band_of(amount_fen, qty)
        yield (order_id, ts, amount_fen, min(refund_fen, amount_fen), status, sku, product, qty, customer_id, staff_id, group_id,
               staff_id or None, band, ts // 60, owner(group_id or ""))
