"""The crash test's short run (bench/crash.py runs the long one): a following ingest, fed the hard
way and SIGKILLed a few times, ends with `stats --json` equal to what the feeds hold.

The subprocess is waited for by polling the store with deadlines (bench.crash.wait_for), never by
sleeping a fixed time.
"""

from __future__ import annotations

import random

import pytest

from bench.crash import STATS_KEYS, Feeder, _compare, make_plan, run_crash, run_read_ahead_crash, write_event
from connectors.runner import run_ingest
from warroom.clock import FixedClock
from warroom.config import load_event
from warroom.figures import LiveFigures, stats_json
from warroom.rules import LedgerRules
from warroom.store import Store


@pytest.fixture(scope="module")
def plan():
    return make_plan(rows=400, seed=7, exports=4)


def test_the_plan_read_in_one_go_gives_its_expected_figures(plan, tmp_path):
    """The generator's own figures are right: the feeds written whole and read once give them."""
    event = write_event(tmp_path)
    feeder = Feeder(tmp_path / "feeds", plan, random.Random(1), steps=20)
    feeder.flush()
    config = load_event(event)
    store = Store(config.store_url, LedgerRules.from_config(config))
    try:
        run_ingest(config, store, once=True)
        stats = stats_json(LiveFigures(store, config, clock=FixedClock(config.event.end)).refresh())
    finally:
        store.close()
    assert {key: stats[key] for key in STATS_KEYS} == plan.expected


def test_the_comparison_sees_a_lost_and_a_doubled_row(plan):
    """The checker is not vacuous: a missing order is lost, an order that no line holds is doubled."""
    orders = dict(plan.final_orders)
    orders.pop(sorted(orders)[0])
    orders["o00001"] = ("paid", 100, 0)  # a line read in two pieces
    raws = [f"{token},x" for token in plan.bad_tokens]
    assert _compare(plan, orders, sorted(plan.checkin_ids), raws) == (1, 1, 0)


def test_the_comparison_sees_an_order_in_the_wrong_state(plan):
    orders = dict(plan.final_orders)
    order_id = next(order_id for order_id, state in orders.items() if state[0] == "refunded")
    orders[order_id] = ("paid", orders[order_id][1], 0)  # a refund undone by re-reading an old row
    raws = [f"{token},x" for token in plan.bad_tokens]
    assert _compare(plan, orders, sorted(plan.checkin_ids), raws) == (0, 0, 1)


def test_a_killed_and_restarted_ingest_loses_nothing_and_doubles_nothing(tmp_path, store_url):
    result = run_crash(tmp_path / "run", kills=4, rows=600, seed=3, exports=4, store_url=store_url, catch_up_deadline=90)
    assert result.problems == []
    assert (result.kills, result.lost, result.doubled, result.wrong) == (4, 0, 0, 0)
    assert result.stats == result.expected


def test_a_read_ahead_ingest_killed_mid_backlog_loses_nothing_and_doubles_nothing(tmp_path, store_url):
    """`ingest --once` reading ahead in a second process, SIGKILLed a few commits into its run three times, then run to the end."""
    result = run_read_ahead_crash(tmp_path / "run", kills=3, rows=400, seed=7, exports=4, store_url=store_url, batch_rows=10)
    assert result.problems == []
    assert (result.kills, result.lost, result.doubled, result.wrong) == (3, 0, 0, 0)
    assert result.stats == result.expected
