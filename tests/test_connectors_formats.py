"""Decoding and splitting: encodings, record boundaries, CSV, JSON Lines, over-long and undecodable lines."""

from __future__ import annotations

import pytest

import connectors.tail
from connectors.feed import FeedReader
from connectors.formats import Record, Run, cell_text, detect_encoding, json_cells, split_records
from connectors.parse import RowError
from warroom.config import Feed

HEADER = "order_id,ts,amount,product\n"


def row(order_id: str, product: str = "焕颜精华套装") -> str:
    return f"{order_id},2026-05-20 21:00:00,1299,{product}\n"


def poll(config, path, **feed):
    reader = FeedReader(Feed(kind=feed.pop("kind", "orders"), path=str(path), **feed), config, [])
    return reader.poll()


@pytest.mark.parametrize(
    ("sample", "codec"),
    [
        ("订单,焕颜精华\n".encode(), "utf-8"),
        (b"\xef\xbb\xbforder_id\n", "utf-8"),
        ("订单号,订单下单时间,商品名称\n3700001,焕颜精华套装\n".encode("gbk"), "gb18030"),
        ("小林\n".encode("gb18030"), "gb18030"),
        (b"order_id,ts\nA1,2026\n", None),
    ],
)
def test_encoding_is_detected_from_non_ascii_lines(sample, codec):
    assert detect_encoding(sample) == codec


def test_a_few_bad_lines_do_not_make_a_utf8_file_look_gbk():
    sample = "焕颜精华\n小金瓶\n".encode() + b"\xff\xfe broken\n" + "粉底液\n".encode()
    assert detect_encoding(sample) == "utf-8"


def test_a_record_is_only_complete_with_its_line_break():
    records = list(split_records(b"a,1\nb,2\nc,", 0, 1, final=False, quoted=True))
    assert [(record.data, record.end, record.line) for record in records] == [(b"a,1\n", 4, 1), (b"b,2\n", 8, 2)]


def test_a_quoted_cell_may_hold_a_line_break():
    records = list(split_records(b'a,"x\ny",1\nb,2\n', 0, 1, final=False, quoted=True))
    assert [(record.data, record.line, record.lines) for record in records] == [(b'a,"x\ny",1\n', 1, 2), (b"b,2\n", 3, 1)]


def test_an_unterminated_last_record_counts_when_final():
    records = list(split_records(b"a,1\nb,2", 0, 1, final=True, quoted=False))
    assert [record.data for record in records] == [b"a,1\n", b"b,2"]


def test_lines_without_quotes_come_as_one_run_of_their_bytes():
    runs = list(split_records(b"a,1\nb,2\nc,", 10, 3, final=False, quoted=True, runs=True))
    assert runs == [Run(b"a,1\nb,2\n", 10, 18, 3, 2)]


def test_a_run_stops_at_a_quoted_record():
    records = list(split_records(b'a,1\nb,"x\ny"\nc,3\n', 0, 1, final=False, quoted=True, runs=True))
    assert records == [Run(b"a,1\n", 0, 4, 1, 1), Record(b'b,"x\ny"\n', 4, 12, 2, 2), Run(b"c,3\n", 12, 16, 4, 1)]


def test_a_run_holds_no_line_over_the_length_limit():
    records = list(split_records(b"a,1\n" + b"x" * 20 + b"\nb,2\n", 0, 1, final=False, quoted=True, max_bytes=10, runs=True))
    assert records == [Run(b"a,1\n", 0, 4, 1, 1), Record(b"x" * 10, 4, 25, 2, 1, too_long=True), Run(b"b,2\n", 25, 29, 3, 1)]


def test_json_numbers_keep_their_digits():
    assert json_cells('{"amount": 1299.10, "qty": 2, "staff_id": null, "vip": true}') == {"amount": "1299.10", "qty": "2", "staff_id": "", "vip": "true"}


@pytest.mark.parametrize(("line", "reason"), [("[1, 2]", "not an object"), ('{"a": {"b": 1}}', "not a single value"), ('{"a": ', "not valid JSON")])
def test_a_json_line_that_is_not_a_flat_object_is_a_row_error(line, reason):
    with pytest.raises(RowError, match=reason):
        json_cells(line)


@pytest.mark.parametrize(("value", "text"), [(None, ""), (1299.0, "1299"), (1299.5, "1299.5"), (9001, "9001"), ("\t9001", "\t9001")])
def test_spreadsheet_cells_read_like_csv_text(value, text):
    assert cell_text(value) == text


def test_a_utf8_bom_is_not_part_of_the_first_header(small_event, event_dir):
    path = event_dir / "feeds" / "orders.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (HEADER + row("A1")).encode())
    assert [order.order_id for order in poll(small_event, path).orders] == ["A1"]


def test_crlf_line_endings_are_read(small_event, event_dir):
    path = event_dir / "feeds" / "orders.csv"
    path.write_bytes((HEADER + row("A1") + row("A2")).replace("\n", "\r\n").encode())
    assert [(order.order_id, order.product) for order in poll(small_event, path).orders] == [("A1", "焕颜精华套装"), ("A2", "焕颜精华套装")]


def test_a_gbk_file_is_read_when_its_encoding_is_declared(small_event, event_dir):
    path = event_dir / "feeds" / "orders.csv"
    path.write_bytes((HEADER + row("A1", "小金瓶")).encode("gbk"))
    assert [order.product for order in poll(small_event, path, encoding="gbk").orders] == ["小金瓶"]


def test_a_gbk_file_after_an_ascii_start_is_detected_at_its_first_chinese_line(small_event, event_dir):
    path = event_dir / "feeds" / "orders.csv"
    path.write_bytes((HEADER + row("A1", "plain") + row("A2", "小金瓶修护精华")).encode("gbk"))
    assert [order.product for order in poll(small_event, path).orders] == ["plain", "小金瓶修护精华"]


def test_an_undecodable_line_becomes_a_bad_row(small_event, event_dir):
    path = event_dir / "feeds" / "orders.csv"
    path.write_bytes((HEADER + row("A1") + row("A2")).encode() + b"A3,2026-05-20 21:00:00,1,\xff\xfe\n" + row("A4").encode())
    batch = poll(small_event, path)
    assert [(bad.position, bad.reason) for bad in batch.bad_rows] == [("orders.csv:line 4", "byte 0xff at column 26 is not valid utf-8")]


def test_the_lines_after_an_undecodable_one_are_read(small_event, event_dir):
    path = event_dir / "feeds" / "orders.csv"
    path.write_bytes((HEADER + row("A1") + row("A2")).encode() + b"A3,2026-05-20 21:00:00,1,\xff\xfe\n" + row("A4").encode())
    assert [order.order_id for order in poll(small_event, path).orders] == ["A1", "A2", "A4"]


def test_an_undecodable_line_is_quarantined_with_its_bytes_escaped(small_event, event_dir):
    path = event_dir / "feeds" / "orders.csv"
    path.write_bytes(HEADER.encode() + b"A3,2026-05-20 21:00:00,1,\xff\n" + row("A4").encode())
    assert poll(small_event, path).bad_rows[0].raw == "A3,2026-05-20 21:00:00,1,\\xff"


def test_an_over_long_line_becomes_a_bad_row_and_reading_goes_on(small_event, event_dir):
    path = event_dir / "feeds" / "orders.csv"
    path.write_text(HEADER + "A1,2026-05-20 21:00:00,1," + "x" * 500 + "\n" + row("A2"), encoding="utf-8")
    reader = FeedReader(Feed(kind="orders", path=str(path)), small_event, [], max_record_bytes=128)
    batch = reader.poll()
    assert ([order.order_id for order in batch.orders], [bad.reason for bad in batch.bad_rows]) == (["A2"], ["the line is longer than 128 bytes"])


def test_a_line_split_across_the_read_buffer_is_read_whole(small_event, event_dir, monkeypatch):
    monkeypatch.setattr(connectors.tail, "CHUNK_BYTES", 16)
    path = event_dir / "feeds" / "orders.csv"
    path.write_text(HEADER + row("A1", "p") + row("A2", "焕颜精华") + row("A3", "q"), encoding="utf-8")
    reader = FeedReader(Feed(kind="orders", path=str(path)), small_event, [], max_record_bytes=48)
    assert [(order.order_id, order.product) for order in reader.poll().orders] == [("A1", "p"), ("A2", "焕颜精华"), ("A3", "q")]


def test_a_quoted_line_break_in_a_csv_cell_keeps_the_row_whole(small_event, event_dir):
    path = event_dir / "feeds" / "orders.csv"
    path.write_text(HEADER + 'A1,2026-05-20 21:00:00,"¥1,299.00","套装\n第二行"\n' + row("A2"), encoding="utf-8")
    batch = poll(small_event, path)
    # A line break is a control character: removed before the row is stored (SPEC §5).
    assert [(order.order_id, order.amount_fen, order.product) for order in batch.orders] == [("A1", 129900, "套装第二行"), ("A2", 129900, "焕颜精华套装")]


def test_a_quoted_line_break_is_noted_as_repaired(small_event, event_dir):
    path = event_dir / "feeds" / "orders.csv"
    path.write_text(HEADER + 'A1,2026-05-20 21:00:00,"¥1,299.00","套装\n第二行"\n' + row("A2"), encoding="utf-8")
    assert [(bad.position, bad.repaired) for bad in poll(small_event, path).bad_rows] == [("orders.csv:line 2", True)]


def test_the_line_after_a_multi_line_record_keeps_its_line_number(small_event, event_dir):
    path = event_dir / "feeds" / "orders.csv"
    path.write_text(HEADER + 'A1,2026-05-20 21:00:00,1,"a\nb"\n' + "A2,never,1,x\n", encoding="utf-8")
    assert [bad.position for bad in poll(small_event, path).bad_rows if not bad.repaired] == ["orders.csv:line 4"]


def test_empty_lines_are_skipped(small_event, event_dir):
    path = event_dir / "feeds" / "orders.csv"
    path.write_text(HEADER + "\n" + row("A1") + "  \r\n" + ",,,\n" + row("A2") + "\n", encoding="utf-8")
    batch = poll(small_event, path)
    assert ([order.order_id for order in batch.orders], batch.bad_rows) == (["A1", "A2"], [])


def test_a_row_with_the_wrong_number_of_cells_is_a_bad_row(small_event, event_dir):
    path = event_dir / "feeds" / "orders.csv"
    path.write_text(HEADER + "A1,2026-05-20 21:00:00\n" + row("A2"), encoding="utf-8")
    assert [bad.reason for bad in poll(small_event, path).bad_rows] == ["the row has 2 cells, the header 4"]


def test_a_json_lines_feed_quarantines_a_truncated_line(small_event, event_dir):
    path = event_dir / "feeds" / "checkins.jsonl"
    path.write_text('{"id": "K1", "ts": "2026-05-19T15:42:\n{"id": "K2", "ts": "2026-05-20 21:00:00", "kind": "share", "customer_id": "C1"}\n', encoding="utf-8")
    batch = poll(small_event, path, kind="checkins")
    assert ([checkin.checkin_id for checkin in batch.checkins], [bad.position for bad in batch.bad_rows]) == (["K2"], ["checkins.jsonl:line 1"])


def test_an_unknown_encoding_is_a_config_error(small_event, event_dir):
    from warroom.config import ConfigError

    # The event file refuses such a feed when it loads (tests/test_config.py); the reader still refuses one built around that check.
    feed = Feed.model_construct(**{**Feed(kind="orders", path="feeds/orders.csv").model_dump(), "encoding": "klingon"})
    with pytest.raises(ConfigError, match="not a known codec"):
        FeedReader(feed, small_event, [])
