"""Commission on both backends: bands, coupons, refunds, the team pool, payouts and clawbacks, pending vs final."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from tests.figures_helpers import apply, at, fen, make_event, order, recompute
from warroom.commission import band_labels, order_commission_fen
from warroom.figures import LiveFigures
from warroom.payouts import accounts, payout_records, payout_sheet

THREE_SELLERS = [
    {"id": "S01", "name": "小林", "role": "order_taker", "team": "A"},
    {"id": "S02", "name": "小周", "role": "order_taker", "team": "A"},
    {"id": "S03", "name": "阿珍", "role": "order_taker", "team": "B"},
]


def figures(store, config, now=None):
    return LiveFigures(store, config).refresh(now or at(21))


# -- bands -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unit_price", "rate"),
    [("0.01", "0.10"), ("499.99", "0.10"), ("500", "0.12"), ("999.99", "0.12"), ("1000", "0.15"), ("4999", "0.15")],
)
def test_band_edges(open_store, unit_price, rate):
    config = make_event()
    store = open_store(config)
    apply(store, order(unit_price, staff="S01"))
    assert figures(store, config).commission_fen["S01"] == fen(unit_price) * Decimal(rate)


@pytest.mark.parametrize(
    ("amount", "qty", "rate"),
    [("2000", 2, "0.15"), ("1950", 2, "0.12"), ("1000", 1, "0.15"), ("980", 1, "0.12"), ("520", 1, "0.12"), ("499", 1, "0.10")],
    ids=["two-at-list-price", "coupon-on-two-drops-a-band", "one-at-list-price", "coupon-drops-a-band", "flash-price", "coupon-drops-to-the-first"],
)
def test_the_band_is_picked_by_the_unit_price_actually_paid(open_store, amount, qty, rate):
    config = make_event()
    store = open_store(config)
    apply(store, order(amount, qty=qty, staff="S01"))
    assert figures(store, config).commission_fen["S01"] == fen(amount) * Decimal(rate)


@pytest.mark.parametrize(
    ("status", "refund", "commission"),
    [("paid", "0", Decimal(129900) * Decimal("0.15")), ("paid", "300", Decimal(99900) * Decimal("0.15")), ("paid", "800", Decimal(49900) * Decimal("0.15")),
     ("refunded", "0", 0), ("cancelled", "0", 0)],
    ids=["no-refund", "partial-refund-reduces-the-base", "partial-refund-keeps-the-band", "full-refund", "cancelled"],
)
def test_refunds_reduce_the_commission_base(open_store, status, refund, commission):
    config = make_event()
    store = open_store(config)
    apply(store, order("1299", staff="S01", order_id="r1"))
    apply(store, order("1299", staff="S01", order_id="r1", status=status, refund=refund))
    assert figures(store, config).commission_fen["S01"] == commission


def test_commission_counts_only_credited_staff_in_the_event_file(open_store):
    config = make_event()
    store = open_store(config)
    apply(store, order("1000", staff="X99"), order("1000", staff=None))
    assert sum(figures(store, config).commission_fen.values()) == 0


@pytest.mark.parametrize(("amount", "qty", "refund", "commission"), [(129900, 1, 0, Decimal("19485.00")), (195000, 2, 5000, Decimal("22800.00"))])
def test_order_commission(amount, qty, refund, commission):
    assert order_commission_fen(make_event(), amount, qty, refund) == commission


def test_band_labels():
    assert band_labels(make_event()) == ["¥0–499.99 @10%", "¥500–999.99 @12%", "¥1,000+ @15%"]


# -- the team pool -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("revenue", "goal", "unlocked", "amount"),
    [("9999.99", "base", False, 0), ("10000", "base", True, 30000), ("12000", "base", True, 36000), ("12000", "stretch", False, 0), ("15000", "stretch", True, 45000)],
    ids=["just-under-base", "at-base", "over-base", "under-stretch", "at-stretch"],
)
def test_the_pool_unlocks_at_its_goal(open_store, revenue, goal, unlocked, amount):
    config = make_event(commission={"team_pool_goal": goal})
    store = open_store(config)
    apply(store, order(revenue))
    pool = figures(store, config).team_pool
    assert (pool.unlocked, pool.amount_fen) == (unlocked, amount)


@pytest.mark.parametrize(("status", "refund"), [("refunded", "0"), ("paid", "1500")], ids=["full-refund", "partial-refund"])
def test_a_refund_after_the_pool_unlocked_locks_it_again(open_store, status, refund):
    config = make_event()
    store = open_store(config)
    apply(store, order("6000", order_id="p1"), order("5000", order_id="p2"))
    apply(store, order("5000", order_id="p2", status=status, refund=refund))
    pool = figures(store, config).team_pool
    assert not pool.unlocked
    assert pool.state == "locked_again"
    assert pool.amount_fen == 0
    assert pool.shares_fen == {}


def test_a_pool_that_locked_again_says_why(open_store):
    config = make_event()
    store = open_store(config)
    apply(store, order("6000", order_id="p1"), order("5000", order_id="p2"))
    apply(store, order("5000", order_id="p2", status="refunded"))
    assert figures(store, config).team_pool.reason == "locked again: refunds took revenue back under the base goal (¥4,000 short)"


def test_a_pool_never_reached_is_just_locked(open_store):
    config = make_event()
    store = open_store(config)
    apply(store, order("6000"))
    assert figures(store, config).team_pool.reason == "locked until revenue reaches the base goal (¥4,000 to go)"


def test_the_pool_unlocks_again_when_revenue_recovers(open_store):
    config = make_event()
    store = open_store(config)
    apply(store, order("6000", order_id="p1"), order("5000", order_id="p2"))
    apply(store, order("5000", order_id="p2", status="refunded"))
    apply(store, order("4000"))
    assert figures(store, config).team_pool.state == "unlocked"


def test_a_relocked_pool_is_the_same_from_a_full_read(open_store):
    config = make_event()
    store = open_store(config)
    apply(store, order("6000", order_id="p1"), order("5000", order_id="p2"))
    apply(store, order("5000", order_id="p2", status="refunded"))
    assert figures(store, config, at(22)).team_pool == recompute(store, config, at(22)).team_pool


@pytest.mark.parametrize(
    ("split", "shares"),
    [("equal", {"S01": 1100, "S02": 1100, "S03": 1100}), ("by_revenue", {"S01": 1980, "S02": 1320}), ("none", {})],
)
def test_team_pool_splits(open_store, split, shares):
    config = make_event(staff=THREE_SELLERS, groups=[], sessions=[], goals={"base": 100, "stretch": 200}, commission={"team_pool_split": split})
    store = open_store(config)
    apply(store, order("600", staff="S01"), order("400", staff="S02"), order("100", staff=None))
    pool = figures(store, config).team_pool
    assert pool.shares_fen == shares


# -- payouts, clawbacks, pending vs final ----------------------------------------------------------------


def test_payouts_are_recorded_and_summed(open_store):
    config = make_event()
    store = open_store(config)
    store.record_payout("S01", 5000, at(22), "first half")
    store.record_payout("S01", 2500, at(23), "second half")
    store.record_payout("S02", -100, at(23), "handed back")
    assert (store.paid_out_fen(), [p["note"] for p in store.payouts("S01")]) == ({"S01": 7500, "S02": -100}, ["first half", "second half"])


def test_a_payout_needs_a_timezone(open_store):
    store = open_store(make_event())
    with pytest.raises(ValueError, match="timezone"):
        store.record_payout("S01", 5000, datetime(2026, 5, 20, 22))


def test_a_payout_reaches_the_live_figures(open_store):
    config = make_event()
    store = open_store(config)
    live = LiveFigures(store, config)
    live.refresh(at(21))
    store.record_payout("S01", 5000, at(22))
    assert live.refresh(at(22)).paid_out_fen == {"S01": 5000}


@pytest.mark.parametrize(
    ("status", "refund", "balance"),
    [("paid", "0", 0), ("paid", "300", -4500), ("refunded", "0", -19485)],
    ids=["no-refund", "partial-refund-after-payout", "full-refund-after-payout"],
)
def test_a_refund_after_a_payout_shows_as_a_clawback(open_store, status, refund, balance):
    config = make_event()
    store = open_store(config)
    apply(store, order("1299", staff="S01", order_id="c1"))
    store.record_payout("S01", 19485, at(22))
    apply(store, order("1299", staff="S01", order_id="c1", status=status, refund=refund))
    account = accounts(figures(store, config))["S01"]
    assert (account.balance_fen, account.clawback_fen) == (balance, -balance)


def test_a_pool_share_paid_out_is_clawed_back_when_the_pool_locks_again(open_store):
    config = make_event(staff=THREE_SELLERS, groups=[], sessions=[], goals={"base": 100, "stretch": 200})
    store = open_store(config)
    apply(store, order("60", staff=None, order_id="p1"), order("60", staff=None, order_id="p2"))
    store.record_payout("S03", 120, at(22))
    apply(store, order("60", staff=None, order_id="p2", status="refunded"))
    assert accounts(figures(store, config))["S03"].balance_fen == -120


@pytest.mark.parametrize(
    ("window_days", "now", "status"),
    [(7, at(19), "pending"), (7, at(23), "pending"), (7, at(23) + timedelta(days=7) - timedelta(seconds=1), "pending"),
     (7, at(23) + timedelta(days=7), "final"), (0, at(23), "final"), (0, at(22, 59), "pending")],
    ids=["before-the-event", "at-the-end", "last-second-of-the-window", "window-passed", "no-window", "no-window-before-the-end"],
)
def test_commission_is_pending_until_the_refund_window_has_passed(open_store, window_days, now, status):
    config = make_event(event={"refund_window_days": window_days})
    assert LiveFigures(open_store(config), config).refresh(now).commission_status == status


# -- the payout sheet -------------------------------------------------------------------------------


def test_a_payout_sheet_row_has_revenue_and_commission_by_band(open_store):
    config = make_event()
    store = open_store(config)
    apply(store, order("300", staff="S01"), order("600", staff="S01"), order("1299", staff="S01"))
    store.record_payout("S01", 5000, at(22))
    row = payout_sheet(figures(store, config), config)[0]
    assert (row.name, row.role, row.team, row.band_revenue_fen, row.band_commission_fen, row.pool_share_fen, row.total_fen, row.paid_fen, row.balance_fen, row.status) == (
        "小林", "order_taker", "A", (30000, 60000, 129900), (3000, 7200, 19485), 0, 29685, 5000, 24685, "pending",
    )


def test_the_payout_sheet_lists_every_member_in_event_file_order(open_store):
    config = make_event()
    sheet = payout_sheet(figures(open_store(config), config), config)
    assert [row.staff_id for row in sheet] == [member.id for member in config.staff]


def test_payout_records_are_in_yuan(open_store):
    config = make_event(staff=THREE_SELLERS, groups=[], sessions=[], goals={"base": 100, "stretch": 200})
    store = open_store(config)
    apply(store, order("1299", staff="S01"))
    store.record_payout("S01", 10000, at(22))
    record = payout_records(figures(store, config), config)[0]
    assert record == {
        "staff_id": "S01", "name": "小林", "role": "order_taker", "team": "A",
        "revenue ¥0–499.99 @10%": 0.0, "commission ¥0–499.99 @10%": 0.0, "revenue ¥500–999.99 @12%": 0.0, "commission ¥500–999.99 @12%": 0.0,
        "revenue ¥1,000+ @15%": 1299.0, "commission ¥1,000+ @15%": 194.85,
        "revenue": 1299.0, "commission": 194.85, "pool_share": 12.99, "total": 207.84, "paid": 100.0, "balance": 107.84, "status": "pending",
    }
