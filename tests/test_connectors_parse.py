"""Canonical row → record: money, times, statuses, required fields (SPEC §1)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from connectors.parse import (
    ORDER_FIELDS,
    RowError,
    checkin_from_cells,
    checkin_from_row,
    checkins_from_columns,
    clean,
    clean_cells,
    order_from_cells,
    order_from_row,
    orders_from_columns,
    parse_money_fen,
    parse_status,
    parse_ts,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
ALIASES = {"S01": "S01", "linx01": "S01"}
# 2026-05-20 21:00:00 +08:00
NINE_PM = 1779282000


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("1299", 129900),
        ("1299.00", 129900),
        ("¥1,299.00", 129900),
        ("￥1299", 129900),
        ("1299元", 129900),
        (" 1299 ", 129900),
        ("\t1299.5", 129950),
        ("0.01", 1),
        ("0.005", 1),
        ("12.344", 1234),
        ("1,234,567.89", 123456789),
        ("0", 0),
    ],
)
def test_money_is_read_as_fen(text, fen):
    assert parse_money_fen(text) == fen


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("abc", "amount 'abc' is not a number"),
        ("-299.00", "amount '-299.00' is negative"),
        ("¥-5", "amount '¥-5' is negative"),
        ("1,29,9", "amount '1,29,9' is not a number"),
        ("1e3", "amount '1e3' is not a number"),
        ("-", "amount is missing"),
        ("", "amount is missing"),
    ],
)
def test_unreadable_money_is_a_row_error(text, reason):
    with pytest.raises(RowError) as caught:
        parse_money_fen(text)
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    "text",
    [
        "2026-05-20 21:00:00",
        "2026-05-20T21:00:00",
        "2026-05-20T21:00:00+08:00",
        "2026-05-20T13:00:00Z",
        "2026-05-20T13:00:00+00:00",
        "2026-05-20T08:00:00-05:00",
        "2026-05-20T21:00:00+0800",
        "2026/05/20 21:00:00",
        "2026/5/20 21:00",
        "2026-05-20 21:00:00.750",
        "\t2026-05-20 21:00:00",
    ],
)
def test_times_are_read_as_utc_epoch_seconds(text):
    assert parse_ts(text, SHANGHAI) == NINE_PM


def test_a_time_without_offset_is_in_the_given_timezone():
    assert parse_ts("2026-05-20 21:00:00", ZoneInfo("UTC")) == NINE_PM + 8 * 3600


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("昨晚9点", "ts '昨晚9点' is not a time"),
        ("2026-05-32 21:05:00", "ts '2026-05-32 21:05:00' is not a real date"),
        ("2026-05-20 25:00:00", "ts '2026-05-20 25:00:00' is not a real date"),
        ("-", "ts is missing"),
    ],
)
def test_unreadable_times_are_row_errors(text, reason):
    with pytest.raises(RowError) as caught:
        parse_ts(text, SHANGHAI)
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    ("label", "status"),
    [
        ("paid", "paid"),
        ("PAID", "paid"),
        ("Refunded", "refunded"),
        ("canceled", "cancelled"),
        ("已支付", "paid"),
        ("已付款", "paid"),
        ("待发货", "paid"),
        ("已发货", "paid"),
        ("已完成", "paid"),
        ("交易成功", "paid"),
        ("已退款", "refunded"),
        ("退款成功", "refunded"),
        ("已取消", "cancelled"),
        ("已关闭", "cancelled"),
        ("交易关闭", "cancelled"),
        ("", "paid"),
        ("-", "paid"),
    ],
)
def test_status_labels_map_onto_three_states(label, status):
    assert parse_status(label) == status


def test_an_unknown_status_is_a_row_error():
    with pytest.raises(RowError, match="status 'on_hold' is unknown"):
        parse_status("on_hold")


@pytest.mark.parametrize(("text", "value"), [("\t9001", "9001"), (" x ", "x"), ("-", None), ("  ", None), ("\t-", None), (None, None)])
def test_clean_strips_padding_and_reads_dashes_as_empty(text, value):
    assert clean(text) == value


def order_row(**cells: str) -> dict[str, str]:
    return {"order_id": "A1", "ts": "2026-05-20 21:00:00", "amount": "1299", **cells}


def test_an_order_row_becomes_an_order_line():
    line = order_from_row(order_row(sku="P01", qty="2", customer_id="C1", group_id="G01"), SHANGHAI, ALIASES)
    assert (line.order_id, line.ts, line.amount_fen, line.status, line.qty, line.sku) == ("A1", NINE_PM, 129900, "paid", 2, "P01")


def test_an_order_staff_alias_is_mapped_to_the_member():
    assert order_from_row(order_row(staff_id="linx01"), SHANGHAI, ALIASES).staff_id == "S01"


def test_an_unknown_staff_id_is_kept_as_written():
    assert order_from_row(order_row(staff_id="stranger"), SHANGHAI, ALIASES).staff_id == "stranger"


def test_a_partial_refund_is_kept_in_fen():
    assert order_from_row(order_row(refund_amount="100.50"), SHANGHAI, ALIASES).refund_fen == 10050


def test_a_refund_above_the_amount_is_a_row_error():
    with pytest.raises(RowError, match="more than amount"):
        order_from_row(order_row(refund_amount="2000"), SHANGHAI, ALIASES)


@pytest.mark.parametrize("after_sale", ["退款成功", "已退款", "售后完成（退款成功）"])
def test_a_refunded_after_sale_state_makes_the_line_refunded(after_sale):
    assert order_from_row(order_row(status="已完成", after_sale=after_sale), SHANGHAI, ALIASES).status == "refunded"


@pytest.mark.parametrize(
    ("missing", "reason"),
    [("order_id", "order_id is missing"), ("ts", "ts is missing"), ("amount", "amount is missing")],
)
def test_an_order_without_a_required_field_is_a_row_error(missing, reason):
    with pytest.raises(RowError) as caught:
        order_from_row(order_row(**{missing: " - "}), SHANGHAI, ALIASES)
    assert caught.value.reason == reason


@pytest.mark.parametrize(("qty", "value"), [("", 1), ("3", 3), ("2件", 2)])
def test_quantity_defaults_to_one_and_allows_a_unit(qty, value):
    assert order_from_row(order_row(qty=qty), SHANGHAI, ALIASES).qty == value


@pytest.mark.parametrize("qty", ["0", "1.5", "many"])
def test_a_quantity_that_is_not_a_positive_whole_number_is_a_row_error(qty):
    with pytest.raises(RowError, match="qty"):
        order_from_row(order_row(qty=qty), SHANGHAI, ALIASES)


def checkin_row(**cells: str) -> dict[str, str]:
    return {"ts": "2026-05-20 21:00:00", "kind": "join_group", "customer_id": "C1", **cells}


def test_a_checkin_row_becomes_a_checkin():
    checkin = checkin_from_row(checkin_row(id="K1", group_id="G01", staff_id="linx01"), SHANGHAI, ALIASES)
    assert (checkin.checkin_id, checkin.ts, checkin.kind, checkin.group_id, checkin.staff_id) == ("K1", NINE_PM, "join_group", "G01", "S01")


def test_a_checkin_without_id_gets_a_stable_digest():
    first = checkin_from_row(checkin_row(), SHANGHAI, ALIASES)
    again = checkin_from_row(checkin_row(ts="2026-05-20T21:00:00+08:00"), SHANGHAI, ALIASES)
    assert first.checkin_id == again.checkin_id and len(first.checkin_id) == 40


def test_checkins_that_differ_get_different_digests():
    assert checkin_from_row(checkin_row(), SHANGHAI, ALIASES).checkin_id != checkin_from_row(checkin_row(customer_id="C2"), SHANGHAI, ALIASES).checkin_id


def test_a_viewers_snapshot_needs_no_customer():
    checkin = checkin_from_row({"ts": "2026-05-20 21:00:00", "kind": "viewers", "value": "1,234"}, SHANGHAI, ALIASES)
    assert (checkin.customer_id, checkin.value) == (None, 1234)


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        ({"kind": "like"}, "kind 'like' is unknown"),
        ({"kind": ""}, "kind is missing"),
        ({"customer_id": "-"}, "customer_id is missing"),
        ({"kind": "viewers", "customer_id": ""}, "value is missing for viewers"),
        ({"kind": "viewers", "value": "lots"}, "value 'lots' is not a whole number"),
        ({"ts": "tomorrow"}, "ts 'tomorrow' is not a time"),
    ],
)
def test_an_unreadable_checkin_is_a_row_error(cells, reason):
    with pytest.raises(RowError) as caught:
        checkin_from_row(checkin_row(**cells), SHANGHAI, ALIASES)
    assert caught.value.reason == reason


# -- a block, column by column -------------------------------------------------------------------

# Raw order cells in ORDER_FIELDS order: read, refused, and the rows whose rules weigh several cells.
ORDER_CELLS = [
    ["A1", "2026-05-20 21:00:00", "1299", "paid", "", "", "P01", "焕颜精华", "1", "C1", "linx01", "G01"],
    [" A2 ", "\t2026-05-20 21:00:01", " 99 ", "已退款", "", "-", "P02", "", "2件", "C2", "", "G01"],
    ["A3", "2026/5/20 21:00", "¥1,299.00", "", "", "", "—", "--", "", "C3", "S02", ""],
    ["A4", "2026-05-20 21:00:00", "1299", "已完成", "退款成功", "", "P01", "", "1", "C4", "", ""],
    ["A5", "2026-05-20 21:00:00", "1299", "paid", "", "100.50", "P01", "", "1", "C5", "", ""],
    ["A6", "2026-05-20 21:00:00", "1299", "paid", "", "2000", "P01", "", "1", "C6", "", ""],
    ["-", "2026-05-20 21:00:00", "1299", "paid", "", "", "P01", "", "1", "C7", "", ""],
    ["A8", "x", "1299", "paid", "", "", "P01", "", "1", "C8", "", ""],
    ["A9", "2026-05-20 21:00:00", "-5", "paid", "", "", "P01", "", "1", "C9", "", ""],
    ["A10", "2026-05-20 21:00:00", "99", "unknown", "", "", "P01", "", "1", "C10", "", ""],
    ["A11", "2026-05-20 21:00:00", "99", "paid", "", "", "P01", "", "0", "C11", "", ""],
    ["", "", "", "", "", "", "", "", "", "", "", ""],
    ["A1", "2026-05-20 21:00:00", "1299", "PAID", "", "", "P01", "焕颜精华", "1", "C1", "stranger", "G01"],
]


def read_one_by_one(read, cells):
    try:
        return read(clean_cells(cells), SHANGHAI, ALIASES)
    except RowError:
        return None


def test_orders_from_columns_reads_each_row_as_order_from_cells_does():
    columns = [list(column) for column in zip(*ORDER_CELLS, strict=True)]
    expected = [read_one_by_one(order_from_cells, cells) for cells in ORDER_CELLS]
    assert orders_from_columns(columns, len(ORDER_CELLS), SHANGHAI, ALIASES) == expected
    assert sum(line is None for line in expected) == 7


def test_orders_from_columns_reads_a_column_the_file_lacks_as_empty_cells():
    given = {"order_id": ["A1", "A2"], "ts": ["2026-05-20 21:00:00"] * 2, "amount": ["99", "1299"]}
    expected = [order_from_row({field: column[index] for field, column in given.items()}, SHANGHAI, ALIASES) for index in range(2)]
    assert orders_from_columns([given.get(field) for field in ORDER_FIELDS], 2, SHANGHAI, ALIASES) == expected


CHECKIN_CELLS = [
    ["K1", "2026-05-20 21:00:00", "join_group", "C1", "G01", "linx01", ""],
    ["", "2026-05-20 21:00:01", "viewers", "", "", "", "1,200"],
    ["", "2026-05-20 21:00:02", "viewers", "", "", "", ""],
    ["K4", "2026-05-20 21:00:03", "dance", "C1", "G01", "", ""],
    ["", "2026-05-20 21:00:04", "Invite", "C2", "", "S02", ""],
]


def test_checkins_from_columns_reads_each_row_as_checkin_from_cells_does():
    columns = [list(column) for column in zip(*CHECKIN_CELLS, strict=True)]
    expected = [read_one_by_one(checkin_from_cells, cells) for cells in CHECKIN_CELLS]
    assert checkins_from_columns(columns, len(CHECKIN_CELLS), SHANGHAI, ALIASES) == expected
    assert [checkin is None for checkin in expected] == [False, False, True, True, False]
