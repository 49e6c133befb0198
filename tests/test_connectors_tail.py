"""The tailing engine: partial lines, restarts, rotation, truncation, globs, checkpoints and dropped exports.

Time is injected: the reader's clock is a `Clock` the test moves by hand, and dropped files get
their mtime set with os.utime. Nothing sleeps.
"""

from __future__ import annotations

import dataclasses
import os
import shutil

import pytest

from connectors.feed import FeedReader
from connectors.tail import FINGERPRINT_BYTES, Fingerprint
from warroom.config import Feed
from warroom.records import Batch
from warroom.rules import LedgerRules
from warroom.store import Store

HEADER = "order_id,ts,amount\n"
T0 = 1_800_000_000.0


def row(order_id: str) -> str:
    return f"{order_id},2026-05-20 21:00:00,1299\n"


def rows(*order_ids: str) -> str:
    return "".join(row(order_id) for order_id in order_ids)


def checkin(checkin_id: str) -> str:
    return f'{{"id": "{checkin_id}", "ts": "2026-05-20 21:00:00", "kind": "share", "customer_id": "C1"}}\n'


def append(path, text: str) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(text)


def ids(batch: Batch) -> list[str]:
    return [order.order_id for order in batch.orders] + [event.checkin_id for event in batch.checkins]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = T0):
        self.now = now

    def __call__(self) -> float:
        return self.now


class Ingest:
    """A reader plus the checkpoints a store would have committed, so a test can restart it."""

    def __init__(self, config, path, clock: Clock | None = None, **feed):
        self.config = config
        self.feed = Feed(kind=feed.pop("kind", "orders"), path=str(path), **feed)
        self.clock = clock or Clock()
        self.saved: dict[str, object] = {}
        self.reader = self.restart()

    def restart(self, checkpoints=None) -> FeedReader:
        """Start a fresh reader from the committed checkpoints (or the given ones), as after a process restart."""
        if getattr(self, "reader", None):
            self.reader.close()
        self.reader = FeedReader(self.feed, self.config, list(self.saved.values()) if checkpoints is None else checkpoints, clock=self.clock)
        return self.reader

    def poll(self, max_rows: int = 5000) -> Batch:
        batch = self.reader.poll(max_rows)
        self.saved.update({checkpoint.fingerprint: checkpoint for checkpoint in batch.checkpoints})
        return batch


@pytest.fixture
def orders_csv(event_dir):
    return event_dir / "feeds" / "orders.csv"


@pytest.fixture
def ingest(small_event, orders_csv):
    orders_csv.write_text(HEADER, encoding="utf-8")
    running = Ingest(small_event, orders_csv)
    yield running
    running.reader.close()


# -- appended files: complete lines only ------------------------------------------------------


def test_a_new_file_is_read_from_the_beginning(ingest, orders_csv):
    append(orders_csv, rows("A1", "A2"))
    assert ids(ingest.poll()) == ["A1", "A2"]


def test_nothing_new_is_an_empty_batch(ingest, orders_csv):
    append(orders_csv, rows("A1"))
    ingest.poll()
    batch = ingest.poll()
    assert (len(batch), batch.checkpoints) == (0, [])


def test_a_partial_last_line_waits_for_its_line_break(ingest, orders_csv):
    append(orders_csv, row("A1") + "A2,2026-05-20 21:0")
    assert ids(ingest.poll()) == ["A1"]


def test_a_partial_last_line_is_finished_exactly_once(ingest, orders_csv):
    append(orders_csv, row("A1") + "A2,2026-05-20 21:0")
    ingest.poll()
    append(orders_csv, "0:00,1299\n")
    assert (ids(ingest.poll()), ids(ingest.poll())) == (["A2"], [])


def test_the_checkpoint_ends_at_the_last_complete_line(ingest, orders_csv):
    append(orders_csv, row("A1") + "A2,2026")
    assert ingest.poll().checkpoints[0].offset == len(HEADER + row("A1"))


def test_a_partial_last_line_is_finished_exactly_once_across_a_restart(ingest, orders_csv):
    append(orders_csv, row("A1") + "A2,2026-05-20 21:0")
    ingest.poll()
    append(orders_csv, "0:00,1299\n")
    ingest.restart()
    assert (ids(ingest.poll()), ids(ingest.poll())) == (["A2"], [])


def test_a_restart_resumes_from_the_checkpoint(ingest, orders_csv):
    append(orders_csv, rows("A1", "A2"))
    ingest.poll()
    append(orders_csv, rows("A3"))
    ingest.restart()
    assert ids(ingest.poll()) == ["A3"]


def test_max_rows_splits_a_read_and_the_next_poll_goes_on(ingest, orders_csv):
    append(orders_csv, rows("A1", "A2", "A3"))
    assert (ids(ingest.poll(max_rows=2)), ids(ingest.poll(max_rows=2))) == (["A1", "A2"], ["A3"])


def test_a_restart_after_a_split_read_goes_on_where_the_commit_ended(ingest, orders_csv):
    append(orders_csv, rows("A1", "A2", "A3"))
    ingest.poll(max_rows=2)
    ingest.restart()
    assert ids(ingest.poll()) == ["A3"]


def test_a_resumed_csv_rereads_its_header_from_the_start(small_event, event_dir):
    path = event_dir / "feeds" / "orders.csv"
    path.write_text("amount,order_id,ts\n" + "1,A1,2026-05-20 21:00:00\n", encoding="utf-8")
    running = Ingest(small_event, path)
    running.poll()
    append(path, "2,A2,2026-05-20 21:00:00\n")
    running.restart()
    assert [(order.order_id, order.amount_fen) for order in running.poll().orders] == [("A2", 200)]


def test_bad_rows_name_their_line(ingest, orders_csv):
    append(orders_csv, rows("A1") + "A2,later,1\n")
    assert [(bad.position, bad.raw, bad.reason) for bad in ingest.poll().bad_rows] == [("orders.csv:line 3", "A2,later,1", "ts 'later' is not a time")]


def test_line_numbers_survive_a_restart(ingest, orders_csv):
    append(orders_csv, rows("A1", "A2"))
    ingest.poll()
    append(orders_csv, "A3,later,1\n")
    ingest.restart()
    assert [bad.position for bad in ingest.poll().bad_rows] == ["orders.csv:line 4"]


# -- fingerprints --------------------------------------------------------------------------


def test_a_short_file_is_fingerprinted_on_the_bytes_it_has(ingest, orders_csv):
    append(orders_csv, rows("A1"))
    fingerprint = Fingerprint.parse(ingest.poll().checkpoints[0].fingerprint)
    assert fingerprint.length == len(HEADER + row("A1"))


def test_the_fingerprint_grows_with_the_file_up_to_its_full_length(ingest, orders_csv):
    append(orders_csv, rows("A1"))
    ingest.poll()
    append(orders_csv, rows(*(f"A{n}" for n in range(2, 20))))
    fingerprint = Fingerprint.parse(ingest.poll().checkpoints[0].fingerprint)
    assert fingerprint.length == FINGERPRINT_BYTES


def test_a_restart_finds_a_short_checkpoint_after_the_file_grew(ingest, orders_csv):
    append(orders_csv, rows("A1"))
    ingest.poll()
    append(orders_csv, rows(*(f"B{n}" for n in range(1, 20))))
    ingest.restart()
    assert ids(ingest.poll()) == [f"B{n}" for n in range(1, 20)]


def test_a_checkpoint_of_the_same_inode_with_other_bytes_is_another_file(ingest, orders_csv):
    append(orders_csv, rows("A1", "A2"))
    checkpoint = ingest.poll().checkpoints[0]
    fingerprint = Fingerprint.parse(checkpoint.fingerprint)
    reused = dataclasses.replace(fingerprint, digest="0" * 40)
    ingest.restart([dataclasses.replace(checkpoint, fingerprint=str(reused))])
    assert ids(ingest.poll()) == ["A1", "A2"]


def test_a_short_fingerprint_does_not_vouch_for_an_offset_past_its_bytes(ingest, orders_csv):
    append(orders_csv, rows("A1"))
    checkpoint = ingest.poll().checkpoints[0]
    append(orders_csv, rows(*(f"B{n}" for n in range(1, 20))))
    ingest.restart([dataclasses.replace(checkpoint, offset=checkpoint.offset + len(row("B1")))])
    assert len(ingest.poll().orders) == 20


def test_a_file_renamed_within_the_glob_is_not_read_again(small_event, event_dir):
    folder = event_dir / "feeds"
    (folder / "bot-1.jsonl").write_text(checkin("K1"), encoding="utf-8")
    running = Ingest(small_event, folder / "bot-*.jsonl", kind="checkins")
    running.poll()
    os.rename(folder / "bot-1.jsonl", folder / "bot-old.jsonl")
    append(folder / "bot-old.jsonl", checkin("K2"))
    assert ids(running.poll()) == ["K2"]


# -- rotation, truncation, replacement ---------------------------------------------------------


def rotate(path) -> None:
    """Rename rotation: the old file moves aside and the writer starts a new one at the path."""
    os.rename(path, f"{path}.1")
    path.write_text(HEADER, encoding="utf-8")


def test_rename_rotation_drains_the_old_file_before_the_new_one(ingest, orders_csv):
    append(orders_csv, rows("A1"))
    ingest.poll()
    append(orders_csv, rows("A2"))
    rotate(orders_csv)
    append(orders_csv, rows("B1"))
    assert ids(ingest.poll()) == ["A2", "B1"]


def test_a_rotated_file_is_still_drained_while_its_writer_finishes(ingest, orders_csv):
    append(orders_csv, rows("A1"))
    ingest.poll()
    rotate(orders_csv)
    ingest.poll()
    append(f"{orders_csv}.1", rows("A2"))
    assert ids(ingest.poll()) == ["A2"]


def test_a_rotated_files_partial_last_line_waits_for_the_rotate_wait(ingest, orders_csv):
    append(orders_csv, rows("A1") + "A2,2026-05-20 21:00:00,1299")
    ingest.poll()
    rotate(orders_csv)
    ingest.clock.now += 1
    assert ids(ingest.poll()) == []


def test_a_rotated_files_partial_last_line_is_read_once_the_writer_is_gone(ingest, orders_csv):
    append(orders_csv, rows("A1") + "A2,2026-05-20 21:00:00,1299")
    ingest.poll()
    rotate(orders_csv)
    ingest.poll()
    ingest.clock.now += 6
    assert (ids(ingest.poll()), ids(ingest.poll())) == (["A2"], [])


def test_a_drained_rotated_file_is_closed(ingest, orders_csv):
    append(orders_csv, rows("A1"))
    ingest.poll()
    rotate(orders_csv)
    ingest.poll()
    ingest.clock.now += 6
    ingest.poll()
    assert len(ingest.reader.tailer.files) == 1


def copytruncate(path) -> None:
    """logrotate's copytruncate: copy the file aside, then cut the original to zero in place."""
    shutil.copy(path, f"{path}.1")
    with open(path, "r+b") as handle:
        handle.truncate(0)


def test_copytruncate_restarts_at_zero_and_keeps_the_header(ingest, orders_csv):
    append(orders_csv, rows("A1", "A2"))
    ingest.poll()
    copytruncate(orders_csv)
    append(orders_csv, rows("B1"))
    assert ids(ingest.poll()) == ["B1"]


def test_copytruncate_with_a_fresh_header_reads_it_as_the_header(ingest, orders_csv):
    append(orders_csv, rows("A1", "A2"))
    ingest.poll()
    copytruncate(orders_csv)
    append(orders_csv, HEADER + rows("B1"))
    batch = ingest.poll()
    assert (ids(batch), batch.bad_rows) == (["B1"], [])


def test_a_file_rewritten_in_place_past_the_old_offset_is_read_from_zero(ingest, orders_csv):
    append(orders_csv, rows("A1"))
    ingest.poll()
    orders_csv.write_text(HEADER + rows("B1", "B2", "B3"), encoding="utf-8")
    assert ids(ingest.poll()) == ["B1", "B2", "B3"]


def test_a_file_truncated_while_stopped_is_read_from_zero(ingest, orders_csv):
    append(orders_csv, rows(*(f"A{n}" for n in range(1, 20))))
    ingest.poll()
    ingest.reader.close()
    with open(orders_csv, "r+b") as handle:
        handle.truncate(len(HEADER))
    append(orders_csv, rows("B1"))
    ingest.restart()
    assert ids(ingest.poll()) == ["B1"]


def test_a_deleted_and_recreated_file_is_read_from_zero(ingest, orders_csv):
    append(orders_csv, rows("A1", "A2"))
    ingest.poll()
    os.remove(orders_csv)
    orders_csv.write_text(HEADER + rows("B1"), encoding="utf-8")
    assert ids(ingest.poll()) == ["B1"]


def test_a_file_recreated_while_stopped_is_read_from_zero(ingest, orders_csv):
    append(orders_csv, rows("A1", "A2"))
    ingest.poll()
    ingest.reader.close()
    os.remove(orders_csv)
    orders_csv.write_text(HEADER + rows("B1", "B2"), encoding="utf-8")
    ingest.restart()
    assert ids(ingest.poll()) == ["B1", "B2"]


def test_a_missing_file_is_no_error_until_it_appears(small_event, event_dir):
    path = event_dir / "feeds" / "later.csv"
    running = Ingest(small_event, path)
    first = running.poll()
    path.write_text(HEADER + rows("A1"), encoding="utf-8")
    assert (len(first), ids(running.poll())) == (0, ["A1"])


# -- globs and folders -------------------------------------------------------------------------


def test_a_glob_picks_up_a_file_that_appears_later(small_event, event_dir):
    folder = event_dir / "feeds"
    (folder / "bot-1.jsonl").write_text(checkin("K1"), encoding="utf-8")
    running = Ingest(small_event, folder / "bot-*.jsonl", kind="checkins")
    running.poll()
    (folder / "bot-2.jsonl").write_text(checkin("K2"), encoding="utf-8")
    append(folder / "bot-1.jsonl", checkin("K3"))
    assert sorted(ids(running.poll())) == ["K2", "K3"]


def test_a_glob_ignores_files_it_does_not_match(small_event, event_dir):
    folder = event_dir / "feeds"
    (folder / "bot-1.jsonl").write_text(checkin("K1"), encoding="utf-8")
    (folder / "other.jsonl").write_text(checkin("K9"), encoding="utf-8")
    running = Ingest(small_event, folder / "bot-*.jsonl", kind="checkins")
    assert ids(running.poll()) == ["K1"]


# -- damaged checkpoints ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "damage",
    [
        {"fingerprint": "garbage"},
        {"fingerprint": ""},
        {"fingerprint": "1:2:3"},
        {"offset": -5},
        {"offset": 10**9},
    ],
    ids=["garbage", "empty", "short", "negative-offset", "offset-past-end"],
)
def test_a_damaged_checkpoint_means_reading_again_from_zero(ingest, orders_csv, damage):
    append(orders_csv, rows(*(f"A{n}" for n in range(1, 20))))
    checkpoint = ingest.poll().checkpoints[0]
    ingest.restart([dataclasses.replace(checkpoint, **damage)])
    assert len(ingest.poll().orders) == 19


def test_no_checkpoints_means_reading_again_from_zero(ingest, orders_csv):
    append(orders_csv, rows("A1", "A2"))
    ingest.poll()
    ingest.restart([])
    assert ids(ingest.poll()) == ["A1", "A2"]


def test_checkpoints_of_other_feeds_are_ignored(ingest, orders_csv):
    append(orders_csv, rows("A1", "A2"))
    checkpoint = ingest.poll().checkpoints[0]
    ingest.restart([dataclasses.replace(checkpoint, feed="someone else")])
    assert ids(ingest.poll()) == ["A1", "A2"]


def test_checkpoints_round_trip_through_the_store(small_event, orders_csv, tmp_path):
    orders_csv.write_text(HEADER + rows("A1"), encoding="utf-8")
    feed = Feed(kind="orders", path=str(orders_csv))
    store = Store(f"sqlite:///{tmp_path / 'warroom.db'}", LedgerRules.from_config(small_event))
    try:
        first = FeedReader(feed, small_event, store.checkpoints(feed.label))
        store.apply(first.poll())
        first.close()
        append(orders_csv, rows("A2"))
        again = FeedReader(feed, small_event, store.checkpoints(feed.label))
        assert ids(again.poll()) == ["A2"]
        again.close()
    finally:
        store.close()


# -- dropped exports -------------------------------------------------------------------------


@pytest.fixture
def exports(event_dir):
    folder = event_dir / "feeds" / "exports"
    folder.mkdir()
    return folder


def drop(path, text: str, mtime: float) -> None:
    path.write_text(text, encoding="utf-8")
    os.utime(path, (mtime, mtime))


def test_a_dropped_export_is_not_read_while_it_is_fresh(small_event, exports):
    drop(exports / "export-1.csv", HEADER + rows("A1"), T0)
    running = Ingest(small_event, exports)
    running.clock.now = T0 + 1
    assert len(running.poll()) == 0


def test_a_dropped_export_is_read_once_it_has_settled(small_event, exports):
    drop(exports / "export-1.csv", HEADER + rows("A1"), T0)
    running = Ingest(small_event, exports)
    running.poll()
    running.clock.now = T0 + 2
    assert ids(running.poll()) == ["A1"]


def test_an_old_dropped_export_is_read_at_once(small_event, exports):
    drop(exports / "export-1.csv", HEADER + rows("A1"), T0 - 60)
    assert ids(Ingest(small_event, exports).poll()) == ["A1"]


def test_a_half_written_export_is_read_only_once_complete_and_settled(small_event, exports):
    path = exports / "export-1.csv"
    drop(path, HEADER + rows("A1") + "A2,2026-05-20 21:0", T0)
    running = Ingest(small_event, exports)
    seen = ids(running.poll())
    running.clock.now = T0 + 1.5
    drop(path, HEADER + rows("A1") + rows("A2") + "A3,2026-05-20 21:00:00,1299", T0 + 1.5)
    seen += ids(running.poll())
    running.clock.now = T0 + 3
    seen += ids(running.poll())
    running.clock.now = T0 + 3.5
    assert (seen, ids(running.poll())) == ([], ["A1", "A2", "A3"])


def test_a_dropped_export_is_read_only_once(small_event, exports):
    drop(exports / "export-1.csv", HEADER + rows("A1"), T0 - 60)
    running = Ingest(small_event, exports)
    running.poll()
    running.clock.now += 60
    assert len(running.poll()) == 0


def test_a_dropped_exports_checkpoint_is_done(small_event, exports):
    drop(exports / "export-1.csv", HEADER + rows("A1"), T0 - 60)
    checkpoint = Ingest(small_event, exports).poll().checkpoints[0]
    assert checkpoint.done
    assert checkpoint.offset == len(HEADER + rows("A1"))


def test_a_done_export_is_not_read_again_after_a_restart(small_event, exports):
    drop(exports / "export-1.csv", HEADER + rows("A1"), T0 - 60)
    running = Ingest(small_event, exports)
    running.poll()
    running.restart()
    assert len(running.poll()) == 0


def test_a_new_export_in_the_folder_is_read(small_event, exports):
    drop(exports / "export-1.csv", HEADER + rows("A1"), T0 - 60)
    running = Ingest(small_event, exports)
    running.poll()
    drop(exports / "export-2.csv", HEADER + rows("A1", "A2"), T0 - 30)
    assert ids(running.poll()) == ["A1", "A2"]


def rewrite(path, text: str, mtime: float) -> None:
    """Write new content into the same inode, as `>` redirection or an export tool overwriting in place does."""
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.utime(path, (mtime, mtime))


def test_an_export_rewritten_in_place_with_other_rows_is_read_again(small_event, exports):
    path = exports / "export-1.csv"
    drop(path, HEADER + rows("A1"), T0 - 60)
    running = Ingest(small_event, exports)
    running.poll()
    rewrite(path, HEADER + rows("B1", "B2"), T0 - 30)
    assert ids(running.poll()) == ["B1", "B2"]


def test_an_export_that_grew_is_read_on_from_its_old_end(small_event, exports):
    path = exports / "export-1.csv"
    drop(path, HEADER + rows("A1"), T0 - 60)
    running = Ingest(small_event, exports)
    running.poll()
    rewrite(path, HEADER + rows("A1", "A2"), T0 - 30)
    assert ids(running.poll()) == ["A2"]


def test_an_export_that_grew_while_stopped_is_read_on_from_its_old_end(small_event, exports):
    path = exports / "export-1.csv"
    drop(path, HEADER + rows("A1"), T0 - 60)
    running = Ingest(small_event, exports)
    running.poll()
    running.restart()
    rewrite(path, HEADER + rows("A1", "A2"), T0 - 30)
    assert ids(running.poll()) == ["A2"]


def test_a_split_read_of_an_export_resumes_after_a_restart(small_event, exports):
    drop(exports / "export-1.csv", HEADER + rows("A1", "A2", "A3"), T0 - 60)
    running = Ingest(small_event, exports)
    running.poll(max_rows=2)
    running.restart()
    assert ids(running.poll()) == ["A3"]


def test_excel_lock_files_are_not_exports(small_event, exports):
    drop(exports / "~$export-1.csv", "locked", T0 - 60)
    drop(exports / "export-1.csv", HEADER + rows("A1"), T0 - 60)
    batch = Ingest(small_event, exports).poll()
    assert (ids(batch), batch.bad_rows) == (["A1"], [])


def test_an_unreadable_workbook_is_one_bad_row(small_event, exports):
    drop(exports / "broken.xlsx", "this is not a zip", T0 - 60)
    batch = Ingest(small_event, exports, profile="youzan").poll()
    assert [bad.position for bad in batch.bad_rows] == ["broken.xlsx"]
