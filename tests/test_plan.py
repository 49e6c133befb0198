"""Planning backwards (SPEC §7 `plan`): the new event's needs from an earlier event's exact ratios, on both stores.

The formulas are checked on tables of exact cases (a ceiling that a rounded ratio would get wrong),
on ratios the earlier event cannot give (no orders, no joins, no payers, no entrants), and by
hypothesis on any counts, huge ones included.
"""

from __future__ import annotations

import json
from dataclasses import replace
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.campaign_events import BACKEND_PAIRS, fill, history, store_urls, warroom, write_event
from tests.figures_helpers import checkin, order
from warroom.campaign_report import PROBLEM_LINES
from warroom.cli import main
from warroom.config import ConfigError, load_event
from warroom.i18n import STRINGS
from warroom.plan import Plan, membership, plan_figures, plan_json


def earlier_rows():
    """Return an earlier event of ¥300.00 from 3 orders (AOV ¥100), 3 payers of 7 who joined, 2 payers among 5 live entrants."""
    rows = [order("100", customer="c1"), order("120", customer="c2"), order("80", customer="c6")]
    rows += [checkin("join_group", customer=f"c{number}") for number in range(1, 8)]
    rows += [checkin("enter_live", customer=customer) for customer in ("c1", "c2", "c3", "c4", "c5")]
    return rows


@pytest.fixture(params=BACKEND_PAIRS)
def pair(request, tmp_path):
    """Return (the new event file, the earlier one), each on its backend; the new one's base goal is ¥1,000."""
    with store_urls(request.param, tmp_path) as (new_url, earlier_url):
        earlier = write_event(tmp_path / "earlier", "三八小场", earlier_url)
        new = write_event(tmp_path / "new", "618小场", new_url, history("../earlier/event.toml"), "\n[plan]\ninvite_days = 4\n", base=1000)
        fill(earlier, *earlier_rows())
        fill(new, checkin("join_group", customer="n1", staff="S01"), checkin("invite", customer="n1", staff="S01"))
        yield new, earlier


def test_plan_json_is_spec_7(pair, capsys):
    new, earlier = pair
    assert main(["plan", "-c", str(new), "--from", str(earlier), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    # payers ⌈1000 ÷ 100⌉ = 10; members ⌈10 ÷ 3/7⌉ = ⌈23.33⌉ = 24; entrants ⌈10 ÷ 2/5⌉ = 25.
    assert printed == {"payers_needed": 10, "members_needed": 24, "entrants_needed": 25,
                       "from": {"aov": 100.0, "payer_rate": 0.4286, "conversion": 0.4}}, f"plan --json differs from SPEC §7: {printed}"


def test_plan_tells_each_order_taker_their_invites_and_the_groups_so_far(pair, capsys):
    new, earlier = pair
    assert main(["plan", "-c", str(new), "--from", str(earlier)]) == 0
    out = capsys.readouterr().out
    # 24 members for 2 order-takers over 4 days: 12 each, 3 a day.
    assert "each of 2 order-takers invites 12 people: 3 a day over 4 day(s)" in out, f"what the plan means per order-taker:\n{out}"
    assert "group members so far: 1 of 24 needed (4.2%)" in out, f"the groups as they fill, live:\n{out}"


@pytest.mark.parametrize(("counts", "needs"), [
    # (base fen, revenue fen, orders, payers, joined, entrants, paying entrants) → (payers, members, entrants)
    ((1000, 300, 3, 3, 3, 3, 3), (10, 10, 10)),  # exact: no ceiling bump
    ((1000, 301, 3, 3, 3, 3, 3), (10, 10, 10)),  # 9.97 → 10
    ((1000, 299, 3, 3, 3, 3, 3), (11, 11, 11)),  # 10.03 → 11
    ((900, 300, 3, 1, 3, 3, 1), (9, 27, 27)),  # rate 1/3: 9 ÷ 1/3 is 27 exactly; a rounded 0.3333 would make it 28
    ((100_000_000, 95_620_000, 1000, 517, 1000, 866, 517), (1046, 2024, 1753)),  # the 三八节 sample's shape
    ((0, 300, 3, 3, 3, 3, 3), (0, 0, 0)),  # no goal, no needs
    ((10**15, 1, 1, 1, 10**12, 10**12, 1), (10**15, 10**27, 10**27)),  # huge: ints stay exact
])
def test_the_needs_are_exact_ceilings(counts, needs):
    figures = plan_figures(*counts)
    assert (figures.payers_needed, figures.members_needed, figures.entrants_needed) == needs, f"{counts} → {figures}"


@pytest.mark.parametrize(("counts", "nulls", "problem"), [
    ((1000, 0, 0, 0, 5, 5, 0), ("payers_needed", "members_needed", "entrants_needed"), "plan_no_aov"),
    ((1000, 300, 3, 3, 0, 5, 2), ("members_needed",), "plan_no_joins"),
    ((1000, 300, 3, 0, 5, 5, 2), ("members_needed",), "plan_no_payers"),
    ((1000, 300, 3, 3, 5, 0, 0), ("entrants_needed",), "plan_no_entrants"),
    ((1000, 300, 3, 3, 5, 4, 0), ("entrants_needed",), "plan_no_live_payers"),
])
def test_a_ratio_the_earlier_event_cannot_give_is_null_with_a_reason(counts, nulls, problem):
    figures = plan_figures(*counts)
    shown = plan_json(Plan("新", "旧", figures, order_takers=2, invite_days=3))
    assert all(shown[key] is None for key in nulls), f"{nulls} are null in the JSON: {shown}"
    assert problem in figures.problems, f"{problem} says why: {figures.problems}"


@pytest.mark.parametrize("key", ["plan_no_aov", "plan_no_joins", "plan_no_payers", "plan_no_entrants", "plan_no_live_payers"])
def test_every_reason_has_a_line_in_both_languages_and_on_the_terminal(key):
    assert key in PROBLEM_LINES, f"{key} has a terminal line"
    zh, en = STRINGS[key]
    assert zh and en, f"{key} is in strings.toml in Chinese and English"


def test_zero_payers_on_the_command_line_is_a_clear_line_not_a_traceback(tmp_path):
    earlier = write_event(tmp_path / "earlier", "三八小场", f"sqlite:///{tmp_path / 'e.db'}")
    fill(earlier, checkin("join_group", customer="c1"))
    new = write_event(tmp_path / "new", "618小场", f"sqlite:///{tmp_path / 'n.db'}")
    done = warroom("plan", "-c", str(new), "--from", str(earlier))
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert PROBLEM_LINES["plan_no_aov"] in done.stdout, f"why there is no plan:\n{done.stdout}"


@pytest.mark.parametrize(("members", "takers", "days", "each", "a_day"), [
    (24, 2, 4, 12, 3),
    (25, 2, 4, 13, 4),
    (1500, 15, 1, 100, 100),
    (2024, 15, 3, 135, 45),
    (1, 15, 3, 1, 1),
])
def test_invites_per_order_taker_a_day(members, takers, days, each, a_day):
    figures = replace(plan_figures(0, 1, 1, 1, 1, 1, 1), members_needed=members)
    plan = Plan("新", "旧", figures, order_takers=takers, invite_days=days)
    assert (plan.invites_each, plan.invites_each_a_day) == (each, a_day), f"{members} members, {takers} order-takers, {days} days"


def test_the_groups_fill_against_the_need(tmp_path):
    config = load_event(write_event(tmp_path / "new", "618小场", f"sqlite:///{tmp_path / 'n.db'}"))
    plan = Plan("618小场", "旧", plan_figures(1000, 100, 1, 1, 2, 1, 1), order_takers=2, invite_days=3)  # 10 payers, 20 members
    before = membership(plan, config, joined=5, invites_by_staff={"S01": 4, "S02": 1})
    after = membership(plan, config, joined=30, invites_by_staff={"S01": 20, "S02": 10})
    assert (before.share, after.share) == (Fraction(1, 4), 1), "a share of the need, capped at 1 for the progress bar"
    assert [(row.staff_id, row.invited, row.needed) for row in before.takers] == [("S01", 4, 10), ("S02", 1, 10)], "each order-taker's invites"


@pytest.mark.parametrize("days", [0, -1, 367, "3"])
def test_invite_days_out_of_range_is_refused_at_load(tmp_path, days):
    event = write_event(tmp_path / "new", "618小场", f"sqlite:///{tmp_path / 'n.db'}", f"\n[plan]\ninvite_days = {json.dumps(days)}\n")
    with pytest.raises(ConfigError, match=r"plan\.invite_days"):
        load_event(event)


COUNTS = st.integers(min_value=0, max_value=10**18)


@settings(max_examples=300, deadline=None)
@given(base=COUNTS, revenue=st.integers(min_value=-(10**6), max_value=10**18), orders=COUNTS, payers=COUNTS, joined=COUNTS, entrants=COUNTS,
       entrants_paying=COUNTS)
def test_any_counts_give_exact_needs_or_nulls(base, revenue, orders, payers, joined, entrants, entrants_paying):
    figures = plan_figures(base, revenue, orders, payers, joined, entrants, entrants_paying)
    shown = json.loads(json.dumps(plan_json(Plan("新", "旧", figures, order_takers=3, invite_days=7)), allow_nan=False))
    assert set(shown) == {"payers_needed", "members_needed", "entrants_needed", "from"}, "SPEC §7's keys, and JSON without NaN"
    if figures.payers_needed is not None:
        aov = Fraction(revenue, orders)
        assert figures.payers_needed * aov >= base > (figures.payers_needed - 1) * aov, "payers is the least count whose spend reaches the goal"
    if figures.members_needed is not None:
        rate = Fraction(payers, joined)
        assert figures.members_needed * rate >= figures.payers_needed > (figures.members_needed - 1) * rate, "members is the least that yields the payers"
    if figures.entrants_needed is not None:
        conversion = Fraction(entrants_paying, entrants)
        assert figures.entrants_needed * conversion >= figures.payers_needed > (figures.entrants_needed - 1) * conversion, "entrants likewise"
    assert len(figures.problems) == sum(value is None for value in (figures.aov, figures.payer_rate or None, figures.conversion or None)), \
        f"one reason for each ratio the earlier event cannot give: {figures}"


def test_plan_json_needs_no_store_of_the_new_event(tmp_path):
    earlier = write_event(tmp_path / "earlier", "三八小场", f"sqlite:///{tmp_path / 'e.db'}")
    fill(earlier, *earlier_rows())
    new = write_event(tmp_path / "new", "618小场", "postgresql+psycopg://nobody:secret@127.0.0.1:1/nothing", base=1000)
    done = warroom("plan", "-c", str(new), "--from", str(earlier), "--json")
    assert done.returncode == 0, f"planning happens before the new event has a store: {done.stderr}"
    assert json.loads(done.stdout)["payers_needed"] == 10, done.stdout
    shown = warroom("plan", "-c", str(new), "--from", str(earlier))
    assert shown.returncode == 0 and "group members needed" in shown.stdout, shown.stderr
    assert len(shown.stderr.strip().splitlines()) == 1, f"one line on stderr about the groups: {shown.stderr}"
    assert "secret" not in shown.stderr, "the store's password is never shown"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.one_of(st.integers(min_value=-(10**30), max_value=10**30), st.floats(allow_nan=False, allow_infinity=False),
                       st.text(max_size=30), st.booleans(), st.lists(st.integers(), max_size=3)))
def test_any_invite_days_loads_as_a_day_count_or_is_one_line(tmp_path, value):
    event = write_event(tmp_path / "new", "618小场", f"sqlite:///{tmp_path / 'n.db'}", f"\n[plan]\ninvite_days = {json.dumps(value)}\n")
    try:
        config = load_event(event)
    except ConfigError as error:
        assert "\n" not in str(error) and "invite_days" in str(error), f"one line naming the key: {error!r}"
        return
    assert isinstance(config.plan.invite_days, int) and 1 <= config.plan.invite_days <= 366, f"{value!r} loaded as {config.plan.invite_days!r}"
