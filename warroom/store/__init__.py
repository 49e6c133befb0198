"""The store: SQLite (WAL) by default, PostgreSQL by URL, on the same SQLAlchemy Core code.

Writes go through `Store.apply`, one transaction per batch: the rows, the rollups they change
and the feed checkpoints commit together, so the commit is the acknowledgement. Each write
transaction first bumps the `seq` counter; on SQLite that happens under BEGIN IMMEDIATE and on
PostgreSQL under the counter's row lock, so writers are serialised and seqs become visible in
order. Readers never block the writer (WAL, MVCC).

The ledger (`warroom.store.ledger`) applies order lines under the precedence rule and keeps
customers and rollups by delta. Orders a big batch sees for the first time go set-wise, in SQL; the
rest (an order already stored or repeated in its batch, and a live feed's small batches) one by one
in Python. Both give the same store, row for row (tests/test_ingest_paths.py).

This module is the store's interface (`Store`: the writes, the prompts' state, the small reads).
Beside it: `engines` (SQLite WAL and its checkpoint thread, PostgreSQL), `sql` (upserts, COPY,
keyed fetches, the write seq), `upkeep` (an earlier version's store brought up to date), `keys`
(counter and meta names), `ledger`, and `notifications` (prompts sent to group robots, mixed into `Store`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, func, inspect, literal_column, select, update
from sqlalchemy.engine import make_url

from warroom import schema
from warroom.records import Batch, Checkpoint
from warroom.rules import LedgerRules
from warroom.staging import StagedOrders
from warroom.store.engines import WAL_AUTOCHECKPOINT_PAGES, _make_engine, _WalCheckpointer
from warroom.store.keys import PROMPTS_EVALUATED_AT, PUSHES_COUNTER
from warroom.store.ledger import _INCOMING, _Ledger, _quarantine
from warroom.store.notifications import NotificationStore
from warroom.store.sql import _add_to_counters, _bump_prompts_seq, _insert, _next_seq, _upsert
from warroom.store.upkeep import _bring_schema_up_to_date, _live_buyers
from warroom.text import printable


@dataclass(frozen=True)
class ApplyResult:
    """What one committed batch changed."""

    seq: int
    orders: int
    checkins: int
    quarantined: int
    # Rows that count, noted in quarantine because their control characters were removed.
    repaired: int = 0


class StoreNotReady(Exception):
    """A store opened read-only does not exist yet, or lacks tables of the current schema: it must be opened for writing once."""


class Store(NotificationStore):
    """The event's database: write batches with `apply`, read with `reading()`."""

    def __init__(self, url: str, rules: LedgerRules | None = None, *, read_only: bool = False):
        """Open the store; with `read_only`, only for reading (creating nothing; raise StoreNotReady when its schema is not all there)."""
        self.url = url
        self.rules = rules or LedgerRules(band_floors_fen=(0,), group_owner={})
        self._checkpointer: _WalCheckpointer | None = None
        self.read_only = read_only
        if read_only:
            self._open_read_only(url)
            return
        self.writer = _make_engine(url, writer=True, wal_autocheckpoint=lambda: WAL_AUTOCHECKPOINT_PAGES if self._checkpointer is None else 0)
        self.reader = _make_engine(url, writer=False)
        self.dialect = self.writer.dialect.name
        schema.metadata.create_all(self.writer)
        with self.writer.begin() as conn:
            _bring_schema_up_to_date(conn, self.rules.big_order_fen)
            _upsert(conn, schema.meta, [{"key": "seq", "value": 0}], ("key",), update_columns=())

    def _open_read_only(self, url: str) -> None:
        import os

        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and not os.path.exists(parsed.database or ""):
            raise StoreNotReady(url)
        # One engine: a write through a read-only store fails in the database (SQLITE_READONLY, a read-only transaction).
        self.writer = self.reader = _make_engine(url, writer=False, read_only=True)
        self.dialect = self.reader.dialect.name
        try:
            with self.reader.connect() as conn:
                # Every table with every column of this version's schema (an earlier version's store lacks some until a writer opens it).
                present = {table: {column["name"] for column in columns} for (_schema, table), columns in inspect(conn).get_multi_columns().items()}
                complete = all({column.name for column in table.columns} <= present.get(name, set()) for name, table in schema.metadata.tables.items())
                seq_row = complete and conn.execute(select(schema.meta.c.value).where(schema.meta.c.key == "seq")).first()
        except BaseException:
            self.reader.dispose()
            raise
        if not seq_row:
            self.reader.dispose()
            raise StoreNotReady(url)

    def close(self) -> None:
        """Release every pooled connection."""
        self._stop_checkpointer()
        self.writer.dispose()
        self.reader.dispose()

    @contextmanager
    def checkpointing_in_background(self) -> Iterator[None]:
        """While a long run of commits goes on (an ingest), checkpoint SQLite's WAL on a thread of its own, not in the commits.

        Durability is as before: the WAL is synced before each checkpoint, the database after. On PostgreSQL this does nothing.
        """
        if self.dialect != "sqlite" or self._checkpointer is not None:
            yield
            return
        self._checkpointer = _WalCheckpointer(self.writer)
        try:
            yield
        finally:
            self._stop_checkpointer()

    def _stop_checkpointer(self) -> None:
        checkpointer, self._checkpointer = self._checkpointer, None
        if checkpointer is not None:
            checkpointer.stop()

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """Yield a connection inside one read transaction: every query sees the same snapshot."""
        with self.reader.begin() as conn:
            yield conn

    # -- writes -----------------------------------------------------------------------------

    def apply(self, batch: Batch, staged: StagedOrders | None = None) -> ApplyResult:
        """Commit a batch's rows, their rollup deltas and its checkpoints in one transaction.

        `staged` is a file of order lines a reader process wrote (see warroom.staging):
        orders the store has never seen and the batch names once. The batch's other order lines, in
        `batch.orders`, go through the precedence rule first.
        """
        if self._checkpointer is not None:
            self._checkpointer.catch_up()
        if staged is None or self.dialect != "sqlite":
            with self.writer.begin() as conn:
                result = self._apply_in(conn, batch, staged)
        else:
            with self.writer.connect() as conn:
                # ATTACH and DETACH cannot run inside a transaction; the DB-API connection is not in one yet.
                driver = conn.connection.dbapi_connection
                driver.execute(f"ATTACH DATABASE ? AS {_INCOMING}", (str(staged.path),))
                # The writer edits the file as scratch (credits its lines): it needs no journal.
                driver.execute(f"PRAGMA {_INCOMING}.journal_mode=OFF")
                driver.execute(f"PRAGMA {_INCOMING}.synchronous=OFF")
                try:
                    with conn.begin():
                        result = self._apply_in(conn, batch, staged)
                finally:
                    driver.execute(f"DETACH DATABASE {_INCOMING}")
        if self._checkpointer is not None:
            self._checkpointer.committed(len(batch) + (staged.lines if staged else 0))
        return result

    @contextmanager
    def order_ids(self) -> Iterator[tuple[int, Iterator[str]]]:
        """Yield how many orders the store holds and an iterator over their ids, both of one snapshot."""
        table = schema.orders
        with self.reading() as conn:
            count = conn.execute(select(func.count()).select_from(table)).scalar_one()
            yield count, conn.execute(select(table.c.order_id).execution_options(yield_per=10_000)).scalars()

    def _apply_in(self, conn: Connection, batch: Batch, staged: StagedOrders | None) -> ApplyResult:
        if self.dialect == "postgresql":
            # Rows and checkpoints commit together, so a commit the server loses in a crash is
            # re-read from the feed, as on SQLite with synchronous=NORMAL; not waiting for each
            # WAL flush saved 1.5 s of 29 s at 1M orders. Payouts and pushes still commit durably.
            conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
        seq = _next_seq(conn)
        ledger = _Ledger(conn, self.rules, seq)
        checkins = ledger.add_checkins(batch.checkins)
        orders = ledger.add_orders(batch.orders)
        if staged is not None:
            orders += ledger.add_staged_orders(staged)
        ledger.flush()
        quarantined, repaired = _quarantine(conn, batch, seq)
        if batch.checkpoints:
            _upsert(
                conn,
                schema.checkpoints,
                # A file's name may be any bytes: kept as printable text, since the path only tells a person which file it was.
                [{"feed": cp.feed, "fingerprint": cp.fingerprint, "path": printable(cp.path), "offset": cp.offset, "done": cp.done, "seq": seq} for cp in batch.checkpoints],
                ("feed", "fingerprint"),
            )
        return ApplyResult(seq=seq, orders=orders, checkins=checkins, quarantined=quarantined, repaired=repaired)

    def record_payout(self, staff_id: str, amount_fen: int, paid_at: datetime, note: str = "") -> int:
        """Record money paid to a staff member (negative: money handed back) and return the payout's id."""
        if paid_at.tzinfo is None:
            raise ValueError("paid_at must be timezone-aware")
        table = schema.payouts
        with self.writer.begin() as conn:
            seq = _next_seq(conn)
            row = {"staff_id": staff_id, "amount_fen": int(amount_fen), "paid_at": int(paid_at.timestamp()), "note": note, "seq": seq}
            return conn.execute(table.insert().values(**row).returning(table.c.id)).scalar_one()

    def take_lease(self, name: str, owner: str, now: int, ttl: int) -> str | None:
        """Take or renew a named lease; return None on success, else the current holder."""
        table = schema.leases
        with self.writer.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(_insert(conn, table).on_conflict_do_nothing(index_elements=["name"]), {"name": name, "owner": owner, "heartbeat": now})
            held = conn.execute(select(table).where(table.c.name == name).with_for_update()).mappings().first()
            if held and held["owner"] != owner and held["heartbeat"] > now - ttl:
                return held["owner"]
            _upsert(conn, table, [{"name": name, "owner": owner, "heartbeat": now}], ("name",))
        return None

    def drop_lease(self, name: str, owner: str) -> None:
        """Release a lease this owner holds."""
        table = schema.leases
        with self.writer.begin() as conn:
            conn.execute(table.delete().where(table.c.name == name, table.c.owner == owner))

    def checkpoints(self, feed: str) -> list[Checkpoint]:
        """Return the committed checkpoints of one feed."""
        table = schema.checkpoints
        with self.reading() as conn:
            rows = conn.execute(select(table).where(table.c.feed == feed)).mappings().all()
        return [Checkpoint(feed=row["feed"], fingerprint=row["fingerprint"], path=row["path"], offset=row["offset"], done=row["done"]) for row in rows]

    def forget_checkpoints(self, feed: str | None = None) -> int:
        """Drop checkpoints (of one feed, or all) so the next ingest re-reads; returns how many."""
        table = schema.checkpoints
        with self.writer.begin() as conn:
            statement = table.delete() if feed is None else table.delete().where(table.c.feed == feed)
            return conn.execute(statement).rowcount

    def release_quarantine(self, ids: Iterable[int] | None = None) -> int:
        """Forget quarantined rows (all, or some ids) so a re-read can judge them again; returns how many."""
        table = schema.quarantine
        with self.writer.begin() as conn:
            statement = table.delete() if ids is None else table.delete().where(table.c.id.in_(list(ids)))
            return conn.execute(statement).rowcount

    # -- the prompts' state (warroom.prompt_state turns it into rows) ---------------------------

    def save_prompt_instances(self, rows: list[dict], dropped: Sequence[str], evaluated_at: int | None, *, visible: bool) -> None:
        """Upsert the prompt instances that changed, delete those gone back to inactive, note the evaluation time, and move the prompts seq when `visible`."""
        table = schema.prompt_instances
        with self.writer.begin() as conn:
            _upsert(conn, table, rows, ("key",))
            if dropped:
                conn.execute(table.delete().where(table.c.key.in_(list(dropped))))
            if evaluated_at is not None:
                _upsert(conn, schema.meta, [{"key": PROMPTS_EVALUATED_AT, "value": evaluated_at}], ("key",))
            if visible:
                _bump_prompts_seq(conn)

    def record_push(self, row: dict) -> None:
        """Insert an acknowledged push, add it to its staff member's pushes counter (the hype leaderboard) and move the prompts seq."""
        with self.writer.begin() as conn:
            conn.execute(_insert(conn, schema.prompt_pushes).values(**row))
            _add_to_counters(conn, {PUSHES_COUNTER.format(row["staff_id"]): 1})
            _bump_prompts_seq(conn)

    def add_silence(self, row: dict) -> None:
        """Insert a silence and move the prompts seq."""
        with self.writer.begin() as conn:
            conn.execute(_insert(conn, schema.prompt_silences).values(**row))
            _bump_prompts_seq(conn)

    def end_silence(self, silence_id: str, at: int) -> bool:
        """End a silence at `at` (epoch seconds) and move the prompts seq; return whether it was still running."""
        table = schema.prompt_silences
        with self.writer.begin() as conn:
            ended = conn.execute(update(table).where(table.c.id == silence_id, table.c.ends_at > at).values(ends_at=at)).rowcount
            if ended:
                _bump_prompts_seq(conn)
        return bool(ended)

    # -- small reads ------------------------------------------------------------------------

    def big_orders(self, threshold_fen: int, *, after_seq: int | None, keep: int, until: int | None) -> tuple[list, int]:
        """Return the orders of at least `threshold_fen` and the store's seq: with `after_seq`, every one written since (refunds
        too, so that they leave the ticker); without, the newest `keep` paid ones dated up to `until` (epoch seconds)."""
        orders = schema.orders
        columns = (orders.c.order_id, orders.c.ts, orders.c.amount_fen, orders.c.refund_fen, orders.c.status, orders.c.sku,
                   orders.c.product, orders.c.customer_id, orders.c.credited_staff, orders.c.group_id, orders.c.seq)
        # The index of big orders by seq holds orders from the event's bound up; the planner takes it when the
        # query names that bound as a constant, as the index does.
        bound = self.rules.big_order_fen
        big = (orders.c.amount_fen >= threshold_fen, *((orders.c.amount_fen >= literal_column(str(int(bound))),) if threshold_fen >= bound else ()))
        if after_seq is None:
            # Walks the seq index from the newest end and stops after `keep` big orders.
            recent = (*big, orders.c.status == "paid", *((orders.c.ts <= until,) if until is not None else ()))
            query = select(*columns).where(*recent).order_by(orders.c.seq.desc(), orders.c.ts.desc()).limit(keep)
        else:
            query = select(*columns).where(orders.c.seq > after_seq, *big)
        with self.reading() as conn:
            rows = conn.execute(query).all()
            latest = conn.execute(select(schema.meta.c.value).where(schema.meta.c.key == "seq")).scalar_one()
        return rows, latest

    def meta_value(self, key: str) -> int | None:
        """Return one value of the meta table (the write seq, the prompts seq …), or None when it was never written."""
        with self.reading() as conn:
            return conn.execute(select(schema.meta.c.value).where(schema.meta.c.key == key)).scalar_one_or_none()

    def live_buyers(self) -> int:
        """Return how many customers entered the live room and have a paid order, counted from the customers (for a store the ledger kept no counter of it in, opened read-only)."""
        with self.reading() as conn:
            return _live_buyers(conn)

    def counter(self, name: str) -> int | None:
        """Return one running counter (net revenue, a member's pushes …), or None before its first write."""
        counters = schema.counters
        with self.reading() as conn:
            return conn.execute(select(counters.c.value).where(counters.c.name == name)).scalar()

    def seq(self) -> int:
        """Return the seq of the last committed write."""
        with self.reading() as conn:
            return conn.execute(select(schema.meta.c.value).where(schema.meta.c.key == "seq")).scalar_one()

    def quarantined_rows(self) -> list[dict]:
        """Return every quarantined row, oldest first."""
        table = schema.quarantine
        with self.reading() as conn:
            return [dict(row) for row in conn.execute(select(table).order_by(table.c.id)).mappings()]

    def payouts(self, staff_id: str | None = None) -> list[dict]:
        """Return the recorded payouts (of one member, or all), oldest first, with `paid_at` as a UTC datetime."""
        table = schema.payouts
        query = select(table).order_by(table.c.id)
        if staff_id is not None:
            query = query.where(table.c.staff_id == staff_id)
        with self.reading() as conn:
            rows = [dict(row) for row in conn.execute(query).mappings()]
        return [row | {"paid_at": datetime.fromtimestamp(row["paid_at"], UTC)} for row in rows]

    def paid_out_fen(self) -> dict[str, int]:
        """Return the total paid out to each staff member who has a payout, in fen."""
        table = schema.payouts
        query = select(table.c.staff_id, func.sum(table.c.amount_fen)).group_by(table.c.staff_id)
        with self.reading() as conn:
            return {staff_id: int(total) for staff_id, total in conn.execute(query)}

    def live_entrants(self) -> tuple[int, int]:
        """Return the distinct customers who entered the live room, and how many of them have a paid order (SPEC §4.1 `conversion`)."""
        customers = schema.customers
        entered = customers.c.first_live_ts.is_not(None)
        query = select(func.count().filter(entered), func.count().filter(entered, customers.c.paid_orders > 0))
        with self.reading() as conn:
            entrants, paying = conn.execute(query).one()
        return int(entrants), int(paying)

    def checkins_by_staff(self, kind: str) -> dict[str, int]:
        """Return the check-ins of one kind (invite, join_group …) that name each staff member, by staff id."""
        rollup = schema.checkin_rollup
        query = (select(rollup.c.key, func.sum(rollup.c.events)).where(rollup.c.kind == kind, rollup.c.dimension == "staff")
                 .group_by(rollup.c.key))
        with self.reading() as conn:
            return {staff_id: int(events) for staff_id, events in conn.execute(query) if events}

    def count(self, table_name: str) -> int:
        """Return the number of rows in one table."""
        with self.reading() as conn:
            return conn.execute(select(func.count()).select_from(schema.metadata.tables[table_name])).scalar_one()
