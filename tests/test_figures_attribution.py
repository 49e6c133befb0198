"""Attribution through staff aliases (SPEC §1): a feed's alias credits the member, for orders and for invites."""

from __future__ import annotations

import pytest

from connectors.parse import checkin_from_row, order_from_row
from tests.figures_helpers import TZ, make_event
from warroom import schema
from warroom.figures import LiveFigures
from warroom.records import Batch

ORDER = {"order_id": "A1", "ts": "2026-05-20 20:30:00", "amount": "1299", "customer_id": "c1"}


@pytest.mark.parametrize(
    ("order_staff", "inviter", "group", "credited"),
    [
        ("linx01", None, None, "S01"),
        ("S01", None, None, "S01"),
        (None, "linx01", None, "S01"),
        ("linx01", "S02", "G01", "S01"),
        (None, "S02", "G01", "S02"),
        (None, None, "G01", "S20"),
        ("someone-else", None, "G01", "someone-else"),
    ],
    ids=["order-alias", "order-id", "inviter-alias", "alias-beats-inviter", "inviter-beats-group", "group-owner", "unknown-id-kept"],
)
def test_aliases_credit_the_member(open_store, order_staff, inviter, group, credited):
    config = make_event()
    store = open_store(config)
    aliases = config.alias_map()
    if inviter:
        invite = {"id": "K1", "ts": "2026-05-20 19:00:00", "kind": "invite", "customer_id": "c1", "staff_id": inviter}
        store.apply(Batch(checkins=[checkin_from_row(invite, TZ, aliases)]))
    row = ORDER | {"staff_id": order_staff or "", "group_id": group or ""}
    store.apply(Batch(orders=[order_from_row(row, TZ, aliases)]))
    with store.reading() as conn:
        assert conn.execute(schema.orders.select()).mappings().one()["credited_staff"] == credited


def test_an_aliased_order_lands_on_the_members_leaderboard_row(open_store):
    config = make_event()
    store = open_store(config)
    store.apply(Batch(orders=[order_from_row(ORDER | {"staff_id": "linx01"}, TZ, config.alias_map())]))
    board = LiveFigures(store, config).refresh().leaderboards["order_taker"]
    assert (board[0].staff_id, board[0].value) == ("S01", 129900)
