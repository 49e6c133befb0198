"""The review's breakdowns on a small real store: buyer tiers, by hour, product, group and role, the funnel, ROI,
flash sales and push lift; and the big screen's live reads: milestones, the next flash sale and the big-order ticker."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from tests.events import flash_sale, product, small_event, staff
from warroom.clock import FixedClock
from warroom.config import load_event
from warroom.figures import LiveFigures
from warroom.payouts import payout_totals
from warroom.records import Batch, CheckIn, OrderLine
from warroom.review import (
    build_review,
    buyer_tier,
    by_tier,
    chart_span,
    data_until,
    funnel_steps,
    push_lifts,
)
from warroom.review_tables import review_tables
from warroom.rules import LedgerRules
from warroom.schedule import milestones_reached, next_flash_sale
from warroom.store import Store
from warroom.ticker import BigOrderFeed, revenue_now

EXTRA = (
    product("P1", "玫瑰精油", 199),
    product("P2", "和田玉手镯", 6000),
    flash_sale("2026-05-20T20:40:00+08:00", "P1", 99, minutes=10),
)
NOW = datetime.fromisoformat("2026-05-20T22:30:00+08:00")


def at(clock: str) -> int:
    """Return the epoch second of an event-local time on the 20th."""
    return int(datetime.fromisoformat(f"2026-05-20T{clock}+08:00").timestamp())


def order(order_id: str, clock: str, yuan: int, customer: str | None, staff: str | None = "S01", sku: str = "P1", group: str | None = "G01", **fields) -> OrderLine:
    return OrderLine(order_id=order_id, ts=at(clock), amount_fen=yuan * 100, customer_id=customer, staff_id=staff, sku=sku, group_id=group, **fields)


ORDERS = [
    order("A1", "20:10:00", 100, "C1"),  # C1: two orders, repeat
    order("A2", "20:50:00", 200, "C1"),
    order("A3", "20:45:00", 6_000, "C2", staff="S02", sku="P2"),  # C2: high value
    order("A4", "21:05:00", 300, "C3", staff=None),  # C3: new; nobody invited C3, so G01's owner S20 (community) is credited
    order("A5", "21:10:00", 50, None, staff=None, sku="", group=None),  # no customer, no product, no group: unattributed
    order("A6", "21:20:00", 500, "C4", status="refunded", refund_fen=500_00),  # C4: refunded, not a buyer
]


@pytest.fixture
def event(event_dir, monkeypatch):
    """Return the small event with products, a flash sale and a ¥1,000 budget."""
    for name in ("WARROOM_DB_URL", "WARROOM_REPLAY_CLOCK"):
        monkeypatch.delenv(name, raising=False)
    source = event_dir / "event.toml"
    source.write_text(small_event(*EXTRA, budget=1000), encoding="utf-8")
    return load_event(source)


@pytest.fixture
def store(event):
    opened = Store(event.store_url, LedgerRules.from_config(event))
    opened.apply(Batch(orders=list(ORDERS), checkins=[
        CheckIn(checkin_id=f"J{n}", ts=at("19:50:00"), kind="join_group", customer_id=f"C{n}", group_id="G01", staff_id=None if n == 3 else "S01")
        for n in range(1, 5)
    ] + [CheckIn(checkin_id=f"L{n}", ts=at("20:00:00"), kind="enter_live", customer_id=f"C{n}") for n in range(1, 4)]))
    yield opened
    opened.close()


@pytest.fixture
def review(event, store):
    return build_review(store, event, LiveFigures(store, event, clock=FixedClock(NOW)).refresh())


# -- buyer tiers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("orders", "spent_fen", "top_spender", "tier"),
    [
        (1, 100_00, False, "new"),
        (2, 200_00, False, "repeat"),
        (5, 1_000_00, False, "repeat"),
        (1, 5_000_00, False, "high_value"),  # the threshold itself
        (1, 4_999_99, False, "new"),
        (1, 100_00, True, "high_value"),  # top of the event by spend
        (3, 9_000_00, False, "high_value"),  # high value wins over repeat
    ],
)
def test_buyer_tier(orders, spent_fen, top_spender, tier):
    assert buyer_tier(orders, spent_fen, top_spender) == tier


def test_top_spenders_are_high_value_below_the_threshold():
    buyers = [(1, 100_00)] * 18 + [(1, 3_000_00), (2, 3_000_00)]  # 20 buyers: the top 5 % is one, and its tie
    tiers = {row.key: row.buyers for row in by_tier(buyers, 7_800_00, 21)}
    assert tiers == {"high_value": 2, "repeat": 0, "new": 18}


def test_tiers_from_the_store(review):
    assert [(row.key, row.buyers, row.paid_orders, row.revenue_fen) for row in review.tiers] == [
        ("high_value", 1, 1, 6_000_00), ("repeat", 1, 2, 300_00), ("new", 1, 1, 300_00), ("unknown", 0, 1, 50_00),
    ]


def test_tiers_add_up_to_revenue(review):
    assert sum(row.revenue_fen for row in review.tiers) == review.revenue_fen


# -- breakdowns --------------------------------------------------------------------------------------


def test_by_hour(review):
    assert [(row.hour, row.paid_orders, row.revenue_fen, row.refunded_orders) for row in review.hours] == [
        (datetime(2026, 5, 20, 20), 3, 6_300_00, 0), (datetime(2026, 5, 20, 21), 2, 350_00, 1),
    ]


def test_by_product(review):
    assert [(row.label, row.paid_orders, row.revenue_fen) for row in review.products] == [
        ("和田玉手镯", 1, 6_000_00), ("玫瑰精油", 3, 600_00), ("（未知商品）", 1, 50_00),
    ]


def test_by_role(review):
    assert [(row.key, row.detail, row.revenue_fen) for row in review.roles] == [
        ("order_taker", "2", 6_300_00), ("community", "1", 300_00), ("", "0", 50_00),
    ]


def test_by_group_counts_joins(review):
    assert [(row.key, row.detail, row.joins, row.paid_orders) for row in review.groups] == [("G01", "阿青", 4, 4), ("", "", 0, 1)]


def test_funnel(review):
    assert [(step.key, step.customers, step.of_previous) for step in review.funnel] == [
        ("joined", 4, None), ("entered_live", 3, Decimal("0.75")), ("paid", 3, Decimal(1)),
    ]


def test_funnel_without_joins():
    assert funnel_steps({"joined": 0, "entered_live": 0, "paid": 2})[2].of_first is None


def test_roi(review):
    assert (review.roi.budget_fen, review.roi.roi) == (1_000_00, Decimal("6.65"))


def test_cost_ratio_counts_commission(review):
    # Commission: S01 ¥300 at 10 %, S02 ¥6,000 at 15 %, S20 ¥300 at 10 %; the pool is locked (¥6,650 < the ¥10,000 goal).
    assert (review.roi.commission_fen, review.roi.cost_ratio) == (Decimal("96000.00"), (Decimal(1_000_00) + Decimal("96000.00")) / 6_650_00)


def test_roi_without_budget(store, event):
    snapshot = LiveFigures(store, event, clock=FixedClock(NOW)).refresh()
    config = event.model_copy(update={"event": event.event.model_copy(update={"budget": Decimal(0)})})
    assert build_review(store, config, snapshot).roi.roi is None


def test_flash_sale_window(review):
    result = review.flash_sales[0]
    # 20:40–20:50 sells A3 (P2, not the sale's P1); A2 (P1) at 20:50 is just after; 20:30–20:40 sells nothing.
    assert (result.sku_orders, result.window_revenue_fen, result.before_revenue_fen, result.uplift) == (0, 6_000_00, 0, None)


def test_review_tables_have_their_rows(review):
    tables = {table.key: table for table in review_tables(review)}
    assert [len(tables[key].rows) for key in ("rv_sheet_hours", "rv_sheet_products", "rv_sheet_tiers", "rv_sheet_funnel")] == [2, 3, 4, 3]


# -- when the data ends --------------------------------------------------------------------------------

MINUTE_21H = at("21:00:00") // 60


@pytest.mark.parametrize(
    ("order_minutes", "checkin_minute", "as_of", "expected"),
    [
        ([MINUTE_21H - 5, MINUTE_21H], None, "2026-05-21T09:00:00+08:00", "2026-05-20T21:01:00+08:00"),  # the morning after: the last order's minute
        ([MINUTE_21H], MINUTE_21H + 30, "2026-05-21T09:00:00+08:00", "2026-05-20T21:31:00+08:00"),  # a later check-in counts too
        ([MINUTE_21H], None, "2026-05-20T21:00:30+08:00", "2026-05-20T21:00:30+08:00"),  # never after the clock
        ([], None, "2026-05-21T09:00:00+08:00", "2026-05-20T23:00:00+08:00"),  # no data: the event's end
        ([], None, "2026-05-20T19:30:00+08:00", "2026-05-20T19:30:00+08:00"),  # no data yet: the clock
    ],
)
def test_data_until(event, order_minutes, checkin_minute, as_of, expected):
    assert data_until(order_minutes, checkin_minute, datetime.fromisoformat(as_of), event) == datetime.fromisoformat(expected)


def test_review_made_the_day_after_keeps_the_data_time(event, store):
    snapshot = LiveFigures(store, event, clock=FixedClock(datetime.fromisoformat("2026-05-21T10:00:00+08:00"))).refresh()
    assert build_review(store, event, snapshot).data_time == datetime.fromisoformat("2026-05-20T21:21:00+08:00")


def test_review_summary_says_when_the_data_ends(review):
    summary = {row[0]: row[1] for row in review_tables(review)[0].rows}
    assert summary["数据截至"] == "2026-05-20 21:21"


# -- the big screen's countdown --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("clock", "big", "small"),
    [
        ("2026-05-20T20:35:00", "05:00", "20:40"),  # five minutes to go
        ("2026-05-20T20:42:00", "08:00", "抢完即止"),  # running: the time left
        ("2026-05-20T18:00:00", "2:40:00", "20:40"),  # hours away, still a countdown
        ("2026-05-20T16:40:00", "20:40", "还有 4 小时"),  # further: the start time, and how long until it
        ("2026-05-19T22:00:00", "20:40", "05-20"),  # tomorrow: never a countdown like 22:40:00, read as a time of day
    ],
)
def test_countdown_to_the_next_flash_sale(event, clock, big, small):
    import re

    from warroom.web.views.rail import countdown_html

    now = local(clock)
    shown = countdown_html(next_flash_sale(event, now), now, event, "zh")
    assert (re.search(r'countdown-time">([^<]+)<', shown).group(1), re.search(r"<small>([^<]+)</small>", shown).group(1)) == (big, small)


# -- the chart's time axis ----------------------------------------------------------------------------


def local(text: str) -> datetime:
    return datetime.fromisoformat(f"{text}+08:00")


@pytest.mark.parametrize(
    ("moments", "as_of", "expected"),
    [
        (["2026-05-20T20:11", "2026-05-20T21:21"], "2026-05-21T09:00", ("2026-05-20T20:00", "2026-05-20T22:00")),  # the session, read the day after
        (["2026-05-20T20:11", "2026-11-23T10:00"], "2026-11-23T10:05", ("2026-05-20T20:00", "2026-05-20T22:00")),  # a row dated today
        (["2026-05-20T20:11", "2026-05-20T22:31"], "2026-05-21T09:00", ("2026-05-20T20:00", "2026-05-20T22:31")),  # after-show sales
        (["2026-05-20T19:10", "2026-05-20T20:11"], "2026-05-21T09:00", ("2026-05-20T20:00", "2026-05-20T22:00")),  # presales: the curve starts above 0
        (["2026-05-20T20:11"], "2026-05-20T20:30", ("2026-05-20T20:00", "2026-05-20T22:00")),  # on air: the session's runway
        ([], "2026-05-20T19:30", ("2026-05-20T20:00", "2026-05-20T22:00")),  # before the show
    ],
)
def test_chart_span(event, moments, as_of, expected):
    assert chart_span(event, [local(moment) for moment in moments], local(as_of)) == tuple(local(end) for end in expected)


@pytest.mark.parametrize(
    ("moments", "as_of", "expected"),
    [
        (["2026-05-20T19:31", "2026-05-20T21:21"], "2026-05-21T09:00", ("2026-05-20T19:30", "2026-05-20T21:21")),  # the data's span
        (["2026-05-20T19:31", "2026-11-23T10:00"], "2026-11-23T10:05", ("2026-05-20T19:30", "2026-05-20T20:30")),  # an hour at least
        ([], "2026-11-23T10:05", ("2026-05-20T19:00", "2026-05-20T23:00")),  # no data: the event
    ],
)
def test_chart_span_without_sessions(event, moments, as_of, expected):
    config = event.model_copy(update={"sessions": []})
    assert chart_span(config, [local(moment) for moment in moments], local(as_of)) == tuple(local(end) for end in expected)


def test_review_chart_ends_with_the_event(event, store):
    from warroom.web.charts import review_revenue_figure

    # An order dated the day the review is read (a late export) does not stretch the axis to today.
    store.apply(Batch(orders=[OrderLine(order_id="LATE", ts=int(local("2026-11-23T10:00").timestamp()), amount_fen=100_00, customer_id="C9")]))
    snapshot = LiveFigures(store, event, clock=FixedClock(local("2026-11-23T10:05"))).refresh()
    axis = review_revenue_figure(build_review(store, event, snapshot), event, "zh").layout.xaxis.range
    assert tuple(axis) == (datetime(2026, 5, 20, 20, 0), datetime(2026, 5, 20, 22, 0))


@pytest.mark.parametrize(
    ("clock", "compact", "marks"),
    [("2026-05-20T20:30", False, []), ("2026-05-20T22:30", False, ["1. 玫瑰精油"]), ("2026-05-20T22:30", True, ["1"])],
    ids=["before-the-sale", "after-it", "on-a-phone"],
)
def test_review_chart_marks_the_sales_held(event, store, clock, compact, marks):
    from warroom.web.charts import review_revenue_figure

    snapshot = LiveFigures(store, event, clock=FixedClock(local(clock))).refresh()
    figure = review_revenue_figure(build_review(store, event, snapshot), event, "zh", compact=compact)
    goals = {"冲刺 1.5万", "保底 1.0万"}
    assert [annotation.text for annotation in figure.layout.annotations if annotation.text not in goals] == marks


def test_top_order_takers(review):
    assert [row.name for row in review.top_order_takers] == ["小周", "小林"]


def test_payout_totals(event, store):
    from warroom.payouts import payout_sheet

    store.record_payout("S01", 50_00, NOW)
    totals = payout_totals(payout_sheet(LiveFigures(store, event, clock=FixedClock(NOW)).refresh(), event))
    # S01 earned ¥30 and was paid ¥50: ¥20 to claw back; S02 (¥900) and S20 (¥30) are owed.
    assert (totals.paid_fen, totals.owed_fen, totals.clawback_fen, totals.overpaid) == (50_00, Decimal("93000.00"), Decimal("2000.00"), 1)


# -- push lift ---------------------------------------------------------------------------------------


def test_no_pushes_yet(event, store):
    assert push_lifts(store, event, NOW) == ([], [])


def test_a_push_shows_its_lift(event, store):
    from warroom.prompt_state import PromptEvaluator, acknowledge

    moment = datetime.fromisoformat("2026-05-20T20:36:00+08:00")  # before the 20:40 flash sale: a poster prompt
    prompt = next(p for p in PromptEvaluator(store, event, clock=FixedClock(moment)).tick(moment) if p.kind == "poster")
    acknowledge(store, prompt.key, "S01", at=moment, groups=["G01"])
    rows, totals = push_lifts(store, event, NOW)
    assert (rows[0].staff, rows[0].orders_after, totals[0].key) == ("小林", 1, "poster")


@pytest.mark.parametrize(("lang", "listed"), [("zh", "宠粉 1 群、G09"), ("en", "宠粉 1 群, G09")])
def test_a_pushs_groups_are_listed_as_the_language_lists_them(event, store, lang, listed):
    from warroom.prompt_state import PromptEvaluator, acknowledge

    moment = datetime.fromisoformat("2026-05-20T20:36:00+08:00")
    prompt = next(p for p in PromptEvaluator(store, event, clock=FixedClock(moment)).tick(moment) if p.kind == "poster")
    acknowledge(store, prompt.key, "S01", at=moment, groups=["G01", "G09"])
    rows, _totals = push_lifts(store, event, NOW, lang=lang)
    assert rows[0].groups == listed


# -- live reads --------------------------------------------------------------------------------------


def test_revenue_now(store):
    assert revenue_now(store) == 6_650_00


def test_big_orders_newest_first(event, store):
    feed = BigOrderFeed(event, threshold_fen=200_00)
    assert [o.order_id for o in feed.poll(store)] == ["A4", "A2", "A3"]


def test_big_orders_up_to_the_event_clock(event, store):
    feed = BigOrderFeed(event, threshold_fen=200_00)
    assert [o.order_id for o in feed.poll(store, now=datetime.fromisoformat("2026-05-20T20:55:00+08:00"))] == ["A2", "A3"]


def test_big_orders_pick_up_new_orders_and_drop_refunds(event, store):
    feed = BigOrderFeed(event, threshold_fen=200_00)
    feed.poll(store)
    store.apply(Batch(orders=[
        order("A7", "21:30:00", 800, "13812341234"),
        order("A8", "21:31:00", 10, "C9"),  # too small
        order("A3", "20:45:00", 6_000, "C2", staff="S02", sku="P2", status="refunded", refund_fen=6_000_00),
    ]))
    assert [(o.order_id, o.customer) for o in feed.poll(store)] == [("A7", "138****1234"), ("A4", "C3"), ("A2", "C1")]


def test_big_orders_net_of_a_partial_refund(event, store):
    feed = BigOrderFeed(event, threshold_fen=200_00)
    feed.poll(store)
    store.apply(Batch(orders=[order("A4", "21:05:00", 300, "C3", staff=None, refund_fen=150_00)]))
    assert "A4" not in [o.order_id for o in feed.poll(store)]


def test_a_refund_before_the_pool_unlocked_is_no_milestone(event, store):
    # Milestones count revenue net of refunds: the refunded ¥500 never counted.
    assert milestones_reached(event, revenue_now(store)) == [250_000, 500_000]


def test_big_order_names(event, store):
    top = BigOrderFeed(event, threshold_fen=1_000_00).poll(store, limit=1)[0]
    assert (top.staff, top.product, top.group, top.ts) == ("小周", "和田玉手镯", "宠粉 1 群", datetime.fromisoformat("2026-05-20T20:45:00+08:00"))


def test_big_orders_keep_only_the_newest(event, store):
    feed = BigOrderFeed(event, threshold_fen=1_00, keep=2)
    assert [o.order_id for o in feed.poll(store, limit=10)] == ["A5", "A4"]


def test_the_event_file_sets_the_buyer_tiers(event):
    from warroom.config import ReviewSettings
    from warroom.review import TierRule

    rule = TierRule.from_config(event.model_copy(update={"review": ReviewSettings(high_value=Decimal(100), high_value_top_percent=Decimal(0))}))
    assert (buyer_tier(1, 100_00, False, rule), buyer_tier(1, 99_99, False, rule), by_tier([(1, 100_00)] * 20, 2000_00, 20, rule=rule)[0].buyers) == ("high_value", "new", 20)


def test_the_ticker_takes_its_threshold_from_the_event_file(event, store):
    from warroom.config import BigScreenSettings

    configured = event.model_copy(update={"big_screen": BigScreenSettings(big_order=Decimal(200))})
    assert [o.order_id for o in BigOrderFeed(configured).poll(store)] == [o.order_id for o in BigOrderFeed(event, threshold_fen=200_00).poll(store)]


# -- the review as the boss reads it: every earning role, rates as percents (issue 17) -----------------------


@pytest.fixture
def pool_event(event_dir, monkeypatch):
    """Return (event, store) with a poster designer, and ¥11,650 sold: past the ¥10,000 base goal, so the 3 % team pool is shared by all four."""
    for name in ("WARROOM_DB_URL", "WARROOM_REPLAY_CLOCK"):
        monkeypatch.delenv(name, raising=False)
    source = event_dir / "event.toml"
    source.write_text(small_event(*EXTRA, staff("S30", "小美", "poster"), budget=1000), encoding="utf-8")
    config = load_event(source)
    opened = Store(config.store_url, LedgerRules.from_config(config))
    opened.apply(Batch(orders=[*ORDERS, order("A7", "21:30:00", 5_000, "C5", sku="P2")], checkins=[
        *(CheckIn(checkin_id=f"J{n}", ts=at("19:50:00"), kind="join_group", customer_id=f"C{n}", group_id="G01") for n in range(1, 5)),
        *(CheckIn(checkin_id=f"L{n}", ts=at("20:00:00"), kind="enter_live", customer_id=f"C{n}") for n in range(1, 4)),
    ]))
    yield config, opened
    opened.close()


def pool_review(pool_event):
    config, opened = pool_event
    return build_review(opened, config, LiveFigures(opened, config, clock=FixedClock(NOW)).refresh())


def test_the_role_earnings_cover_every_role_that_earns(pool_event):
    # Pool: 3 % of ¥11,650 = ¥349.50, ¥87.375 each. Commission: S01 ¥100 + ¥200 at 10 %, ¥5,000 at 15 %; S02 ¥6,000 at 15 %; S20 ¥300 at 10 %.
    rows = [(row.role, row.people, row.commission_fen, row.pool_share_fen) for row in pool_review(pool_event).role_earnings]
    assert rows == [
        ("order_taker", 2, Decimal("168000.00"), Decimal("17475.0")),
        ("community", 1, Decimal("3000.00"), Decimal("8737.5")),
        ("poster", 1, Decimal(0), Decimal("8737.5")),
    ], rows


def test_the_role_earnings_sheet_shares_add_up_to_one(pool_event):
    table = {table.key: table for table in review_tables(pool_review(pool_event))}["rv_sheet_role_earnings"]
    assert sum(row[-1] for row in table.rows) == Decimal(1), table.rows


def sheet(data: bytes, title: str):
    from io import BytesIO

    from openpyxl import load_workbook

    return load_workbook(BytesIO(data))[title]


@pytest.mark.parametrize(("sheet_title", "header", "row", "value"), [
    ("转化漏斗", "上一步转化", 3, 0.75),  # entered live: 3 of the 4 who joined
    ("按岗位收入", "占比", 2, None),
    ("按小时", "占比", 2, None),
])
def test_rates_in_the_workbook_are_percents(pool_event, sheet_title, header, row, value):
    from warroom.web.exports import review_workbook

    found = sheet(review_workbook(pool_review(pool_event)), sheet_title)
    column = [cell.value for cell in found[1]].index(header) + 1
    cell = found.cell(row=row, column=column)
    assert (cell.number_format, isinstance(cell.value, float)) == ("0.0%", True), f"{sheet_title}!{cell.coordinate} is {cell.value!r} as {cell.number_format!r}"
    assert value is None or cell.value == value


@pytest.mark.parametrize("item", ["保底目标", "冲刺目标", "费比"])
def test_rates_in_the_summary_sheet_are_percents_not_decimals(pool_event, item):
    from warroom.web.exports import review_workbook

    found = sheet(review_workbook(pool_review(pool_event)), "概览")
    (row,) = [cells for cells in found.iter_rows() if cells[0].value == item]
    assert row[2].number_format == "0.0%", f"{item} is written as {row[2].value!r} in {row[2].number_format!r}"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_review_s_money_axes_speak_as_the_bar_labels_do(lang):
    from warroom.web.charts import bar_figure

    figure = bar_figure(["a", "b"], [1_234_567_00, 500_000_00], lang)
    ticks = list(figure.layout.yaxis.ticktext)
    units = ("万",) if lang == "zh" else ("K", "M")  # as fmt_compact labels the bars: 123.5万, ¥1.23M
    assert ticks[1:] and all(tick.endswith(units) for tick in ticks[1:]), f"the money axis reads {ticks}"
