"""Reading a backlog in a second process, ahead of the writer (`warroom ingest --once` on SQLite).

One process cannot both parse a million lines and write them at half the speed of a raw insert:
parsing alone is a fifth of the ingest. Here the feeds are read by a child process, which writes
each batch's order lines to a small SQLite file of its own (warroom.store.write_staged_orders);
the writer ATTACHes that file and writes the orders it has not seen yet set-wise from it, so the
lines never become Python objects in the writer. Check-ins, bad rows and checkpoints travel over
the socket.

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
from multiprocessing.connection import Connection
from pathlib import Path

from connectors.feed import FeedReader
from warroom.config import EventConfig
from warroom.records import Batch, Checkpoint
from warroom.rules import LedgerRules
from warroom.store import StagedOrders, write_staged_orders

# Batches the child may stage before the writer has committed them: enough to keep both processes
# busy, few enough that the staged files stay small.
LOOKAHEAD = 2


def read_ahead(config: EventConfig, rules: LedgerRules, checkpoints: dict[str, list[Checkpoint]], batch_rows: int,
               stop: threading.Event) -> Iterator[tuple[Batch, StagedOrders | None]]:
    """Yield each feed's batches, read by a child process, as (the batch without its orders, its staged orders); commit each before taking the next.

    Raises what the child raised (a ConfigError stays one), after the child is gone.
    """
    # `python -m connectors.pipeline`, not multiprocessing's spawn: spawn re-runs the parent's main
    # script in the child, and the parent may be a Streamlit script or a test runner.
    ours, theirs = socket.socketpair()
    with tempfile.TemporaryDirectory(prefix="warroom-ingest-") as folder, ours, theirs:
        root = str(Path(__file__).resolve().parent.parent)
        environment = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (root, os.environ.get("PYTHONPATH"))))}
        child = subprocess.Popen([sys.executable, "-m", "connectors.pipeline", str(theirs.fileno())], pass_fds=(theirs.fileno(),),
                                 env=environment, stdin=subprocess.DEVNULL)
        theirs.close()  # the child's end is the child's alone now, so its death reads here as the end of the stream
        channel = Connection(os.dup(ours.fileno()))
        try:
            channel.send((config, rules, checkpoints, batch_rows, Path(folder)))
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


def _read_feeds(channel: Connection) -> None:
    """The child: read every feed until caught up (as connectors.runner does in one process), staging each batch's orders."""
    folder = None
    try:
        config, rules, checkpoints, batch_rows, folder = channel.recv()
        readers = [FeedReader(feed, config, checkpoints.get(feed.label, []), settle_seconds=0.0) for feed in config.feeds]
        staged_count = unacknowledged = 0
        while True:
            rows = 0
            for reader in readers:
                for batch in reader.batches(batch_rows):
                    staged = None
                    if batch.orders:
                        staged_count += 1
                        staged = write_staged_orders(folder / f"batch-{staged_count}.db", batch.orders, rules)
                    size = len(batch)
                    batch.orders = []
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


if __name__ == "__main__":
    _read_feeds(Connection(int(sys.argv[1])))
