"""How much of a backlog is read, in bytes: what decides a read-ahead, and what a --once run's progress bar shows."""

from __future__ import annotations

import pytest

from connectors.backlog import FeedBytes
from connectors.runner import run_ingest
from warroom.config import load_event
from warroom.records import Checkpoint
from warroom.rules import LedgerRules
from warroom.store import Store


@pytest.fixture
def files(event_dir):
    (event_dir / "feeds" / "orders.csv").write_bytes(b"x" * 1000)
    (event_dir / "feeds" / "checkins.jsonl").write_bytes(b"y" * 300)
    return event_dir / "feeds"


def checkpoint(config, kind: str, path, offset: int, done: bool = False, file: tuple[int, int] | None = None) -> Checkpoint:
    """A checkpoint of the file now at `path` (or of the file `file`, a device and inode, that path named before)."""
    label = next(feed.label for feed in config.feeds if feed.kind == kind)
    if file is None:
        info = path.stat()
        file = (info.st_dev, info.st_ino)
    return Checkpoint(label, f"{file[0]}:{file[1]}:256:{'0' * 40}", str(path), offset, done)


def test_the_unread_bytes_are_what_no_checkpoint_covers(small_event, files):
    read_to = checkpoint(small_event, "orders", files / "orders.csv", 600)
    assert FeedBytes.measure(small_event, {read_to.feed: [read_to]}).unread == 400 + 300


def test_a_rotated_files_checkpoint_does_not_count_for_the_new_file_at_its_path(small_event, files):
    """After a rotation the path names a new file; the old file's offset says nothing of it."""
    info = (files / "orders.csv").stat()
    old_file = checkpoint(small_event, "orders", files / "orders.csv", 5000, file=(info.st_dev, info.st_ino + 1_000_000))
    assert FeedBytes.measure(small_event, {old_file.feed: [old_file]}).unread == 1000 + 300


@pytest.mark.parametrize(("offsets", "unread"), [
    ([600], 400),
    ([600, 200], 400),  # a file read again from 0 (truncated, rewritten) is not progress
    ([5000], 0),  # an offset past the size measured: the file grew since
    ([0, 1000], 0),
])
def test_a_files_progress_is_its_furthest_checkpoint(small_event, files, offsets, unread):
    measured = FeedBytes.measure(small_event, {})
    for offset in offsets:
        measured.advance([checkpoint(small_event, "orders", files / "orders.csv", offset)])
    assert measured.unread == unread + 300


@pytest.mark.parametrize(("offset", "done", "unread"), [(40, False, 2048), (40, True, 0)])
def test_a_workbook_counts_as_read_only_once_it_is_done(small_event, files, offset, done, unread):
    """A workbook's offset counts sheet rows, not bytes."""
    (files / "export.xlsx").write_bytes(b"z" * 2048)
    config = small_event.model_copy(update={"feeds": [small_event.feeds[0].model_copy(update={"path": "feeds/export.xlsx", "format": "xlsx"})]})
    measured = FeedBytes.measure(config, {})
    measured.advance([checkpoint(config, "orders", files / "export.xlsx", offset, done)])
    assert measured.unread == unread


def test_a_once_run_reads_its_whole_backlog_and_counts_it(sample_dir, tmp_path):
    config = load_event(sample_dir / "event.toml")
    store = Store(f"sqlite:///{tmp_path / 'w.db'}", LedgerRules.from_config(config))
    seen = []
    try:
        totals = run_ingest(config, store, once=True, batch_rows=500, on_batch=lambda totals, _rows: seen.append(totals.backlog_read))
        again = run_ingest(config, store, once=True)
    finally:
        store.close()
    feeds = sum(path.stat().st_size for path in (sample_dir / "feeds").rglob("*") if path.is_file())
    assert totals.backlog_bytes == feeds
    assert seen == sorted(seen) and len(seen) > 3
    assert seen[-1] == totals.backlog_read == feeds
    assert (again.backlog_bytes, again.backlog_read) == (0, 0)
