"""Exports: the formula guard, phone masking, the payout sheet and review workbook (XLSX), and the data poster (PNG)."""

from __future__ import annotations

import io
import struct
from datetime import datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from warroom.clock import FixedClock
from warroom.config import load_event
from warroom.figures import LiveFigures
from warroom.i18n import mask_phone
from warroom.records import Batch, OrderLine
from warroom.review import build_review
from warroom.review_tables import Table
from warroom.rules import LedgerRules
from warroom.store import Store
from warroom.web.exports import data_poster, guard_formula, payout_workbook, review_workbook, safe_cell, tables_workbook

NOW = datetime.fromisoformat("2026-05-20T22:30:00+08:00")
AT_21H = int(datetime.fromisoformat("2026-05-20T21:00:00+08:00").timestamp())


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ('=HYPERLINK("http://x.example","点我")', '\'=HYPERLINK("http://x.example","点我")'),
        ("+86 game", "'+86 game"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("小林", "小林"),
        ("a=b", "a=b"),
        ("", ""),
        (-12.5, -12.5),
        (-3, -3),
        (Decimal("-3.25"), Decimal("-3.25")),
        (0, 0),
        (None, None),
    ],
)
def test_formula_guard(value, expected):
    assert guard_formula(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("-3.25"), -3.25),  # a real negative number stays a number
        ("-3.25", "'-3.25"),  # text that looks like one is defused
        ("=1+1", "'=1+1"),
        ("13812341234", "138****1234"),
        ("=13812341234", "'=138****1234"),
        ("bad\x00name\x07", "badname"),
    ],
)
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("13812341234", "138****1234"),
        ("买家 13812341234 已付款", "买家 138****1234 已付款"),
        ("+86 138 1234 1234", "+86 138****1234"),
        ("+8613812341234", "+86138****1234"),
        ("86-138-1234-1234", "86-138****1234"),
        ("C13812341234", "C138****1234"),
        ("13812341234,15999998888", "138****1234,159****8888"),
        ("12345678901", "12345678901"),  # 12… is not a mobile number
        ("213812341234", "213812341234"),  # inside a longer run of digits
        ("DD2605200001", "DD2605200001"),
        ("1381234123", "1381234123"),  # ten digits
        ("小林", "小林"),
    ],
)
def test_phone_masking(text, expected):
    assert mask_phone(text) == expected


# -- workbooks and the poster on a real store ---------------------------------------------------------


@pytest.fixture
def sold(event_dir, monkeypatch):
    """Return (config, store, snapshot): the small event with an injection-shaped name, a phone-shaped id, sales, a refund and an overpayment."""
    for name in ("WARROOM_DB_URL", "WARROOM_REPLAY_CLOCK"):
        monkeypatch.delenv(name, raising=False)
    source = event_dir / "event.toml"
    text = source.read_text(encoding="utf-8").replace('name = "小周"', 'name = "=HYPERLINK(\\"http://evil.example\\",\\"小周\\")"')
    source.write_text(text.replace('name = "宠粉 1 群"', 'name = "宠粉群 13812341234"'), encoding="utf-8")
    config = load_event(source)
    store = Store(config.store_url, LedgerRules.from_config(config))
    store.apply(Batch(orders=[
        OrderLine(order_id="A1", ts=AT_21H, amount_fen=1_200_00, customer_id="C1", staff_id="S01", group_id="G01"),
        OrderLine(order_id="A2", ts=AT_21H + 60, amount_fen=300_00, customer_id="C1", staff_id="S01", group_id="G01"),
        OrderLine(order_id="A3", ts=AT_21H + 120, amount_fen=600_00, customer_id="13812341234", staff_id="S02", group_id="G01"),
    ]))
    # S02 was paid ¥100 against ¥72 earned (600 × 12 %): a clawback of ¥28.
    store.record_payout("S02", 100_00, NOW)
    snapshot = LiveFigures(store, config, clock=FixedClock(NOW)).refresh()
    yield config, store, snapshot
    store.close()


def sheet_rows(data: bytes, sheet: str) -> list[tuple]:
    return list(load_workbook(io.BytesIO(data))[sheet].iter_rows(values_only=True))


def test_payout_workbook_sheets(sold):
    config, _store, snapshot = sold
    assert load_workbook(io.BytesIO(payout_workbook(snapshot, config))).sheetnames == ["提成发放表", "说明"]


def test_payout_workbook_values(sold):
    config, _store, snapshot = sold
    rows = sheet_rows(payout_workbook(snapshot, config), "提成发放表")
    header, lin = rows[0], rows[1]
    assert (lin[header.index("姓名")], lin[header.index("成交额")], lin[header.index("提成")]) == ("小林", 1500.0, 210.0)


def test_payout_workbook_total_row(sold):
    config, _store, snapshot = sold
    rows = sheet_rows(payout_workbook(snapshot, config), "提成发放表")
    assert rows[-1][0] == "合计" and rows[-1][rows[0].index("成交额")] == 2100.0


def test_payout_workbook_keeps_a_clawback_a_number(sold):
    config, _store, snapshot = sold
    rows = sheet_rows(payout_workbook(snapshot, config), "提成发放表")
    header, zhou = rows[0], rows[2]
    assert (zhou[header.index("余额")], zhou[header.index("需追回")]) == (-28.0, 28.0)


def test_payout_workbook_defuses_a_formula_name(sold):
    config, _store, snapshot = sold
    cell = load_workbook(io.BytesIO(payout_workbook(snapshot, config)))["提成发放表"]["B3"]
    assert (cell.data_type, cell.value) == ("s", '\'=HYPERLINK("http://evil.example","小周")')


def test_payout_workbook_in_english(sold):
    config, _store, snapshot = sold
    assert load_workbook(io.BytesIO(payout_workbook(snapshot, config, "en"))).sheetnames == ["Payout sheet", "Notes"]


REVIEW_SHEETS = ["概览", "按小时", "按商品", "按社群", "按岗位", "按岗位收入", "买家分层", "转化漏斗", "投产比", "秒杀", "推送效果", "推送效果汇总"]


def test_review_workbook_has_a_sheet_per_breakdown(sold):
    config, store, snapshot = sold
    assert load_workbook(io.BytesIO(review_workbook(build_review(store, config, snapshot)))).sheetnames == REVIEW_SHEETS


def test_review_workbook_by_hour(sold):
    config, store, snapshot = sold
    rows = sheet_rows(review_workbook(build_review(store, config, snapshot)), "按小时")
    assert rows[1][:3] == (datetime(2026, 5, 20, 21, 0), 2100.0, 3)


def test_review_workbook_masks_phones_in_text(sold):
    config, store, snapshot = sold
    rows = sheet_rows(review_workbook(build_review(store, config, snapshot)), "按社群")
    assert rows[1][0] == "宠粉群 138****1234"


def test_review_workbook_summary_revenue(sold):
    config, store, snapshot = sold
    rows = {row[0]: row for row in sheet_rows(review_workbook(build_review(store, config, snapshot)), "概览")}
    assert rows["成交额"][1:] == ("¥2,100", 2100.0)


def test_tables_workbook_shortens_and_dedupes_sheet_names():
    long = Table(key="x", title="一" * 40, headers=("a",), kinds=("text",), rows=[("x",)])
    bad = Table(key="y", title="a/b:c", headers=("a",), kinds=("text",), rows=[])
    names = load_workbook(io.BytesIO(tables_workbook([long, long, bad]))).sheetnames
    assert names == ["一" * 31, "一" * 29 + " 2", "a b c"]


def png_size(data: bytes) -> tuple[int, int]:
    """The width and height a PNG declares in its header chunk; fails on anything that is not a PNG.

    Read from the bytes, not through Pillow: only the web layer draws (tests/test_architecture.py).
    """
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"not a PNG: starts {data[:8]!r}"
    assert data[12:16] == b"IHDR", f"no IHDR chunk first: {data[12:16]!r}"
    return struct.unpack(">II", data[16:24])


def test_poster_is_phone_sized(sold):
    config, store, snapshot = sold
    assert png_size(data_poster(build_review(store, config, snapshot), config)) == (1080, 1920)


def test_poster_made_the_day_after_is_the_same_poster(sold):
    # The footer says when the data ends (the last order), not when the poster was made.
    config, store, snapshot = sold
    later = LiveFigures(store, config, clock=FixedClock(datetime.fromisoformat("2026-05-22T09:00:00+08:00"))).refresh()
    assert data_poster(build_review(store, config, later), config) == data_poster(build_review(store, config, snapshot), config)


def test_poster_without_sales(event_dir, small_event, monkeypatch):
    monkeypatch.delenv("WARROOM_DB_URL", raising=False)
    store = Store(small_event.store_url, LedgerRules.from_config(small_event))
    snapshot = LiveFigures(store, small_event, clock=FixedClock(NOW)).refresh()
    poster = data_poster(build_review(store, small_event, snapshot, "en"), small_event, "en")
    store.close()
    assert png_size(poster) == (1080, 1920)
