"""The 520 sample's feeds, read by the connectors alone, add up to the generator's own totals."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from connectors.feed import FeedReader
from warroom.config import load_event
from warroom.records import Batch


@pytest.fixture
def sample_batches(sample_dir):
    """Return every feed of the sample read to its end, as one batch per feed kind."""
    config = load_event(sample_dir / "event.toml")
    batches = {}
    for feed in config.feeds:
        reader = FeedReader(feed, config, [])
        merged = Batch()
        while len(batch := reader.poll()):
            merged.orders += batch.orders
            merged.checkins += batch.checkins
            merged.bad_rows += batch.bad_rows
        reader.close()
        batches[feed.kind] = merged
    return batches


@pytest.fixture
def expected(sample_dir):
    return json.loads((sample_dir / "expected.json").read_text(encoding="utf-8"))


def test_the_sample_quarantines_its_nine_bad_rows(sample_batches, expected):
    assert sum(len(batch.bad_rows) for batch in sample_batches.values()) == expected["quarantined"]


def test_the_sample_orders_add_up_to_the_expected_revenue(sample_batches, expected):
    final = {order.order_id: order for order in sample_batches["orders"].orders}  # the last row of an order is its state
    paid = [order for order in final.values() if order.status == "paid"]
    refunded = [order for order in final.values() if order.status == "refunded"]
    assert (sum(order.amount_fen - order.refund_fen for order in paid) / 100, len(paid), len(refunded), sum(order.amount_fen for order in refunded) / 100) == (
        expected["revenue"],
        expected["orders"],
        expected["refunds"]["orders"],
        expected["refunds"]["amount"],
    )


def test_the_sample_checkins_count_as_expected(sample_batches, expected):
    counts = Counter(checkin.kind for checkin in sample_batches["checkins"].checkins)
    assert {kind: counts[kind] for kind in expected["checkins"]} == expected["checkins"]
