"""Ingest robustness: two ingests on one store, dashboards reading while the ingest commits, writers
waiting for writers, future and out-of-order times, the quarantine re-read, and files rotated
while the ingest was stopped.

Decided here: **a row's time is taken as written.** A payment time in the future, before the
event, or earlier than rows already read is ingested and counted in every total like any other
row; it lands in its own minute on the charts. The feeds are the truth and shop clocks drift:
dropping or clamping such a row would lose or move real money. (A later row of the same order
never moves its sale: the order keeps the first payment time seen, see the store.)

Subprocesses are waited for by polling the store with a deadline; readers are driven directly.
Nothing sleeps to wait for a file event, and nothing asserts on timings.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, func, select, text

from bench.crash import IngestProcess, StoreProbe, wait_for
from connectors.feed import FeedReader
from connectors.runner import LEASE, LEASE_TTL_SECONDS, IngestRefused, _process_space, run_ingest
from connectors.tail import FINGERPRINT_BYTES, Fingerprint
from tests.conftest import ROOT
from warroom import schema
from warroom.clock import FixedClock
from warroom.config import Feed
from warroom.figures import LiveFigures, stats_json
from warroom.records import Batch, Checkpoint, OrderLine
from warroom.rules import LedgerRules
from warroom.store import Store

HEADER = "order_id,ts,amount,status,customer_id\n"
TZ = ZoneInfo("Asia/Shanghai")
T0 = int(datetime(2026, 5, 20, 20, 30, tzinfo=TZ).timestamp())
NOW = datetime(2026, 5, 20, 21, 0, tzinfo=TZ)


def row(order_id: str, ts: str = "2026-05-20 21:00:00", amount: str = "1299", status: str = "paid", customer: str = "c1") -> str:
    return f"{order_id},{ts},{amount},{status},{customer}\n"


def order(order_id: str, **fields) -> OrderLine:
    return OrderLine(order_id=order_id, **({"ts": T0, "amount_fen": 129900, "customer_id": "c1"} | fields))


def warroom(event_file: Path, *args: str, url: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "WARROOM_DB_URL": url} if url else None
    return subprocess.run([sys.executable, "-m", "warroom", *args, "-c", str(event_file)], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)


def lease_owner(store: Store) -> str | None:
    with store.reading() as conn:
        return conn.execute(select(schema.leases.c.owner).where(schema.leases.c.name == LEASE)).scalar()


def owner_on_this_host(pid: int) -> str:
    """The lease owner an ingest with this pid on this host would write."""
    return f"{socket.gethostname()}:{pid}:1:{_process_space()}"


def read_feed(config, path: Path, checkpoints=(), clock=time.time, kind: str = "orders") -> FeedReader:
    return FeedReader(Feed(kind=kind, path=str(path)), config, list(checkpoints), clock=clock)


# -- two ingests on one store -------------------------------------------------------------------


def test_a_second_ingest_process_is_refused_while_the_first_runs(event_dir, store_url):
    (event_dir / "feeds" / "orders.csv").write_text(HEADER + row("o1"), encoding="utf-8")
    event_file = event_dir / "event.toml"
    first = IngestProcess(event_file, event_dir / "logs", env={**os.environ, "WARROOM_DB_URL": store_url})
    probe = StoreProbe(store_url)
    first.start()
    try:
        wait_for(lambda: first.check_alive() or probe.lease_pid() == first.pid, 60, lambda: f"the first ingest to take the lease:\n{first.tail()}")
        for args in (("ingest", "--once"), ("ingest",)):
            second = warroom(event_file, *args, url=store_url)
            assert second.returncode == 2
            assert second.stderr.count("\n") == 1
            assert "Traceback" not in second.stderr
            assert "another ingest" in second.stderr and f":{first.pid}:" in second.stderr
        assert first.stop() == 0  # SIGTERM: it finishes its batch and lets go of the lease
        assert warroom(event_file, "ingest", "--once", url=store_url).returncode == 0
        assert probe.totals()[0] == 1
    finally:
        if first.running():
            first.kill()
        probe.close()


def test_a_second_ingest_in_the_same_process_is_refused(small_event, store):
    stop = threading.Event()
    following = threading.Thread(target=run_ingest, args=(small_event, store), kwargs={"once": False, "stop": stop})
    following.start()
    try:
        wait_for(lambda: lease_owner(store) is not None, 30, lambda: "the following ingest to take the lease")
        with pytest.raises(IngestRefused, match="another ingest"):
            run_ingest(small_event, store, once=True)
    finally:
        stop.set()
        following.join(30)
    assert lease_owner(store) is None  # a stopped ingest lets go of its lease


def test_even_two_ingests_at_once_would_count_nothing_twice(small_event, event_dir, store):
    """The lease is the guard; behind it the store dedupes, so two readers of one feed (say, on two hosts after a stale lease) are harmless."""
    path = event_dir / "feeds" / "orders.csv"
    path.write_text(HEADER + "".join(row(f"o{n}", customer=f"c{n}") for n in range(50)), encoding="utf-8")
    first, second = read_feed(small_event, path), read_feed(small_event, path)
    batches = [first.poll(max_rows=20), second.poll(max_rows=30), first.poll(max_rows=20), second.poll(), first.poll()]
    for batch in batches:
        store.apply(batch)
    stats = stats_json(LiveFigures(store, small_event, clock=FixedClock(NOW)).refresh())
    assert (stats["orders"], stats["revenue"], stats["paying_customers"]) == (50, 50 * 1299.0, 50)


def test_a_lease_left_by_a_killed_ingest_on_this_host_is_taken_over_at_once(small_event, store):
    killed = subprocess.Popen([sys.executable, "-c", "pass"])
    killed.wait()
    assert store.take_lease(LEASE, owner_on_this_host(killed.pid), int(time.time()), LEASE_TTL_SECONDS) is None
    run_ingest(small_event, store, once=True)  # no wait for the 15 s TTL
    assert lease_owner(store) is None


def test_a_killed_ingest_not_reaped_yet_counts_as_dead(small_event, event_dir, store):
    """A zombie keeps its pid until it is reaped, but its fresh lease is taken over at once, and the feed is read."""
    (event_dir / "feeds" / "orders.csv").write_text(HEADER + row("o1"), encoding="utf-8")
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        stat_file = Path(f"/proc/{zombie.pid}/stat")
        wait_for(lambda: stat_file.read_text().rsplit(")", 1)[1].split()[0] == "Z", 30, lambda: "the child to exit")
        assert store.take_lease(LEASE, owner_on_this_host(zombie.pid), int(time.time()), LEASE_TTL_SECONDS) is None
        run_ingest(small_event, store, once=True)  # no IngestRefused, no wait for the 15 s TTL
    finally:
        zombie.wait()
    assert store.count("orders") == 1
    assert lease_owner(store) is None


def test_a_lease_held_by_a_live_process_on_this_host_is_refused(small_event, store):
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        store.take_lease(LEASE, owner_on_this_host(alive.pid), int(time.time()), LEASE_TTL_SECONDS)
        with pytest.raises(IngestRefused):
            run_ingest(small_event, store, once=True)
    finally:
        alive.kill()
        alive.wait()


@pytest.mark.parametrize("owner", ["otherhost:1:1:x/1", "{host}:999999999:1:other/1", "{host}:999999999:1", "garbage"])
def test_a_fresh_lease_whose_holder_cannot_be_checked_is_refused(small_event, store, owner):
    """Another host, another boot or PID namespace, or an unknown owner format: only the TTL can free it."""
    store.take_lease(LEASE, owner.format(host=socket.gethostname()), int(time.time()), LEASE_TTL_SECONDS)
    with pytest.raises(IngestRefused):
        run_ingest(small_event, store, once=True)


def test_the_lease_is_renewed_while_a_long_backlog_is_written(small_event, event_dir, store):
    """Batches taking longer than the TTL in all must not let a second ingest in halfway."""
    (event_dir / "feeds" / "orders.csv").write_text(HEADER + "".join(row(f"o{n}") for n in range(12_000)), encoding="utf-8")
    now = [2_000_000_000.0]
    intruder: list[str | None] = []

    def on_batch(_totals, _rows) -> None:
        now[0] += LEASE_TTL_SECONDS * 2 / 3  # each batch takes 10 s on this clock
        intruder.append(store.take_lease(LEASE, "otherhost:1:1:x/1", int(now[0]), LEASE_TTL_SECONDS))

    totals = run_ingest(small_event, store, once=True, on_batch=on_batch, clock=lambda: now[0])
    assert totals.batches >= 3 and None not in intruder


class _StoreWhoseSecondCommitFails(Store):
    """A real store, but its second commit fails, as on a full disk or a dropped connection."""

    commits = 0

    def apply(self, batch: Batch, staged=None):
        self.commits += 1
        if self.commits == 2:
            raise OSError("No space left on device")
        return super().apply(batch, staged)


def test_a_failed_commit_stops_the_ingest_with_nothing_read_after_it_committed(small_event, event_dir, store):
    """The next batch is parsed while one commits: a failed commit must still be the last thing written."""
    (event_dir / "feeds" / "orders.csv").write_text(HEADER + "".join(row(f"o{n}", customer=f"c{n}") for n in range(12_000)), encoding="utf-8")
    failing = _StoreWhoseSecondCommitFails(store.url, LedgerRules.from_config(small_event))
    try:
        with pytest.raises(OSError, match="No space left"):
            run_ingest(small_event, failing, once=True, batch_rows=5_000)
    finally:
        failing.close()
    assert store.count("orders") == 5_000
    run_ingest(small_event, store, once=True, batch_rows=5_000)
    figures = stats_json(LiveFigures(store, small_event, clock=FixedClock(NOW)).refresh())
    assert (store.count("orders"), figures["orders"], figures["revenue"]) == (12_000, 12_000, 12_000 * 1299)


# -- dashboards reading while the ingest writes -------------------------------------------------


def test_a_long_dashboard_read_does_not_block_the_ingest(store, small_event):
    dashboard = Store(store.url, LedgerRules.from_config(small_event))
    try:
        store.apply(Batch(orders=[order("o1")]))
        with dashboard.reading() as conn:
            assert conn.execute(select(func.count()).select_from(schema.orders)).scalar_one() == 1
            for n in range(2, 12):
                store.apply(Batch(orders=[order(f"o{n}", customer_id=f"c{n}")]))  # no "database is locked"
            # The read transaction keeps its snapshot; the commits are there for the next one.
            assert conn.execute(select(func.count()).select_from(schema.orders)).scalar_one() == 1
            assert conn.execute(select(func.sum(schema.order_rollup.c.paid_orders)).where(schema.order_rollup.c.dimension == "total")).scalar_one() == 1
        with dashboard.reading() as conn:
            assert conn.execute(select(func.count()).select_from(schema.orders)).scalar_one() == 11
    finally:
        dashboard.close()


def test_dashboards_refreshing_all_along_never_make_the_ingest_fail(store, small_event):
    dashboard = Store(store.url, LedgerRules.from_config(small_event))
    figures = LiveFigures(dashboard, small_event, clock=FixedClock(NOW))
    done, errors, refreshes = threading.Event(), [], [0]

    def keep_reading() -> None:
        try:
            while not done.is_set():
                with dashboard.reading() as conn:  # a read transaction of several queries
                    conn.execute(select(func.count()).select_from(schema.orders)).scalar_one()
                    conn.execute(select(schema.order_rollup)).all()
                    conn.execute(select(schema.checkins.c.kind, func.count()).group_by(schema.checkins.c.kind)).all()
                figures.refresh()
                refreshes[0] += 1
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    readers = [threading.Thread(target=keep_reading) for _ in range(2)]
    for reader in readers:
        reader.start()
    try:
        wait_for(lambda: refreshes[0] > 0 or bool(errors), 30, lambda: "the dashboards to start reading")
        for n in range(100):
            store.apply(Batch(orders=[order(f"o{n}", customer_id=f"c{n}")]))
    finally:
        done.set()
        for reader in readers:
            reader.join(30)
        dashboard.close()
    assert errors == []
    assert stats_json(LiveFigures(store, small_event, clock=FixedClock(NOW)).refresh())["orders"] == 100


def test_a_writer_waits_for_another_writer_instead_of_failing(store, small_event):
    """A second writer (the app recording a payout, a stray ingest) blocks the ingest's commit: it waits (busy_timeout, row lock) and then commits."""
    other = Store(store.url, LedgerRules.from_config(small_event))
    attempting, applied, errors = threading.Event(), threading.Event(), []
    event.listen(store.writer, "before_cursor_execute", lambda *_args, **_kw: attempting.set())

    def apply() -> None:
        try:
            store.apply(Batch(orders=[order("o1")]))
            applied.set()
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    writer = threading.Thread(target=apply)
    try:
        with other.writer.begin() as conn:
            # Hold the write lock: BEGIN IMMEDIATE on SQLite, the seq counter's row lock on PostgreSQL.
            conn.execute(text(f"UPDATE {schema.meta.name} SET value = value WHERE key = 'seq'"))
            writer.start()
            wait_for(attempting.is_set, 30, lambda: "the ingest's commit to start")
            # Whatever the speed of this machine, the commit cannot finish while the lock is held;
            # the pause only gives it time to reach the lock, so that it really has to wait.
            assert not applied.wait(0.3) and errors == []
        writer.join(30)
    finally:
        other.close()
    assert applied.is_set()
    assert errors == []
    assert store.count("orders") == 1


# -- times out of the ordinary --------------------------------------------------------------------


def test_future_early_and_out_of_order_times_are_ingested_and_counted(small_event, event_dir, store):
    path = event_dir / "feeds" / "orders.csv"
    path.write_text(HEADER + "".join([
        row("o1", "2026-05-20 21:00:00", customer="c1"),
        row("o2", "2030-01-01 00:00:00", customer="c2"),  # in the future (a shop clock gone wrong)
        row("o3", "2026-05-20 20:00:00", customer="c3"),  # earlier than the row before it
        row("o4", "2026-05-19 09:00:00", customer="c4"),  # before the event started
        row("o5", "2026-05-20 20:05:00", status="refunded", customer="c5"),  # a refund read before its sale
        row("o5", "2026-05-20 20:05:00", customer="c5"),
    ]), encoding="utf-8")
    reader = read_feed(small_event, path)
    store.apply(reader.poll())
    stats = stats_json(LiveFigures(store, small_event, clock=FixedClock(NOW)).refresh())
    assert (stats["orders"], stats["revenue"], stats["paying_customers"], stats["refunds"], stats["quarantined"]) == (4, 4 * 1299.0, 4, {"orders": 1, "amount": 1299.0}, 0)
    with store.reading() as conn:
        times = {order_id: ts for order_id, ts in conn.execute(select(schema.orders.c.order_id, schema.orders.c.ts))}
    as_written = {"o1": "2026-05-20 21:00", "o2": "2030-01-01 00:00", "o3": "2026-05-20 20:00", "o4": "2026-05-19 09:00", "o5": "2026-05-20 20:05"}
    assert {key: datetime.fromtimestamp(ts, TZ).strftime("%Y-%m-%d %H:%M") for key, ts in times.items()} == as_written


# -- quarantine: list, fix the source, release, re-read ---------------------------------------------


def test_quarantined_rows_are_read_again_once_fixed_and_released(event_dir):
    event_file = event_dir / "event.toml"
    orders, checkins = event_dir / "feeds" / "orders.csv", event_dir / "feeds" / "checkins.jsonl"
    orders.write_text(HEADER + row("o1", customer="c1") + row("o2", amount="12x9", customer="c2") + row("o3", customer="c3"), encoding="utf-8")
    checkins.write_text('{"id": "k1", "ts": "2026-05-20 20:00:00", "kind": "share", "customer_id": "c1"}\n'
                        '{"id": "k2", "ts": "2026-05-20 20:01:00", "kind": "shout", "customer_id": "c2"}\n', encoding="utf-8")
    assert warroom(event_file, "ingest", "--once").returncode == 0

    listing = warroom(event_file, "quarantine")
    assert listing.returncode == 0
    assert "orders:feeds/orders.csv orders.csv:line 3" in listing.stdout and "o2,2026-05-20 21:00:00,12x9,paid,c2" in listing.stdout
    assert "checkins:feeds/checkins.jsonl checkins.jsonl:line 2" in listing.stdout and '"kind": "shout"' in listing.stdout
    rows = json.loads(warroom(event_file, "quarantine", "--json").stdout)
    assert [(r["feed"], r["position"]) for r in rows] == [("orders:feeds/orders.csv", "orders.csv:line 3"), ("checkins:feeds/checkins.jsonl", "checkins.jsonl:line 2")]
    assert all(r["raw"] and r["reason"] for r in rows)
    before = json.loads(warroom(event_file, "stats", "--json").stdout)
    assert (before["orders"], before["quarantined"], before["checkins"]["share"]) == (2, 2, 1)

    # The user fixes both sources in place, releases the quarantine, and ingests again.
    orders.write_text(orders.read_text(encoding="utf-8").replace("12x9", "129"), encoding="utf-8")
    checkins.write_text(checkins.read_text(encoding="utf-8").replace('"shout"', '"share"'), encoding="utf-8")
    assert warroom(event_file, "quarantine", "--release").returncode == 0
    assert warroom(event_file, "ingest", "--once").returncode == 0
    after = json.loads(warroom(event_file, "stats", "--json").stdout)
    assert (after["orders"], after["revenue"], after["paying_customers"], after["quarantined"], after["checkins"]["share"]) == (3, 1299.0 * 2 + 129, 3, 0, 2)
    assert warroom(event_file, "ingest", "--once").returncode == 0
    assert json.loads(warroom(event_file, "stats", "--json").stdout) == after


def test_a_released_row_left_unfixed_is_quarantined_again_once(event_dir):
    event_file = event_dir / "event.toml"
    (event_dir / "feeds" / "orders.csv").write_text(HEADER + row("o1") + row("o2", amount="12x9"), encoding="utf-8")
    warroom(event_file, "ingest", "--once")
    warroom(event_file, "quarantine", "--release")
    warroom(event_file, "ingest", "--once")
    stats = json.loads(warroom(event_file, "stats", "--json").stdout)
    assert (stats["orders"], stats["quarantined"]) == (1, 1)


# -- a file rotated while the ingest was stopped ----------------------------------------------------


class Saved:
    """The checkpoints a store would have committed, to restart a reader from."""

    def __init__(self):
        self.checkpoints: dict[str, Checkpoint] = {}

    def keep(self, batch: Batch) -> Batch:
        self.checkpoints.update({checkpoint.fingerprint: checkpoint for checkpoint in batch.checkpoints})
        return batch


def ids(batch: Batch) -> list[str]:
    return [line.order_id for line in batch.orders]


def test_a_file_rotated_while_stopped_is_drained_from_its_checkpoint(small_event, event_dir):
    path, saved = event_dir / "feeds" / "orders.csv", Saved()
    path.write_text(HEADER + row("o1") + row("o2"), encoding="utf-8")
    assert ids(saved.keep(read_feed(small_event, path).poll())) == ["o1", "o2"]
    # Stopped: the writer adds two lines, then rotates and starts a new file.
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(row("o3") + row("o4"))
    path.rename(path.with_name("orders.csv.1"))
    path.write_text(HEADER + row("o5"), encoding="utf-8")
    restarted = read_feed(small_event, path, saved.checkpoints.values())
    assert ids(restarted.poll()) == ["o3", "o4", "o5"]  # the rotated file's rest first, each line once
    assert ids(restarted.poll()) == []


def test_a_rotated_files_partial_line_is_finished_after_the_rotate_wait(small_event, event_dir):
    path, saved, now = event_dir / "feeds" / "orders.csv", Saved(), [1_900_000_000.0]
    path.write_text(HEADER + row("o1") + "o2,2026-05-20 21:0", encoding="utf-8")
    assert ids(saved.keep(read_feed(small_event, path, clock=lambda: now[0]).poll())) == ["o1"]
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("0:00,1299,paid,c1")  # the writer ends its last line without a line break, then rotates
    path.rename(path.with_name("orders.csv.1"))
    restarted = read_feed(small_event, path, saved.checkpoints.values(), clock=lambda: now[0])
    assert ids(restarted.poll()) == []
    now[0] += 10
    assert ids(restarted.poll()) == ["o2"]


def test_a_file_of_the_folder_no_checkpoint_names_is_not_read(small_event, event_dir):
    path, saved = event_dir / "feeds" / "orders.csv", Saved()
    path.write_text(HEADER + row("o1"), encoding="utf-8")
    saved.keep(read_feed(small_event, path).poll())
    path.with_name("orders.csv.old").write_text(HEADER + row("x1"), encoding="utf-8")  # some other file, never part of the feed
    assert ids(read_feed(small_event, path, saved.checkpoints.values()).poll()) == []


def test_a_checkpoint_whose_inode_now_holds_other_bytes_adopts_nothing(small_event, event_dir):
    """An inode reused by an unrelated file in the folder: its bytes do not match the checkpoint's fingerprint."""
    path = event_dir / "feeds" / "orders.csv"
    path.write_text(HEADER + row("o1"), encoding="utf-8")
    other = path.with_name("notes.csv")
    other.write_text(HEADER + row("x1") + row("x2"), encoding="utf-8")
    info = other.stat()
    forged = Fingerprint(info.st_dev, info.st_ino, min(info.st_size, FINGERPRINT_BYTES), "0" * 40)
    checkpoints = [Checkpoint("orders:" + str(path), str(forged), str(path.with_name("orders.csv.1")), 10)]
    assert ids(read_feed(small_event, path, checkpoints).poll()) == ["o1"]


def test_a_rotated_file_is_found_again_by_the_real_ingest(small_event, event_dir, store):
    """The same through run_ingest and the store's checkpoints, as after a SIGKILL and a restart."""
    path = event_dir / "feeds" / "orders.csv"
    path.write_text(HEADER + row("o1", customer="c1"), encoding="utf-8")
    run_ingest(small_event, store, once=True)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(row("o2", customer="c2"))
    os.rename(path, path.with_name("orders.csv.1"))
    path.write_text(HEADER + row("o3", customer="c3"), encoding="utf-8")
    run_ingest(small_event, store, once=True)
    assert store.count("orders") == 3


def test_sigkill_leaves_no_lease_that_blocks_a_restart(event_dir):
    """After a SIGKILL the next `ingest --once` starts at once, though the dead one's lease is fresh."""
    (event_dir / "feeds" / "orders.csv").write_text(HEADER + row("o1"), encoding="utf-8")
    following = IngestProcess(event_dir / "event.toml", event_dir / "logs")
    probe = StoreProbe(f"sqlite:///{event_dir / 'warroom.db'}")
    following.start()
    try:
        wait_for(lambda: following.check_alive() or probe.lease_pid() == following.pid, 60, lambda: following.tail())
        following.kill()
        result = warroom(event_dir / "event.toml", "ingest", "--once")
        assert result.returncode == 0, result.stderr
    finally:
        if following.running():
            following.kill()
        probe.close()
