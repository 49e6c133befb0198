"""A batch the store refuses: find the rows it refuses by bisection, quarantine them, and commit the rest.

The parsers keep every row the rules of SPEC §5 foresee out of the store. This is for the row
that no check foresaw: without it, one such row fails its whole batch, on every restart, and the
evening stops. Halves of the batch are committed without the feed's checkpoints, and the
checkpoints last, with the refused rows in quarantine: a crash in between re-reads the batch,
which the store dedupes (an order by its id and state, a check-in by its id).
"""

from __future__ import annotations

import csv
import io
import logging

from sqlalchemy.exc import InterfaceError, OperationalError, StatementError

from warroom.records import BadRow, Batch, CheckIn, OrderLine
from warroom.staging import StagedOrders, read_staged_orders
from warroom.store import ApplyResult, Store
from warroom.store.ledger import staging_plan

log = logging.getLogger(__name__)
REASON_CHARS = 300


def is_row_error(error: BaseException) -> bool:
    """Return whether a failed write may be the rows' fault: not the store's (disk full, connection lost, locked) nor the machine's."""
    if isinstance(error, OperationalError | InterfaceError):
        return False
    # StatementError: the database refused a value or a constraint; the others: a driver that could not bind a value.
    return isinstance(error, StatementError | OverflowError | UnicodeError | ValueError | TypeError)


def apply_isolating(store: Store, batch: Batch, staged: StagedOrders | None = None) -> ApplyResult:
    """Commit a batch as Store.apply does; if the store refuses it for a row's sake, quarantine the rows it refuses and commit the rest."""
    try:
        return store.apply(batch, staged)
    except Exception as error:
        if not is_row_error(error):
            raise
        log.warning("the store refused a batch of feed %s (%s): looking for the rows it refuses", batch.feed, _summary(error))
    orders = batch.orders + (read_staged_orders(staged, staging_plan()) if staged else [])
    refused: list[BadRow] = []
    # Check-ins first, as Store.apply takes them: an invite credits the orders after it.
    rows: list[OrderLine | CheckIn] = [*batch.checkins, *orders]
    _apply_halves(store, rows, batch.feed, refused)
    for bad in refused:
        log.warning("quarantined a row the store refuses: feed %s, %s: %s", bad.feed, bad.position, bad.reason)
    result = store.apply(Batch(bad_rows=[*batch.bad_rows, *refused], checkpoints=batch.checkpoints, feed=batch.feed))
    return ApplyResult(seq=result.seq, orders=len(orders), checkins=len(batch.checkins), quarantined=result.quarantined, repaired=result.repaired)


def _apply_halves(store: Store, rows: list[OrderLine | CheckIn], feed: str, refused: list[BadRow]) -> None:
    """Commit `rows` (no checkpoints), halving on refusal until each refused row is alone; append those to `refused`."""
    if not rows:
        return
    try:
        store.apply(Batch(orders=[row for row in rows if isinstance(row, OrderLine)], checkins=[row for row in rows if isinstance(row, CheckIn)], feed=feed))
        return
    except Exception as error:
        if not is_row_error(error):
            raise
        if len(rows) == 1:
            refused.append(_refused_row(rows[0], feed, error))
            return
    middle = len(rows) // 2
    _apply_halves(store, rows[:middle], feed, refused)
    _apply_halves(store, rows[middle:], feed, refused)


def _refused_row(row: OrderLine | CheckIn, feed: str, error: BaseException) -> BadRow:
    """Return the quarantine record of one row the store refuses: the row as the store was given it, and the store's reason."""
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(["" if value is None else value for value in row])
    position = f"order {row.order_id}" if isinstance(row, OrderLine) else f"check-in {row.checkin_id}"
    return BadRow(feed, position[:200], out.getvalue(), f"the store refused the row: {_summary(error)}")


def _summary(error: BaseException) -> str:
    """Return the first line of a write's error, the database's own words where there are some, cut short."""
    cause = getattr(error, "orig", None) or error
    lines = str(cause).strip().splitlines()
    text = f"{type(cause).__name__}: {lines[0] if lines else ''}"
    return text if len(text) <= REASON_CHARS else text[:REASON_CHARS] + "…"
