"""Each role's own page shows what means something for that role (issue 17): the what-if for a role that earns per order,
the team's way to the pool for a role paid from it; driven through app.py on a real SQLite store."""

from __future__ import annotations

import pytest

from tests.events import access as access_section
from tests.events import product, small_event, staff
from tests.test_app import rendered, sell
from tests.test_pages_nav import SECRET, link_for, open_app
from warroom.clock import FixedClock
from warroom.config import EventConfig, load_event
from warroom.figures import LiveFigures
from warroom.i18n import t
from warroom.payouts import earns_per_order
from warroom.rules import LedgerRules
from warroom.store import Store

POSTER, PROPS, HYPE = "S30", "S31", "S32"
WHAT_IF = t("whatif_title")


@pytest.fixture
def event(event_dir, monkeypatch, read_afresh):
    """Return the small event with a poster designer, a props hand and a hype member, and ¥13,345 sold (the base goal of ¥10,000 reached)."""
    source = event_dir / "event.toml"
    source.write_text(small_event(staff(POSTER, "小美", "poster"), staff(PROPS, "大壮", "props"), staff(HYPE, "阿豪", "hype"),
                                  product("P1", "玫瑰精油", 1299), access_section(link_secret=SECRET)), encoding="utf-8")
    for name in ("WARROOM_DB_URL", "WARROOM_REPLAY_CLOCK"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WARROOM_EVENT", str(source))
    config = load_event(source)
    sell(config, ("A1", 12_345, "S01"), ("A2", 1_000, "S02"))
    return config


def snapshot_of(config: EventConfig):
    store = Store(config.store_url, LedgerRules.from_config(config))
    try:
        return LiveFigures(store, config, clock=FixedClock(config.event.end)).refresh()
    finally:
        store.close()


@pytest.mark.parametrize(
    ("staff_id", "earns"),
    [("S01", True), ("S02", True), ("S20", True), (POSTER, False), (PROPS, False), (HYPE, False)],
)
def test_who_earns_per_order(event, staff_id, earns):
    assert earns_per_order(snapshot_of(event), event, staff_id) is earns, f"{staff_id} earns per order: expected {earns}"


def test_a_hype_member_credited_with_an_order_earns_per_order(event):
    sell(event, ("A3", 199, HYPE))
    assert earns_per_order(snapshot_of(event), event, HYPE)


@pytest.mark.parametrize("staff_id", [POSTER, PROPS])
def test_a_pool_paid_role_s_page_has_no_what_if_but_the_team_pool(event, staff_id):
    app = open_app(token=link_for(staff_id))
    body = rendered(app)
    assert not app.exception
    assert (WHAT_IF in body, t("my_team_goal") in body) == (False, True), f"{staff_id}'s page: what-if shown / team pool card shown"
    assert "团队奖金池已解锁" in body, "the base goal is reached: the card says the pool is unlocked"


def test_an_order_taker_s_page_keeps_the_what_if(event):
    body = rendered(open_app(token=link_for("S02")))
    assert (WHAT_IF in body, t("my_team_goal") in body) == (True, False), "an order-taker's page: what-if shown / team pool card shown"


def test_a_pool_paid_role_s_commission_card_has_no_line_of_order_commission(event):
    body = rendered(open_app(token=link_for(POSTER)))
    assert t("my_commission_orders", amount="¥0") not in body, "a poster designer's card lists commission on orders they do not take"
    assert t("my_commission_orders", amount="¥1,851.75") in rendered(open_app(token=link_for("S01"))), "an order-taker's card lists it"
