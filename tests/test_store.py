"""The store on both backends: upserts, precedence, rollups, quarantine, checkpoints and the lease."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import inspect

from tests.figures_helpers import recompute
from warroom.figures import LiveFigures
from warroom.records import BadRow, Batch, CheckIn, Checkpoint, OrderLine
from warroom.rules import LedgerRules
from warroom.store import Store

T0 = int(datetime(2026, 5, 20, 20, 30, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp())
NOW = datetime(2026, 5, 20, 21, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def order(order_id="o1", **fields) -> OrderLine:
    values = {"ts": T0, "amount_fen": 129900, "customer_id": "c1", "group_id": "G01"} | fields
    return OrderLine(order_id=order_id, **values)


def test_a_new_order_is_stored(store):
    store.apply(Batch(orders=[order()]))
    assert store.count("orders") == 1


def test_a_later_row_updates_the_order_not_adds_one(store, small_event):
    store.apply(Batch(orders=[order()]))
    store.apply(Batch(orders=[order(status="refunded")]))
    snapshot = LiveFigures(store, small_event).refresh(NOW)
    assert (snapshot.paid_orders, snapshot.refunded_orders, snapshot.refunded_fen) == (0, 1, 129900)


@pytest.mark.parametrize(
    ("first", "second", "final_status", "final_refund"),
    [
        (("refunded", 0), ("paid", 0), "refunded", 0),
        (("cancelled", 0), ("paid", 0), "cancelled", 0),
        (("paid", 30000), ("paid", 0), "paid", 30000),
        (("paid", 0), ("paid", 30000), "paid", 30000),
        (("paid", 30000), ("refunded", 0), "refunded", 0),
        (("refunded", 0), ("cancelled", 0), "refunded", 0),
    ],
    ids=["refund-stays", "cancel-stays", "partial-refund-stays", "partial-refund-applies", "full-refund-applies", "refund-outranks-cancel"],
)
def test_order_state_never_goes_backwards(store, first, second, final_status, final_refund):
    store.apply(Batch(orders=[order(status=first[0], refund_fen=first[1])]))
    store.apply(Batch(orders=[order(status=second[0], refund_fen=second[1])]))
    with store.reading() as conn:
        from warroom import schema
        row = conn.execute(schema.orders.select()).mappings().one()
    assert (row["status"], row["refund_fen"]) == (final_status, final_refund)


def test_a_refund_row_does_not_move_the_sale_in_time(store):
    store.apply(Batch(orders=[order()]))
    store.apply(Batch(orders=[order(status="refunded", ts=T0 + 3600)]))
    with store.reading() as conn:
        from warroom import schema
        assert conn.execute(schema.orders.select()).mappings().one()["ts"] == T0


@pytest.mark.parametrize(
    ("staff_id", "checkins", "group_id", "credited"),
    [
        ("S02", [("invite", "S01")], "G01", "S02"),
        (None, [("invite", "S01")], "G01", "S01"),
        (None, [("invite", "S02"), ("join_group", "S01")], "G01", "S02"),
        (None, [], "G01", "S20"),
        (None, [], None, None),
    ],
    ids=["own-staff", "inviter", "earliest-inviter", "group-owner", "unattributed"],
)
def test_attribution_precedence(store, staff_id, checkins, group_id, credited):
    store.apply(Batch(checkins=[CheckIn(f"k{i}", T0 - 1000 + i, kind, "c1", "G01", who) for i, (kind, who) in enumerate(checkins)]))
    store.apply(Batch(orders=[order(staff_id=staff_id, group_id=group_id)]))
    with store.reading() as conn:
        from warroom import schema
        assert conn.execute(schema.orders.select()).mappings().one()["credited_staff"] == credited


def test_a_late_invite_recredits_earlier_orders(store):
    store.apply(Batch(orders=[order()]))
    store.apply(Batch(checkins=[CheckIn("k1", T0 - 5000, "invite", "c1", "G01", "S02")]))
    with store.reading() as conn:
        from warroom import schema
        assert conn.execute(schema.orders.select()).mappings().one()["credited_staff"] == "S02"


def test_the_same_bad_line_is_quarantined_once(store):
    bad = BadRow("orders", "orders.csv:line 3", "x,y", "amount 'y' is not a number")
    store.apply(Batch(bad_rows=[bad]))
    store.apply(Batch(bad_rows=[BadRow("orders", "orders.csv:line 9", "x,y", "amount 'y' is not a number")]))
    assert store.count("quarantine") == 1


def test_a_repeated_checkin_id_counts_once(store):
    store.apply(Batch(checkins=[CheckIn("k1", T0, "share", "c1")]))
    store.apply(Batch(checkins=[CheckIn("k1", T0, "share", "c1")]))
    assert store.count("checkins") == 1


def test_checkpoints_commit_with_the_rows(store):
    store.apply(Batch(orders=[order()], checkpoints=[Checkpoint("orders", "fp1", "orders.csv", 120)]))
    assert [(cp.fingerprint, cp.offset) for cp in store.checkpoints("orders")] == [("fp1", 120)]


def test_postgres_waits_for_the_wal_flush_again_after_a_batch(pg_schema_url, small_event):
    # A batch commits without waiting (its checkpoints are lost with it); what the same pooled
    # connection commits next, a payout say, must not inherit that.
    opened = Store(pg_schema_url, LedgerRules.from_config(small_event))
    try:
        opened.apply(Batch(orders=[order()], checkpoints=[Checkpoint("orders", "fp1", "orders.csv", 120)]))
        with opened.writer.begin() as conn:
            assert conn.exec_driver_sql("SHOW synchronous_commit").scalar_one() == "on"
    finally:
        opened.close()


def test_a_second_ingest_is_refused_while_the_first_is_alive(store):
    assert store.take_lease("ingest", "first", now=1000, ttl=15) is None
    assert store.take_lease("ingest", "second", now=1005, ttl=15) == "first"


def test_a_stale_lease_can_be_taken_over(store):
    store.take_lease("ingest", "first", now=1000, ttl=15)
    assert store.take_lease("ingest", "second", now=1100, ttl=15) is None


def test_incremental_figures_equal_a_full_recompute(store, small_event):
    figures = LiveFigures(store, small_event)
    store.apply(Batch(checkins=[CheckIn("k1", T0 - 900, "invite", "c2", "G01", "S02"), CheckIn("k2", T0, "enter_live", "c1"), CheckIn("v1", T0, "viewers", value=300)]))
    figures.refresh(NOW)
    store.apply(Batch(orders=[order(), order("o2", customer_id="c2", amount_fen=52000), order("o3", staff_id="S01", amount_fen=9900, customer_id="c3")]))
    figures.refresh(NOW)
    store.apply(Batch(orders=[order("o2", customer_id="c2", amount_fen=52000, status="refunded"), order(refund_fen=20000)]))
    assert figures.refresh(NOW) == recompute(store, small_event, NOW)


def test_a_store_made_before_the_big_order_index_gets_it_and_loses_the_old_one(store_url, small_event):
    """create_all adds no index to a table that exists: opening the store brings its indexes up to date."""
    opened = Store(store_url, LedgerRules.from_config(small_event))
    with opened.writer.begin() as conn:
        conn.exec_driver_sql("DROP INDEX orders_big_seq")
        conn.exec_driver_sql("CREATE INDEX orders_seq ON orders (seq)")
    opened.close()
    reopened = Store(store_url, LedgerRules.from_config(small_event))
    try:
        with reopened.reading() as conn:
            names = {index["name"] for index in inspect(conn).get_indexes("orders")}
    finally:
        reopened.close()
    assert "orders_big_seq" in names and "orders_seq" not in names


def _big_order_index(store: Store) -> str:
    """Return the partial index of big orders as the database describes it, with its bound."""
    with store.reading() as conn:
        if conn.dialect.name == "postgresql":
            return conn.exec_driver_sql("SELECT indexdef FROM pg_indexes WHERE indexname = 'orders_big_seq' AND schemaname = current_schema()").scalar_one()
        return conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'orders_big_seq'").scalar_one()


def test_the_big_order_index_follows_the_event_files_bound(store_url, small_event):
    """[big_screen] big_order sets the partial index's bound; a store opened with another bound remakes the index."""
    from dataclasses import replace

    rules = LedgerRules.from_config(small_event)
    first = Store(store_url, rules)
    default = _big_order_index(first)
    first.close()
    moved = Store(store_url, replace(rules, big_order_fen=50_000))
    try:
        assert "100000" in default
        assert "50000" in _big_order_index(moved)
        assert moved.meta_value("big_order_fen") == 50_000
    finally:
        moved.close()
