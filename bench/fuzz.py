"""Coverage-guided fuzzing (atheris, libFuzzer) of the record splitter and the row parser, as Fluent Bit's and Vector's parsers are fuzzed.

    python bench/fuzz.py --minutes 10          # a long run; prints libFuzzer's executions and coverage
    python bench/fuzz.py --runs 20000          # the short run that `make test` makes (tests/test_fuzz_atheris.py)

Each input is read as the settings of one split (quoted or not, final, quiet, the length limit)
and a buffer of feed bytes. The splitter must cover the buffer with records in order, each within
its limit; each record must then decode, scrub, split into cells and parse into an order and a
check-in, or fail with the row's own error (RowError, HeaderError): any other exception is a bug
that would stop an ingest. A case that fails is written to tests/fuzz_cases/ (`-artifact_prefix`),
where the suite replays it for ever after.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

import atheris

from connectors.formats import BOM, Record, Run, csv_cells, decode, json_cells, split_records, strip_line_end
from connectors.parse import (
    CHECKIN_FIELDS,
    MAX_ID_CHARS,
    MAX_MONEY_FEN,
    MAX_QTY,
    MAX_VALUE,
    ORDER_FIELDS,
    RowError,
    checkin_from_cells,
    clean,
    clean_cells,
    order_from_cells,
    orders_from_columns,
)
from connectors.profiles import HeaderError, map_object
from warroom.text import scrub, scrub_cells

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "fuzz_cases"  # crash-* files
SEEDS = ROOT / "bench" / "fuzz_seeds"
DICTIONARY = ROOT / "bench" / "fuzz.dict"
TZ = ZoneInfo("Asia/Shanghai")
ALIASES = {"linx01": "S01"}


def one_input(data: bytes) -> None:
    """Split and parse one fuzzed input; raise AssertionError (or any unexpected error) when a rule of the readers breaks."""
    provider = atheris.FuzzedDataProvider(data)
    quoted, final, quiet = provider.ConsumeBool(), provider.ConsumeBool(), provider.ConsumeBool()
    max_bytes = provider.ConsumeIntInRange(4, 12000)
    codec = provider.PickValueInList(["utf-8", "gb18030"])
    buffer = provider.ConsumeBytes(provider.remaining_bytes())
    for record in _checked_split(buffer, quoted=quoted, final=final, quiet=quiet, max_bytes=max_bytes):
        pieces = record.data.split(b"\n")[:-1] if isinstance(record, Run) else [record.data]
        for piece in pieces:
            _parse(piece, codec, quoted)


def _checked_split(buffer: bytes, **options) -> list[Record | Run]:
    """Return the records split_records yields, after checking that they tile the buffer from its start, in order, within the limit."""
    records = list(split_records(buffer, 0, 1, runs=True, **options))
    position, line = 0, 1
    for record in records:
        assert record.start == position, (record, position)
        assert record.end > record.start, record
        assert record.line == line, (record, line)
        if isinstance(record, Run):
            assert record.data == buffer[record.start:record.end] and record.data.endswith(b"\n"), record
            assert record.lines == record.data.count(b"\n"), record
        else:
            assert len(record.data) <= options["max_bytes"] or record.lines > 1 or not record.too_long, record
            assert buffer[record.start:record.end].startswith(record.data), record
        position, line = record.end, line + record.lines
    if options["final"] and records:
        assert position == len(buffer), (position, len(buffer))
    assert position <= len(buffer)
    return records


def _parse(data: bytes, codec: str, quoted: bool) -> None:
    """Read one record as a CSV or JSON Lines row of orders and of check-ins; only a row's own errors may come out."""
    try:
        text, _repaired = scrub(strip_line_end(decode(data.removeprefix(BOM), codec)))
        if quoted:
            cells: list[str] | dict[str, str] = csv_cells(text)
            scrub_cells(cells)
            orders = dict(zip(ORDER_FIELDS, cells, strict=False))
            checkins = dict(zip(CHECKIN_FIELDS, cells, strict=False))
            _columns(cells)
        else:
            cells = json_cells(text)
            scrub_cells(cells)
            orders = map_object("canonical", "orders", cells)
            checkins = map_object("canonical", "checkins", cells)
    except (RowError, HeaderError):
        return
    for fields, row, read in ((ORDER_FIELDS, orders, order_from_cells), (CHECKIN_FIELDS, checkins, checkin_from_cells)):
        try:
            record = read([clean(row.get(field)) for field in fields], TZ, ALIASES)
        except RowError:
            continue
        for value in record:
            # What the store can hold: text with nothing to scrub, ids it can index, numbers its 64-bit sums can add up.
            assert not isinstance(value, str) or scrub(value)[0] == value, record
        assert len(record[0]) <= MAX_ID_CHARS and all(len(cell or "") <= MAX_ID_CHARS for cell in (record.customer_id, record.staff_id, record.group_id)), record
        if fields is ORDER_FIELDS:
            assert 0 <= record.refund_fen <= record.amount_fen <= MAX_MONEY_FEN and 1 <= record.qty <= MAX_QTY, record
        else:
            assert record.value is None or 0 <= record.value <= MAX_VALUE, record
        # 2000-01-01 to 2100-12-31 as written, with any offset of up to a day either way.
        assert 946656000 - 2 * 86400 <= record.ts <= 4133951999 + 2 * 86400, record


def _columns(cells: list[str]) -> None:
    """Read the cells as a block of one row, column by column, as a backlog is read: the same order or None as row by row."""
    columns = [[cell] for cell in (cells + [""] * len(ORDER_FIELDS))[:len(ORDER_FIELDS)]]
    (by_column,) = orders_from_columns(columns, 1, TZ, ALIASES)
    try:
        by_row = order_from_cells(clean_cells([column[0] for column in columns]), TZ, ALIASES)
    except RowError:
        by_row = None
    assert by_column == by_row, (by_column, by_row)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, help="run this long")
    parser.add_argument("--runs", type=int, help="run this many inputs")
    parser.add_argument("--seed", type=int, default=0, help="libFuzzer's random seed (0: a new one)")
    args, rest = parser.parse_known_args()
    CASES.mkdir(exist_ok=True)
    libfuzzer = [sys.argv[0], f"-artifact_prefix={CASES}/", f"-dict={DICTIONARY}", f"-seed={args.seed}", "-print_final_stats=1", "-max_len=12000", *rest]
    if args.minutes is not None:
        libfuzzer.append(f"-max_total_time={max(1, int(args.minutes * 60))}")
    if args.runs is not None:
        libfuzzer.append(f"-runs={args.runs}")
    # libFuzzer adds the inputs that find new coverage to its first folder: a scratch one, so the seeds stay as they are.
    libfuzzer += [tempfile.mkdtemp(prefix="warroom-fuzz-"), str(SEEDS)]
    # Coverage of every module loaded so far (the readers'), here and not at import: the suite replays cases without it.
    atheris.instrument_all()
    atheris.Setup(libfuzzer, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
