"""The store: SQLite (WAL) by default, PostgreSQL by URL, on the same SQLAlchemy Core code.

Writes go through `Store.apply`, one transaction per batch: the rows, the rollups they change
and the feed checkpoints commit together, so the commit is the acknowledgement. Each write
transaction first bumps the `seq` counter; on SQLite that happens under BEGIN IMMEDIATE and on
PostgreSQL under the counter's row lock, so writers are serialised and seqs become visible in
order. Readers never block the writer (WAL, MVCC).

The ledger (`_Ledger`) applies order lines under the precedence rule and keeps customers and
rollups by delta. Orders a big batch sees for the first time go set-wise, in SQL; the rest (an
order already stored or repeated in its batch, and a live feed's small batches) one by one in
Python. Both give the same store, row for row (tests/test_ingest_paths.py).
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from operator import add, itemgetter
from typing import NamedTuple

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    case,
    create_engine,
    event,
    func,
    inspect,
    literal_column,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.schema import CreateColumn, CreateIndex, CreateTable

from warroom import schema
from warroom.records import Batch, CheckIn, Checkpoint, OrderLine
from warroom.rules import LedgerRules, state_key
from warroom.staging import StagedOrders, StagingPlan, first_seen_rows
from warroom.text import printable

BUSY_TIMEOUT_MS = 10_000
# SQLite's own default: a commit that leaves the WAL this many pages long checkpoints it.
WAL_AUTOCHECKPOINT_PAGES = 1000
# The writer's page cache, in KiB (SQLite's default is 2 MiB). A backlog's refunds each read an
# order's page and its customer's, at random, and write them back at the end of the batch: with the
# default cache the pages were gone by then and read again (0.4 s of 11.5 at a million orders).
WRITER_CACHE_KIB = 16 * 1024
# With checkpoints in the background, the writer lets the WAL grow to about this many pages (64 MiB of 4 KiB pages), see _WalCheckpointer.
WAL_LIMIT_FRAMES = 16_384
# Commits the writer may run ahead of the checkpoint thread (one checkpoint covers all before it).
_CHECKPOINT_LAG = 8
# The writer asks for a checkpoint once this many rows, or this many commits, have gone in since it
# last asked: after every batch of a backlog, and about as often as SQLite's own 1 000 pages for a
# live feed's small commits (a checkpoint syncs two files; one per small commit would be waste).
CHECKPOINT_EVERY_ROWS = 5_000
CHECKPOINT_EVERY_COMMITS = 100
_CHUNK = 5_000
# Keys per SQLite `IN (…)` lookup.
_FETCH_CHUNK = 1_000
# From this many rows a PostgreSQL bulk upsert goes by COPY and a staging table.
_COPY_MIN_ROWS = 500
# From this many first-seen orders a batch writes them set-wise (_Ledger._write_first_seen_orders);
# below it, the few statements that path runs cost more than the rows one by one (a live feed's small batches).
_FIRST_SEEN_MIN_ROWS = 100
_CHECKIN_DIMENSIONS = ("total", "staff", "group")
_INVITE_KINDS = ("invite", "join_group")
_CUSTOMER_FIELDS = ("customer_id", "inviter", "invited_ts", "first_join_ts", "first_live_ts", "paid_orders", "paid_fen", "first_paid_ts")
_customer_values = itemgetter(*_CUSTOMER_FIELDS)
# The order sums each rollup cell keeps, in this order (the figures fold them as lists).
ORDER_SUMS = ("revenue_fen", "paid_orders", "refunded_orders", "refunded_fen", "cancelled_orders")
REVENUE_COUNTER = "revenue_fen"
REVENUE_PEAK_COUNTER = "revenue_peak_fen"
# Pushes each staff member acknowledged (the hype squad's leaderboard), by staff id.
PUSHES_COUNTER = "pushes:{}"
# Meta keys of the prompts: a seq that moves whenever what the screens show may change, and the last evaluation's time.
PROMPTS_SEQ = "prompts_seq"
PROMPTS_EVALUATED_AT = "prompts_evaluated_at"


@dataclass(frozen=True)
class ApplyResult:
    """What one committed batch changed."""

    seq: int
    orders: int
    checkins: int
    quarantined: int
    # Rows that count, noted in quarantine because their control characters were removed.
    repaired: int = 0


def _sqlite_read_only_uri(path: str) -> str:
    """Return the URI that opens a SQLite file for reading only, by SQLite's rules for read-only WAL databases.

    `mode=ro` reads the WAL through its `-shm` index, which SQLite creates when it is missing: in a
    folder we may not write, a store closed cleanly (no -wal, no -shm) cannot be opened that way.
    Such a store has nothing outside its main file, and no writer can start one there, so it is
    opened `immutable=1` (no locks, no -shm). With a -wal present, `immutable` would ignore it
    (commits not yet checkpointed); `mode=ro` reads it, from a read-only -shm too (SQLite ≥ 3.22).
    """
    import os
    from urllib.parse import quote

    folder = os.path.dirname(path) or "."
    immutable = not os.path.exists(path + "-wal") and not os.access(folder, os.W_OK)
    return f"file:{quote(path)}?" + ("immutable=1" if immutable else "mode=ro")


def _sqlite_engine(url: str, *, immediate: bool, wal_autocheckpoint: Callable[[], int] = lambda: WAL_AUTOCHECKPOINT_PAGES, read_only: bool = False) -> Engine:
    """Return an engine whose transactions begin as BEGIN IMMEDIATE (a writer's) or BEGIN; `wal_autocheckpoint` is read at each begin.

    `read_only`: every connection opens the file for reading only (see _sqlite_read_only_uri).
    """
    # Python 3.11's sqlite3 looks for an adapter for every bound None, and each miss formats two
    # AttributeErrors: with half an order's columns empty, that was a third of the insert's cost.
    # Registering None's own adapter (a C function that returns None) binds NULL just the same.
    sqlite3.register_adapter(type(None), {}.get)
    if read_only:
        path = make_url(url).database or ""
        # Decided at each connect: a -wal may appear or go between connections.
        engine = create_engine(url, creator=lambda: sqlite3.connect(_sqlite_read_only_uri(path), uri=True, check_same_thread=False))
    else:
        engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's BEGIN below be the only transaction control (pysqlite otherwise
        # begins lazily, which is what makes a reader-turned-writer deadlock possible).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not read_only:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        if immediate:
            cursor.execute(f"PRAGMA cache_size=-{WRITER_CACHE_KIB}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        pages, known = wal_autocheckpoint(), connection.connection.info
        if known.get("wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES) != pages:
            connection.exec_driver_sql(f"PRAGMA wal_autocheckpoint={int(pages)}")
            known["wal_autocheckpoint"] = pages
        # The writer takes the write lock up front, so it never has to upgrade a read lock.
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class _WalCheckpointer:
    """Runs SQLite's WAL checkpoints on a thread of its own, when the writer asks (`committed`, `nudge`).

    A checkpoint copies the WAL into the database and syncs both files (synchronous=NORMAL). Run
    by the writer's own commits, those syncs held up the ingest: 6.5 of 38 s at a million orders.
    Here they overlap the next batches (sqlite3 releases the GIL while it works). PASSIVE never
    waits for readers or the writer; a checkpoint that could not finish is completed by a later one.

    SQLite starts the WAL over only when a write begins with the WAL all copied, which a writer
    that never waits rarely meets: the WAL grew to 155 MB for a 96 MB database. So once the WAL
    holds WAL_LIMIT_FRAMES, the writer waits (`catch_up`) for one checkpoint of all it committed;
    and it never runs more than _CHECKPOINT_LAG commits ahead of the checkpoints, so the WAL's
    length stays bounded however the threads are scheduled.
    """

    def __init__(self, engine: Engine):
        self.engine = engine
        # What was committed since the writer last asked for a checkpoint.
        self.rows_since = self.commits_since = 0
        self.changed = threading.Condition()
        # Checkpoints asked for and done, counted; a request is met by a checkpoint begun after it.
        self.requested = self.done = 0
        # The WAL's length in frames at the last checkpoint.
        self.frames = 0
        self.stopping = False
        self.thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)
        self.thread.start()

    def committed(self, rows: int) -> None:
        """Count a commit of `rows` rows; ask for a checkpoint once enough has gone in since the last request."""
        self.rows_since += rows
        self.commits_since += 1
        if self.rows_since >= CHECKPOINT_EVERY_ROWS or self.commits_since >= CHECKPOINT_EVERY_COMMITS:
            self.nudge()

    def nudge(self) -> int:
        """Ask for a checkpoint of what is committed now; return the request's number."""
        self.rows_since = self.commits_since = 0
        with self.changed:
            self.requested += 1
            self.changed.notify_all()
            return self.requested

    def catch_up(self) -> None:
        """If the WAL has grown long, wait for a checkpoint of all committed so far (the next write then starts the WAL over)."""
        if self.frames < WAL_LIMIT_FRAMES and self.requested - self.done < _CHECKPOINT_LAG:
            return
        request = self.nudge()
        with self.changed:
            self.changed.wait_for(lambda: self.done >= request or not self.thread.is_alive())

    def stop(self) -> None:
        """Run a last checkpoint and end the thread."""
        with self.changed:
            self.stopping = True
        self.nudge()
        self.thread.join()

    def _run(self) -> None:
        connection = self.engine.raw_connection()
        try:
            while True:
                with self.changed:
                    self.changed.wait_for(lambda: self.requested > self.done)
                    request, last = self.requested, self.stopping
                cursor = connection.cursor()
                try:
                    _busy, frames, _copied = cursor.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                except sqlite3.Error:
                    frames = self.frames  # the WAL is left as it was; a later checkpoint copies it
                finally:
                    cursor.close()
                with self.changed:
                    self.frames, self.done = frames, request
                    self.changed.notify_all()
                if last:
                    return
        finally:
            connection.close()


def _make_engine(url: str, *, writer: bool, read_only: bool = False, **sqlite_options) -> Engine:
    if make_url(url).get_backend_name() == "sqlite":
        return _sqlite_engine(url, immediate=writer, read_only=read_only, **sqlite_options)
    options = {} if writer else {"isolation_level": "REPEATABLE READ"}
    if read_only:
        options["execution_options"] = {"postgresql_readonly": True}
    return create_engine(url, pool_pre_ping=True, **options)


class StoreNotReady(Exception):
    """A store opened read-only does not exist yet, or lacks tables of the current schema: it must be opened for writing once."""


class Store:
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

    def count(self, table_name: str) -> int:
        """Return the number of rows in one table."""
        with self.reading() as conn:
            return conn.execute(select(func.count()).select_from(schema.metadata.tables[table_name])).scalar_one()


def _bring_schema_up_to_date(conn: Connection, big_order_fen: int) -> None:
    """Give a store an earlier version made the schema's columns and indexes: create_all makes missing tables, not the columns or indexes of those there.

    Only what differs is changed, so opening a current store takes no lock beyond two catalog reads and a meta row.
    A column added later has a server default (schema.py), which fills the rows already there. The partial
    index of big orders is made for `big_order_fen`, and made again when the event file changed that bound.
    """
    inspector = inspect(conn)
    preparer = conn.dialect.identifier_preparer
    for (_schema, table_name), columns in inspector.get_multi_columns().items():
        table = schema.metadata.tables.get(table_name)
        known = {column["name"] for column in columns}
        for column in [] if table is None else [column for column in table.columns if column.name not in known]:
            conn.exec_driver_sql(f"ALTER TABLE {preparer.format_table(table)} ADD COLUMN {CreateColumn(column).compile(dialect=conn.dialect)}")
    existing = {index["name"] for indexes in inspector.get_multi_indexes().values() for index in indexes}
    for name in existing.intersection(schema.REPLACED_INDEXES):
        conn.exec_driver_sql(f"DROP INDEX {conn.dialect.identifier_preparer.quote(name)}")
    for table in schema.metadata.sorted_tables:
        for index in table.indexes:
            if index.name not in existing:
                conn.execute(CreateIndex(index))
    meta, name = schema.meta, preparer.quote(schema.BIG_ORDER_INDEX)
    indexed = conn.execute(select(meta.c.value).where(meta.c.key == schema.BIG_ORDER_BOUND)).scalar_one_or_none()
    if schema.BIG_ORDER_INDEX in existing and (indexed or schema.EARLIER_BIG_ORDER_FEN) == big_order_fen:
        return
    if schema.BIG_ORDER_INDEX in existing:
        conn.exec_driver_sql(f"DROP INDEX {name}")
    # An integer bound written into the statement, as a partial index needs a constant.
    conn.exec_driver_sql(f"CREATE INDEX {name} ON {preparer.format_table(schema.orders)} (seq) WHERE amount_fen >= {int(big_order_fen)}")
    _upsert(conn, meta, [{"key": schema.BIG_ORDER_BOUND, "value": int(big_order_fen)}], ("key",))


def _next_seq(conn: Connection) -> int:
    """Take the next write seq; the counter's row lock serialises writers."""
    meta = schema.meta
    return conn.execute(update(meta).where(meta.c.key == "seq").values(value=meta.c.value + 1).returning(meta.c.value)).scalar_one()


def _bump_prompts_seq(conn: Connection) -> None:
    """Move the prompts seq, which screens key their cached prompts on."""
    meta = schema.meta
    _upsert(conn, meta, [{"key": PROMPTS_SEQ, "value": 0}], ("key",), update_columns=())
    conn.execute(update(meta).where(meta.c.key == PROMPTS_SEQ).values(value=meta.c.value + 1))


def _add_to_counters(conn: Connection, deltas: dict[str, int]) -> int:
    """Add to named counters under a write seq of their own, so the read models pick the change up; return the seq."""
    seq = _next_seq(conn)
    _upsert(conn, schema.counters, [{"name": name, "value": value, "seq": seq} for name, value in deltas.items()], ("name",),
            update_columns=("seq",), add=("value",))
    return seq


def _insert(conn: Connection, table):
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def _upsert(conn: Connection, table, rows: list[dict], keys: tuple[str, ...], *, update_columns: tuple[str, ...] | None = None, add: tuple[str, ...] = ()) -> None:
    """Insert rows, or on a key conflict overwrite `update_columns` (default: all) and add to `add` columns."""
    if not rows:
        return
    columns = tuple(rows[0])
    _upsert_rows(conn, table, columns, [tuple(row[name] for name in columns) for row in rows], keys, update_columns=update_columns, add=add)


def _upsert_rows(
    conn: Connection, table, columns: tuple[str, ...], rows: list[tuple], keys: tuple[str, ...], *,
    update_columns: tuple[str, ...] | None = None, add: tuple[str, ...] = (), bulk: bool = False,
) -> int:
    """Upsert rows given as tuples in `columns` order, like `_upsert`; return how many rows the database wrote.

    The statement is built once per shape and runs through the driver, so a row costs no SQLAlchemy
    work. With `bulk` (the caller promises each key at most once) PostgreSQL takes many rows by COPY.
    """
    if not rows:
        return 0
    plan = _upsert_plan(conn.dialect, table, tuple(columns), tuple(keys), None if update_columns is None else tuple(update_columns), tuple(add))
    if plan.fill is not None:
        rows = [plan.fill(row) for row in rows]
    if bulk and conn.dialect.name == "postgresql" and len(rows) >= _COPY_MIN_ROWS:
        return _copy_upsert(conn, plan, rows)
    return conn.exec_driver_sql(plan.sql, rows).rowcount


def _insert_new_rows(conn: Connection, table, columns: tuple[str, ...], rows: list[tuple], keys: tuple[str, ...]) -> None:
    """Insert rows whose keys the caller found unused in this write transaction (writers are serialised, so they still are).

    No conflict to handle, so PostgreSQL takes many rows by COPY straight into the table. Were a key
    used after all, the insert fails and the batch rolls back, rather than overwrite a row unseen.
    """
    if not rows:
        return
    plan = _upsert_plan(conn.dialect, table, tuple(columns), tuple(keys), (), ())
    if plan.fill is not None:
        rows = [plan.fill(row) for row in rows]
    if conn.dialect.name == "postgresql" and len(rows) >= _COPY_MIN_ROWS:
        with _driver_errors(conn), conn.connection.dbapi_connection.cursor() as cursor, cursor.copy(plan.copy_sql) as copy:
            for row in rows:
                copy.write_row(row)
        return
    conn.exec_driver_sql(plan.insert_sql, rows)


@dataclass(frozen=True)
class _UpsertPlan:
    """One upsert shape, built once: its statements, and how a caller's row becomes the inserted one."""

    table: Table
    # The inserted columns: the caller's, then those it left out that have a Python-side default.
    columns: tuple[str, ...]
    sql: str
    # The plain INSERT, and COPY into the table, for rows whose keys are known to be new.
    insert_sql: str
    copy_sql: str
    # For PostgreSQL's COPY path: the staging table and the INSERT … SELECT that upserts from it.
    stage: str
    merge_sql: str
    # Appends the defaults and applies the column types' bind processors; None when rows go as they are.
    fill: Callable[[tuple], tuple] | None


@lru_cache(maxsize=256)
def _upsert_plan(dialect, table: Table, columns: tuple[str, ...], keys: tuple[str, ...], update_columns: tuple[str, ...] | None, add: tuple[str, ...]) -> _UpsertPlan:
    quote = dialect.identifier_preparer.quote
    name = dialect.identifier_preparer.format_table(table)
    left_out = [column for column in table.columns if column.name not in columns and column.default is not None]
    if any(not column.default.is_scalar for column in left_out):
        raise ValueError(f"{table.name}: an upsert must give the columns whose default is not a constant")
    inserted = columns + tuple(column.name for column in left_out)
    defaults = tuple(column.default.arg for column in left_out)
    processors = tuple(
        (position, processor) for position, column in enumerate(inserted)
        if (processor := table.c[column].type.dialect_impl(dialect).bind_processor(dialect)) is not None
    )
    if update_columns is None:
        update_columns = tuple(column for column in columns if column not in keys and column not in add)
    assignments = [f"{quote(column)} = excluded.{quote(column)}" for column in update_columns]
    assignments += [f"{quote(column)} = {name}.{quote(column)} + excluded.{quote(column)}" for column in add]
    target = ", ".join(map(quote, keys))
    conflict = f"ON CONFLICT ({target}) DO UPDATE SET {', '.join(assignments)}" if assignments else f"ON CONFLICT ({target}) DO NOTHING"
    listed = ", ".join(map(quote, inserted))
    placeholder = "?" if dialect.paramstyle == "qmark" else "%s"
    stage = f"warroom_stage_{table.name}_{zlib.crc32(listed.encode()):08x}"
    insert_sql = f"INSERT INTO {name} ({listed}) VALUES ({', '.join([placeholder] * len(inserted))})"
    return _UpsertPlan(
        table=table,
        columns=inserted,
        sql=f"{insert_sql} {conflict}",
        insert_sql=insert_sql,
        copy_sql=f"COPY {name} ({listed}) FROM STDIN",
        stage=stage,
        merge_sql=f"INSERT INTO {name} ({listed}) SELECT {listed} FROM {stage} {conflict}",
        fill=_filler(defaults, processors) if defaults or processors else None,
    )


def _filler(defaults: tuple, processors: tuple) -> Callable[[tuple], tuple]:
    def fill(row: tuple) -> tuple:
        row = row + defaults
        if not processors:
            return row
        values = list(row)
        for position, processor in processors:
            values[position] = processor(values[position])
        return tuple(values)

    return fill


def _copy_upsert(conn: Connection, plan: _UpsertPlan, rows: list[tuple]) -> int:
    """PostgreSQL: COPY the rows into a temporary staging table, then upsert them all with one INSERT … SELECT."""
    listed = ", ".join(map(conn.dialect.identifier_preparer.quote, plan.columns))
    table = conn.dialect.identifier_preparer.format_table(plan.table)
    with _driver_errors(conn), conn.connection.dbapi_connection.cursor() as cursor:
        # One staging table per session and row shape, emptied at each commit and before each use.
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {plan.stage} ON COMMIT DELETE ROWS AS SELECT {listed} FROM {table} WITH NO DATA; TRUNCATE {plan.stage}")
        with cursor.copy(f"COPY {plan.stage} ({listed}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(plan.merge_sql)
        return cursor.rowcount


@contextmanager
def _driver_errors(conn: Connection) -> Iterator[None]:
    """Raise the driver's errors as SQLAlchemy's, as for statements that SQLAlchemy runs itself."""
    error_class = conn.dialect.loaded_dbapi.Error
    try:
        yield
    except error_class as error:
        raise DBAPIError.instance(None, None, error, error_class, dialect=conn.dialect) from error


def _fetch(conn: Connection, table, key_column: str, keys: Iterable[str]) -> dict[str, dict]:
    """Return the stored rows whose `key_column` is one of `keys`, as dicts by key."""
    columns = tuple(column.name for column in table.columns)
    at = columns.index(key_column)
    return {row[at]: dict(zip(columns, row, strict=True)) for row in _fetch_rows(conn, table, columns, key_column, keys)}


def _fetch_rows(conn: Connection, table, columns: tuple[str, ...], key_column: str, keys: Iterable[str]) -> list[tuple]:
    """Return the `columns` of the stored rows whose `key_column` is one of `keys`, in one lookup per chunk of keys."""
    keys = list(keys)
    if not keys:
        return []
    select_sql = _select_sql(conn.dialect, table, columns, key_column)
    if conn.dialect.name == "postgresql":
        return conn.exec_driver_sql(f"{select_sql} = ANY(%s)", (keys,)).all()
    found = []
    for start in range(0, len(keys), _FETCH_CHUNK):
        chunk = keys[start:start + _FETCH_CHUNK]
        # Padded with its last key, every chunk runs the same statement, which sqlite3 prepares once.
        chunk += chunk[-1:] * (_FETCH_CHUNK - len(chunk))
        found += conn.exec_driver_sql(f"{select_sql} IN ({', '.join('?' * _FETCH_CHUNK)})", tuple(chunk)).all()
    return found


@lru_cache(maxsize=64)
def _select_sql(dialect, table: Table, columns: tuple[str, ...], key_column: str) -> str:
    quote = dialect.identifier_preparer.quote
    return f"SELECT {', '.join(map(quote, columns))} FROM {dialect.identifier_preparer.format_table(table)} WHERE {quote(key_column)}"


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
    # Customers whose first paid order the staged orders hold, counted by inviter. On SQLite a
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
        customers_sql = (f"WITH added AS ({customer_sums}), written AS ({upsert} RETURNING customer_id, inviter, paid_orders) "
                         "SELECT w.inviter, count(*) FROM written w JOIN added a ON a.customer_id = w.customer_id "
                         "WHERE a.paid_orders > 0 AND w.paid_orders = a.paid_orders GROUP BY w.inviter")
    else:
        # Read before the customers take the staged orders in (SQLite has no data-modifying WITH).
        new_buyers = (f"SELECT c.inviter, count(*) FROM ({customer_sums}) f LEFT JOIN {customers} c ON c.customer_id = f.customer_id "
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
        for inviter, buyers in new_buyers:
            self.counter_deltas["paying_customers"] += buyers
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
