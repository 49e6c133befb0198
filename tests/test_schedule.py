"""The schedule: flash sales, milestones, and the agreement between the big screen's celebration and the milestone prompt."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from tests.test_prompts import EVENT, START, at, values
from warroom.config import EventConfig, load_event
from warroom.figures import Totals, build_snapshot
from warroom.prompt_rules import MinuteSeries, RuleBook
from warroom.prompts import FIRING, PromptState, prompts_of, replay
from warroom.schedule import (
    flash_sales,
    live_sessions,
    milestone_kind,
    milestones_fen,
    milestones_reached,
    newly_reached,
    next_flash_sale,
    session_at,
)
from warroom.web.views.big_screen import header_html


def event(*rules: dict) -> EventConfig:
    """Return the prompts' test event (base ¥10,000, stretch ¥15,000) with these [[prompts]] rules."""
    return EventConfig.model_validate({**EVENT, "prompts": list(rules)})


def test_milestones_are_the_quarters_of_the_base_and_the_stretch():
    assert milestones_fen(event()) == (250_000, 500_000, 750_000, 1_000_000, 1_500_000)


def test_milestones_stop_at_the_stretch():
    assert milestones_reached(event(), 1_800_000)[-2:] == [1_000_000, 1_500_000]


def test_milestones_from_the_event_file():
    assert milestones_fen(event({"kind": "milestone", "milestones": [3000, 12000]})) == (300_000, 1_200_000)


@pytest.mark.parametrize(("amount", "kind"), [(1_000_000, "base"), (1_500_000, "stretch"), (250_000, "milestone")])
def test_milestone_kind(amount, kind):
    assert milestone_kind(event(), amount) == kind


@pytest.mark.parametrize(
    ("seen", "revenue_fen", "expected"),
    [
        (None, 600_000, [250_000, 500_000]),  # a screen just opened: everything reached counts as seen
        ({250_000, 500_000}, 600_000, []),
        ({250_000, 500_000}, 1_010_000, [750_000, 1_000_000]),
        ({250_000, 500_000}, 400_000, []),  # a refund took revenue back: nothing new
    ],
)
def test_newly_reached(seen, revenue_fen, expected):
    assert newly_reached(event(), revenue_fen, seen) == expected


@pytest.mark.parametrize(
    ("clock", "running", "expected"),
    [("20:00:00", False, "P01"), ("20:35:00", True, "P01"), ("21:00:00", False, "P02"), ("21:45:00", None, None)],
)
def test_next_flash_sale(clock, running, expected):
    moment = datetime.fromisoformat(f"2026-05-20T{clock}+08:00")
    sale = next_flash_sale(event(), moment)
    assert (sale.sku if sale else None, sale.running(moment) if sale else None) == (expected, running)


def test_a_sale_without_groups_is_for_every_group():
    assert [sale.groups for sale in flash_sales(event())] == [("G01", "G02"), ("G01", "G02", "G03")]


@pytest.mark.parametrize("rules", [(), ({"kind": "milestone", "milestones": [3000, 12000, 14000]},)], ids=["default", "event-file"])
def test_the_celebration_and_the_milestone_prompt_fire_at_the_same_amounts(rules):
    # ¥100 a minute from 20:00 for three hours: revenue passes every milestone up to ¥18,000.
    config = event(*rules)
    book = RuleBook.from_config(config)
    series = MinuteSeries(revenue_fen=values("20:00", "10000x180"))
    prompted, celebrated, seen, state, revenue = set(), set(), None, PromptState(), 0
    for minute in range(180):
        hhmm = f"{20 + (minute + 1) // 60}:{(minute + 1) % 60:02d}"
        state = replay(book, series, at(hhmm), start=START if minute == 0 else at(hhmm), state=state)
        prompted |= {p.figures["milestone_fen"] for p in prompts_of(book, state, at(hhmm), (FIRING,)) if p.kind == "milestone"}
        revenue += 10000
        crossed = newly_reached(config, revenue, seen)
        seen = set(crossed) if seen is None else seen | set(crossed)
        celebrated |= set(crossed)
    assert sorted(prompted) == sorted(celebrated) == list(milestones_fen(config))


SAMPLE_EVENT = Path(__file__).resolve().parent.parent / "sample_data" / "520" / "event.toml"


def sample_moment(text: str) -> datetime:
    return datetime.fromisoformat(f"{text}+08:00")


@pytest.mark.parametrize(
    ("clock", "session", "minutes_left", "next_session"),
    [
        ("2026-05-20T19:00:00", None, 0, "第一晚"),  # before the first evening
        ("2026-05-20T20:17:00", "第一晚", 158, None),  # this evening's minutes, not both evenings' (363)
        ("2026-05-20T22:54:30", "第一晚", 1, None),  # the last half minute rounds up
        ("2026-05-20T23:30:00", None, 0, "第二晚"),  # between the evenings: the next one
        ("2026-05-21T19:30:00", "第二晚", 205, None),
        ("2026-05-21T22:55:00", None, 0, None),  # after the last
    ],
    ids=["before", "evening-one-20-17", "last-half-minute", "between-evenings", "start-of-evening-two", "after-the-last"],
)
def test_session_at_counts_the_time_left_of_this_session(clock, session, minutes_left, next_session):
    found = session_at(live_sessions(load_event(SAMPLE_EVENT)), sample_moment(clock))
    assert (found.session.name if found.session else None, found.minutes_left) == (session, minutes_left), "the session on air, its minutes left"
    assert (found.next_session.name if found.next_session else None) == next_session, "the next session off air"


def test_between_sessions_the_next_start_is_given():
    found = session_at(live_sessions(load_event(SAMPLE_EVENT)), sample_moment("2026-05-21T10:00:00"))
    assert found.next_start == sample_moment("2026-05-21T19:30:00"), "the second evening's start"


def test_the_big_screen_header_says_this_evenings_minutes_left():
    config = load_event(SAMPLE_EVENT)
    now = sample_moment("2026-05-20T20:17:00")
    snapshot = build_snapshot(config, Totals(), 0, now)
    assert (snapshot.pace.session_minutes_left, snapshot.pace.live_minutes_left) == (158, 158 + 205), "this evening's and all live time left"
    assert "剩余直播 158 分钟" in header_html(config, snapshot, "zh"), "the header counts this evening"
