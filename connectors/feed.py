"""A feed reader: each poll turns what is new in a feed's files into records, bad rows and checkpoints."""

from __future__ import annotations

import csv
import glob
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate, repeat
from operator import itemgetter
from pathlib import Path

from connectors.formats import (
    BOM,
    MAX_RECORD_BYTES,
    MAX_RECORD_LINES,
    SNIFF_BYTES,
    Record,
    Run,
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
from connectors.parse import (
    CHECKIN_FIELDS,
    MAX_ID_CHARS,
    ORDER_FIELDS,
    RowError,
    checkin_from_cells,
    checkin_from_row,
    checkins_from_columns,
    clean_cells,
    order_from_cells,
    order_from_row,
    orders_from_columns,
)
from connectors.profiles import ColumnMap, HeaderError, detect_profile, map_header, map_object
from connectors.tail import ROTATE_WAIT_SECONDS, SETTLE_SECONDS, TailedFile, Tailer, read_records
from warroom.config import ConfigError, EventConfig, Feed
from warroom.records import BadRow, Batch, CheckIn, Checkpoint, OrderLine
from warroom.text import scrub, scrub_cells


@dataclass
class _FileState:
    """How one file is read: its codec (None while only ASCII was seen) and its header."""

    codec: str | None
    columns: ColumnMap | None = None
    # The header a truncated CSV had: a copytruncate'd file goes on without one.
    fallback: ColumnMap | None = None
    refused: bool = False
    # The short way from cells to a record for `picked_for` (see _field_positions); None when that header needs the long way.
    picked_for: ColumnMap | None = None
    positions: list[int] | None = None
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
        self.from_columns = orders_from_columns if feed.kind == "orders" else checkins_from_columns
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
        batch = Batch(feed=self.label)
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

    def batches(self, max_rows: int = 5000) -> Iterator[Batch]:
        """Poll until caught up: yield each batch, ending after a poll with nothing new, or after one that only moves checkpoints.

        Commit each batch before taking the next (see the class's docstring).
        """
        while True:
            batch = self.poll(max_rows)
            if not len(batch) and not batch.checkpoints:
                return
            yield batch
            if not len(batch):
                return

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
        if not state.refused and self._read_lines(tailed, state, batch, max_rows, quoted) == _FULL:
            return
        if tailed.whole and (state.refused or tailed.offset >= tailed.limit):
            self._finish(tailed, refused=state.refused)

    def _read_lines(self, tailed: TailedFile, state: _FileState, batch: Batch, max_rows: int, quoted: bool) -> str:
        """Take a text file's records from its offset until the batch is full (_FULL) or the file is read or refused (_DONE)."""
        orders, checkins, bad_rows = batch.orders, batch.checkins, batch.bad_rows
        reading = True
        while reading:
            reading = False
            for record in read_records(tailed, quoted=quoted, max_bytes=self.max_record_bytes, runs=quoted):
                if len(orders) + len(checkins) + len(bad_rows) >= max_rows:  # len(batch), without its call
                    return _FULL
                if isinstance(record, Run):
                    self._take_run(record, tailed, state, batch, max_rows)
                    if state.refused:
                        return _DONE
                    if tailed.offset < record.end:
                        return _FULL  # the batch filled up within the run
                    continue
                if record.lines > 1 and state.columns is not None and not self._take_multiline(record, tailed, state, batch):
                    reading = True  # read again from the line after the stray quote's
                    break
                if record.lines == 1 or state.columns is None:
                    self._take(record, tailed, state, batch, quoted)
                    tailed.advance(record)
                if state.refused:
                    return _DONE
        return _DONE

    def _take_multiline(self, record: Record, tailed: TailedFile, state: _FileState, batch: Batch) -> bool:
        """Take a record of several lines; return False if it does not read, after quarantining its first line alone.

        A quote at the start of a cell that was meant as text (`"O25,…`) opens a cell that the next
        such quote closes, lines later: read as one, the rows in between would be one bad record. So
        when the joined lines do not even have the header's cells, only the first is set aside, and
        reading goes on from the next. A record that fits the header is one row, good or bad.
        """
        counted, noted = len(batch.orders) + len(batch.checkins), len(batch.bad_rows)
        self._take(record, tailed, state, batch, quoted=True)
        if len(batch.orders) + len(batch.checkins) > counted or self._fits_header(record, state):
            tailed.advance(record)
            return True
        del batch.bad_rows[noted:]
        end = record.data.index(b"\n") + 1
        first = Record(record.data[:end], record.start, record.start + end, record.line, 1, unclosed=True)
        self._take(first, tailed, state, batch, quoted=True)
        tailed.advance(first)
        return False

    def _fits_header(self, record: Record, state: _FileState) -> bool:
        """Return whether a CSV record splits into as many cells as the file's header has (blank cells at its end aside)."""
        text = strip_line_end(record.data.decode(state.codec or "utf-8", errors="replace"))
        try:
            cells = csv_cells(text)
        except RowError:
            return False
        width = state.columns.width
        return len(cells) == width or (len(cells) > width and row_is_empty(cells[width:]))

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
        counted = len(batch.orders) + len(batch.checkins)
        try:
            # Control characters go before the record is split: a raw one would make a JSON line invalid.
            text, repaired = scrub(strip_line_end(decode(data, state.codec or "utf-8")))
            if quoted:
                self._take_csv(text, tailed, record, state, batch)
            else:
                row = json_cells(text)
                repaired = scrub_cells(row) or repaired  # "\u0000" and lone surrogates, written as escapes
                self._add(map_object(self.feed.profile, self.feed.kind, row), batch)
        except (HeaderError, RowError) as error:
            reason = UNCLOSED_REASON if record.unclosed and isinstance(error, RowError) else error.reason
            batch.bad_rows.append(BadRow(self.label, _position(tailed, record), preview(data, state.codec), reason))
            return
        if repaired and len(batch.orders) + len(batch.checkins) > counted:
            batch.bad_rows.append(BadRow(self.label, _position(tailed, record), preview(data, state.codec), REPAIRED_REASON, repaired=True))

    def _take_run(self, run: Run, tailed: TailedFile, state: _FileState, batch: Batch, max_rows: int) -> None:
        """Take a run's lines while the batch has room, advancing the file past each line taken.

        Taken record by record, plain CSV costs several times the store's write, and it is most of
        what a feed holds: so once the header is known, lines go by the block (_read_block). A line
        that a block cannot take as plainly as _take would goes through _take itself, so that its
        record, or its bad row with its reason and position, is the same either way.
        """
        pieces = run.data.split(b"\n")
        pieces.pop()  # the empty piece after the run's last line break
        # Line k starts at byte before[k] + k of the run: the lines before it and their line breaks.
        before = list(accumulate(map(len, pieces), initial=0))

        def line_record(k: int) -> Record:
            return Record(pieces[k] + b"\n", run.start + before[k] + k, run.start + before[k + 1] + k + 1, run.line + k, 1)

        index = 0
        while index < len(pieces) and not state.refused:
            room = max_rows - len(batch)
            if room <= 0:
                return
            stop = min(len(pieces), index + room)
            # A file's first line (and its BOM) always goes through _take: the header is only known after it.
            positions = self._positions(state) if state.codec in _BLOCK_CODECS else None
            if positions is not None and state.codec is None and not run.data[before[index] + index:before[stop] + stop].isascii():
                # The first line that is not ASCII sets the file's codec (see _take): only the lines before it go together.
                stop = next(k for k in range(index, stop) if not pieces[k].isascii())
            if positions is None or stop == index:
                record = line_record(index)
                self._take(record, tailed, state, batch, quoted=True)
                tailed.advance(record)
                index += 1
                continue
            block = run.data[before[index] + index:before[stop] + stop]
            found = self._read_block(block, stop - index, state.codec or "utf-8", state.columns.width, positions)
            if None not in found:
                (batch.orders if self.feed.kind == "orders" else batch.checkins).extend(found)
            else:
                for line, record_read in enumerate(found, start=index):
                    if len(batch) >= max_rows:
                        stop = line  # a line _take took gave a repair note too: the batch is full, as it is one by one
                        break
                    if record_read is None:
                        self._take(line_record(line), tailed, state, batch, quoted=True)
                    else:
                        (batch.orders if self.feed.kind == "orders" else batch.checkins).append(record_read)
            tailed.offset, tailed.line = run.start + before[stop] + stop, run.line + stop
            index = stop

    def _read_block(self, block: bytes, count: int, codec: str, width: int, positions: list[int]) -> list[OrderLine | CheckIn | None]:
        """Return the record of each of a block's `count` lines, or None for a line to leave to _take (all of them if the block will not split plainly)."""
        unread: list[OrderLine | CheckIn | None] = [None] * count
        # No control character, which _take removes and notes. Looked for in the bytes, ten times faster than
        # in the text: in the block codecs a byte under 0x20 only ever stands for that character.
        if len(block.translate(None, _CONTROL_BYTES)) != len(block):
            return unread
        try:
            text = block.decode(codec).replace("\r\n", "\n")
        except UnicodeDecodeError:
            return unread
        lines = text.split("\n")
        lines.pop()
        longest = max(map(len, lines), default=0)
        # What csv_cells asks of a line to split it at its commas: no quote, CR (but the line end's), or excess length.
        if '"' in text or "\r" in text or len(lines) != count or longest > csv.field_size_limit():
            return unread
        # A line fits the header when it has one comma fewer than the header has cells. The fitting
        # lines' cells, joined, make one flat list, in which each field's column is a slice.
        commas = list(map(str.count, lines, repeat(",")))
        fitting = lines if commas.count(width - 1) == count else [line for line, found in zip(lines, commas, strict=True) if found == width - 1]
        cells = ",".join(fitting).split(",") if fitting else []
        columns = [cells[position::width] if position < width else None for position in positions]
        records = self.from_columns(columns, len(fitting), self.tz, self.alias_map, ids_may_be_long=longest > MAX_ID_CHARS)
        if len(fitting) == count:
            return records
        taken = iter(records)
        return [next(taken) if found == width - 1 else None for found in commas]

    def _positions(self, state: _FileState) -> list[int] | None:
        """Return where the file's header puts each field (see _field_positions), or None while there is no header or it needs the long way."""
        columns = state.columns
        if columns is None:
            return None
        if state.picked_for is not columns:
            state.picked_for, state.pick = columns, _picker(columns, self.fields)
            state.positions = None if state.pick is None else _field_positions(columns, self.fields)
        return state.positions

    def _take_csv(self, text: str, tailed: TailedFile, record: Record, state: _FileState, batch: Batch) -> None:
        cells = csv_cells(text)
        columns = state.columns
        if columns is not None and len(cells) == columns.width:
            self._positions(state)
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
                raw = csv_text(cells)
                repaired = scrub_cells(cells)
                try:
                    self._add(_cells_row(columns, cells), batch)
                except RowError as error:
                    batch.bad_rows.append(BadRow(self.label, position, raw, error.reason))
                else:
                    if repaired:
                        batch.bad_rows.append(BadRow(self.label, position, raw, REPAIRED_REASON, repaired=True))
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


UNCLOSED_REASON = f"a double quote opens a cell in this line that does not close within {MAX_RECORD_LINES} lines"
# What _read_lines ends with: the batch is full, or the file is read as far as it can be now (or refused).
_FULL, _DONE = "full", "done"
# The quarantine note of a row that was stored after its control characters were removed (SPEC §5).
REPAIRED_REASON = "control characters or broken characters were removed; the row counts"
# NUL and the other C0 control bytes but tab, line feed and carriage return (which _read_block looks for itself).
_CONTROL_BYTES = bytes(code for code in range(0x20) if code not in (0x09, 0x0A, 0x0D))
_ABSENT = [""]
# Codecs in which the bytes of a line break, a comma and a double quote only ever stand for those
# characters, so that a block of lines decodes as its lines do one by one; None is ASCII so far.
_BLOCK_CODECS = frozenset({None, "utf-8", "gb18030"})


def _field_positions(columns: ColumnMap, fields: Sequence[str]) -> list[int] | None:
    """Return the cell position of each of `fields` in a full-width record (`columns.width` for an absent field), or None.

    Only for a header whose profile reshapes nothing and names each field at most once: then a
    field's first non-empty alias is its only cell, and cleaning gives what *_from_row gives from
    the row dict (which leaves empty cells out). Else None: the record takes the long way.
    """
    profile = columns.profile
    if profile.product_code_in_name or profile.line_key or profile.helpers or any(len(found) > 1 for found in columns.positions.values()):
        return None
    return [columns.positions[field][0] if field in columns.positions else columns.width for field in fields]


def _picker(columns: ColumnMap, fields: Sequence[str]) -> Callable[[list[str]], list[str | None]] | None:
    """Return a function that takes a full-width record's cells straight to `fields` order, cleaned (an absent field as None), or None (see _field_positions)."""
    positions = _field_positions(columns, fields)
    if positions is None:
        return None
    # Index `width` is the empty cell appended after the record's cells.
    take = itemgetter(*positions)
    return lambda cells: clean_cells(take(cells + _ABSENT))


def _cells_row(columns: ColumnMap, cells: list[str]) -> dict[str, str]:
    """Return a record's canonical row; raise RowError when its cells do not line up with the header."""
    if len(cells) > columns.width and row_is_empty(cells[columns.width:]):
        cells = cells[: columns.width]
    if len(cells) != columns.width:
        raise RowError(f"the row has {len(cells)} cells, the header {columns.width}")
    return columns.row(cells)
