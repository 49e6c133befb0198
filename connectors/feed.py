"""A feed reader: each poll turns what is new in a feed's files into records, bad rows and checkpoints."""

from __future__ import annotations

import glob
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path

from connectors.formats import (
    BOM,
    MAX_RECORD_BYTES,
    SNIFF_BYTES,
    Record,
    canonical_codec,
    csv_cells,
    csv_text,
    decode,
    detect_encoding,
    guess_format,
    json_cells,
    preview,
    row_is_empty,
    split_records,
    strip_line_end,
    xlsx_rows,
)
from connectors.parse import CHECKIN_FIELDS, ORDER_FIELDS, RowError, checkin_from_cells, checkin_from_row, clean_cells, order_from_cells, order_from_row
from connectors.profiles import ColumnMap, HeaderError, detect_profile, map_header, map_object
from connectors.tail import ROTATE_WAIT_SECONDS, SETTLE_SECONDS, TailedFile, Tailer, read_records
from warroom.config import ConfigError, EventConfig, Feed
from warroom.records import BadRow, Batch, Checkpoint


@dataclass
class _FileState:
    """How one file is read: its codec (None while only ASCII was seen) and its header."""

    codec: str | None
    columns: ColumnMap | None = None
    # The header a truncated CSV had: a copytruncate'd file goes on without one.
    fallback: ColumnMap | None = None
    refused: bool = False
    # The short way from cells to a record for `picked_for` (see _picker); None when that header needs the long way.
    picked_for: ColumnMap | None = None
    pick: Callable[[list[str]], list[str | None]] | None = None


class FeedReader:
    """Reads one feed: `poll()` returns what is new since the last poll, with the checkpoints to commit with it.

    The reader moves on in memory as soon as it hands out a batch: the caller commits the batch
    (rows and checkpoints in one transaction) before polling again. If that commit fails, start
    a new reader from the store's checkpoints; re-reading is safe, the store dedupes.
    """

    def __init__(
        self,
        feed: Feed,
        config: EventConfig,
        checkpoints: list[Checkpoint],
        clock: Callable[[], float] = time.time,
        *,
        settle_seconds: float = SETTLE_SECONDS,
        rotate_wait: float = ROTATE_WAIT_SECONDS,
        max_record_bytes: int = MAX_RECORD_BYTES,
    ):
        self.feed = feed
        self.label = feed.label
        self.tz = config.event.tz
        self.alias_map = config.alias_map()
        self.fields = ORDER_FIELDS if feed.kind == "orders" else CHECKIN_FIELDS
        self.from_cells = order_from_cells if feed.kind == "orders" else checkin_from_cells
        self.max_record_bytes = max_record_bytes
        try:
            self.codec = None if feed.encoding.lower() == "auto" else canonical_codec(feed.encoding)
        except LookupError:
            raise ConfigError(f"feed {self.label}: encoding {feed.encoding!r} is not a known codec (try utf-8 or gb18030)") from None
        pattern = Path(feed.path)
        self.pattern = pattern if pattern.is_absolute() else config.folder / pattern
        self.tailer = Tailer(
            feed=self.label,
            pattern=self.pattern,
            checkpoints=[checkpoint for checkpoint in checkpoints if checkpoint.feed == self.label],
            clock=clock,
            is_whole=self._is_whole,
            is_binary=lambda path: self._format(path) == "xlsx",
            formats=(feed.format,) if feed.format else (),
            settle_seconds=settle_seconds,
            rotate_wait=rotate_wait,
        )

    def poll(self, max_rows: int = 5000) -> Batch:
        """Return what is new (at most about `max_rows` rows) and the checkpoints to commit in the same transaction."""
        batch = Batch()
        touched: list[TailedFile] = []
        for tailed in self.tailer.scan():
            if len(batch) >= max_rows:
                break
            touched.append(tailed)
            if self._format(tailed.path) == "xlsx":
                self._read_xlsx(tailed, batch, max_rows)
            else:
                self._read_text(tailed, batch, max_rows)
        for tailed in touched:
            checkpoint = tailed.checkpoint(self.label)
            if checkpoint != tailed.emitted and (tailed.offset > 0 or tailed.done):
                batch.checkpoints.append(checkpoint)
                tailed.emitted = checkpoint
        return batch

    def close(self) -> None:
        """Close the feed's open files."""
        self.tailer.close()

    # -- text files (CSV, JSON Lines) -------------------------------------------------------

    def _format(self, path: Path) -> str:
        return guess_format(path, self.feed.format) or "csv"

    def _is_whole(self, path: Path) -> bool:
        # A folder or a glob of CSV files holds dropped exports; a single CSV or any JSON Lines file is appended to.
        # Asked on every scan, since the folder may only appear after the reader starts.
        file_format = self._format(path)
        return file_format == "xlsx" or (file_format == "csv" and (glob.has_magic(str(self.pattern)) or self.pattern.is_dir()))

    def _read_text(self, tailed: TailedFile, batch: Batch, max_rows: int) -> None:
        quoted = self._format(tailed.path) == "csv"
        state = tailed.state if isinstance(tailed.state, _FileState) else self._start_text(tailed, batch, quoted)
        if not state.refused:
            orders, checkins, bad_rows = batch.orders, batch.checkins, batch.bad_rows
            for record in read_records(tailed, quoted=quoted, max_bytes=self.max_record_bytes):
                if len(orders) + len(checkins) + len(bad_rows) >= max_rows:  # len(batch), without its call
                    return
                self._take(record, tailed, state, batch, quoted)
                tailed.advance(record)
                if state.refused:
                    break
        if tailed.whole and (state.refused or tailed.offset >= tailed.limit):
            self._finish(tailed, refused=state.refused)

    def _start_text(self, tailed: TailedFile, batch: Batch, quoted: bool) -> _FileState:
        """Return a file's fresh parse state: its codec sniffed from its start, and its header when resuming past it."""
        codec = self.codec or detect_encoding(os.pread(tailed.fd, SNIFF_BYTES, 0))
        previous = tailed.previous_state
        state = _FileState(codec=codec, fallback=previous.columns if isinstance(previous, _FileState) else None)
        tailed.state = state
        if quoted and tailed.offset > 0:
            head = os.pread(tailed.fd, self.max_record_bytes + 1, 0)
            header = next(split_records(head, 0, 1, final=False, quoted=True, max_bytes=self.max_record_bytes), None)
            if header is not None:
                self._take(header, tailed, state, batch, quoted)
        return state

    def _take(self, record: Record, tailed: TailedFile, state: _FileState, batch: Batch, quoted: bool) -> None:
        """Turn one record into an order, a check-in, a header or a bad row."""
        data = record.data
        if record.start == 0 and data.startswith(BOM):
            data = data[len(BOM):]
            state.codec = self.codec or "utf-8"
        if not data.strip():
            return  # blank lines carry nothing
        if record.too_long:
            batch.bad_rows.append(BadRow(self.label, _position(tailed, record), preview(data, state.codec), f"the line is longer than {self.max_record_bytes} bytes"))
            return
        if state.codec is None and not data.isascii():
            state.codec = detect_encoding(data) or "utf-8"
        try:
            text = strip_line_end(decode(data, state.codec or "utf-8"))
            if quoted:
                self._take_csv(text, tailed, record, state, batch)
            else:
                self._add(map_object(self.feed.profile, self.feed.kind, json_cells(text)), batch)
        except (HeaderError, RowError) as error:
            batch.bad_rows.append(BadRow(self.label, _position(tailed, record), preview(data, state.codec), error.reason))

    def _take_csv(self, text: str, tailed: TailedFile, record: Record, state: _FileState, batch: Batch) -> None:
        cells = csv_cells(text)
        columns = state.columns
        if columns is not None and len(cells) == columns.width:
            if state.picked_for is not columns:
                state.picked_for, state.pick = columns, _picker(columns, self.fields)
            if state.pick is not None:
                # The short way: the same record as _cells_row and *_from_row would give, without the row dict.
                try:
                    record_read = self.from_cells(state.pick(cells), self.tz, self.alias_map)
                except RowError:
                    if row_is_empty(cells):
                        return  # a blank row (every blank row fails to read, so only failures need the check)
                    raise
                (batch.orders if self.feed.kind == "orders" else batch.checkins).append(record_read)
                return
        if row_is_empty(cells):
            return
        if state.columns is None:
            if state.fallback is not None and not self._looks_like_header(cells):
                state.columns = state.fallback
            else:
                self._header(cells, _position(tailed, record), text, state, batch)
                return
        self._add(_cells_row(state.columns, cells), batch)

    def _looks_like_header(self, cells: list[str]) -> bool:
        """Return whether a first line is a header (it maps, or names some shop's columns) rather than data."""
        try:
            map_header(self.feed.profile, self.feed.kind, cells)
        except HeaderError:
            return detect_profile(cells) is not None
        return True

    def _header(self, cells: list[str], position: str, raw: str, state: _FileState, batch: Batch) -> None:
        try:
            state.columns = map_header(self.feed.profile, self.feed.kind, cells)
        except HeaderError as error:
            state.refused = True
            batch.bad_rows.append(BadRow(self.label, position, raw, f"{error.reason}; file skipped"))

    def _add(self, row: dict[str, str], batch: Batch) -> None:
        if self.feed.kind == "orders":
            batch.orders.append(order_from_row(row, self.tz, self.alias_map))
        else:
            batch.checkins.append(checkin_from_row(row, self.tz, self.alias_map))

    # -- spreadsheets ------------------------------------------------------------------------

    def _read_xlsx(self, tailed: TailedFile, batch: Batch, max_rows: int) -> None:
        """Read a dropped workbook's first sheet; its offset counts sheet rows until it is done."""
        name = tailed.path.name
        columns: ColumnMap | None = None
        try:
            for number, cells in xlsx_rows(tailed.path):
                if row_is_empty(cells):
                    continue
                position = f"{name}:row {number}"
                if columns is None:
                    try:
                        columns = map_header(self.feed.profile, self.feed.kind, cells)
                    except HeaderError as error:
                        batch.bad_rows.append(BadRow(self.label, position, csv_text(cells), f"{error.reason}; file skipped"))
                        self._finish(tailed, refused=True)
                        return
                    continue
                if number <= tailed.offset:
                    continue
                if len(batch) >= max_rows:
                    return
                try:
                    self._add(_cells_row(columns, cells), batch)
                except RowError as error:
                    batch.bad_rows.append(BadRow(self.label, position, csv_text(cells), error.reason))
                tailed.offset = number
        except Exception as error:  # openpyxl raises many kinds (zip, XML, key) for a broken workbook; ingest goes on
            batch.bad_rows.append(BadRow(self.label, name, "", f"not a readable xlsx workbook: {type(error).__name__}: {error}"))
        self._finish(tailed, refused=False)

    def _finish(self, tailed: TailedFile, *, refused: bool) -> None:
        """Mark a dropped export done; a refused one is done only in memory, so a restart after a profile fix reads it."""
        self.tailer.finish(tailed)
        if refused:
            tailed.emitted = tailed.checkpoint(self.label)


def _position(tailed: TailedFile, record: Record) -> str:
    """Return where a record is, for quarantine: the file's name and the record's first line."""
    return f"{tailed.path.name}:line {record.line}"


_ABSENT = [""]


def _picker(columns: ColumnMap, fields: Sequence[str]) -> Callable[[list[str]], list[str | None]] | None:
    """Return a function that takes a full-width record's cells straight to `fields` order, cleaned (an absent field as None).

    Only for a header whose profile reshapes nothing and names each field at most once: then a
    field's first non-empty alias is its only cell, and cleaning gives what *_from_row gives from
    the row dict (which leaves empty cells out). Else None.
    """
    profile = columns.profile
    if profile.product_code_in_name or profile.line_key or profile.helpers or any(len(found) > 1 for found in columns.positions.values()):
        return None
    # Index `width` is the empty cell appended after the record's cells.
    take = itemgetter(*[columns.positions[field][0] if field in columns.positions else columns.width for field in fields])
    return lambda cells: clean_cells(take(cells + _ABSENT))


def _cells_row(columns: ColumnMap, cells: list[str]) -> dict[str, str]:
    """Return a record's canonical row; raise RowError when its cells do not line up with the header."""
    if len(cells) > columns.width and row_is_empty(cells[columns.width:]):
        cells = cells[: columns.width]
    if len(cells) != columns.width:
        raise RowError(f"the row has {len(cells)} cells, the header {columns.width}")
    return columns.row(cells)
