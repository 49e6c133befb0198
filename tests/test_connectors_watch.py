"""The feed watcher: file events wake the loop, and without events `wait` returns after its timeout."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.tail import watched_folder
from connectors.watch import FeedWatcher, feed_folders

# Generous: `wait` returns as soon as the event arrives; this only bounds a broken watcher.
EVENT_TIMEOUT = 30


@pytest.mark.parametrize(
    ("pattern", "folder"),
    [("/data/feeds/orders.csv", "/data/feeds"), ("/data/feeds/*.jsonl", "/data/feeds"), ("/data/**/orders-*.csv", "/data")],
)
def test_the_watched_folder_is_the_fixed_part_of_a_feed_path(pattern, folder):
    assert watched_folder(Path(pattern)) == Path(folder)


def test_feed_folders_cover_every_feed_once(small_event, event_dir):
    assert feed_folders(small_event) == [(event_dir / "feeds", False)]


def test_wait_returns_false_when_nothing_changed(small_event):
    assert FeedWatcher(small_event).wait(timeout=0) is False


def test_wake_ends_the_wait(small_event):
    watcher = FeedWatcher(small_event)
    watcher.wake()
    assert watcher.wait(timeout=0) is True


def test_a_wake_is_consumed_by_one_wait(small_event):
    watcher = FeedWatcher(small_event)
    watcher.wake()
    watcher.wait(timeout=0)
    assert watcher.wait(timeout=0) is False


@pytest.mark.parametrize("polling", [False, True], ids=["inotify", "polling"])
def test_a_new_line_in_a_feed_wakes_the_watcher(small_event, event_dir, polling):
    path = event_dir / "feeds" / "orders.csv"
    path.write_text("order_id,ts,amount\n", encoding="utf-8")
    with FeedWatcher(small_event, polling=polling, interval=0.1) as watcher:
        watcher.wait(timeout=0)
        with open(path, "a", encoding="utf-8") as handle:
            handle.write("A1,2026-05-20 21:00:00,1\n")
        assert watcher.wait(timeout=EVENT_TIMEOUT) is True


def test_a_feed_folder_that_does_not_exist_yet_is_watched_through_its_parent(small_event, tmp_path):
    watcher = FeedWatcher(folders=[(tmp_path / "not" / "yet", False)])
    watcher.start()
    try:
        (tmp_path / "not").mkdir()
        assert watcher.wait(timeout=EVENT_TIMEOUT) is True
    finally:
        watcher.stop()
