"""The ingest's fast paths give what the plain ones give.

- On PostgreSQL a big batch goes by COPY (into a staging table to upsert, or straight into the table
  for keys that are new); a small one by one prepared statement. Both must leave the same store.
- A batch with many orders seen for the first time writes them set-wise, in SQL; a small batch
  takes each order through the Python ledger. Both must leave the same store.
- A canonical CSV header takes cells straight to records; any other header goes through the row dict.
- Plain CSV lines go by the block, column by column; a line the block cannot take goes one by one.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from rbloom import Bloom
from sqlalchemy import func, select

from connectors import feed, formats, pipeline
from connectors.feed import FeedReader
from connectors.runner import IngestTotals, run_ingest
from warroom import schema
from warroom.config import ConfigError, load_event
from warroom.records import BadRow, Batch, CheckIn, OrderLine
from warroom.rules import LedgerRules
from warroom.staging import write_staged_orders
from warroom.store import Store, ledger, sql

T0 = int(datetime(2026, 5, 20, 20, 0, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp())
# Tables compared between stores; the seq a row carries depends on how rows were batched, so it is left out.
COMPARED = ("orders", "customers", "checkins", "order_rollup", "checkin_rollup", "counters")
# A rollup or counter row whose sums are all 0 exists or not depending on the batching: it is left out too.
SUMS = {"order_rollup": ("revenue_fen", "paid_orders", "refunded_orders", "refunded_fen", "cancelled_orders"), "counters": ("value",)}
# The highest revenue seen at any commit depends on where the commits fell, by design.
BY_COMMIT = {("counters", "revenue_peak_fen")}


def event_rows(seed: int = 3, count: int = 1500) -> list[OrderLine | CheckIn | BadRow]:
    """Return a mix of orders (some updated, refunded or repeated), check-ins and bad rows, then a wave of refunds."""
    rng = random.Random(seed)
    rows: list[OrderLine | CheckIn | BadRow] = []
    for index in range(count):
        roll = rng.random()
        if roll < 0.15:
            customer = f"c{rng.randrange(count // 2)}"
            rows.append(CheckIn(f"k{index}", T0 + rng.randrange(7200), rng.choice(["invite", "join_group", "enter_live"]), customer, "G01", rng.choice(["S01", "S02"])))
        elif roll < 0.18:
            rows.append(BadRow("orders:orders.csv", f"orders.csv:line {index}", f"bad line {index % 40}", "ts 'x' is not a time"))
        else:
            again = index > 10 and rng.random() < 0.15
            order_id = f"o{rng.randrange(index)}" if again else f"o{index}"
            amount = rng.choice([9900, 19900, 52000, 129900])
            status = rng.choice(["refunded", "cancelled", "paid"]) if again else "paid"
            refund = rng.choice([0, 0, 5000]) if status == "paid" else 0
            rows.append(OrderLine(
                order_id=order_id, ts=T0 + rng.randrange(7200), amount_fen=amount, status=status, refund_fen=refund,
                sku=f"P{index % 7}", qty=rng.choice([1, 1, 2]), customer_id=f"c{rng.randrange(count // 2)}" if rng.random() < 0.9 else None,
                staff_id=rng.choice([None, None, "S01", "S02"]), group_id=rng.choice(["G01", None]),
            ))
    # Then a wave of refunds for the orders read so far: a batch of many updates.
    rows += [OrderLine(f"o{index}", T0 + 7200, 9900, status="refunded", customer_id=f"c{index % 100}") for index in range(count * 4 // 5)]
    return rows


def apply_in_batches(store: Store, rows: list, size: int) -> None:
    for start in range(0, len(rows), size):
        batch = Batch()
        for row in rows[start:start + size]:
            {OrderLine: batch.orders, CheckIn: batch.checkins, BadRow: batch.bad_rows}[type(row)].append(row)
        store.apply(batch)


def contents(store: Store) -> dict[str, list[tuple]]:
    """Return each compared table's rows without seq, sorted; rollup and counter rows that add up to nothing are left out."""
    found = {}
    with store.reading() as conn:
        for name in COMPARED:
            table = schema.metadata.tables[name]
            rows = conn.execute(select(*[column for column in table.columns if column.name != "seq"])).mappings()
            kept = [tuple(row.values()) for row in rows if name not in SUMS or any(row[column] for column in SUMS[name])]
            found[name] = sorted((row for row in kept if (name, row[0]) not in BY_COMMIT), key=repr)
    return found


@pytest.fixture
def rules(small_event):
    return LedgerRules.from_config(small_event)


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'plain.db'}"


@pytest.mark.postgres
def test_big_batches_by_copy_leave_what_small_batches_leave(pg_schema_url, sqlite_url, rules, monkeypatch):
    copied = set()

    def spy(module, name: str, table_of):
        original = getattr(module, name)

        def spied(conn, first, *args, **kwargs):
            if conn.dialect.name == "postgresql" and len(args[-1 if name == "_copy_upsert" else 1]) >= sql._COPY_MIN_ROWS:
                copied.add((name, table_of(first)))
            return original(conn, first, *args, **kwargs)

        monkeypatch.setattr(module, name, spied)

    # Each is looked up where it is called: the upserts' COPY in the SQL module, new rows' insert in the ledger.
    spy(sql, "_copy_upsert", lambda plan: plan.table.name)
    spy(ledger, "_insert_new_rows", lambda table: table.name)
    rows = event_rows()
    big, small = Store(pg_schema_url, rules), Store(sqlite_url, rules)
    try:
        apply_in_batches(big, rows, 1500)
        apply_in_batches(small, rows, 37)
        assert contents(big) == contents(small)
    finally:
        big.close()
        small.close()
    # Both COPY routes ran for the bulk tables, so the comparison above covered them.
    assert {("_copy_upsert", "orders"), ("_insert_new_rows", "warroom_first_seen_orders"), ("_copy_upsert", "order_rollup")} <= set(copied)


def test_batch_size_does_not_change_the_store(tmp_path, rules):
    rows = event_rows(seed=5)
    stores = [Store(f"sqlite:///{tmp_path / f'{size}.db'}", rules) for size in (5000, 1)]
    try:
        for opened, size in zip(stores, (5000, 1), strict=True):
            apply_in_batches(opened, rows, size)
        assert contents(stores[0]) == contents(stores[1])
    finally:
        for opened in stores:
            opened.close()


def test_first_seen_orders_written_set_wise_leave_what_one_by_one_leaves(store_url, sqlite_url, rules, monkeypatch):
    """Batches of 1 000 take their new orders set-wise (credit through this batch's invites, buyers, rollups); batches of 1 take none."""
    set_wise = []
    write = ledger._Ledger._write_first_seen_orders
    monkeypatch.setattr(ledger._Ledger, "_write_first_seen_orders", lambda ledger: set_wise.append(ledger.first_seen) or write(ledger))
    rows = event_rows(seed=7)
    big, one_by_one = Store(store_url, rules), Store(sqlite_url, rules)
    try:
        apply_in_batches(big, rows, 1000)
        assert set_wise and min(set_wise) >= ledger._FIRST_SEEN_MIN_ROWS
        set_wise.clear()
        apply_in_batches(one_by_one, rows, 1)
        assert not set_wise
        assert contents(big) == contents(one_by_one)
    finally:
        big.close()
        one_by_one.close()


def test_a_big_batch_counts_what_it_quarantined(store):
    bad = [BadRow("orders:orders.csv", f"orders.csv:line {index}", f"bad line {index}", "ts 'x' is not a time") for index in range(800)]
    assert store.apply(Batch(bad_rows=bad + bad[:5])).quarantined == 800
    assert store.apply(Batch(bad_rows=bad)).quarantined == 0


def test_a_big_batch_repeating_an_order_keeps_its_last_state(store):
    orders = [OrderLine(f"o{index}", T0, 10000, customer_id=f"c{index}") for index in range(700)]
    refunds = [OrderLine(f"o{index}", T0 + 60, 10000, status="refunded", customer_id=f"c{index}") for index in range(0, 700, 2)]
    store.apply(Batch(orders=orders + refunds))
    with store.reading() as conn:
        refunded = conn.execute(select(schema.orders.c.order_id).where(schema.orders.c.status == "refunded")).scalars().all()
        paying = conn.execute(select(schema.counters.c.value).where(schema.counters.c.name == "paying_customers")).scalar_one()
    assert (len(refunded), paying) == (350, 350)


# -- CSV: the short way from cells to records ---------------------------------------------------

CANONICAL_HEADER = "order_id,ts,amount,status,refund_amount,sku,product,qty,customer_id,staff_id,group_id"
LINES = [
    "A1,2026-05-20 21:00:00,1299,paid,,P01,焕颜精华,1,C1,linx01,G01",
    " A2 ,\t2026-05-20 21:00:01, 99 ,已退款,-,P02,,2件,C2,,G01",
    "A3,2026-05-20 21:00:02,¥1,299.00,paid,,P01,,1,C3,S02,G01",
    '"A4","2026-05-20 21:00:03","1,299.00",paid,,P01,"a, b",1,C4,S02,G01',
    ",,,,,,,,,,",
    " , ,\t, , , , , , , , ",
    "A5,2026-05-20 21:00:04,99,paid,,P01,,1,C5,S02,G01,,",
    "A6,2026-05-20 21:00:05,99,paid,,P01,,1,C6,S02,G01,x",
    "A7,2026-05-20 21:00:06,99,paid,100,P01,,1,C7,S02,G01",
    "A8,x,99,paid,,P01,,1,C8,S02,G01",
    "A9,2026-05-20 21:00:08,99,unknown,,P01,,1,C9,S02,G01",
    "A10,2026-05-20 21:00:09,99,paid,,P01,,0,C10,S02,G01",
    "-,2026-05-20 21:00:10,99,paid,,P01,,1,C11,S02,G01",
    "A12,2026-05-20 21:00:11,,paid,,P01,,1,C12,S02,G01",
    "A13,2026/5/20 21:00,0099,cancelled,,—,--,1,C13,S02,",
    "A14,2026-05-20 21:00:13,99,paid,,P01,,1,C14,S02,G01\r",
]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_the_short_way_from_cells_reads_what_the_row_dict_reads(small_event, event_dir, monkeypatch, newline):
    path = event_dir / "feeds" / "orders.csv"
    path.write_text(newline.join([CANONICAL_HEADER, *LINES]) + newline, encoding="utf-8")
    feed_config = small_event.feeds[0]
    short = FeedReader(feed_config, small_event, []).poll()
    monkeypatch.setattr(feed, "_picker", lambda columns, fields: None)
    long = FeedReader(feed_config, small_event, []).poll()
    assert (short.orders, short.bad_rows) == (long.orders, long.bad_rows)
    assert len(short.orders) > 5 and len(short.bad_rows) > 5


def test_a_checkin_feed_takes_the_short_way_too(small_event, event_dir, monkeypatch):
    path = event_dir / "feeds" / "checkins.csv"
    path.write_text("\n".join([
        "id,ts,kind,customer_id,group_id,staff_id,value",
        "k1,2026-05-20 21:00:00,join_group,C1,G01,linx01,",
        ",2026-05-20 21:00:01,viewers,,,,1200",
        ",2026-05-20 21:00:02,viewers,,,,",
        "k4,2026-05-20 21:00:03,dance,C1,G01,,",
        ",2026-05-20 21:00:04,Invite,C2,,S02,",
    ]) + "\n", encoding="utf-8")
    feed_config = small_event.feeds[1].model_copy(update={"path": "feeds/checkins.csv"})
    short = FeedReader(feed_config, small_event, []).poll()
    monkeypatch.setattr(feed, "_picker", lambda columns, fields: None)
    long = FeedReader(feed_config, small_event, []).poll()
    assert (short.checkins, short.bad_rows) == (long.checkins, long.bad_rows)
    assert (len(short.checkins), len(short.bad_rows)) == (3, 2)


# -- CSV: a block of lines at once --------------------------------------------------------------

ASCII_LINES = [f"B{index},2026-05-20 21:{index // 60:02d}:{index % 60:02d},99,paid,,P0{index % 3},,1,C{index},S0{index % 2 + 1},G01" for index in range(40)]
CHECKIN_HEADER = "id,ts,kind,customer_id,group_id,staff_id,value"
CHECKIN_LINES = [
    "k1,2026-05-20 21:00:00,join_group,C1,G01,linx01,",
    ",2026-05-20 21:00:01,viewers,,,,1200",
    ",2026-05-20 21:00:02,viewers,,,,",
    "k4,2026-05-20 21:00:03,dance,C1,G01,,",
    ",2026-05-20 21:00:04,Invite,C2,,S02,",
]


def lines_of(*lines: str, newline: str = "\n", codec: str = "utf-8") -> bytes:
    return "".join(line + newline for line in lines).encode(codec)


GBK_LINE = LINES[1].encode("gb18030") + b"\n"
NOISY_LINES = [ASCII_LINES[20].replace(",,1,", ",x\ry,1,"), ASCII_LINES[21].replace(",,1,", ",x\x00y,1,")]
# name → (the file's bytes as they are appended, the feed's settings, the reader's options)
BLOCK_FILES = {
    "canonical": ([lines_of(CANONICAL_HEADER, *LINES, *ASCII_LINES, *LINES)], {}, {}),
    "crlf": ([lines_of(CANONICAL_HEADER, *ASCII_LINES, *LINES, newline="\r\n")], {}, {}),
    "bom": ([formats.BOM + lines_of(CANONICAL_HEADER, *ASCII_LINES)], {}, {}),
    "gbk after an ascii start": ([lines_of(CANONICAL_HEADER, *ASCII_LINES, *LINES[:3], *ASCII_LINES, codec="gb18030")], {}, {}),
    # Appended after an all-ASCII start: the codec is set by the first line that is not ASCII, then a GBK line is undecodable.
    "utf-8 appended to ascii, then a gbk line": (
        [lines_of(CANONICAL_HEADER, *ASCII_LINES[:20]), lines_of(*ASCII_LINES[20:25], LINES[0], *ASCII_LINES[25:30]) + GBK_LINE + lines_of(*ASCII_LINES[30:])],
        {},
        {},
    ),
    "undecodable, a cr and a nul in a cell": ([lines_of(CANONICAL_HEADER, *LINES[:2], *ASCII_LINES[:20]) + b"\xff\xfe,x\n" + lines_of(*NOISY_LINES, *ASCII_LINES[22:])], {}, {}),
    "blank lines and a partial last line": ([lines_of(CANONICAL_HEADER, "", *ASCII_LINES[:20], "", "   ", *ASCII_LINES[20:]) + b"B99,2026", b"-05-20 22:00:00,1,paid"], {}, {}),
    "over-long lines": ([lines_of(CANONICAL_HEADER, *ASCII_LINES[:9], "X" * 120, *ASCII_LINES[9:])], {}, {"max_record_bytes": 100}),
    "a declared codec that strips a BOM from every line": ([lines_of(CANONICAL_HEADER, *ASCII_LINES[:20]) + formats.BOM + lines_of(*ASCII_LINES[20:])], {"encoding": "utf-8-sig"}, {}),
    "checkins": ([lines_of(CHECKIN_HEADER, *CHECKIN_LINES * 10)], {"kind": "checkins"}, {}),
}


def every_poll(config, feed_config, chunks: list[bytes], max_rows: int, **options) -> list[tuple]:
    """Return what each poll hands out while the chunks are appended to the feed's file, one at a time."""
    path = config.folder / feed_config.path
    path.write_bytes(b"")
    reader = FeedReader(feed_config, config, [], **options)
    polls = []
    for chunk in chunks:
        with path.open("ab") as handle:
            handle.write(chunk)
        while True:
            batch = reader.poll(max_rows)
            polls.append((batch.orders, batch.checkins, batch.bad_rows, [(checkpoint.offset, checkpoint.done) for checkpoint in batch.checkpoints]))
            if not len(batch):
                break
    reader.close()
    return polls


@pytest.mark.parametrize("run_bytes", [formats.RUN_BYTES, 150])
@pytest.mark.parametrize("max_rows", [1, 7, 5000])
@pytest.mark.parametrize("name", BLOCK_FILES)
def test_lines_read_by_the_block_give_what_lines_read_one_by_one_give(small_event, monkeypatch, name, max_rows, run_bytes):
    chunks, settings, options = BLOCK_FILES[name]
    feed_config = small_event.feeds[0].model_copy(update={"path": "feeds/data.csv", **settings})
    monkeypatch.setattr(formats, "RUN_BYTES", run_bytes)
    by_block = every_poll(small_event, feed_config, chunks, max_rows, **options)
    monkeypatch.setattr(formats, "RUN_BYTES", 0)  # no runs: every line is a record of its own
    one_by_one = every_poll(small_event, feed_config, chunks, max_rows, **options)
    assert by_block == one_by_one
    assert sum(len(orders) + len(checkins) for orders, checkins, _, _ in by_block) >= 15


# -- reading ahead in a second process ------------------------------------------------------------


def _ingest(folder, url: str, **options) -> IngestTotals:
    config = load_event(folder / "event.toml")
    opened = Store(url, LedgerRules.from_config(config))
    try:
        return run_ingest(config, opened, once=True, **options)
    finally:
        opened.close()


def test_a_read_ahead_ingest_leaves_what_one_process_leaves(sample_dir, tmp_path, store_url):
    """The sample's orders and check-ins, with a bad line and a wave of refunds of orders in earlier batches, read by a second process in small batches."""
    orders = sample_dir / "feeds" / "orders.csv"
    lines = orders.read_text(encoding="utf-8").splitlines()
    refunds = [line.replace(",paid,", ",refunded,", 1) for line in lines[1:400:3]]
    orders.write_text("\n".join([*lines, "A-bad,not a time,99,paid,,P01,,1,C1,S01,G01", *refunds]) + "\n", encoding="utf-8")
    ahead, alone = store_url, f"sqlite:///{tmp_path / 'alone.db'}"
    read = _ingest(sample_dir, ahead, read_ahead=True, batch_rows=300)
    assert read == _ingest(sample_dir, alone, read_ahead=False, batch_rows=300)
    assert read.batches > 10
    stores = [Store(url) for url in (ahead, alone)]
    try:
        assert contents(stores[0]) == contents(stores[1])
    finally:
        for opened in stores:
            opened.close()


def test_a_read_ahead_ingest_takes_refunds_of_orders_stored_before_it_started(sample_dir, tmp_path, store_url):
    """The reader process must know every order the store already holds: a refund of one goes through the precedence rule, not in as a new order."""
    orders = sample_dir / "feeds" / "orders.csv"
    lines = orders.read_text(encoding="utf-8").splitlines()
    ahead, alone = store_url, f"sqlite:///{tmp_path / 'alone.db'}"
    for url in (ahead, alone):
        orders.write_text("\n".join(lines) + "\n", encoding="utf-8")
        _ingest(sample_dir, url, read_ahead=False)
        refunds = [line.replace(",paid,", ",refunded,", 1) for line in lines[1:400:3]]
        orders.write_text("\n".join([*lines, *refunds]) + "\n", encoding="utf-8")
        _ingest(sample_dir, url, read_ahead=url == ahead, batch_rows=50)
    stores = [Store(url) for url in (ahead, alone)]
    try:
        assert contents(stores[0]) == contents(stores[1])
        with stores[0].reading() as conn:
            refunded = conn.execute(select(func.count()).where(schema.orders.c.status == "refunded")).scalar_one()
        assert refunded >= len(refunds)
    finally:
        for opened in stores:
            opened.close()


@pytest.mark.parametrize(("batch", "stored", "followed"), [
    (["a", "b", "c"], [], []),
    (["a", "b", "a"], [], ["a", "a"]),
    (["a", "b", "c"], ["b"], ["b"]),
    (["a", "b", "b", "c"], ["c"], ["b", "b", "c"]),
])
def test_the_reader_process_sends_the_orders_it_may_have_seen_the_slow_way(batch, stored, followed):
    seen = Bloom(100, 0.001)
    seen.update(stored)
    lines = [OrderLine(order_id, T0, 100) for order_id in batch]
    slow, first_seen = pipeline._split_first_seen(lines, seen)
    assert [line.order_id for line in slow] == followed
    assert [line.order_id for line in first_seen] == [order_id for order_id in batch if order_id not in followed]
    assert all(order_id in seen for order_id in batch)


def test_a_read_ahead_ingest_removes_the_staging_folders_of_dead_ingests_only(sample_dir, tmp_path, monkeypatch):
    """A writer and its reader killed together leave their staged batches behind; the next read-ahead ingest takes them away."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    dead = tmp_path / f"{pipeline.STAGING_PREFIX}{finished.stdout.strip()}-abc"
    alive = tmp_path / f"{pipeline.STAGING_PREFIX}{os.getppid()}-abc"
    for folder in (dead, alive):
        folder.mkdir()
        (folder / "batch-1.db").write_bytes(b"")
    _ingest(sample_dir, f"sqlite:///{tmp_path / 'ahead.db'}", read_ahead=True)
    assert not dead.exists()
    assert alive.exists()


def test_the_reader_process_does_not_load_sqlalchemy():
    """SQLAlchemy would be 20 MB of the ingest's 150 MB budget, in a process that has no use for it."""
    loaded = subprocess.run([sys.executable, "-c", "import sys, connectors.pipeline; print(sorted(m for m in sys.modules if m.startswith(('sqlalchemy', 'psycopg'))))"],
                            capture_output=True, text=True, check=True, cwd=Path(pipeline.__file__).resolve().parent.parent)
    assert loaded.stdout.strip() == "[]"


# Text that COPY's text format escapes, or reads as NULL, and text it need not.
AWKWARD_TEXT = ["tab\there", "back\\slash", "new\nline", "carriage\rreturn", "\\N", "", None, 'quote"s, commas', "焕颜精华 🎁"]


def test_a_staged_file_carries_any_text_into_the_store(store_url, tmp_path, rules):
    """A staged file's rows reach the store as they were, through ATTACH (SQLite) or COPY (PostgreSQL), whatever characters they hold."""
    lines = [OrderLine(f"o{index}", T0 + index, 9900, sku=text, product=text, customer_id=text and f"c{text}", staff_id="S01" if index % 2 else None,
                       group_id=text) for index, text in enumerate(AWKWARD_TEXT)]
    staged = write_staged_orders(tmp_path / "batch.db", lines, rules, ledger.staging_plan())
    opened = Store(store_url, rules)
    try:
        opened.apply(Batch(), staged)
        columns = [schema.orders.c[name] for name in ("order_id", "sku", "product", "customer_id", "group_id")]
        with opened.reading() as conn:
            stored = {row[0]: tuple(row[1:]) for row in conn.execute(select(*columns))}
    finally:
        opened.close()
    assert stored == {line.order_id: (line.sku, line.product, line.customer_id, line.group_id) for line in lines}


def test_a_read_ahead_ingest_raises_the_feed_readers_configuration_error(sample_dir, tmp_path):
    event = sample_dir / "event.toml"
    event.write_text(event.read_text(encoding="utf-8").replace('format = "csv"', 'format = "csv"\nencoding = "klingon"', 1), encoding="utf-8")
    with pytest.raises(ConfigError, match="klingon"):
        _ingest(sample_dir, f"sqlite:///{tmp_path / 'ahead.db'}", read_ahead=True)


def test_a_following_ingest_does_not_read_ahead(small_event, tmp_path):
    opened = Store(f"sqlite:///{tmp_path / 'w.db'}")
    try:
        with pytest.raises(ValueError, match="--once"):
            run_ingest(small_event, opened, once=False, read_ahead=True)
    finally:
        opened.close()
