"""Reading a backlog in a second process, ahead of the writer (`warroom ingest --once`).

One process cannot both parse a million lines and write them at half the speed of a raw insert:
parsing alone is a fifth of the ingest. Here the feeds are read by a child process, which writes
the order lines of each batch that name an order for the first time to a small SQLite file of its
own (warroom.staging), with what they add to each customer and, where a line names its staff, to
each rollup cell. A SQLite writer ATTACHes that file and writes those orders set-wise from it, so
they never become Python objects in the writer; a PostgreSQL writer copies its rows into temporary
tables by COPY, where parsing them would have cost it several times more.

The child tells first-seen orders apart with a Bloom filter of every order id the store held when
it started and the child has read since. A line it may have seen before (a refund of an earlier
order, a repeat) travels over the socket with the batch's check-ins, bad rows and checkpoints, and
goes through the precedence rule. A false positive only sends a new order the slow way; a missed
id cannot happen, and would fail the batch's insert (the order's key is unique) rather than count
it twice.

Exactly-once holds as it does in one process: the child's readers move on in memory only, and the
writer commits each batch's rows with its checkpoints in one transaction, in the child's order. If
the ingest dies, the staged files are thrown away and the next run reads again from the store's
checkpoints.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from itertools import islice
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING

from rbloom import Bloom

from connectors.feed import FeedReader
from connectors.processes import is_gone
from warroom.config import EventConfig
from warroom.records import Batch, Checkpoint, OrderLine
from warroom.staging import StagedOrders, write_staged_orders

if TYPE_CHECKING:
    from warroom.store import Store

# Batches the child may stage before the writer has committed them: enough to keep both processes
# busy, few enough that the staged files stay small.
LOOKAHEAD = 2
# The Bloom filter of order ids is sized for the stored orders plus a line per this many unread
# bytes (a short order line; real ones are longer), at this rate of false positives. At a million
# orders it takes about 4 MB. Should more ids come, false positives grow, costing speed, not truth.
BYTES_PER_ORDER_LINE = 32
FALSE_POSITIVE_RATE = 0.001
# The ids of the orders stored before the run go to the child in messages of this many.
ORDER_ID_CHUNK = 10_000
# A writer's folder of staged batches, in the temporary folder: this prefix, then its pid.
STAGING_PREFIX = "warroom-ingest-"


def read_ahead(config: EventConfig, store: Store, backlog_bytes: int, checkpoints: dict[str, list[Checkpoint]], batch_rows: int,
               stop: threading.Event) -> Iterator[tuple[Batch, StagedOrders | None]]:
    """Yield each feed's batches, read by a child process, as (the batch with the order lines it may have seen before, the rest staged); commit each before taking the next.

    No one else may write orders to `store` meanwhile (the ingest's lease): the child is told which it holds at the start.
    `backlog_bytes` (connectors.backlog) sizes the child's Bloom filter.

    Raises what the child raised (a ConfigError stays one), after the child is gone.
    """
    # Here, not at the top: the child runs this module, and must not load SQLAlchemy (20 MB) with warroom.store.
    from warroom.store.ledger import staging_plan

    # `python -m connectors.pipeline`, not multiprocessing's spawn: spawn re-runs the parent's main
    # script in the child, and the parent may be a Streamlit script or a test runner.
    _remove_dead_writers_folders()
    ours, theirs = socket.socketpair()
    with tempfile.TemporaryDirectory(prefix=f"{STAGING_PREFIX}{os.getpid()}-") as folder, ours, theirs:
        root = str(Path(__file__).resolve().parent.parent)
        environment = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (root, os.environ.get("PYTHONPATH"))))}
        child = subprocess.Popen([sys.executable, "-m", "connectors.pipeline", str(theirs.fileno())], pass_fds=(theirs.fileno(),),
                                 env=environment, stdin=subprocess.DEVNULL)
        theirs.close()  # the child's end is the child's alone now, so its death reads here as the end of the stream
        channel = Connection(os.dup(ours.fileno()))
        try:
            with store.order_ids() as (stored, ids):
                channel.send((config, staging_plan(), store.rules, checkpoints, batch_rows, Path(folder), stored + backlog_bytes // BYTES_PER_ORDER_LINE))
                # A child that failed early has gone; what it said waits below.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    for chunk in iter(lambda: list(islice(ids, ORDER_ID_CHUNK)), []):
                        channel.send(chunk)
                    channel.send([])
            while not stop.is_set():
                try:
                    message = channel.recv()
                except EOFError:
                    raise RuntimeError(f"the feed reader process ended without a word (exit code {child.wait()})") from None
                kind = message[0]
                if kind == "done":
                    break
                if kind == "error":
                    raise message[1]
                _kind, batch, staged = message
                yield batch, staged
                # Committed: the child may stage another batch, and this one's file is spent.
                if staged is not None:
                    staged.path.unlink(missing_ok=True)
                # A child that has read everything may be gone already; its last words are still in the pipe.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    channel.send(True)
        finally:
            channel.close()
            try:
                child.wait(timeout=5)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def _remove_dead_writers_folders() -> None:
    """Remove the staging folders of ingests that no longer run (a reader removes its writer's, unless both were killed)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{STAGING_PREFIX}*-*"):
        pid = folder.name.removeprefix(STAGING_PREFIX).split("-", 1)[0]
        if pid.isdigit() and is_gone(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _read_feeds(channel: Connection) -> None:
    """The child: read every feed until caught up (as connectors.runner does in one process), staging the orders each batch names for the first time."""
    folder = None
    try:
        config, plan, rules, checkpoints, batch_rows, folder, expected_ids = channel.recv()
        seen = Bloom(max(1, expected_ids), FALSE_POSITIVE_RATE)
        while ids := channel.recv():
            seen.update(ids)
        readers = [FeedReader(feed, config, checkpoints.get(feed.label, []), settle_seconds=0.0) for feed in config.feeds]
        staged_count = unacknowledged = 0
        while True:
            rows = 0
            for reader in readers:
                for batch in reader.batches(batch_rows):
                    size = len(batch)
                    batch.orders, first_seen = _split_first_seen(batch.orders, seen)
                    staged = None
                    if first_seen:
                        staged_count += 1
                        staged = write_staged_orders(folder / f"batch-{staged_count}.db", first_seen, rules, plan)
                    if unacknowledged >= LOOKAHEAD:
                        channel.recv()
                        unacknowledged -= 1
                    channel.send(("batch", batch, staged))
                    unacknowledged += 1
                    rows += size
            if rows == 0:
                break
        channel.send(("done",))
    except (EOFError, BrokenPipeError, ConnectionResetError):
        # The writer stopped or died: nothing is waiting for us. A writer killed outright left its
        # folder of staged batches behind, so the child takes it away.
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
    except Exception as error:  # noqa: BLE001 - every failure goes to the writer, which raises it
        try:
            channel.send(("error", error))
        except Exception:  # noqa: BLE001 - an error that does not pickle still gets its message across
            channel.send(("error", RuntimeError(f"the feed reader process failed: {type(error).__name__}: {error}")))
    finally:
        channel.close()


def _split_first_seen(lines: list[OrderLine], seen: Bloom) -> tuple[list[OrderLine], list[OrderLine]]:
    """Split a batch's order lines into those whose order `seen` may hold or the batch names twice, and the rest; add the batch's ids to `seen`."""
    in_batch: set[str] = set()
    followed: set[str] = set()
    for line in lines:
        order_id = line.order_id
        if order_id in in_batch or order_id in seen:
            followed.add(order_id)
        in_batch.add(order_id)
    seen.update(in_batch)
    if not followed:
        return [], lines
    return [line for line in lines if line.order_id in followed], [line for line in lines if line.order_id not in followed]


if __name__ == "__main__":
    _read_feeds(Connection(int(sys.argv[1])))
