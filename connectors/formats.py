"""Bytes → text → cells: encoding detection, record splitting, CSV, JSON Lines and XLSX."""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterator, Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import NamedTuple

import charset_normalizer

from connectors.parse import RowError

BOM = codecs.BOM_UTF8
MAX_RECORD_BYTES = 64 * 1024
# The most line breaks one quoted cell may hold: a stray quote at the start of a cell must not hold
# back (or swallow) every line after it until 64 KB have come. A remark or an address spans a few.
MAX_RECORD_LINES = 20
# The most bytes a Run of one-line records holds: a block read at once, small enough that a batch cut short wastes little.
RUN_BYTES = 64 * 1024
# How much of a file's start is sniffed for its encoding.
SNIFF_BYTES = 64 * 1024
RAW_PREVIEW_CHARS = 2000
SUFFIX_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".xlsx": "xlsx"}
# Every Chinese export we meet is UTF-8 or a GB code page; GB18030 reads GBK and GB2312 as well.
_GB_FAMILY = ("gb18030", "gbk", "gb2312", "hz", "cp936")


def guess_format(path: str | Path, declared: str | None = None) -> str | None:
    """Return the feed's declared format, else the one its suffix implies, else None."""
    return declared or SUFFIX_FORMATS.get(Path(path).suffix.lower())


def canonical_codec(name: str) -> str:
    """Return the codec a feed's `encoding` names (GBK family → gb18030); raise LookupError for an unknown one."""
    codec = codecs.lookup(name).name
    return "gb18030" if codec in _GB_FAMILY else codec


def detect_encoding(sample: bytes) -> str | None:
    """Return the codec of a file's lines judged on those with non-ASCII bytes, or None while all are ASCII."""
    if sample.startswith(BOM):
        return "utf-8"
    lines = [line for line in sample.split(b"\n") if not line.isascii()]
    if not lines:
        return None
    # A cut at the end of the sample may split a character: judge only complete lines when there are several.
    judged = lines[:-1] if len(lines) > 1 and not sample.endswith(b"\n") else lines
    valid = sum(1 for line in judged if _decodes(line, "utf-8"))
    # GBK text is almost never valid UTF-8, so as many valid lines as invalid ones means UTF-8 with some bad lines.
    if valid * 2 >= len(judged):
        return "utf-8"
    # Exports are UTF-8 or GB (SPEC §1); a guesser ranks big5 or cp949 first on short Chinese samples, so try GB first.
    if all(_decodes(line, "gb18030") for line in judged):
        return "gb18030"
    names = [canonical_codec(match.encoding) for match in charset_normalizer.from_bytes(b"\n".join(judged))]
    return "gb18030" if "gb18030" in names or not names else names[0]


def _decodes(data: bytes, codec: str) -> bool:
    try:
        data.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


def decode(data: bytes, codec: str) -> str:
    """Return one record's text; raise RowError naming the first byte that does not decode."""
    try:
        return data.decode(codec)
    except UnicodeDecodeError as error:
        raise RowError(f"byte 0x{data[error.start]:02x} at column {error.start + 1} is not valid {codec}") from None


def preview(data: bytes, codec: str | None) -> str:
    """Return text to quarantine for a record that may not decode: undecodable bytes shown as escapes."""
    text = data.decode(codec or "utf-8", errors="backslashreplace").rstrip("\r\n")
    return text if len(text) <= RAW_PREVIEW_CHARS else text[:RAW_PREVIEW_CHARS] + "…"


class Record(NamedTuple):
    """One complete record's bytes from file offset `start` to `end`; `line` is its first physical line (1-based)."""

    data: bytes
    start: int
    end: int
    line: int
    lines: int
    # The record ran past the length limit: `data` holds only its head.
    too_long: bool = False
    # A quoted cell opens in this line and never closes (see split_records): `data` is the line alone.
    unclosed: bool = False


class Run(NamedTuple):
    """Complete one-line records from file offset `start` to `end`, none with a quoted cell or over the length limit; `line` is the first one's line."""

    data: bytes
    start: int
    end: int
    line: int
    lines: int


def split_records(
    buffer: bytes, start: int, line: int, *, final: bool, quoted: bool, max_bytes: int = MAX_RECORD_BYTES, runs: bool = False, quiet: bool = False
) -> Iterator[Record | Run]:
    """Yield the complete records in `buffer` (read from file offset `start`); a partial tail is left unless `final`.

    With `quoted` (CSV) a double quote at the start of a cell opens a quoted cell, which may hold
    line breaks, and the record runs on until it closes; a double quote inside a cell is text, as
    the csv module reads it (`O25"x`). A quoted cell still open after MAX_RECORD_LINES line breaks,
    or max_bytes, or at the end of a finished file, or over complete lines at the end of a `quiet`
    one (nothing was appended for a while), never closes: its first line is a record alone
    (`unclosed`), and the lines after it are read as if it were not there. The byte 0x22 never occurs
    inside a UTF-8 or GB18030 multi-byte character, so reading it on raw bytes is safe. With `runs`,
    consecutive one-line records come together as a Run of at most RUN_BYTES, for a reader that
    takes them as a block.
    """
    position, size = 0, len(buffer)
    # Up to the next quoted cell every line is a record of its own: those take the short way.
    quote = _next_quote(buffer, 0, quoted)
    # A run stops short of this many bytes, so each of its lines is shorter than max_bytes, as a one-line record must be.
    run_bytes = min(RUN_BYTES, max_bytes)
    while position < size:
        newline = buffer.find(b"\n", position)
        if runs and 0 <= newline < quote:
            last = buffer.rfind(b"\n", position, min(quote, position + run_bytes))
            if last >= 0:
                lines = buffer.count(b"\n", position, last + 1)
                yield Run(buffer[position:last + 1], start + position, start + last + 1, line, lines)
                position, line = last + 1, line + lines
                continue
        if 0 <= newline < quote and newline - position < max_bytes:
            yield Record(buffer[position:newline + 1], start + position, start + newline + 1, line, 1)
            position, line = newline + 1, line + 1
            continue
        if quote < position:
            quote = _next_quote(buffer, position, quoted)
            continue
        end, lines, still_open = _record_end(buffer, position, quoted=quoted, max_bytes=max_bytes)
        if end is None and not still_open:
            if not final:
                return
            end, lines = len(buffer), lines + 1  # a finished file's last line, without its line break
        if end is None and not final and not (quiet and lines) and lines <= MAX_RECORD_LINES and size - position <= max_bytes:
            return  # a quoted cell that may yet close: wait for more
        if end is None or end - position > max_bytes:
            # Over the limit, or a quoted cell that never closes: the first line is a record alone, read on from the next.
            first = buffer.find(b"\n", position)
            first = len(buffer) if first < 0 else first + 1
            data = buffer[position:first]
            too_long = len(data) > max_bytes
            yield Record(data[:max_bytes], start + position, start + first, line, 1, too_long=too_long, unclosed=not too_long)
            position, line = first, line + 1
            quote = _next_quote(buffer, position, quoted)
            continue
        yield Record(buffer[position:end], start + position, start + end, line, lines)
        position, line = end, line + lines


def _next_quote(buffer: bytes, position: int, quoted: bool) -> int:
    """Return the offset of the next double quote from `position` that opens a quoted cell (the buffer's length when none).

    Only a quote at the start of a cell opens one: at `position` (a record's start), or right after a comma or a line break.
    """
    if not quoted:
        return len(buffer)
    found = buffer.find(b'"', position)
    while found > position and buffer[found - 1] not in _CELL_STARTS:
        found = buffer.find(b'"', found + 1)
    return len(buffer) if found < 0 else found


_CELL_STARTS = b",\n"


def _record_end(buffer: bytes, position: int, *, quoted: bool, max_bytes: int) -> tuple[int | None, int, bool]:
    """Return the offset after the record starting at `position` (None if it is not complete), its line breaks so far, and whether a quoted cell is still open.

    A quoted cell open past MAX_RECORD_LINES line breaks or max_bytes gives (None, its breaks, True) at once: it will not close.
    """
    lines, cursor, size = 0, position, len(buffer)
    while True:
        newline = buffer.find(b"\n", cursor)
        opening = _next_quote(buffer, cursor, quoted)
        if newline >= 0 and newline < opening:
            return newline + 1, lines + 1, False
        if opening >= size:
            return None, lines, False
        # In a quoted cell: it closes at a quote that is not doubled ("" is a quote within the cell).
        cursor = opening + 1
        while True:
            close = buffer.find(b'"', cursor)
            if close < 0:
                return None, lines + buffer.count(b"\n", opening, size), True
            if close + 1 == size:
                # Closed at the buffer's end, unless a quote comes next: complete only if the file is finished.
                return None, lines + buffer.count(b"\n", opening, close), False
            if buffer[close + 1] != 0x22:
                break
            cursor = close + 2
        lines += buffer.count(b"\n", opening, close)
        if lines > MAX_RECORD_LINES or close - position > max_bytes:
            return None, lines, True
        cursor = close + 1


def strip_line_end(text: str) -> str:
    """Return a record's text without its line break (LF or CRLF)."""
    return text.rstrip("\n").removesuffix("\r")


def csv_cells(text: str) -> list[str]:
    """Return the cells of one CSV record (which may hold quoted line breaks)."""
    if text and '"' not in text and "\r" not in text and "\n" not in text and "\x00" not in text and len(text) <= csv.field_size_limit():
        return text.split(",")  # nothing quoted and nothing the csv module treats specially: its cells are the comma's pieces
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise RowError(f"the CSV record does not parse: {error}") from None
    if len(rows) != 1:
        raise RowError("the CSV record does not parse as one row")
    return rows[0]


def json_cells(text: str) -> dict[str, str]:
    """Return a JSON Lines object with its values as text (numbers keep their digits exactly)."""
    try:
        value = json.loads(text, parse_float=str, parse_int=str)
    except json.JSONDecodeError as error:
        raise RowError(f"not valid JSON: {error.msg} at column {error.colno}") from None
    if not isinstance(value, dict):
        raise RowError("the JSON line is not an object")
    row: dict[str, str] = {}
    for key, cell in value.items():
        if isinstance(cell, dict | list):
            raise RowError(f"field {key!r} is not a single value")
        row[str(key)] = "" if cell is None else str(cell).lower() if isinstance(cell, bool) else str(cell)
    return row


def row_is_empty(cells: Sequence[str]) -> bool:
    """Return whether a row holds nothing but blanks (Excel leaves `,,,,` lines at the end)."""
    # Whitespace joined to whitespace is still whitespace, so one strip tells for all cells.
    return not "".join(map(str, cells)).strip()


def xlsx_rows(path: str | Path) -> Iterator[tuple[int, list[str]]]:
    """Yield (row number, cells as text) for each row of a workbook's first sheet."""
    from openpyxl import load_workbook  # openpyxl is slow to import and only dropped exports need it

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [cell_text(value) for value in values]
    finally:
        workbook.close()


def cell_text(value: object) -> str:
    """Return a spreadsheet cell as the text a CSV export would hold."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return str(value)


def csv_text(cells: Sequence[str]) -> str:
    """Return cells joined as one CSV line, to quarantine a spreadsheet row as text."""
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(cells)
    return out.getvalue()
