"""Bad input (SPEC §5): no feed line can stop the ingest, on either store and in every write path.

Each case was seen stopping a real ingest before these rules: a number the store cannot hold, a
NUL that PostgreSQL refuses, a year-0001 time that broke every page, a stray double quote that
held back the lines after it. Rows go through the real readers and the real stores.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text

from connectors.feed import REPAIRED_REASON, UNCLOSED_REASON
from connectors.parse import RowError, checkin_from_row, order_from_row
from connectors.runner import run_ingest
from warroom.clock import FixedClock
from warroom.figures import LiveFigures, stats_json
from warroom.rules import LedgerRules
from warroom.store import Store

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 5, 20, 23, 0, tzinfo=TZ)
ORDERS_HEADER = "order_id,ts,amount,status,refund_amount,qty,customer_id,product\n"
GOOD_TS = "2026-05-20 21:00:00"


def order_line(order_id: str, *, ts: str = GOOD_TS, amount: str = "100", refund: str = "", qty: str = "1", customer: str = "c1", product: str = "p") -> str:
    return f"{order_id},{ts},{amount},paid,{refund},{qty},{customer},{product}\n"


def ingest(event, store) -> dict:
    """Run `ingest --once` on the event's feeds and return `stats --json`."""
    run_ingest(event, store, once=True)
    return stats_json(LiveFigures(store, event, clock=FixedClock(NOW)).refresh())


def with_orders_at(event, path: str):
    """Return the event with its orders feed at `path`."""
    return event.model_copy(update={"feeds": [event.feeds[0].model_copy(update={"path": path}), *event.feeds[1:]]})


def reasons(store: Store) -> list[str]:
    return [row["reason"] for row in store.quarantined_rows() if not row["repaired"]]


# -- the parser's rules, one row at a time ------------------------------------------------------

ORDER = {"order_id": "A1", "ts": GOOD_TS, "amount": "100"}


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        ({"amount": "99999999999999999"}, "amount '99999999999999999' is more than ¥100,000,000"),
        ({"amount": "9999999999999999999"}, "more than ¥100,000,000"),  # a 19-digit Douyin order id in the amount column
        ({"amount": "100000000.01"}, "more than ¥100,000,000"),
        ({"amount": "1" * 5000}, "more than ¥100,000,000"),  # int() refuses 4,300 digits and more
        ({"amount": "1" * 40 + ".5"}, "more than ¥100,000,000"),  # beyond Decimal's 28 digits
        ({"amount": "NaN"}, "is not a number"),
        ({"amount": "inf"}, "is not a number"),
        ({"amount": "-5"}, "is negative"),
        ({"amount": "100", "refund_amount": "99999999999999999"}, "refund_amount '99999999999999999' is more than ¥100,000,000"),
        ({"qty": "1000001"}, "qty '1000001' is more than 1,000,000"),
        ({"qty": "9" * 5000}, "is more than 1,000,000"),
        ({"qty": "99999999999999999件"}, "is more than 1,000,000"),
        ({"ts": "0001-01-01T00:00:00+08:00"}, "outside the years 2000–2100"),
        ({"ts": "1999-12-31 23:59:59"}, "outside the years 2000–2100"),
        ({"ts": "2101-01-01 00:00:00"}, "outside the years 2000–2100"),
        ({"ts": "9999-12-31 23:59:59"}, "outside the years 2000–2100"),
        ({"order_id": "A" * 257}, "order_id 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'… is longer than 256 characters"),
        ({"customer_id": "c" * 257}, "customer_id"),
        ({"group_id": "g" * 5000}, "group_id"),
    ],
)
def test_a_number_or_time_an_order_cannot_have_is_a_bad_row(cells, reason):
    with pytest.raises(RowError) as raised:
        order_from_row(ORDER | cells, TZ, {})
    assert reason in raised.value.reason


@pytest.mark.parametrize(
    ("cells", "kept"),
    [
        ({"amount": "100000000"}, ("amount_fen", 10_000_000_000)),
        ({"qty": "1000000"}, ("qty", 1_000_000)),
        ({"ts": "2000-01-01 00:00:00"}, ("ts", 946656000)),
        ({"ts": "2100-12-31 23:59:59"}, ("ts", 4133951999)),
        ({"order_id": "A" * 256}, ("order_id", "A" * 256)),
    ],
)
def test_the_largest_numbers_and_times_an_order_can_have_are_read(cells, kept):
    field, value = kept
    assert getattr(order_from_row(ORDER | cells, TZ, {}), field) == value


@pytest.mark.parametrize("value", ["100000001", "100000000000000000000000", "1e23", "9" * 5000])
def test_a_viewers_value_over_a_hundred_million_is_a_bad_row(value):
    with pytest.raises(RowError):
        checkin_from_row({"ts": GOOD_TS, "kind": "viewers", "value": value}, TZ, {})


def test_a_viewers_value_of_a_hundred_million_is_read():
    assert checkin_from_row({"ts": GOOD_TS, "kind": "viewers", "value": "100000000"}, TZ, {}).value == 100_000_000


# -- through the ingest, on both stores -------------------------------------------------------------

POISON_LINES = [
    order_line("P1", amount="99999999999999999"),
    order_line("P2", qty="99999999999999999"),
    order_line("P3", refund="99999999999999999"),
    order_line("P4", ts="0001-01-01T00:00:00+08:00"),
    order_line("P5", amount="1" * 5000),
]


def test_poison_rows_among_good_ones_cost_only_themselves(small_event, event_dir, store):
    good = [order_line(f"G{n}", customer=f"c{n}") for n in range(3)]
    (event_dir / "feeds" / "orders.csv").write_text(ORDERS_HEADER + good[0] + "".join(POISON_LINES) + "".join(good[1:]), encoding="utf-8")
    figures = ingest(small_event, store)
    assert (figures["orders"], figures["revenue"], figures["quarantined"]) == (3, 300.0, len(POISON_LINES))


def test_twelve_orders_near_the_limit_sum_without_overflow(small_event, event_dir, store):
    lines = [order_line(f"B{n}", amount="100000000", customer=f"c{n}") for n in range(12)]
    (event_dir / "feeds" / "orders.csv").write_text(ORDERS_HEADER + "".join(lines), encoding="utf-8")
    assert ingest(small_event, store)["revenue"] == 1_200_000_000.0


def test_a_viewers_snapshot_of_1e23_does_not_stop_the_checkins(small_event, event_dir, store):
    rows = [
        {"ts": GOOD_TS, "kind": "viewers", "value": 100000000000000000000000},
        {"ts": GOOD_TS, "kind": "enter_live", "customer_id": "c1"},
    ]
    (event_dir / "feeds" / "checkins.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    figures = ingest(small_event, store)
    assert (figures["checkins"].get("enter_live"), figures["quarantined"]) == (1, 1)


@pytest.mark.parametrize(
    ("cell", "stored"),
    [
        ("a\x00b", "ab"),
        ("\x01\x02\x1f套装", "套装"),
        ("tab\tkept", "tab\tkept"),
        ("bell\x07", "bell"),
    ],
)
def test_control_characters_are_removed_and_the_row_counts(small_event, event_dir, store, cell, stored):
    (event_dir / "feeds" / "orders.csv").write_bytes((ORDERS_HEADER + order_line("N1", product=cell)).encode())
    figures = ingest(small_event, store)
    with store.reading() as conn:
        product = conn.execute(text("SELECT product FROM orders WHERE order_id = 'N1'")).scalar_one()
    assert (figures["orders"], product) == (1, stored)


def test_a_row_with_a_nul_is_noted_as_repaired(small_event, event_dir, store):
    (event_dir / "feeds" / "orders.csv").write_bytes((ORDERS_HEADER + order_line("N1", product="a\x00b")).encode())
    ingest(small_event, store)
    assert [(row["position"], row["reason"], row["repaired"], row["raw"]) for row in store.quarantined_rows()] == [
        ("orders.csv:line 2", REPAIRED_REASON, True, "N1,2026-05-20 21:00:00,100,paid,,1,c1,a\\x00b"),
    ]


@pytest.mark.parametrize(
    ("field", "value", "stored"),
    [
        ("product", "a\u0000b", "ab"),
        ("product", "x\ud800y", "x\ufffdy"),  # a lone surrogate, which neither store can encode
        ("customer_id", "c\u0001", "c"),
    ],
)
def test_a_json_line_with_escaped_control_characters_or_surrogates_is_repaired(small_event, event_dir, store, field, value, stored):
    row = {"order_id": "J1", "ts": GOOD_TS, "amount": "100", field: value}
    (event_dir / "feeds" / "orders.jsonl").write_text(json.dumps(row) + "\n", encoding="utf-8")
    figures = ingest(with_orders_at(small_event, "feeds/orders.jsonl"), store)
    with store.reading() as conn:
        kept = conn.execute(text(f"SELECT {field} FROM orders WHERE order_id = 'J1'")).scalar_one()
    assert (figures["orders"], kept) == (1, stored)


def test_a_raw_nul_in_a_json_line_is_repaired_not_refused(small_event, event_dir, store):
    (event_dir / "feeds" / "orders.jsonl").write_bytes(b'{"order_id": "J1", "ts": "2026-05-20 21:00:00", "amount": "100", "product": "a\x00b"}\n')
    assert ingest(with_orders_at(small_event, "feeds/orders.jsonl"), store)["orders"] == 1


def test_a_file_name_that_is_not_utf8_is_quarantined_as_printable_text(small_event, event_dir, store):
    (event_dir / "feeds" / "drop").mkdir()
    (event_dir / "feeds" / "drop" / os.fsdecode(b"bad-\xff.csv")).write_bytes(
        (ORDERS_HEADER + order_line("F1", amount="x")).encode()
    )
    ingest(with_orders_at(small_event, "feeds/drop/"), store)
    assert [row["position"] for row in store.quarantined_rows()] == ["bad-\\udcff.csv:line 2"]


# -- stray double quotes -------------------------------------------------------------------------------


def test_a_quote_inside_a_cell_is_text_and_holds_back_no_line(small_event, event_dir, store):
    lines = [order_line("O24"), 'O25"x,2026-05-20 21:00:00,100,paid,,1,c2,p\n', order_line("O26", customer="c3")]
    (event_dir / "feeds" / "orders.csv").write_text(ORDERS_HEADER + "".join(lines), encoding="utf-8")
    figures = ingest(small_event, store)
    assert (figures["orders"], figures["quarantined"]) == (3, 0)


@pytest.mark.parametrize("dropped", [False, True])
def test_a_quote_that_opens_a_cell_and_never_closes_costs_its_line_alone(small_event, event_dir, store, dropped):
    lines = [order_line("O24"), '"O25,2026-05-20 21:00:00,100,paid,,1,c2,p\n', *(order_line(f"O{n}", customer=f"c{n}") for n in range(26, 30))]
    event = with_orders_at(small_event, "feeds/drop/" if dropped else "feeds/orders.csv")
    target = event_dir / "feeds" / ("drop/export.csv" if dropped else "orders.csv")
    target.parent.mkdir(exist_ok=True)
    target.write_text(ORDERS_HEADER + "".join(lines), encoding="utf-8")
    figures = ingest(event, store)
    assert (figures["orders"], reasons(store)) == (5, [UNCLOSED_REASON])


def test_a_stray_quote_that_a_later_one_closes_costs_its_line_alone(small_event, event_dir, store):
    lines = [
        order_line("O24"),
        '"O25,2026-05-20 21:00:00,100,paid,,1,c2,p\n',
        *(order_line(f"O{n}", customer=f"c{n}") for n in range(26, 30)),
        'O30,2026-05-20 21:00:00,100,paid,,1,c30,"p\n',
        order_line("O31", customer="c31"),
    ]
    (event_dir / "feeds" / "orders.csv").write_text(ORDERS_HEADER + "".join(lines), encoding="utf-8")
    figures = ingest(small_event, store)
    # O25's line is set aside; O30's, alone, reads as the csv module reads it (its last cell is `p`); every other line counts.
    assert (figures["orders"], len(reasons(store))) == (7, 1)


# -- a row that no check foresaw: the store refuses it, the rest commit --------------------------------

SQLITE_POISON = "CREATE TRIGGER poison BEFORE INSERT ON orders WHEN NEW.order_id = 'POISON' BEGIN SELECT RAISE(ABORT, 'poisoned row'); END"
PG_POISON = [
    "CREATE FUNCTION poison() RETURNS trigger AS $$ BEGIN IF NEW.order_id = 'POISON' THEN RAISE EXCEPTION 'poisoned row'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
    "CREATE TRIGGER poison BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION poison()",
]


def poison_orders(store: Store) -> None:
    """Make the store itself refuse the order POISON, as a database refuses a value no check foresaw."""
    engine = create_engine(store.url)
    with engine.begin() as conn:
        for statement in [SQLITE_POISON] if store.dialect == "sqlite" else PG_POISON:
            conn.exec_driver_sql(statement)
    engine.dispose()


@pytest.mark.parametrize("good", [3, 400])  # a live feed's small batch (one by one) and a backlog's (set-wise)
def test_a_row_the_store_refuses_is_quarantined_and_the_rest_commit(small_event, event_dir, store, good):
    poison_orders(store)
    lines = [order_line(f"G{n}", customer=f"c{n}") for n in range(good)]
    lines.insert(good // 2, order_line("POISON"))
    (event_dir / "feeds" / "orders.csv").write_text(ORDERS_HEADER + "".join(lines), encoding="utf-8")
    figures = ingest(small_event, store)
    (refused,) = store.quarantined_rows()
    assert figures["orders"] == good
    assert refused["position"] == "order POISON"
    assert "poisoned row" in refused["reason"]


def test_the_refused_rows_checkpoint_commits_so_a_restart_reads_nothing_again(small_event, event_dir, store):
    poison_orders(store)
    (event_dir / "feeds" / "orders.csv").write_text(ORDERS_HEADER + order_line("G1") + order_line("POISON"), encoding="utf-8")
    ingest(small_event, store)
    seq = store.seq()
    run_ingest(small_event, store, once=True)
    assert store.seq() == seq


def test_a_read_ahead_ingest_quarantines_a_staged_row_the_store_refuses(small_event, event_dir, store):
    poison_orders(store)
    lines = [order_line(f"G{n}", customer=f"c{n}") for n in range(300)]
    lines.insert(150, order_line("POISON"))
    (event_dir / "feeds" / "orders.csv").write_text(ORDERS_HEADER + "".join(lines), encoding="utf-8")
    run_ingest(small_event, store, once=True, read_ahead=True, batch_rows=1000)
    figures = stats_json(LiveFigures(store, small_event, clock=FixedClock(NOW)).refresh())
    assert (figures["orders"], [row["position"] for row in store.quarantined_rows()]) == (300, ["order POISON"])


def test_a_store_failure_that_is_not_the_rows_fault_still_stops_the_ingest(small_event, event_dir, tmp_path):
    """A store that cannot write (here: its file may not grow) must not quarantine good rows one by one."""
    url = f"sqlite:///{tmp_path / 'full.db'}"
    store = Store(url, LedgerRules.from_config(small_event))
    engine = create_engine(url)
    with engine.connect() as conn:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
    engine.dispose()
    (event_dir / "feeds" / "orders.csv").write_text(ORDERS_HEADER + "".join(order_line(f"G{n}", customer=f"c{n}", product="x" * 500) for n in range(2000)), encoding="utf-8")

    @__import__("sqlalchemy").event.listens_for(store.writer, "connect")
    def _cap(dbapi_connection, _record):
        dbapi_connection.execute(f"PRAGMA max_page_count={pages + 2}")

    store.writer.dispose()
    try:
        with pytest.raises(Exception, match="full"):
            run_ingest(small_event, store, once=True)
        assert store.quarantined_rows() == []
    finally:
        store.close()


def test_a_store_an_earlier_version_made_gains_the_repaired_column(tmp_path, small_event):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    Store(url).close()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE quarantine DROP COLUMN repaired")
        conn.exec_driver_sql("INSERT INTO quarantine (digest, feed, position, raw, reason, first_seen_seq) VALUES ('d', 'f', 'p', 'r', 'why', 1)")
    engine.dispose()
    reopened = Store(url)
    try:
        assert [row["repaired"] for row in reopened.quarantined_rows()] == [False]
    finally:
        reopened.close()


def test_a_bad_cell_holding_a_line_break_is_one_bad_row(small_event, event_dir, store):
    """Found by the property tests: a quoted refund cell `":\n"` split its row in two records, two quarantined rows for one."""
    (event_dir / "feeds" / "orders.csv").write_text(ORDERS_HEADER + 'R0x,2026-05-20 21:00:00,1299,paid,":\n",1,c1,p\n' + order_line("R1x"), encoding="utf-8")
    figures = ingest(small_event, store)
    assert (figures["orders"], [row["position"] for row in store.quarantined_rows()]) == (1, ["orders.csv:line 2"])
