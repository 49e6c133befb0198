"""SQLite's WAL while an ingest writes: checkpoints run on a thread of their own, and the WAL stays bounded.

The writer never waits on a timer here: it waits for the checkpoint thread only when the WAL has
grown long or the thread has fallen behind, and then for a checkpoint it asked for.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from warroom.records import Batch, OrderLine
from warroom.rules import LedgerRules
from warroom.store import Store, engines

T0 = int(datetime(2026, 5, 20, 20, 0, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp())
ORDERS_PER_BATCH = 300


def batch(number: int) -> Batch:
    first = number * ORDERS_PER_BATCH
    return Batch(orders=[OrderLine(f"o{n}", T0 + n, 129900, customer_id=f"c{n}", sku=f"P{n % 9}") for n in range(first, first + ORDERS_PER_BATCH)])


def wal_frames(database: Path) -> int:
    """Return how many pages the WAL file has room for (it is reused from its start, not shrunk, when SQLite starts it over)."""
    wal = database.with_name(database.name + "-wal")
    return max(0, wal.stat().st_size - 32) // (4096 + 24) if wal.exists() else 0


@pytest.fixture
def database(tmp_path) -> Path:
    return tmp_path / "warroom.db"


@pytest.fixture
def store(database, small_event):
    opened = Store(f"sqlite:///{database}", LedgerRules.from_config(small_event))
    yield opened
    opened.close()


def checkpoint_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "wal-checkpoint"]


def test_commits_in_the_background_mode_leave_checkpoints_to_the_thread(store, database):
    with store.checkpointing_in_background():
        store.apply(batch(0))
        with store.writer.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one() == 0
    with store.writer.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one() == engines.WAL_AUTOCHECKPOINT_PAGES


def test_the_wal_stays_bounded_while_commits_run_ahead_of_the_checkpoints(store, database, monkeypatch):
    limit = 64
    monkeypatch.setattr(engines, "WAL_LIMIT_FRAMES", limit)
    monkeypatch.setattr(engines, "CHECKPOINT_EVERY_ROWS", ORDERS_PER_BATCH)  # a backlog's batches: a checkpoint asked after each
    with store.checkpointing_in_background():
        store.apply(batch(0))
        first = wal_frames(database)  # nothing can have started the WAL over before the second write
        largest = first
        for number in range(1, 40):
            store.apply(batch(number))
            largest = max(largest, wal_frames(database))
    assert 40 * first > 3 * largest  # the run wrote far more than the WAL ever held…
    assert largest <= limit + (engines._CHECKPOINT_LAG + 2) * first  # …and the WAL held no more than its bound


@pytest.mark.parametrize(("orders", "commits", "asked"), [(300, 16, 0), (1, 100, 1), (2_500, 2, 1), (5_000, 3, 3)])
def test_a_checkpoint_is_asked_for_once_enough_rows_or_commits_went_in(store, orders, commits, asked):
    """As often as SQLite's own autocheckpoint for a live feed's small commits, after every batch of a backlog."""
    with store.checkpointing_in_background():
        for commit in range(commits):
            first = commit * orders
            store.apply(Batch(orders=[OrderLine(f"o{n}", T0 + n, 9900, customer_id=f"c{n}") for n in range(first, first + orders)]))
        assert store._checkpointer.requested == asked


def test_leaving_the_background_mode_checkpoints_everything_and_ends_the_thread(store, database):
    with store.checkpointing_in_background():
        for number in range(3):
            store.apply(batch(number))
    assert not checkpoint_threads()
    with sqlite3.connect(database) as connection:
        busy, frames, copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert (busy, copied) == (0, frames)
    assert store.count("orders") == 3 * ORDERS_PER_BATCH


def test_closing_the_store_in_the_background_mode_ends_the_thread(database, small_event):
    opened = Store(f"sqlite:///{database}", LedgerRules.from_config(small_event))
    with opened.checkpointing_in_background():
        opened.apply(batch(0))
        opened.close()
        assert not checkpoint_threads()
