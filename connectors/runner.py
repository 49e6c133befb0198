"""The ingest loop: read every feed, commit each batch with its checkpoints, wait for more."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from connectors.backlog import FeedBytes
from connectors.feed import FeedReader
from connectors.pipeline import read_ahead as read_ahead_batches
from connectors.poison import apply_isolating
from connectors.processes import is_gone
from connectors.watch import FeedWatcher
from warroom.config import ConfigError, EventConfig
from warroom.intake import with_spool_feeds
from warroom.records import Batch, Checkpoint
from warroom.redact import safe_url
from warroom.staging import StagedOrders
from warroom.store import Store

LEASE = "ingest"
LEASE_TTL_SECONDS = 15
RESTAT_SECONDS = 0.5
# Rows per committed batch, unless run_ingest is given another size.
BATCH_ROWS = 5_000
# From this much unread feed data, a --once ingest reads ahead in a second process: about
# 150 000 order lines, where its start-up (about half a second) is a few per cent of the run.
READ_AHEAD_MIN_BYTES = 16 * 1024 * 1024
# A read-ahead run's batches: a backlog that size spreads each commit's fixed cost over more rows
# (one million orders: 14.5 s in batches of 5 000, 12.6 s in batches of 20 000).
READ_AHEAD_BATCH_ROWS = 20_000
_PID_SPACE = Path("/proc/self/ns/pid")
_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


class IngestRefused(ConfigError):
    """Another ingest already holds this store: one line for the user, like a mistake in the event file."""


@dataclass
class IngestTotals:
    """What an ingest run committed; for a --once run, also how far through its backlog it is, in bytes."""

    orders: int = 0
    checkins: int = 0
    quarantined: int = 0
    # Of the quarantined, rows that count, noted because their control characters were removed.
    repaired: int = 0
    batches: int = 0
    backlog: FeedBytes | None = field(default=None, compare=False, repr=False)
    backlog_bytes: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        if self.backlog is not None:
            self.backlog_bytes = self.backlog.unread

    def count(self, orders: int, checkins: int, quarantined: int, checkpoints: list[Checkpoint], repaired: int = 0) -> None:
        """Count one committed batch (its quarantine records, `repaired` of them notes of rows that count), and the feed checkpoints it committed."""
        self.orders += orders
        self.checkins += checkins
        self.quarantined += quarantined + repaired
        self.repaired += repaired
        self.batches += 1
        if self.backlog is not None:
            self.backlog.advance(checkpoints)

    @property
    def backlog_read(self) -> int:
        """Bytes of the backlog read so far (0 when the run is not --once)."""
        return 0 if self.backlog is None else self.backlog_bytes - self.backlog.unread


def run_ingest(
    config: EventConfig,
    store: Store,
    *,
    once: bool,
    stop: threading.Event | None = None,
    on_batch: Callable[[IngestTotals, int], None] | None = None,
    polling: bool = False,
    clock: Callable[[], float] = time.time,
    batch_rows: int | None = None,
    read_ahead: bool | None = None,
) -> IngestTotals:
    """Ingest every feed of the event until `stop` is set (or, with `once`, until caught up); return the totals.

    `batch_rows` caps the rows of one committed batch (default BATCH_ROWS, or READ_AHEAD_BATCH_ROWS
    when reading ahead). `read_ahead` has a second process read the feeds of a `once` run
    (connectors/pipeline.py); by default it does when the feeds hold READ_AHEAD_MIN_BYTES not yet read.
    """
    stop = stop or threading.Event()
    # With [intake], the spool the HTTP intake writes is one more feed: read, deduplicated and quarantined like the others.
    config = with_spool_feeds(config)
    owner = f"{socket.gethostname()}:{os.getpid()}:{id(stop)}:{_process_space()}"
    holder = store.take_lease(LEASE, owner, int(clock()), LEASE_TTL_SECONDS)
    if holder is not None and _is_dead_here(holder):
        # Its process is gone (killed, crashed) and left a fresh lease behind: free it, unless someone else already did.
        store.drop_lease(LEASE, holder)
        holder = store.take_lease(LEASE, owner, int(clock()), LEASE_TTL_SECONDS)
    if holder is not None:
        raise IngestRefused(f"another ingest ({holder}) is already writing to {safe_url(store.url)}; stop it first")
    # In --once mode nobody is still writing the dropped exports we are asked to read now.
    settle = {"settle_seconds": 0.0} if once else {}
    checkpoints = {feed.label: store.checkpoints(feed.label) for feed in config.feeds}
    backlog = FeedBytes.measure(config, checkpoints) if once else None
    if read_ahead is None:
        read_ahead = backlog is not None and backlog.unread >= READ_AHEAD_MIN_BYTES
    if read_ahead and not once:
        raise ValueError("only a --once ingest reads ahead in a second process")
    readers = [] if read_ahead else [FeedReader(feed, config, checkpoints[feed.label], clock=clock, **settle) for feed in config.feeds]
    watcher = None if once else FeedWatcher(config, polling=polling)
    totals = IngestTotals(backlog=backlog)
    last_heartbeat = clock()

    def heartbeat() -> None:
        # Renewed between batches too: a long backlog must not let the lease go stale while we write.
        nonlocal last_heartbeat
        if clock() - last_heartbeat > LEASE_TTL_SECONDS / 3:
            holder = store.take_lease(LEASE, owner, int(clock()), LEASE_TTL_SECONDS)
            if holder is not None:
                raise IngestRefused(f"the ingest lease was taken over by {holder}")
            last_heartbeat = clock()

    try:
        if watcher:
            watcher.start()
        with store.checkpointing_in_background():
            if read_ahead:
                _drain_read_ahead(config, store, checkpoints, totals, on_batch, stop, heartbeat, batch_rows or READ_AHEAD_BATCH_ROWS)
            while readers and not stop.is_set():
                rows = 0
                for reader in readers:
                    rows += _drain(reader, store, totals, on_batch, stop, heartbeat, batch_rows or BATCH_ROWS)
                heartbeat()
                if once and rows == 0:
                    break
                if rows == 0 and watcher:
                    # File events only wake us; the timeout is the periodic re-stat behind them.
                    watcher.wait(RESTAT_SECONDS)
    finally:
        if watcher:
            watcher.stop()
        store.drop_lease(LEASE, owner)
    return totals


def _drain_read_ahead(
    config: EventConfig, store: Store, checkpoints: dict[str, list[Checkpoint]], totals: IngestTotals, on_batch, stop: threading.Event,
    heartbeat: Callable[[], None], batch_rows: int,
) -> None:
    """Commit the batches a read-ahead process reads from every feed, in its order, until it is caught up."""
    for batch, staged in read_ahead_batches(config, store, totals.backlog_bytes, checkpoints, batch_rows, stop):
        heartbeat()
        _commit(store, batch, staged, totals, on_batch)


def _process_space() -> str:
    """Return which boot and PID namespace this process's pid belongs to ("" when unknown)."""
    try:
        return f"{_BOOT_ID.read_text().strip()[:8]}/{os.readlink(_PID_SPACE).strip('pid:[]')}"
    except OSError:
        return ""


def _is_dead_here(holder: str) -> bool:
    """Return whether a lease holder is an ingest process of this host, boot and PID namespace that no longer runs.

    Only then can its pid be checked; any other holder keeps its lease until its heartbeat is stale.
    """
    parts = holder.split(":")  # host:pid:instance:space (host names hold no colon)
    if len(parts) != 4 or parts[0] != socket.gethostname() or not parts[1].isdigit() or not parts[3] or parts[3] != _process_space():
        return False
    pid = int(parts[1])
    # Our own pid: another ingest in this very process is alive.
    return pid != os.getpid() and is_gone(pid)


def _drain(
    reader: FeedReader, store: Store, totals: IngestTotals, on_batch, stop: threading.Event,
    heartbeat: Callable[[], None] = lambda: None, batch_rows: int = BATCH_ROWS,
) -> int:
    """Commit batches from one reader until it has nothing new; return the rows committed."""
    rows = 0
    for batch in reader.batches(batch_rows):
        if stop.is_set():
            break
        heartbeat()
        rows += _commit(store, batch, None, totals, on_batch)
    return rows


def _commit(store: Store, batch: Batch, staged: StagedOrders | None, totals: IngestTotals, on_batch) -> int:
    """Commit one batch (with its staged orders, if a reader process staged some), count it, and return its rows."""
    result = apply_isolating(store, batch, staged)
    staged_lines = staged.lines if staged else 0
    totals.count(len(batch.orders) + staged_lines, len(batch.checkins), result.quarantined, batch.checkpoints, result.repaired)
    if on_batch:
        on_batch(totals, len(batch) + staged_lines)
    return len(batch) + staged_lines
