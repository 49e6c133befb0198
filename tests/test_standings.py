"""The personal view on both backends: rank, gap, neighbours, rival, commission so far, and the what-if."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.figures_helpers import apply, at, make_event, order
from warroom.figures import LiveFigures
from warroom.standings import personal_view, what_if

# Order takers by revenue: S01 ¥3,000, S02 ¥2,000, S03 and S04 ¥1,500 (tied), S05 ¥500.
SALES = {"S01": "3000", "S02": "2000", "S03": "1500", "S04": "1500", "S05": "500"}


@pytest.fixture
def board(open_store):
    """Return (snapshot, config) with the sales above."""
    config = make_event()
    store = open_store(config)
    apply(store, *(order(amount, staff=sid, when=at(20, 10)) for sid, amount in SALES.items()))
    return LiveFigures(store, config).refresh(at(20, 20)), config


@pytest.mark.parametrize(
    ("staff_id", "rank", "gap"),
    [("S01", 1, None), ("S02", 2, 100000), ("S03", 3, 50000), ("S04", 3, 50000), ("S05", 5, 100000)],
    ids=["leader", "second", "tied-first-listed", "tied-second-listed", "last"],
)
def test_my_rank_and_the_gap_to_the_place_above(board, staff_id, rank, gap):
    view = personal_view(*board, staff_id)
    assert (view.rank, view.gap_to_above) == (rank, gap)


@pytest.mark.parametrize(
    ("staff_id", "above", "below"),
    [("S01", [], ["S02", "S03"]), ("S02", ["S01"], ["S03", "S04"]), ("S03", ["S01", "S02"], ["S04", "S05"]), ("S05", ["S03", "S04"], [])],
)
def test_the_two_rows_above_and_below_me(board, staff_id, above, below):
    view = personal_view(*board, staff_id)
    assert ([row.staff_id for row in view.above], [row.staff_id for row in view.below]) == (above, below)


@pytest.mark.parametrize(
    ("staff_id", "rival", "rival_gap"),
    [("S01", "S02", -100000), ("S02", "S03", -50000), ("S03", "S04", 0), ("S04", "S03", 0), ("S05", "S04", 100000)],
)
def test_my_closest_rival(board, staff_id, rival, rival_gap):
    view = personal_view(*board, staff_id)
    assert (view.rival.staff_id, view.rival_gap) == (rival, rival_gap)


def test_my_commission_so_far(board):
    assert personal_view(*board, "S02").account.commission_fen == Decimal(200000) * Decimal("0.15")


def test_a_role_without_a_leaderboard_has_no_rank(board):
    view = personal_view(*board, "S50")
    assert (view.rank, view.board_size, view.above, view.rival) == (None, 0, [], None)


@pytest.mark.parametrize(
    ("staff_id", "unit_price", "qty", "commission", "rank_after", "text"),
    [
        ("S05", 129900, 1, Decimal("19485.00"), 3, "one more ¥1,299 order: +¥194.85, up to rank 3"),
        ("S05", 9900, 1, Decimal("990.00"), 5, "one more ¥99 order: +¥9.90, still rank 5"),
        ("S05", 50000, 1, Decimal("6000.00"), 5, "one more ¥500 order: +¥60, still rank 5"),
        ("S02", 129900, 2, Decimal("38970.00"), 1, "one more order of 2 × ¥1,299: +¥389.70, up to rank 1, unlocks the team pool (+¥30.27 share)"),
        ("S04", 50000, 1, Decimal("6000.00"), 2, "one more ¥500 order: +¥60, up to rank 2"),
        ("S01", 99999, 1, Decimal("11999.88"), 1, "one more ¥999.99 order: +¥120, still rank 1"),
    ],
    ids=["climbs-two", "stays", "band-edge", "two-units", "breaks-a-tie", "leader"],
)
def test_what_if_one_more_order(board, staff_id, unit_price, qty, commission, rank_after, text):
    result = what_if(*board, staff_id, unit_price, qty)
    assert (result.commission_fen, result.rank_after, result.describe()) == (commission, rank_after, text)


def test_what_if_the_order_unlocks_the_pool(open_store):
    config = make_event(goals={"base": 8600, "stretch": 9000})
    store = open_store(config)
    apply(store, *(order(amount, staff=sid) for sid, amount in SALES.items()))
    result = what_if(config=config, snapshot=LiveFigures(store, config).refresh(at(21)), staff_id="S05", unit_price_fen=129900)
    assert result.pool_unlocks
    assert result.pool_share_delta_fen == Decimal(979900) * Decimal("0.03") / len(config.staff)


@pytest.mark.parametrize(("now", "value_after"), [(at(20, 10), 10000 + 50000), (at(20, 40), 10000)], ids=["on-air", "off-air"])
def test_what_if_for_a_host_counts_only_while_on_air(open_store, now, value_after):
    config = make_event()
    store = open_store(config)
    apply(store, order("100", when=at(20, 5)))
    result = what_if(LiveFigures(store, config).refresh(now), config, "S30", 50000)
    assert result.value_after == value_after


def test_what_if_by_orders_adds_one_order(open_store):
    config = make_event(leaderboards=[{"role": "order_taker", "metric": "orders"}])
    store = open_store(config)
    apply(store, order("100", staff="S01"), order("100", staff="S01"), order("100", staff="S02"))
    result = what_if(LiveFigures(store, config).refresh(at(21)), config, "S02", 50000, qty=3)
    assert (result.value_after, result.rank_after) == (2, 1)


@pytest.mark.parametrize(("unit_price", "qty"), [(-1, 1), (100, 0)])
def test_what_if_refuses_a_negative_price_or_no_quantity(board, unit_price, qty):
    with pytest.raises(ValueError):
        what_if(*board, "S01", unit_price, qty)
