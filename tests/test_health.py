"""Feed health: files, unread bytes, the last row seen and its lag, quarantined rows, and the ingest's heartbeat."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors.feed import FeedReader
from warroom.health import ingest_health
from warroom.records import BadRow, Batch, CheckIn, Checkpoint, OrderLine
from warroom.rules import LedgerRules
from warroom.store import Store

AT_21H = datetime.fromisoformat("2026-05-20T21:00:00+08:00")


def fingerprint_of(path: Path) -> str:
    """Return a checkpoint fingerprint naming the file now at `path` (its device and inode, as connectors.tail writes them)."""
    info = path.stat()
    return f"{info.st_dev}:{info.st_ino}:64:{'0' * 40}"


@pytest.fixture
def fed(event_dir, small_event):
    """Return the small event's store after one batch: two orders, a check-in, a bad row and both feeds' checkpoints."""
    orders_file = event_dir / "feeds" / "orders.csv"
    orders_file.write_text("x" * 1000, encoding="utf-8")
    orders_feed, checkins_feed = (feed.label for feed in small_event.feeds)
    store = Store(small_event.store_url, LedgerRules.from_config(small_event))
    moment = int(AT_21H.timestamp())
    store.apply(Batch(
        orders=[OrderLine("A1", moment - 60, 10_000, staff_id="S01"), OrderLine("A2", moment, 5_000, staff_id="S02")],
        checkins=[CheckIn("K1", moment - 600, "join_group", customer_id="C1", group_id="G01")],
        bad_rows=[BadRow(orders_feed, "line 3", "bad,row", "no amount")],
        checkpoints=[Checkpoint(orders_feed, fingerprint_of(orders_file), str(orders_file), 600), Checkpoint(checkins_feed, "fp-2", str(event_dir / "gone.jsonl"), 40, done=True)],
    ))
    yield small_event, store
    store.close()


def test_each_feed_s_health(fed):
    config, store = fed
    orders, checkins = ingest_health(store, config, AT_21H + timedelta(minutes=2)).feeds
    assert (orders.files, orders.bytes_read, orders.bytes_unread, orders.last_row_at, orders.lag, orders.quarantined) == (
        1, 600, 400, AT_21H, timedelta(minutes=2), 1)
    # The checked-in file is gone from disk: nothing is counted as unread.
    assert (checkins.files, checkins.bytes_unread, checkins.lag, checkins.quarantined) == (1, 0, timedelta(minutes=12), 0)


@pytest.mark.parametrize("done", [True, False], ids=["drained", "not drained"])
def test_a_file_rotated_away_is_not_measured_by_the_new_file_at_its_path(fed, event_dir, done):
    config, store = fed
    orders_file = event_dir / "feeds" / "orders.csv"
    rotated = orders_file.with_name("orders.csv.1")
    orders_file.rename(rotated)
    orders_file.write_text("y" * 5000, encoding="utf-8")
    orders_feed = config.feeds[0].label
    store.apply(Batch(checkpoints=[Checkpoint(orders_feed, fingerprint_of(rotated), str(orders_file), 1000, done=done),
                                   Checkpoint(orders_feed, fingerprint_of(orders_file), str(orders_file), 4000)]))
    orders = ingest_health(store, config, AT_21H).feeds[0]
    # Only the new file's last 1 000 bytes are unread, not also 5 000 − 1 000 for the rotated one.
    assert (orders.files, orders.bytes_unread) == (2, 1000)


def test_a_file_that_grew_past_its_short_fingerprint_counts_once_and_caught_up(store, small_event, event_dir):
    # A file under 256 bytes is fingerprinted on what it has and re-fingerprinted as it grows
    # (connectors.tail), so one file leaves several checkpoints behind; only its latest says where reading is.
    orders_file = event_dir / "feeds" / "orders.csv"
    orders_file.write_text("order_id,ts,amount\n", encoding="utf-8")
    reader = FeedReader(small_event.feeds[0], small_event, [], clock=lambda: AT_21H.timestamp())
    rows = [f"A{index},2026-05-20 20:{index:02d}:00,199\n" for index in range(40)]
    for appended in ([], rows[:2], rows[2:5], rows[5:]):  # the header alone, then past 64 bytes, then past 256
        with orders_file.open("a", encoding="utf-8") as handle:
            handle.writelines(appended)
        store.apply(reader.poll())
    reader.close()
    orders = ingest_health(store, small_event, AT_21H).feeds[0]
    assert (orders.files, orders.bytes_read, orders.bytes_unread) == (1, orders_file.stat().st_size, 0)


def test_what_is_left_of_a_rotated_file_is_found_by_its_inode_in_the_feed_s_folder(fed, event_dir):
    # As when the ingest stopped before it had drained the file that a rotation renamed away.
    config, store = fed
    orders_file = event_dir / "feeds" / "orders.csv"
    orders_file.rename(orders_file.with_name("orders.csv.1"))
    orders_file.write_text("y" * 5000, encoding="utf-8")
    store.apply(Batch(checkpoints=[Checkpoint(config.feeds[0].label, fingerprint_of(orders_file), str(orders_file), 4000)]))
    orders = ingest_health(store, config, AT_21H).feeds[0]
    # 1 000 − 600 bytes of the rotated file, and 5 000 − 4 000 of the new one.
    assert (orders.files, orders.bytes_unread) == (2, 1400)


def test_an_empty_store_has_seen_nothing(small_event, tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'empty.db'}", LedgerRules.from_config(small_event))
    health = ingest_health(store, small_event, AT_21H)
    store.close()
    assert [(feed.files, feed.last_row_at, feed.lag) for feed in health.feeds] == [(0, None, None), (0, None, None)]


@pytest.mark.parametrize(("heartbeat_ago", "running"), [(None, False), (timedelta(seconds=5), True), (timedelta(minutes=5), False)])
def test_an_ingest_is_running_while_it_renews_its_lease(fed, heartbeat_ago, running):
    config, store = fed
    wall = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    if heartbeat_ago is not None:
        store.take_lease("ingest", "host:1", int((wall - heartbeat_ago).timestamp()), 15)
    health = ingest_health(store, config, AT_21H, wall_now=wall)
    assert (health.ingest_running, health.quarantined) == (running, 1)
