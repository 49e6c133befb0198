"""The show's summary on both stores: final revenue, goals reached, each board's top and the best flash sale."""

from __future__ import annotations

import pytest

from tests.figures_helpers import apply, at, checkin, fen, make_event, order
from warroom.figures import LiveFigures
from warroom.show_summary import show_summary

PRODUCTS = [{"sku": "P01", "name": "焕颜精华套装", "price": 1299}, {"sku": "P02", "name": "玫瑰面膜", "price": 199}]
SALES = [
    {"at": "2026-05-20T20:10:00+08:00", "sku": "P01", "price": 520},
    {"at": "2026-05-20T20:40:00+08:00", "sku": "P02", "price": 99},
    {"at": "2026-05-20T21:40:00+08:00", "sku": "P02", "price": 99},
]


def summary_of(open_store, *rows, goals=None):
    config = make_event(products=PRODUCTS, flash_sales=SALES, **({"goals": goals} if goals else {}))
    store = open_store(config)
    apply(store, *rows)
    return show_summary(LiveFigures(store, config).refresh(at(23)), config)


def test_the_best_flash_sale_is_the_window_that_sold_most(open_store):
    summary = summary_of(open_store, order("520", when=at(20, 12)), order("520", when=at(20, 19, 59)), order("99", when=at(20, 41)),
                         order("2000", when=at(20, 50)), order("700", when=at(21, 45)), order("500", when=at(21, 49)))
    best = summary.best_flash_sale
    # 20:10–20:20 sold ¥1,040; 20:40–20:50 ¥99 (the ¥2,000 at 20:50 is after it); 21:40–21:50 ¥1,200.
    assert (best.sale.at, best.revenue_fen) == (at(21, 40), fen(1200)), "the third sale's window"


def test_no_best_flash_sale_when_no_window_sold(open_store):
    assert summary_of(open_store, order("100", when=at(20, 0))).best_flash_sale is None, "nothing sold in a window"


@pytest.mark.parametrize(
    ("amount", "reached"),
    [("9999.99", ()), ("10000", ("base",)), ("15000", ("base", "stretch"))],
    ids=["short-of-the-base", "base", "stretch"],
)
def test_goals_reached(open_store, amount, reached):
    summary = summary_of(open_store, order(amount, when=at(20, 30)))
    assert (summary.goals_reached, summary.revenue_fen) == (reached, fen(amount)), "goals reached, final revenue"


def test_each_boards_top_with_ties_and_no_top_without_a_score(open_store):
    summary = summary_of(open_store, order("500", staff="S01"), order("500", staff="S02"), order("100", staff="S03"))
    # Orders at 20:10, in 安琪's (S30) slot; no group, so no community revenue, and no hype activity.
    assert {role: [row.staff_id for row in rows] for role, rows in summary.leaders.items()} == {"order_taker": ["S01", "S02"], "host": ["S30"]}, "tops"


def test_the_summary_carries_the_peak_viewers_and_data_as_of(open_store):
    summary = summary_of(open_store, order("100", when=at(22, 29, 5)), checkin("viewers", customer=None, value=420, when=at(20, 30)))
    assert (summary.peak_viewers, summary.data_as_of) == (420, at(22, 30)), "peak viewers, the end of the newest minute"
