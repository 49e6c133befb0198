"""The ledger: the write model of one transaction (`_Ledger`), which applies order lines under the precedence rule and keeps
customers and rollups by delta; and the set-wise path for orders a big batch sees for the first time (the staging SQL).
Both paths give the same store, row for row (tests/test_ingest_paths.py).
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from operator import add, itemgetter
from typing import NamedTuple

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    case,
    func,
    select,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.schema import CreateTable

from warroom import schema
from warroom.records import Batch, CheckIn, OrderLine
from warroom.rules import LedgerRules, state_key
from warroom.staging import StagedOrders, StagingPlan, first_seen_rows
from warroom.store.keys import LIVE_BUYERS_COUNTER, ORDER_SUMS, REVENUE_COUNTER, REVENUE_PEAK_COUNTER
from warroom.store.sql import (
    _CHUNK,
    _fetch,
    _fetch_rows,
    _insert,
    _insert_new_rows,
    _upsert,
    _upsert_rows,
)
from warroom.text import printable

# From this many first-seen orders a batch writes them set-wise (_Ledger._write_first_seen_orders);
# below it, the few statements that path runs cost more than the rows one by one (a live feed's small batches).
_FIRST_SEEN_MIN_ROWS = 100
_CHECKIN_DIMENSIONS = ("total", "staff", "group")
_INVITE_KINDS = ("invite", "join_group")
_CUSTOMER_FIELDS = ("customer_id", "inviter", "invited_ts", "first_join_ts", "first_live_ts", "paid_orders", "paid_fen", "first_paid_ts")
_customer_values = itemgetter(*_CUSTOMER_FIELDS)


def _quarantine(conn: Connection, batch: Batch, seq: int) -> tuple[int, int]:
    """Store a batch's bad rows and repair notes, each line once; return how many of each were new."""
    rows: dict[str, tuple] = {}
    for bad in batch.bad_rows:
        # Shown as written, with control characters and broken ones escaped: any text a file holds can be stored and read.
        feed, position, raw, reason = map(printable, (bad.feed, bad.position, bad.raw, bad.reason))
        digest = hashlib.sha1(f"{feed}\x00{raw}".encode()).hexdigest()
        rows[digest] = (digest, feed, position, raw, reason, seq, bad.repaired)
    columns = ("digest", "feed", "position", "raw", "reason", "first_seen_seq", "repaired")
    counts = []
    for repaired in (False, True):
        chosen = [row for row in rows.values() if row[-1] is repaired]
        counts.append(_upsert_rows(conn, schema.quarantine, columns, chosen, ("digest",), update_columns=(), bulk=True))
    return counts[0], counts[1]


# Orders seen for the first time in a write transaction, staged for the set-wise path
# (_Ledger._write_first_seen_orders): the orders columns but seq, plus the minute and the group's
# owner that Python derives. A temporary table, so each writer connection has its own.
_FIRST_SEEN = Table(
    "warroom_first_seen_orders",
    MetaData(),
    *(Column(column.name, column.type) for column in schema.orders.columns if column.name != "seq"),
    Column("minute", BigInteger),
    Column("owner", String),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DELETE ROWS",
)
# Order lines a reader process staged for the writer (connectors/pipeline.py): orders the store has
# never seen and their batch names once, shaped as _FIRST_SEEN with what the ledger derives from a
# line alone. The writer ATTACHes the file and writes them set-wise from the file itself, so a
# backlog's bulk never becomes Python objects in the writer's process.
# The reader also sums what the lines add to each customer, and to each rollup cell for the lines
# that name their staff (so their credit is known): sums the writer would otherwise sort out of the
# lines itself. The writer sums the other lines' cells once it has credited them.
# SQLite ATTACHes the file as _INCOMING; PostgreSQL copies its tables into temporary ones (_incoming).
_INCOMING = "warroom_incoming"
STAGED_ORDERS = Table("staged_orders", MetaData(), *(Column(column.name, column.type) for column in _FIRST_SEEN.columns))
STAGED_CUSTOMER_SUMS = Table(
    "staged_customer_sums", MetaData(),
    Column("customer_id", String), Column("paid_orders", BigInteger), Column("paid_fen", BigInteger), Column("first_paid_ts", BigInteger),
)
STAGED_ROLLUP_SUMS = Table(
    "staged_rollup_sums", MetaData(),
    Column("minute", BigInteger), Column("band", Integer), Column("staff", String), Column("sku", String), Column("group_key", String),
    *(Column(name, BigInteger) for name in ORDER_SUMS),
)
_STAGED_TABLES = (STAGED_ORDERS, STAGED_CUSTOMER_SUMS, STAGED_ROLLUP_SUMS)
_INCOMING_COPIES = {
    table.name: Table(f"{_INCOMING}_{table.name}", MetaData(), *(Column(column.name, column.type) for column in table.columns),
                      prefixes=["TEMPORARY"], postgresql_on_commit="DELETE ROWS")
    for table in _STAGED_TABLES
}
_NAMES_ITS_STAFF = "staff_id IS NOT NULL AND staff_id <> ''"


def _incoming(dialect, table: Table) -> str:
    """Return the name a staged file's table goes by in the writer's transaction."""
    if dialect.name == "sqlite":
        return f"{_INCOMING}.{table.name}"
    return dialect.identifier_preparer.format_table(_INCOMING_COPIES[table.name])


# What one order adds to its rollup cells, in ORDER_SUMS order (as _Ledger._count_order adds it).
_ROLLUP_SUM_SQL = (
    "sum(CASE WHEN status = 'paid' THEN amount_fen - refund_fen ELSE 0 END)",
    "sum(CASE WHEN status = 'paid' THEN 1 ELSE 0 END)",
    "sum(CASE WHEN status = 'refunded' THEN 1 ELSE 0 END)",
    "sum(CASE WHEN status = 'refunded' THEN amount_fen ELSE 0 END)",
    "sum(CASE WHEN status = 'cancelled' THEN 1 ELSE 0 END)",
)


def _customer_sums_sql(staged: str) -> str:
    """Return what the orders in the table `staged` add to each of their customers (paid orders, paid revenue, first paid time), by customer."""
    return (f"SELECT customer_id, {_ROLLUP_SUM_SQL[1]} AS paid_orders, {_ROLLUP_SUM_SQL[0]} AS paid_fen, "
            f"min(CASE WHEN status = 'paid' THEN ts END) AS first_paid_ts FROM {staged} WHERE customer_id <> '' GROUP BY customer_id")


def _rollup_sums_sql(staged: str, where: str = "true") -> str:
    """Return what the orders in the table `staged` (those `where` holds) add to each rollup cell, by (minute, band, credited staff, sku, group)."""
    return (f"SELECT minute, band, coalesce(credited_staff, '') AS staff, coalesce(sku, '') AS sku, coalesce(group_id, '') AS group_key, "
            f"{', '.join(f'{expression} AS {name}' for expression, name in zip(_ROLLUP_SUM_SQL, ORDER_SUMS, strict=True))} "
            f"FROM {staged} WHERE {where} GROUP BY 1, 2, 3, 4, 5")


@lru_cache(maxsize=1)
def staging_plan() -> StagingPlan:
    """Return how a reader process stages order lines for the writer (warroom.staging)."""
    staged = sqlite.dialect()
    return StagingPlan(
        create_sql=tuple(str(CreateTable(table).compile(dialect=staged)) for table in _STAGED_TABLES),
        insert_sql=f"INSERT INTO {STAGED_ORDERS.name} VALUES ({', '.join('?' * len(STAGED_ORDERS.columns))})",
        summarize_sql=(
            f"INSERT INTO {STAGED_CUSTOMER_SUMS.name} {_customer_sums_sql(STAGED_ORDERS.name)}",
            f"INSERT INTO {STAGED_ROLLUP_SUMS.name} {_rollup_sums_sql(STAGED_ORDERS.name, _NAMES_ITS_STAFF)}",
        ),
        lines_sql=f"SELECT {', '.join(OrderLine._fields)} FROM {STAGED_ORDERS.name} ORDER BY rowid",
    )


def _stage_rows(conn: Connection, table: Table, rows: list[tuple]) -> None:
    """Insert rows into a temporary staging table, creating it on this connection first if need be."""
    conn.exec_driver_sql(_create_stage_sql(conn.dialect, table))
    _insert_new_rows(conn, table, tuple(column.name for column in table.columns), rows, ())


def _clear_stage(conn: Connection, table: Table) -> None:
    conn.exec_driver_sql(f"DELETE FROM {conn.dialect.identifier_preparer.format_table(table)}")


@lru_cache(maxsize=8)
def _create_stage_sql(dialect, table: Table) -> str:
    return str(CreateTable(table, if_not_exists=True).compile(dialect=dialect))


@dataclass(frozen=True)
class _FirstSeenSql:
    """The statements of the set-wise path for first-seen orders, per dialect; `{seq}` is the write's seq."""

    credit: str
    # Customers whose first paid order the staged orders hold, counted by inviter (with those among them
    # who entered the live room). On SQLite a
    # query read before `customers` takes the orders in; on PostgreSQL None, as `customers` itself
    # returns the counts (its upsert, in a data-modifying WITH, returns each customer's new total).
    new_buyers: str | None
    customers: str
    orders: str
    rollup_sums: str


@lru_cache(maxsize=4)
def _first_seen_sql(dialect, staged: str, presummed: bool = False) -> _FirstSeenSql:
    """Return the set-wise statements over the first-seen orders staged in the table `staged` (_FIRST_SEEN, or an attached batch).

    With `presummed`, `staged` is an attached batch, and the customer and rollup sums its reader made are read beside it.
    """
    name = dialect.identifier_preparer.format_table
    orders, customers = name(schema.orders), name(schema.customers)
    order_columns = ", ".join(column.name for column in schema.orders.columns if column.name != "seq")
    if presummed:
        customer_sums = f"SELECT customer_id, paid_orders, paid_fen, first_paid_ts FROM {_incoming(dialect, STAGED_CUSTOMER_SUMS)}"
        rollup_sums = f"{_rollup_sums_sql(staged, f'NOT ({_NAMES_ITS_STAFF})')} UNION ALL SELECT * FROM {_incoming(dialect, STAGED_ROLLUP_SUMS)}"
    else:
        customer_sums, rollup_sums = _customer_sums_sql(staged), _rollup_sums_sql(staged)
    upsert = (f"INSERT INTO {customers} (customer_id, paid_orders, paid_fen, first_paid_ts, seq) "
              # WHERE true: without it SQLite would read ON CONFLICT as the start of a join's ON.
              "SELECT customer_id, paid_orders, paid_fen, first_paid_ts, {seq} FROM added WHERE true "
              f"ON CONFLICT (customer_id) DO UPDATE SET paid_orders = {customers}.paid_orders + excluded.paid_orders, "
              f"paid_fen = {customers}.paid_fen + excluded.paid_fen, "
              f"first_paid_ts = CASE WHEN {customers}.first_paid_ts IS NULL OR excluded.first_paid_ts < {customers}.first_paid_ts "
              f"THEN excluded.first_paid_ts ELSE {customers}.first_paid_ts END, seq = excluded.seq")
    if dialect.name == "postgresql":
        # A customer whose total is now just what these orders added had none before. One statement,
        # where a query before the upsert looked every customer up a second time (1.8 s of 29 s at 1M orders).
        new_buyers = None
        customers_sql = (f"WITH added AS ({customer_sums}), written AS ({upsert} RETURNING customer_id, inviter, paid_orders, first_live_ts) "
                         "SELECT w.inviter, count(*), count(w.first_live_ts) FROM written w JOIN added a ON a.customer_id = w.customer_id "
                         "WHERE a.paid_orders > 0 AND w.paid_orders = a.paid_orders GROUP BY w.inviter")
    else:
        # Read before the customers take the staged orders in (SQLite has no data-modifying WITH).
        new_buyers = (f"SELECT c.inviter, count(*), count(c.first_live_ts) FROM ({customer_sums}) f LEFT JOIN {customers} c ON c.customer_id = f.customer_id "
                      "WHERE f.paid_orders > 0 AND coalesce(c.paid_orders, 0) = 0 GROUP BY c.inviter")
        customers_sql = f"WITH added AS ({customer_sums}) {upsert}"
    return _FirstSeenSql(
        # rules.credit: its staff (staged already), else the customer's earliest inviter, else the group's owner.
        credit=f"UPDATE {staged} SET credited_staff = coalesce((SELECT c.inviter FROM {customers} c WHERE c.customer_id = {staged}.customer_id AND c.inviter <> ''), owner) "
               "WHERE credited_staff IS NULL",
        new_buyers=new_buyers,
        customers=customers_sql,
        orders=f"INSERT INTO {orders} ({order_columns}, seq) SELECT {order_columns}, {{seq}} FROM {staged}",
        rollup_sums=rollup_sums,
    )


class _StoredOrder(NamedTuple):
    """One row of the orders table, as the ledger reads and writes it."""

    order_id: str
    ts: int
    amount_fen: int
    refund_fen: int
    status: str
    sku: str | None
    product: str | None
    qty: int
    customer_id: str | None
    staff_id: str | None
    group_id: str | None
    credited_staff: str | None
    band: int
    seq: int


class _Ledger:
    """The write model of one transaction: applies rows and accumulates rollup deltas."""

    def __init__(self, conn: Connection, rules: LedgerRules, seq: int):
        self.conn = conn
        self.rules = rules
        self.seq = seq
        # Rollup deltas by (dimension, key, minute, band): the ORDER_SUMS, in that order.
        self.order_deltas: dict[tuple, list[int]] = {}
        self.checkin_deltas: dict[tuple, dict[str, int | None]] = {}
        self.customers: dict[str, dict] = {}
        self.counter_deltas: dict[str, int] = defaultdict(int)
        # Order rollup sums by (minute, band, credited staff, sku, group), spread over the dimensions at flush.
        self.order_sums: dict[tuple, list[int]] = {}
        self.bands: dict[tuple[int, int], int] = {}
        # Customers with no stored row yet: flush inserts them rather than upserts.
        self.new_customers: set[str] = set()
        # Orders staged in _FIRST_SEEN this transaction, and first seen in an attached batch (add_staged_orders).
        self.first_seen = 0
        self.first_seen_incoming = 0

    # customers ------------------------------------------------------------------------------

    def _load_customers(self, ids: Iterable[str | None]) -> None:
        missing = {cid for cid in ids if cid and cid not in self.customers}
        if not missing:
            return
        found = _fetch(self.conn, schema.customers, "customer_id", missing)
        self.new_customers.update(cid for cid in missing if cid not in found)
        for cid in missing:
            self.customers[cid] = found.get(cid) or {
                "customer_id": cid, "inviter": None, "invited_ts": None, "first_join_ts": None,
                "first_live_ts": None, "paid_orders": 0, "paid_fen": 0, "first_paid_ts": None, "dirty": True,
            }

    def _customer(self, cid: str) -> dict:
        customer = self.customers[cid]
        customer["dirty"] = True
        return customer

    # check-ins ------------------------------------------------------------------------------

    def add_checkins(self, rows: list[CheckIn]) -> int:
        """Insert new check-ins (ids seen before are the same event) and return how many were new."""
        if not rows:
            return 0
        unique = {row.checkin_id: row for row in rows}
        existing = {found for found, in _fetch_rows(self.conn, schema.checkins, ("checkin_id",), "checkin_id", unique)}
        fresh = [row for cid, row in unique.items() if cid not in existing]
        self._load_customers(row.customer_id for row in fresh)
        reattribute: set[str] = set()
        for row in fresh:
            minute = row.ts // 60
            keys = {"total": "", "staff": row.staff_id, "group": row.group_id}
            for dimension, key in keys.items():
                if key is None:
                    continue
                delta = self.checkin_deltas.setdefault((row.kind, dimension, key, minute), {"events": 0, "value_max": None, "value_last": None, "value_last_ts": None})
                delta["events"] += 1
                if row.value is not None:
                    delta["value_max"] = max(delta["value_max"] or row.value, row.value)
                    if delta["value_last_ts"] is None or row.ts >= delta["value_last_ts"]:
                        delta["value_last"], delta["value_last_ts"] = row.value, row.ts
            if row.customer_id:
                customer = self._customer(row.customer_id)
                if row.kind in _INVITE_KINDS and row.staff_id and (customer["invited_ts"] is None or row.ts < customer["invited_ts"]):
                    if customer["inviter"] != row.staff_id:
                        reattribute.add(row.customer_id)
                        if customer["paid_orders"] > 0:
                            self._count_buyer(customer["inviter"], -1)
                            self._count_buyer(row.staff_id, 1)
                    customer["inviter"], customer["invited_ts"] = row.staff_id, row.ts
                if row.kind == "join_group" and customer["first_join_ts"] is None:
                    self.counter_deltas["customers_joined"] += 1
                if row.kind == "join_group":
                    customer["first_join_ts"] = min(filter(None, (customer["first_join_ts"], row.ts)))
                if row.kind == "enter_live" and customer["first_live_ts"] is None:
                    self.counter_deltas["customers_live"] += 1
                    self.counter_deltas[LIVE_BUYERS_COUNTER] += int(customer["paid_orders"] > 0)
                if row.kind == "enter_live":
                    customer["first_live_ts"] = min(filter(None, (customer["first_live_ts"], row.ts)))
        _upsert_rows(self.conn, schema.checkins, ("checkin_id", "ts", "kind", "customer_id", "group_id", "staff_id", "value", "seq"), [
            (r.checkin_id, r.ts, r.kind, r.customer_id, r.group_id, r.staff_id, r.value, self.seq) for r in fresh
        ], ("checkin_id",), update_columns=(), bulk=True)
        if reattribute:
            self._reattribute(reattribute)
        return len(fresh)

    def _reattribute(self, customer_ids: set[str]) -> None:
        """Re-credit a customer's orders that name no staff, after their earliest inviter changed."""
        table = schema.orders
        ids = list(customer_ids)
        changed = []
        for start in range(0, len(ids), _CHUNK):
            query = select(*[table.c[name] for name in _StoredOrder._fields]).where(table.c.customer_id.in_(ids[start:start + _CHUNK]), table.c.staff_id.is_(None))
            for row in self.conn.execute(query):
                old = _StoredOrder._make(row)
                credited = self.rules.credit(None, self.customers[old.customer_id]["inviter"], old.group_id)
                if credited != old.credited_staff:
                    new = old._replace(credited_staff=credited, seq=self.seq)
                    self._move(old, new)
                    changed.append(new)
        _upsert_rows(self.conn, table, _StoredOrder._fields, changed, ("order_id",), bulk=True)

    # orders ---------------------------------------------------------------------------------

    def add_orders(self, rows: list[OrderLine]) -> int:
        """Apply order lines under the precedence rule and return how many changed an order."""
        if not rows:
            return 0
        stored = _fetch_rows(self.conn, schema.orders, _StoredOrder._fields, "order_id", {row.order_id for row in rows})
        current = {order.order_id: order for order in map(_StoredOrder._make, stored)}
        known = set(current)
        # An order neither stored nor repeated in this batch (a backlog's bulk) needs no precedence
        # and no rollup to take back: it goes to the set-wise path (see _write_first_seen_orders).
        followed = known | {order_id for order_id, lines in Counter(row.order_id for row in rows).items() if lines > 1}
        first_seen = [row for row in rows if row.order_id not in followed]
        if len(first_seen) < _FIRST_SEEN_MIN_ROWS:
            first_seen = []
        else:
            self._stage_first_seen(first_seen)
            rows = [row for row in rows if row.order_id in followed]
        self._load_customers([row.customer_id for row in rows] + [order.customer_id for order in current.values()])
        customers, credit, bands, seq = self.customers, self.rules.credit, self.bands, self.seq
        changed: dict[str, _StoredOrder] = {}
        for line in rows:
            old = current.get(line.order_id)
            if old is not None and state_key(line.status, line.refund_fen) < state_key(old.status, old.refund_fen):
                continue
            inviter = customers[line.customer_id]["inviter"] if line.customer_id else None
            band = bands.get((line.amount_fen, line.qty))
            if band is None:
                band = bands[(line.amount_fen, line.qty)] = self.rules.band(line.amount_fen, line.qty)
            new = _StoredOrder(
                line.order_id,
                # The payment time is the first one seen: a later row (a refund) must not move the sale.
                min(line.ts, old.ts) if old else line.ts,
                line.amount_fen,
                min(line.refund_fen, line.amount_fen),
                line.status,
                line.sku,
                line.product,
                line.qty,
                line.customer_id,
                line.staff_id,
                line.group_id,
                credit(line.staff_id, inviter, line.group_id),
                band,
                seq,
            )
            if old is not None and old[:-1] == new[:-1]:
                continue  # the same order, but for its seq: nothing changed
            self._move(old, new)
            current[line.order_id] = changed[line.order_id] = new
        updated = [order for order_id, order in changed.items() if order_id in known]
        _upsert_rows(self.conn, schema.orders, _StoredOrder._fields, updated, ("order_id",), bulk=True)
        _insert_new_rows(self.conn, schema.orders, _StoredOrder._fields, [order for order_id, order in changed.items() if order_id not in known], ("order_id",))
        return len(changed) + len(first_seen)

    def add_staged_orders(self, staged: StagedOrders) -> int:
        """Take a staged file of first-seen orders (Store.apply(staged=…)), which flush writes set-wise; return how many.

        SQLite has it attached already; PostgreSQL copies its tables into temporary ones.
        """
        if self.conn.dialect.name == "postgresql":
            source = sqlite3.connect(staged.path)
            try:
                for table in _STAGED_TABLES:
                    # By the chunk, not all at once: a batch's rows as Python tuples were 15 MB of the writer's peak.
                    rows = source.execute(f"SELECT * FROM {table.name}")
                    _stage_rows(self.conn, _INCOMING_COPIES[table.name], rows.fetchmany(_CHUNK))
                    while chunk := rows.fetchmany(_CHUNK):
                        _stage_rows(self.conn, _INCOMING_COPIES[table.name], chunk)
            finally:
                source.close()
        self.first_seen_incoming = staged.lines
        return staged.lines

    def _stage_first_seen(self, lines: list[OrderLine]) -> None:
        """Stage orders seen for the first time in _FIRST_SEEN (see staging.first_seen_rows)."""
        staged = list(first_seen_rows(lines, self.rules, self.bands))
        _stage_rows(self.conn, _FIRST_SEEN, staged)
        self.first_seen += len(staged)

    def _move(self, old: _StoredOrder | None, new: _StoredOrder) -> None:
        """Record the rollup and customer deltas of an order moving from `old` to `new`."""
        if old is not None:
            self._count_order(old, -1)
        self._count_order(new, 1)

    def _count_order(self, order: _StoredOrder, sign: int) -> None:
        """Add (sign 1) or take back (sign -1) what one order adds to its rollup rows and its customer."""
        key = (order.ts // 60, order.band, order.credited_staff or "", order.sku or "", order.group_id or "")
        sums = self.order_sums.get(key)
        if sums is None:
            sums = self.order_sums[key] = [0] * len(ORDER_SUMS)
        # The sums are ORDER_SUMS, in that order.
        status = order.status
        revenue = 0
        if status == "paid":
            revenue = order.amount_fen - order.refund_fen
            sums[0] += sign * revenue
            sums[1] += sign
        elif status == "refunded":
            sums[2] += sign
            sums[3] += sign * order.amount_fen
        elif status == "cancelled":
            sums[4] += sign
        if order.customer_id:
            customer = self.customers[order.customer_id]
            customer["dirty"] = True
            if status == "paid":
                before = customer["paid_orders"]
                customer["paid_orders"] = after = before + sign
                customer["paid_fen"] += sign * revenue
                if sign > 0 and (customer["first_paid_ts"] is None or order.ts < customer["first_paid_ts"]):
                    customer["first_paid_ts"] = order.ts
                if (before > 0) != (after > 0):
                    change = 1 if after > 0 else -1
                    self.counter_deltas["paying_customers"] += change
                    if customer["first_live_ts"] is not None:
                        self.counter_deltas[LIVE_BUYERS_COUNTER] += change
                    self._count_buyer(customer["inviter"], change)

    def _spread_order_sums(self) -> None:
        """Add the order sums to the rollup deltas of each dimension."""
        deltas = self.order_deltas
        for (minute, band, staff, sku, group), sums in self.order_sums.items():
            for cell in (("total", "", minute, band), ("staff", staff, minute, band), ("sku", sku, minute, band), ("group", group, minute, band)):
                delta = deltas.get(cell)
                deltas[cell] = sums.copy() if delta is None else list(map(add, delta, sums))
        self.order_sums.clear()

    def _count_buyer(self, inviter: str | None, change: int) -> None:
        """Keep the number of paying customers each staff member invited (for conversion)."""
        if inviter:
            self.counter_deltas[f"buyers:{inviter}"] += change

    # flush ----------------------------------------------------------------------------------

    def flush(self) -> None:
        """Write the accumulated rollup, customer and counter deltas."""
        seq = self.seq
        self._write_customers()
        if self.first_seen or self.first_seen_incoming:
            self._write_first_seen_orders()
        self._spread_order_sums()
        order_rows = [
            (*cell, *delta, seq) for cell, delta in self.order_deltas.items() if any(delta)
        ]
        _upsert_rows(self.conn, schema.order_rollup, ("dimension", "key", "minute", "band", *ORDER_SUMS, "seq"), order_rows,
                     ("dimension", "key", "minute", "band"), update_columns=("seq",), add=ORDER_SUMS, bulk=True)
        counted, valued = [], []
        for (kind, dimension, key, minute), delta in self.checkin_deltas.items():
            row = {"kind": kind, "dimension": dimension, "key": key, "minute": minute, **delta, "seq": seq}
            (counted if delta["value_last_ts"] is None else valued).append(row)
        checkin_keys = ("kind", "dimension", "key", "minute")
        _upsert(self.conn, schema.checkin_rollup, counted, checkin_keys, update_columns=("seq",), add=("events",))
        if valued:
            table = schema.checkin_rollup
            statement = _insert(self.conn, table)
            excluded = statement.excluded
            newer = func.coalesce(table.c.value_last_ts, -1) <= excluded.value_last_ts
            statement = statement.on_conflict_do_update(index_elements=list(checkin_keys), set_={
                "events": table.c.events + excluded.events,
                "seq": excluded.seq,
                "value_max": func.coalesce(_greatest(self.conn, table.c.value_max, excluded.value_max), excluded.value_max),
                "value_last": case((newer, excluded.value_last), else_=table.c.value_last),
                "value_last_ts": case((newer, excluded.value_last_ts), else_=table.c.value_last_ts),
            })
            self.conn.execute(statement, valued)
        counters = [{"name": name, "value": value, "seq": seq} for name, value in self.counter_deltas.items() if value]
        _upsert(self.conn, schema.counters, counters, ("name",), update_columns=("seq",), add=("value",))
        revenue_delta = sum(delta[ORDER_SUMS.index("revenue_fen")] for (dimension, *_rest), delta in self.order_deltas.items() if dimension == "total")
        if revenue_delta:
            self._track_revenue(revenue_delta)

    def _write_customers(self) -> None:
        """Write the customers this transaction changed in Python, whole."""
        seq = self.seq
        dirty = [c for c in self.customers.values() if c.get("dirty")]
        new = self.new_customers
        customer_columns = (*_CUSTOMER_FIELDS, "seq")
        _upsert_rows(self.conn, schema.customers, customer_columns, [_customer_values(c) + (seq,) for c in dirty if c["customer_id"] not in new], ("customer_id",), bulk=True)
        _insert_new_rows(self.conn, schema.customers, customer_columns, [_customer_values(c) + (seq,) for c in dirty if c["customer_id"] in new], ("customer_id",))

    def _write_first_seen_orders(self) -> None:
        """Write the staged first-seen orders set-wise, as _move(None, order) would one by one.

        Runs after _write_customers, so the stored customers are this transaction's (inviters from
        its check-ins included), and nothing later writes a customer whole over what is added here.
        """
        if self.first_seen:
            self._write_first_seen_from(self.conn.dialect.identifier_preparer.format_table(_FIRST_SEEN))
            _clear_stage(self.conn, _FIRST_SEEN)
        if self.first_seen_incoming:
            self._write_first_seen_from(_incoming(self.conn.dialect, STAGED_ORDERS), presummed=True)

    def _write_first_seen_from(self, staged: str, *, presummed: bool = False) -> None:
        run, sql, seq = self.conn.exec_driver_sql, _first_seen_sql(self.conn.dialect, staged, presummed), int(self.seq)
        run(sql.credit)
        if sql.new_buyers is None:
            new_buyers = run(sql.customers.format(seq=seq)).all()
        else:
            new_buyers = run(sql.new_buyers).all()
            run(sql.customers.format(seq=seq))
        for inviter, buyers, live_buyers in new_buyers:
            self.counter_deltas["paying_customers"] += buyers
            self.counter_deltas[LIVE_BUYERS_COUNTER] += live_buyers
            self._count_buyer(inviter, buyers)
        run(sql.orders.format(seq=seq))
        order_sums = self.order_sums
        for minute, band, staff, sku, group, *sums in run(sql.rollup_sums).all():
            key = (minute, band, staff, sku, group)
            known = order_sums.get(key)
            order_sums[key] = [int(value) for value in sums] if known is None else [old + int(value) for old, value in zip(known, sums, strict=True)]

    def _track_revenue(self, delta: int) -> None:
        """Keep net revenue and its peak over commits (a refund can take revenue back under a goal)."""
        table = schema.counters
        stored = dict(self.conn.execute(select(table.c.name, table.c.value).where(table.c.name.in_((REVENUE_COUNTER, REVENUE_PEAK_COUNTER)))).all())
        if REVENUE_COUNTER in stored:
            before = stored[REVENUE_COUNTER]
        else:
            # A store written before these counters existed: start from its rollups (this batch's are already in).
            rollup = schema.order_rollup
            total = self.conn.execute(select(func.coalesce(func.sum(rollup.c.revenue_fen), 0)).where(rollup.c.dimension == "total")).scalar_one()
            before = int(total) - delta
        after = before + delta
        peak = max(stored.get(REVENUE_PEAK_COUNTER, before), before, after)
        rows = [{"name": REVENUE_COUNTER, "value": after, "seq": self.seq}]
        if peak != stored.get(REVENUE_PEAK_COUNTER):
            rows.append({"name": REVENUE_PEAK_COUNTER, "value": peak, "seq": self.seq})
        _upsert(self.conn, table, rows, ("name",))


def _greatest(conn: Connection, left, right):
    return func.greatest(left, right) if conn.dialect.name == "postgresql" else func.max(left, right)
