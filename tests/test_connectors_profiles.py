"""Shop-export profiles: header mapping, detection, and small sample exports read end to end."""

from __future__ import annotations

import os
from datetime import datetime

import pytest
from openpyxl import Workbook

from connectors.feed import FeedReader
from connectors.profiles import PROFILES, HeaderError, detect_profile, map_header
from warroom.config import Feed

NINE_PM = 1779282000  # 2026-05-20 21:00:00 +08:00

DOUYIN_HEADER = "主订单编号,子订单编号,选购商品,商品数量,商家编码,订单应付金额,收件人手机号,订单提交时间,支付完成时间,订单状态,售后状态,达人ID"
WEIXIN_HEADER = "订单号,订单下单时间,支付时间,订单状态,商品名称,商品数量,商品实际价格(总共),订单实际支付金额,商品已退款金额,商品售后,SKU编码(自定义),企微工号,收件人手机"
YOUZAN_HEADER = "订单号,订单状态,买家付款时间,订单实付金额,全部商品名称,订单商品总件数,买家手机号,买家昵称,分销员"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


def read_all(config, **feed) -> tuple[FeedReader, list]:
    reader = FeedReader(Feed(**feed), config, [], clock=Clock(datetime(2030, 1, 1).timestamp()))
    return reader, reader.poll()


@pytest.mark.parametrize(
    ("header", "profile"),
    [
        (DOUYIN_HEADER, "douyin"),
        (WEIXIN_HEADER, "weixin"),
        (YOUZAN_HEADER, "youzan"),
        ("订单号,订单状态,买家付款时间,订单实付金额,全部商品名称,收货人/提货人,收货人手机号/提货人手机号,详细收货地址/提货地址,买家手机号", "youzan"),
        ("order_id,ts,amount,status", "canonical"),
        ("id,ts,kind,customer_id", "canonical"),
        ("\ufeff主订单编号,\t子订单编号,订单应付金额", "douyin"),
        ("订单号,商品实际价格（总共）,支付时间", "weixin"),
    ],
)
def test_a_header_is_detected_by_several_columns_together(header, profile):
    assert detect_profile(header.split(",")) == profile


@pytest.mark.parametrize(
    "header",
    [
        "订单号,订单状态,商品已退款金额",  # columns that Youzan and WeChat share prove nothing
        "订单号,订单实付金额",  # one distinctive column is not enough
        "a,b,c",
    ],
)
def test_an_unclear_header_is_not_detected(header):
    assert detect_profile(header.split(",")) is None


def test_a_profile_maps_each_required_column():
    for name, profile in PROFILES.items():
        for kind in profile.kinds:
            required = {"orders": ("order_id", "ts", "amount"), "checkins": ("ts", "kind")}[kind]
            assert all(column in profile.columns for column in required), name


def test_another_shops_header_is_refused():
    with pytest.raises(HeaderError, match="looks like a 'weixin' export, but the feed's profile is 'douyin'"):
        map_header("douyin", "orders", WEIXIN_HEADER.split(","))


def test_a_header_missing_a_required_column_is_refused():
    with pytest.raises(HeaderError, match="no amount column"):
        map_header("canonical", "orders", ["order_id", "ts", "status"])


def test_a_shop_profile_reads_only_orders():
    with pytest.raises(HeaderError, match="reads orders, not checkins"):
        map_header("douyin", "checkins", DOUYIN_HEADER.split(","))


DOUYIN_ROWS = [
    '"\t4900001","\t4900001-1","焕颜精华套装","\t1袋","P01","¥1,299.00","\t138****0001","2026/05/20 20:58:00","2026/05/20 21:00:00","已完成","-","\tlinx01"',
    '"\t4900002","-","小金瓶修护精华-(P15)","2","-","598.00","\t138****0002","2026/05/20 20:59:00","-","已完成","退款成功","-"',
]


@pytest.fixture
def douyin_export(event_dir):
    """A douyin CSV with a BOM, tab-prefixed ids, `-` for empty cells and slash dates."""
    path = event_dir / "feeds" / "douyin.csv"
    path.write_bytes(("\ufeff" + DOUYIN_HEADER + "\r\n" + "\r\n".join(DOUYIN_ROWS) + "\r\n").encode("utf-8"))
    return path


def test_douyin_export_reads_its_sub_order_ids(small_event, douyin_export):
    _, batch = read_all(small_event, kind="orders", path=str(douyin_export), profile="douyin")
    assert [order.order_id for order in batch.orders] == ["4900001-1", "4900002"]


def test_douyin_export_reads_money_time_and_staff(small_event, douyin_export):
    _, batch = read_all(small_event, kind="orders", path=str(douyin_export), profile="douyin")
    first = batch.orders[0]
    assert (first.amount_fen, first.ts, first.staff_id, first.customer_id, first.qty, first.status) == (129900, NINE_PM, "S01", "138****0001", 1, "paid")


def test_douyin_export_reads_a_refunded_after_sale_and_a_code_in_the_product(small_event, douyin_export):
    _, batch = read_all(small_event, kind="orders", path=str(douyin_export), profile="douyin")
    second = batch.orders[1]
    assert (second.status, second.product, second.sku, second.ts, second.staff_id) == ("refunded", "小金瓶修护精华", "P15", NINE_PM - 60, None)


def test_douyin_export_has_no_bad_rows(small_event, douyin_export):
    _, batch = read_all(small_event, kind="orders", path=str(douyin_export), profile="douyin")
    assert batch.bad_rows == []


@pytest.fixture
def weixin_export(event_dir):
    """A WeChat shop CSV in GBK: one order of two products, one row per product line."""
    rows = [
        WEIXIN_HEADER,
        "3700001,2026-05-20 20:58:00,2026-05-20 21:00:00,已完成,焕颜精华套装,1,1299.00,1897.00,0,,P01,linx01,138****0000",
        "3700001,2026-05-20 20:58:00,2026-05-20 21:00:00,已完成,小金瓶修护精华,1,598.00,1897.00,598.00,退款成功,P15,linx01,138****0000",
        "3700002,2026-05-20 20:59:00,,已完成,焕亮粉底液,1,,639.00,0,,,,138****0003",
    ]
    path = event_dir / "feeds" / "weixin.csv"
    path.write_bytes(("\n".join(rows) + "\n").encode("gbk"))
    return path


def test_weixin_export_in_gbk_keys_each_product_line(small_event, weixin_export):
    _, batch = read_all(small_event, kind="orders", path=str(weixin_export), profile="weixin")
    assert [order.order_id for order in batch.orders] == ["3700001:P01", "3700001:P15", "3700002:焕亮粉底液"]


def test_weixin_export_counts_the_lines_own_money(small_event, weixin_export):
    _, batch = read_all(small_event, kind="orders", path=str(weixin_export), profile="weixin")
    assert [order.amount_fen for order in batch.orders] == [129900, 59800, 63900]


def test_weixin_export_reads_refunds_and_after_sale(small_event, weixin_export):
    _, batch = read_all(small_event, kind="orders", path=str(weixin_export), profile="weixin")
    assert [(order.status, order.refund_fen) for order in batch.orders] == [("paid", 0), ("refunded", 59800), ("paid", 0)]


def test_weixin_export_falls_back_to_the_order_time(small_event, weixin_export):
    _, batch = read_all(small_event, kind="orders", path=str(weixin_export), profile="weixin")
    assert [order.ts for order in batch.orders] == [NINE_PM, NINE_PM, NINE_PM - 60]


def test_weixin_export_reads_product_and_staff(small_event, weixin_export):
    _, batch = read_all(small_event, kind="orders", path=str(weixin_export), profile="weixin")
    assert (batch.orders[0].product, batch.orders[0].staff_id, batch.orders[0].customer_id) == ("焕颜精华套装", "S01", "138****0000")


@pytest.fixture
def youzan_export(event_dir):
    """A Youzan order export as a workbook dropped into a folder, long settled."""
    folder = event_dir / "feeds" / "youzan"
    folder.mkdir()
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(YOUZAN_HEADER.split(","))
    sheet.append(["E20260520001", "交易成功", datetime(2026, 5, 20, 21, 0, 0), 1299, "焕颜精华套装(标准)(1)", 1, "13800000001", "小红", "linx01"])
    sheet.append(["E20260520002", "交易关闭", "2026-05-20 21:01:00", "¥598.00", "小金瓶(1)", 2, None, "阿花", None])
    sheet.append([None] * 9)
    sheet.append(["E20260520003", "交易成功", "not a time", 99, "x", 1, None, "阿草", None])
    path = folder / "youzan-export.xlsx"
    workbook.save(path)
    os.utime(path, (datetime(2026, 5, 20).timestamp(),) * 2)
    return folder


def test_youzan_workbook_reads_orders(small_event, youzan_export):
    _, batch = read_all(small_event, kind="orders", path=str(youzan_export), profile="youzan")
    assert [(order.order_id, order.ts, order.amount_fen, order.status) for order in batch.orders] == [
        ("E20260520001", NINE_PM, 129900, "paid"),
        ("E20260520002", NINE_PM + 60, 59800, "cancelled"),
    ]


def test_youzan_workbook_falls_back_to_the_nickname(small_event, youzan_export):
    _, batch = read_all(small_event, kind="orders", path=str(youzan_export), profile="youzan")
    assert [(order.customer_id, order.staff_id, order.qty) for order in batch.orders] == [("13800000001", "S01", 1), ("阿花", None, 2)]


def test_youzan_workbook_bad_row_names_its_sheet_row(small_event, youzan_export):
    _, batch = read_all(small_event, kind="orders", path=str(youzan_export), profile="youzan")
    assert [(bad.position, bad.reason) for bad in batch.bad_rows] == [("youzan-export.xlsx:row 5", "ts 'not a time' is not a time")]


def test_youzan_workbook_is_read_once(small_event, youzan_export):
    reader, _ = read_all(small_event, kind="orders", path=str(youzan_export), profile="youzan")
    assert len(reader.poll()) == 0


def test_a_file_of_another_shop_is_refused_with_one_bad_row(small_event, weixin_export):
    _, batch = read_all(small_event, kind="orders", path=str(weixin_export), profile="douyin")
    assert (batch.orders, [bad.position for bad in batch.bad_rows]) == ([], ["weixin.csv:line 1"])


def test_the_refusal_says_which_shop_the_file_looks_like(small_event, weixin_export):
    _, batch = read_all(small_event, kind="orders", path=str(weixin_export), profile="douyin")
    assert batch.bad_rows[0].reason == "the header looks like a 'weixin' export, but the feed's profile is 'douyin'; file skipped"


def test_a_canonical_feed_refuses_a_shop_export(small_event, douyin_export):
    _, batch = read_all(small_event, kind="orders", path=str(douyin_export))
    assert "looks like a 'douyin' export" in batch.bad_rows[0].reason


def test_a_refused_file_is_not_reported_again(small_event, weixin_export):
    reader, _ = read_all(small_event, kind="orders", path=str(weixin_export), profile="douyin")
    assert len(reader.poll()) == 0


def test_a_dropped_workbook_of_another_shop_is_refused(small_event, youzan_export):
    _, batch = read_all(small_event, kind="orders", path=str(youzan_export), profile="weixin")
    assert (batch.orders, [bad.position for bad in batch.bad_rows]) == ([], ["youzan-export.xlsx:row 1"])


def test_a_refused_export_is_read_after_the_profile_is_fixed(small_event, event_dir):
    folder = event_dir / "feeds" / "exports"
    folder.mkdir()
    (folder / "weixin.csv").write_text(WEIXIN_HEADER + "\n" + "3700001,,2026-05-20 21:00:00,已完成,x,1,1299.00,,0,,P01,,\n", encoding="utf-8")
    os.utime(folder / "weixin.csv", (datetime(2026, 5, 20).timestamp(),) * 2)
    _, refused = read_all(small_event, kind="orders", path=str(folder), profile="douyin")
    reader = FeedReader(Feed(kind="orders", path=str(folder), profile="weixin"), small_event, refused.checkpoints, clock=Clock(datetime(2030, 1, 1).timestamp()))
    assert [order.order_id for order in reader.poll().orders] == ["3700001:P01"]


def test_json_lines_with_shop_keys_are_mapped_by_the_profile(small_event, event_dir):
    path = event_dir / "feeds" / "douyin.jsonl"
    path.write_text('{"子订单编号": "\\t4900001-1", "支付完成时间": "2026/05/20 21:00:00", "订单应付金额": 1299.5, "达人ID": "linx01"}\n', encoding="utf-8")
    _, batch = read_all(small_event, kind="orders", path=str(path), profile="douyin")
    assert [(order.order_id, order.amount_fen, order.staff_id) for order in batch.orders] == [("4900001-1", 129950, "S01")]
