"""The live room (SPEC §4.1) on both stores: viewers, entries, entrants, GPM and conversion, read incrementally and held to a full read."""

from __future__ import annotations

import io
from decimal import Decimal
from itertools import count

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from tests.figures_helpers import MINUTE, apply, at, checkin, epoch, make_event, order, recompute
from warroom import schema
from warroom.figures import LiveFigures, stats_json
from warroom.live_room import LiveRoom, data_as_of, live_json
from warroom.records import Batch
from warroom.rules import LedgerRules
from warroom.store import Store
from warroom.store.keys import LIVE_BUYERS_COUNTER


def minute(moment) -> int:
    return epoch(moment) // 60


def test_live_in_stats_json(open_store):
    config = make_event()
    store = open_store(config)
    apply(store,
          checkin("viewers", customer=None, value=300, when=at(20, 2)), checkin("viewers", customer=None, value=398, when=at(20, 3)),
          checkin("viewers", customer=None, value=312, when=at(20, 4, 30)), checkin("viewers", customer=None, value=350, when=at(20, 4, 10)),
          *(checkin("enter_live", customer=f"e{i}") for i in range(3)), checkin("enter_live", customer="e0"),
          order("100", customer="e0"), order("30", customer="e0"), order("70", customer="e1"), order("900", customer="stranger"))
    live = stats_json(LiveFigures(store, config).refresh(at(21)))["live"]
    # 4 entries by 3 entrants, 2 of whom paid; revenue ¥1,100 over 4 entries.
    assert live == {"viewers": 312, "peak_viewers": 398, "entries": 4, "entrants": 3, "gpm": 275000.0, "conversion": 0.6667}, "the §4.1 figures"


def test_live_without_viewers_or_entries_is_null(open_store):
    config = make_event()
    store = open_store(config)
    apply(store, order("100"))
    live = stats_json(LiveFigures(store, config).refresh(at(21)))["live"]
    assert live == {"viewers": None, "peak_viewers": None, "entries": 0, "entrants": 0, "gpm": None, "conversion": None}, "nulls per §4.1"


@pytest.mark.parametrize(
    ("room", "gpm", "conversion"),
    [
        # GPM ¥0.005 and conversion 0.03125 sit exactly halfway: half-up, not to even.
        (LiveRoom(None, None, 2000, 32, 1, Decimal("0.5"), Decimal(1) / 32), 0.01, 0.0313),
        (LiveRoom(None, None, 3, 3, 2, Decimal(100) * 1000 / 3, Decimal(2) / 3), 333.33, 0.6667),
        (LiveRoom(5, 5, 8, 8, 8, Decimal(0), Decimal(1)), 0.0, 1.0),
    ],
    ids=["halves-round-up", "thirds", "zero-revenue-all-bought"],
)
def test_live_json_rounds_half_up_once(room, gpm, conversion):
    shown = live_json(room)
    assert (shown["gpm"], shown["conversion"]) == (gpm, conversion), "GPM to 2 decimals, conversion to 4"


def test_viewers_count_up_to_now(open_store):
    config = make_event()
    store = open_store(config)
    apply(store, checkin("viewers", customer=None, value=500, when=at(20, 10)), checkin("viewers", customer=None, value=900, when=at(20, 30)))
    live = LiveFigures(store, config).refresh(at(20, 20)).live
    assert (live.viewers, live.peak_viewers) == (500, 500), "a snapshot after now is not yet the room's"


def test_viewers_by_minute_is_each_minutes_latest_snapshot(open_store):
    config = make_event()
    store = open_store(config)
    apply(store, checkin("viewers", customer=None, value=500, when=at(20, 10, 50)), checkin("viewers", customer=None, value=450, when=at(20, 10, 5)),
          checkin("viewers", customer=None, value=700, when=at(20, 12)), checkin("viewers", customer=None, value=900, when=at(20, 40)))
    snapshot = LiveFigures(store, config).refresh(at(20, 30))
    assert snapshot.viewers_by_minute == [(minute(at(20, 10)), 500), (minute(at(20, 12)), 700)], "ascending, up to now"


@pytest.mark.parametrize(
    ("rows", "now", "expected"),
    [
        ([], at(21), at(21)),  # no data during the event: the clock
        ([], at(23, 30), at(23)),  # no data after the event: its end
        ([order("100", when=at(20, 56, 10))], at(23, 10), at(20, 57)),
        ([order("100", when=at(20, 56, 10)), checkin("share", when=at(21, 3, 59))], at(23, 10), at(21, 4)),
        ([order("100", when=at(22, 0))], at(21, 30), at(21, 30)),  # a row dated after now: the clock
    ],
    ids=["nothing-yet", "nothing-after-the-end", "an-order", "a-later-check-in", "clamped-to-now"],
)
def test_data_as_of_is_when_the_stores_data_ends(open_store, rows, now, expected):
    config = make_event()
    store = open_store(config)
    apply(store, *rows)
    assert LiveFigures(store, config).refresh(now).data_as_of == expected, "the end of the newest minute with data, never after now"


def test_data_as_of_is_a_pure_function_of_the_newest_minute():
    assert data_as_of(minute(at(20, 0)), at(21), at(23)) == at(20, 1), "the end of that minute"


def entrant_history(store):
    """Commit, one batch at a time, customers who pay before and after entering the live room, refunds and repeat entries."""
    apply(store, order("100", order_id="b1", customer="paid-first", when=at(20, 1)), checkin("enter_live", customer="enters-first", when=at(20, 2)))
    yield
    apply(store, checkin("enter_live", customer="paid-first", when=at(20, 5)), order("80", order_id="b2", customer="enters-first", when=at(20, 6)),
          checkin("enter_live", customer="refunds", when=at(20, 7)), order("50", order_id="b3", customer="refunds", when=at(20, 8)))
    yield
    apply(store, order("50", order_id="b3", customer="refunds", status="refunded", when=at(20, 9)), checkin("enter_live", customer="paid-first", when=at(20, 20)),
          checkin("enter_live", customer="both-in-one", when=at(20, 30)), order("60", order_id="b4", customer="both-in-one", when=at(20, 29)))
    yield
    # A backlog's bulk (more first-seen orders than the set-wise threshold), some of them by entrants.
    apply(store, *(order("10", order_id=f"bulk{i}", customer=f"bulk{i % 150}", when=at(21, 40) + i % 20 * MINUTE) for i in range(300)),
          *(checkin("enter_live", customer=f"bulk{i}", when=at(21, 35)) for i in range(0, 150, 3)))
    yield
    apply(store, checkin("enter_live", customer="bulk1", when=at(22, 0)), *(order("10", order_id=f"more{i}", customer=f"bulk{i}", when=at(22, 5)) for i in range(150, 260)))


def test_entrants_who_paid_are_counted_whatever_the_order_of_rows(open_store):
    config = make_event()
    store = open_store(config)
    for _ in entrant_history(store):
        pass
    live = LiveFigures(store, config).refresh(at(23))
    # paid-first, enters-first, both-in-one, bulk0, bulk3 … bulk147 (50) and bulk1; not refunds (refunded).
    assert (live.live.entrants, live.live.entrant_buyers) == (4 + 50 + 1, 3 + 50 + 1), "entrants, entrants who paid"


@pytest.mark.parametrize("now", [at(20, 3), at(21), at(22, 10), at(23, 0, day=28)], ids=["early", "between", "late", "after"])
def test_the_live_room_equals_a_full_read_after_every_commit(open_store, now):
    config = make_event()
    store = open_store(config)
    figures = LiveFigures(store, config)
    for _ in entrant_history(store):
        fast, slow = figures.refresh(now), recompute(store, config, now)
        assert (fast.live, fast.viewers_by_minute, fast.data_as_of) == (slow.live, slow.viewers_by_minute, slow.data_as_of), "incremental against a full read"
    assert figures.refresh(now) == recompute(store, config, now), "every figure"


@pytest.mark.parametrize("read_only", [False, True], ids=["opened-to-write", "opened-read-only"])
def test_a_store_made_before_the_counter_counts_its_entrants_who_paid(store_url, read_only):
    config = make_event()
    rules = LedgerRules.from_config(config)
    store = Store(store_url, rules)
    apply(store, checkin("enter_live", customer="a"), order("100", customer="a"), checkin("enter_live", customer="b"))
    with store.writer.begin() as conn:
        conn.execute(delete(schema.counters).where(schema.counters.c.name == LIVE_BUYERS_COUNTER))
    store.close()
    reopened = Store(store_url, rules, read_only=read_only)
    try:
        assert LiveFigures(reopened, config).refresh(at(21)).live.entrant_buyers == 1, "counted from the customers"
    finally:
        reopened.close()


_example = count()
customer_ids = st.sampled_from(["c1", "c2", "客户3", "c 4", "'; DROP TABLE customers;--", "🎉"])
money = st.integers(min_value=0, max_value=10_000_000_000)  # fen, up to the ¥100,000,000 a row may hold
rows = st.one_of(
    st.tuples(st.just("enter_live"), customer_ids, st.integers(0, 240)),
    st.tuples(st.just("viewers"), st.integers(0, 100_000_000), st.integers(0, 240)),
    st.tuples(st.sampled_from(["paid", "refunded", "cancelled"]), customer_ids, st.integers(0, 240), money, st.sampled_from(["o1", "o2", "o3", "o4"])),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(batches=st.lists(st.lists(rows, max_size=8), min_size=1, max_size=4))
def test_any_history_gives_the_live_room_of_a_full_read(open_store, batches):
    """Hostile ids and numbers, orders that pay, refund and cancel in any order, across commits: always the full read's live room."""
    config = make_event()
    store = open_store(config)
    prefix = f"x{next(_example)}-"  # one store for every example: each example's ids are its own
    figures, now = LiveFigures(store, config), at(23)
    for batch in batches:
        lines, checkins = [], []
        for row in batch:
            when = at(19) + row[2] * MINUTE
            if row[0] == "enter_live":
                checkins.append(checkin("enter_live", customer=prefix + row[1], when=when))
            elif row[0] == "viewers":
                checkins.append(checkin("viewers", customer=None, value=row[1], when=when))
            else:
                status, customer, _offset, amount_fen, order_id = row
                line = order("0", order_id=prefix + order_id, customer=prefix + customer, status=status, when=when)
                lines.append(line._replace(amount_fen=amount_fen))
        store.apply(Batch(orders=lines, checkins=checkins))
        fast, slow = figures.refresh(now), recompute(store, config, now)
        assert (fast.live, fast.viewers_by_minute) == (slow.live, slow.viewers_by_minute), "incremental against a full read"


def test_the_review_and_the_payout_sheet_print_the_same_data_as_of(open_store):
    """After the show, read at 23:10: the last order at 22:56 makes every "数据截至" 22:57, not the clock."""
    from openpyxl import load_workbook

    from warroom.review import build_review
    from warroom.web.exports import payout_workbook

    config = make_event()
    store = open_store(config)
    apply(store, order("100", when=at(22, 56, 20)), checkin("share", when=at(21, 0)))
    snapshot = LiveFigures(store, config).refresh(at(23, 10))
    review = build_review(store, config, snapshot)
    notes = load_workbook(io.BytesIO(payout_workbook(snapshot, config))).worksheets[1]
    sheet_as_of = next(row[1] for row in notes.iter_rows(values_only=True) if row[0] == "数据截至")
    assert (snapshot.data_as_of, review.data_time, sheet_as_of) == (at(22, 57), at(22, 57), "2026-05-20 22:57"), "one data as of"
