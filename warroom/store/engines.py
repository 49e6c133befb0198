"""The store's engines: SQLite with WAL (the writer's BEGIN IMMEDIATE, a read-only URI, checkpoints on a thread of their own) or PostgreSQL."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable

from sqlalchemy import (
    Engine,
    create_engine,
    event,
)
from sqlalchemy.engine import make_url

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
