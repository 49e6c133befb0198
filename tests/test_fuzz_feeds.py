"""Property-based tests of the way in (SPEC §5): any text in any cell of every profile, CSV and JSON Lines.

Whatever a feed holds, the ingest ends, and each row ends as exactly one of counted or set aside
in quarantine, with the same store on SQLite and PostgreSQL and in every write path: one order
at a time (a live feed's small batches), set-wise (a backlog's first-seen orders), and read
ahead by a second process (a big `--once` backlog).
"""

from __future__ import annotations

import csv
import io
import json
import re
from contextlib import ExitStack
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from connectors.formats import MAX_RECORD_LINES
from connectors.parse import CHECKIN_FIELDS, ORDER_FIELDS
from connectors.profiles import PROFILES
from connectors.runner import run_ingest
from tests.conftest import fresh_pg_schema_url
from tests.test_ingest_paths import contents
from warroom import schema
from warroom.rules import LedgerRules
from warroom.store import Store
from warroom.store import ledger as ledger_module

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
FEW = settings(FUZZ, max_examples=8)

# Any code point, surrogates and controls included; a cell of at most a few line breaks (see MAX_RECORD_LINES).
any_text = st.text(st.characters(codec=None, categories=None), max_size=30).filter(lambda text: text.count("\n") < MAX_RECORD_LINES)
hostile_numbers = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["99999999999999999", "9999999999999999999", "1e23", "NaN", "-0", "¥1,299.00", "1299元", "1" * 5000, "0.005", "00001", "2件"]),
)
hostile_times = st.one_of(
    st.sampled_from(["0001-01-01T00:00:00+08:00", "9999-12-31 23:59:59", "1999-12-31 23:59:59", "2100-12-31 23:59:59", "2026-02-30 10:00", "2026-05-20T21:00:00+99:00"]),
    st.datetimes().map(lambda moment: moment.isoformat(sep=" ")),
)
good_cells = {
    "ts": st.just("2026-05-20 21:00:00"),
    "amount": st.sampled_from(["1299", "¥1,299.00", "520", "0.01"]),
    "status": st.sampled_from(["paid", "refunded", "已支付", ""]),
    "qty": st.sampled_from(["1", "2", ""]),
    "kind": st.sampled_from(["join_group", "enter_live", "invite", "viewers"]),
    "value": st.sampled_from(["", "312"]),
}


def cell(column: str) -> st.SearchStrategy[str]:
    """A cell of `column`: usually one it could hold, often hostile text, numbers or times."""
    hostile = st.one_of(any_text, hostile_numbers, hostile_times)
    return st.one_of(good_cells.get(column, st.sampled_from(["", "C1", "S01", "G01", "P01", "套装"])), hostile)


def feed_header(profile_name: str, kind: str) -> list[str]:
    """Return a header naming the first alias of each of the profile's columns for `kind`, and its helpers."""
    profile = PROFILES[profile_name]
    fields = ORDER_FIELDS if kind == "orders" else CHECKIN_FIELDS
    # The id first: feed_rows makes it unique.
    columns = sorted((name for name in profile.columns if name in fields), key=lambda name: name not in ("order_id", "id"))
    return [profile.columns[name][0] for name in columns] + list(profile.line_key) + list(profile.helpers)


def canonical_of(profile_name: str, header: str) -> str:
    """Return the canonical column a header names in a profile (the header itself for a helper)."""
    return next((name for name, aliases in PROFILES[profile_name].columns.items() if header in aliases), header)


@st.composite
def feed_rows(draw, profile_name: str, kind: str, min_rows: int = 1, max_rows: int = 12) -> tuple[list[str], list[dict[str, str]]]:
    """Draw a header and rows whose id cells start with a unique `R<n>x`, so that each row can be found again."""
    header = feed_header(profile_name, kind)
    rows = []
    for index in range(draw(st.integers(min_value=min_rows, max_value=max_rows))):
        row = {name: draw(cell(canonical_of(profile_name, name))) for name in header}
        id_column = header[0]
        row[id_column] = f"R{index}x{draw(st.one_of(st.just(''), any_text))}"
        rows.append(row)
    return header, rows


def csv_bytes(header: list[str], rows: list[dict[str, str]]) -> tuple[bytes, list[int]]:
    """Return a CSV file of the rows (surrogates written as the bytes a broken encoder leaves) and the line each row starts on."""
    out, starts, line = io.StringIO(), [], 2
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        before = out.tell()
        writer.writerow([row[name] for name in header])
        starts.append(line)
        line += out.getvalue()[before:].count("\n")
    return out.getvalue().encode("utf-8", "surrogatepass"), starts


def with_feed(event, kind: str, path: str, profile: str):
    """Return the event with one feed only: `kind` at `path`, read by `profile`."""
    feed = next(feed for feed in event.feeds if feed.kind == kind).model_copy(update={"path": path, "profile": profile})
    return event.model_copy(update={"feeds": [feed]})


def ingest_into(url: str, event, **options) -> dict:
    """Ingest the event's feeds --once into a fresh store at `url`; return its contents and its quarantine."""
    store = Store(url, LedgerRules.from_config(event))
    try:
        run_ingest(event, store, once=True, **options)
        found = contents(store)
        table = schema.quarantine
        with store.reading() as conn:
            found["quarantine"] = sorted(conn.execute(select(table.c.feed, table.c.position, table.c.raw, table.c.reason, table.c.repaired)).all())
        return found
    finally:
        store.close()


LINE = re.compile(r":line (\d+)$")


@FUZZ
@given(drawn=feed_rows("canonical", "orders"))
def test_each_order_row_is_counted_or_set_aside_exactly_once(small_event, event_dir, tmp_path_factory, drawn):
    header, rows = drawn
    data, starts = csv_bytes(header, rows)
    (event_dir / "feeds" / "orders.csv").write_bytes(data)
    event = with_feed(small_event, "orders", "feeds/orders.csv", "canonical")
    found = ingest_into(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'w.db'}", event)
    counted = {int(order[0][1:order[0].index("x")]) for order in found["orders"]}
    set_aside = [int(LINE.search(position).group(1)) for _feed, position, _raw, _reason, repaired in found["quarantine"] if not repaired]
    repaired = [int(LINE.search(position).group(1)) for _feed, position, _raw, _reason, was in found["quarantine"] if was]
    assert sorted(set_aside + [starts[index] for index in counted]) == starts
    assert set(repaired) <= {starts[index] for index in counted}


PROFILE_KINDS = [(name, kind) for name, profile in PROFILES.items() for kind in profile.kinds]


@pytest.mark.postgres
@pytest.mark.parametrize(("profile", "kind"), PROFILE_KINDS)
@FUZZ
@given(data=st.data())
def test_any_csv_cells_leave_the_same_store_on_sqlite_and_postgresql(small_event, event_dir, tmp_path_factory, profile, kind, data):
    header, rows = data.draw(feed_rows(profile, kind))
    path = f"feeds/{kind}.csv"
    (event_dir / path).write_bytes(csv_bytes(header, rows)[0])
    event = with_feed(small_event, kind, path, profile)
    with fresh_pg_schema_url() as pg_url:
        assert ingest_into(pg_url, event) == ingest_into(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'w.db'}", event)


json_values = st.one_of(any_text, st.integers(min_value=-(10**40), max_value=10**40), st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.none(),
                        st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))


@pytest.mark.postgres
@pytest.mark.parametrize("kind", ["orders", "checkins"])
@FUZZ
@given(data=st.data())
def test_any_json_lines_leave_the_same_store_on_sqlite_and_postgresql(small_event, event_dir, tmp_path_factory, kind, data):
    header = feed_header("canonical", kind)
    lines = []
    for index in range(data.draw(st.integers(min_value=1, max_value=10))):
        row = {name: data.draw(st.one_of(cell(name), json_values)) for name in header}
        row[header[0]] = f"R{index}x"
        extra = data.draw(st.dictionaries(any_text, json_values, max_size=2))
        lines.append(json.dumps(extra | row, ensure_ascii=data.draw(st.booleans())))
    # A line that is not JSON at all, now and then: raw bytes, a cut-off object.
    lines += data.draw(st.lists(st.one_of(any_text.map(lambda text: text.replace("\n", " ")), st.just('{"order_id": "cut')), max_size=2))
    path = f"feeds/{kind}.jsonl"
    (event_dir / path).write_bytes("\n".join(lines).encode("utf-8", "surrogatepass") + b"\n")
    event = with_feed(small_event, kind, path, "canonical")
    with fresh_pg_schema_url() as pg_url:
        assert ingest_into(pg_url, event) == ingest_into(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'w.db'}", event)


@pytest.mark.parametrize("kind", ["orders", "checkins"])
@FUZZ
@given(lines=st.lists(st.binary(max_size=80), max_size=12))
def test_any_bytes_in_a_feed_end_the_ingest(small_event, event_dir, tmp_path_factory, kind, lines):
    header = ",".join(feed_header("canonical", kind)).encode()
    for suffix in ("csv", "jsonl"):
        (event_dir / f"feeds/{kind}.{suffix}").write_bytes(b"\n".join([header if suffix == "csv" else b"", *lines]))
        event = with_feed(small_event, kind, f"feeds/{kind}.{suffix}", "canonical")
        ingest_into(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'w.db'}", event)


def padded(header: list[str], rows: list[dict[str, str]], good: int) -> list[dict[str, str]]:
    """Return the rows spread among `good` plain orders: enough first-seen orders in one batch for the set-wise path."""
    merged = [{name: "" for name in header} | {"order_id": f"G{n}", "ts": "2026-05-20 21:00:00", "amount": "99", "customer_id": f"c{n % 7}"} for n in range(good)]
    step = good // len(rows) + 1
    for index, row in enumerate(rows):
        merged.insert(index * step, row)
    return merged


@FUZZ
@given(drawn=feed_rows("canonical", "orders"))
def test_hostile_orders_written_set_wise_leave_what_one_by_one_leaves(small_event, event_dir, tmp_path_factory, drawn):
    header, rows = drawn
    (event_dir / "feeds" / "orders.csv").write_bytes(csv_bytes(header, padded(header, rows, 120))[0])
    event = with_feed(small_event, "orders", "feeds/orders.csv", "canonical")
    folder = tmp_path_factory.mktemp("fuzz")
    set_wise = ingest_into(f"sqlite:///{folder / 'set_wise.db'}", event)
    with ExitStack() as stack:
        stack.callback(setattr, ledger_module, "_FIRST_SEEN_MIN_ROWS", ledger_module._FIRST_SEEN_MIN_ROWS)
        ledger_module._FIRST_SEEN_MIN_ROWS = 10**9  # every order through the Python ledger
        one_by_one = ingest_into(f"sqlite:///{folder / 'one_by_one.db'}", event)
    assert set_wise == one_by_one


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
@FEW
@given(drawn=feed_rows("canonical", "orders"))
def test_hostile_orders_read_ahead_leave_what_one_process_leaves(small_event, event_dir, tmp_path_factory, backend, drawn):
    header, rows = drawn
    (event_dir / "feeds" / "orders.csv").write_bytes(csv_bytes(header, padded(header, rows, 40))[0])
    event = with_feed(small_event, "orders", "feeds/orders.csv", "canonical")
    folder = tmp_path_factory.mktemp("fuzz")
    alone = ingest_into(f"sqlite:///{folder / 'alone.db'}", event, read_ahead=False)
    if backend == "sqlite":
        ahead = ingest_into(f"sqlite:///{folder / 'ahead.db'}", event, read_ahead=True, batch_rows=25)
    else:
        with fresh_pg_schema_url() as pg_url:
            ahead = ingest_into(pg_url, event, read_ahead=True, batch_rows=25)
    assert ahead == alone


def test_feed_header_names_the_profiles_id_first():
    assert [feed_header(name, kind)[0] for name, kind in PROFILE_KINDS] == [PROFILES[name].columns["order_id" if kind == "orders" else "id"][0] for name, kind in PROFILE_KINDS]


def test_padding_keeps_every_drawn_row_once():
    rows = [{"order_id": f"R{n}x"} for n in range(5)]
    assert [row["order_id"] for row in padded(["order_id"], rows, 12) if row["order_id"].startswith("R")] == [f"R{n}x" for n in range(5)]


def test_a_written_row_starts_on_the_line_its_records_say(tmp_path: Path):
    data, starts = csv_bytes(["a", "b"], [{"a": "x", "b": "1\n2"}, {"a": "y", "b": "3"}])
    assert (data.decode().count("\n"), starts) == (4, [2, 4])
