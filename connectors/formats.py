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


class Run(NamedTuple):
    """Complete one-line records from file offset `start` to `end`, none with a double quote or over the length limit; `line` is the first one's line."""

    data: bytes
    start: int
    end: int
    line: int
    lines: int


def split_records(
    buffer: bytes, start: int, line: int, *, final: bool, quoted: bool, max_bytes: int = MAX_RECORD_BYTES, runs: bool = False
) -> Iterator[Record | Run]:
    """Yield the complete records in `buffer` (read from file offset `start`); a partial tail is left unless `final`.

    With `quoted` (CSV) a record runs on while its double quotes are unbalanced, so a quoted cell
    may hold a line break. The byte 0x22 never occurs inside a UTF-8 or GB18030 multi-byte
    character, so counting it on raw bytes is safe. With `runs`, consecutive one-line records
    come together as a Run of at most RUN_BYTES, for a reader that takes them as a block.
    """
    position, size = 0, len(buffer)
    # Up to the next double quote every line is a record of its own: those take the short way.
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
        end, lines = _record_end(buffer, position, quoted=quoted, max_bytes=max_bytes)
        if end is None:
            if not final:
                return
            end, lines = len(buffer), lines + 1
        if end - position > max_bytes:
            # Over the limit (or a quote that never closes): quarantine the first line alone, read on from the next.
            first = buffer.find(b"\n", position)
            first = len(buffer) if first < 0 else first + 1
            data = buffer[position:first]
            too_long = len(data) > max_bytes
            yield Record(data[:max_bytes], start + position, start + first, line, 1, too_long=too_long)
            position, line = first, line + 1
            continue
        yield Record(buffer[position:end], start + position, start + end, line, lines)
        position, line = end, line + lines


def _next_quote(buffer: bytes, position: int, quoted: bool) -> int:
    """Return the offset of the next double quote that matters from `position` (the buffer's length when none)."""
    found = buffer.find(b'"', position) if quoted else -1
    return len(buffer) if found < 0 else found


def _record_end(buffer: bytes, position: int, *, quoted: bool, max_bytes: int) -> tuple[int | None, int]:
    """Return the offset after the record starting at `position` (None if it is not complete) and its line breaks so far."""
    lines, quotes, cursor = 0, 0, position
    while True:
        newline = buffer.find(b"\n", cursor)
        if newline < 0:
            return None, lines
        lines += 1
        if quoted:
            quotes += buffer.count(b'"', cursor, newline)
        cursor = newline + 1
        if not quoted or quotes % 2 == 0 or cursor - position > max_bytes:
            return cursor, lines


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
