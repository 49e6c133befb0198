"""The live time axis (warroom.timeline): sessions end to end, the gaps folded out, ticks that say which night."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from warroom.config import LiveSession
from warroom.timeline import LiveAxis

TZ = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    return datetime.fromisoformat(f"2026-05-{text}:00+08:00")


AXIS = LiveAxis.of([
    LiveSession(name="第二晚", start=at("21T19:30"), end=at("21T23:00")),
    LiveSession(name="第一晚", start=at("20T19:30"), end=at("20T22:55")),
], TZ)


@pytest.mark.parametrize(("moment", "x"), [
    ("20T19:00", 0.0),  # before the show: its start
    ("20T19:30", 0.0),
    ("20T20:17", 47.0),
    ("20T22:55", 205.0),  # the first night's end is the second's start
    ("21T03:00", 205.0),  # between the nights: folded out
    ("21T19:30", 205.0),
    ("21T21:42", 337.0),
    ("21T23:40", 415.0),  # after the show: its end
])
def test_a_moment_s_place_on_the_axis(moment, x):
    assert AXIS.x(at(moment)) == x


@pytest.mark.parametrize(("moment", "end_x"), [("20T18:00", 205.0), ("20T21:00", 205.0), ("21T12:00", 415.0), ("21T21:42", 415.0), ("22T01:00", 415.0)])
def test_the_runway_ends_with_the_session_on_air_or_next(moment, end_x):
    assert AXIS.session_end_x(at(moment)) == end_x


def test_every_session_s_first_tick_carries_its_name():
    labelled = [(tick.x, tick.time, tick.session) for tick in AXIS.ticks(AXIS.total) if tick.session]
    assert labelled == [(0.0, "19:30", "第一晚"), (205.0, "19:30", "第二晚")]


def test_the_next_night_is_not_labelled_at_the_edge_of_tonight_s_axis():
    assert [tick.session for tick in AXIS.ticks(205.0) if tick.session] == ["第一晚"]


@pytest.mark.parametrize("until", [30.0, 205.0, 415.0])
def test_ticks_are_few_enough_to_read_and_in_order(until):
    xs = [tick.x for tick in AXIS.ticks(until)]
    assert len(xs) <= 9, xs
    assert xs == sorted(xs), xs
    assert all(0 <= x <= until for x in xs), xs


def test_ticks_fall_on_round_times_of_the_event_s_clock():
    times = [tick.time for tick in AXIS.ticks(205.0) if not tick.session]
    assert times and all(time.endswith((":00", ":30")) for time in times), times


def test_a_single_unnamed_session_has_no_label():
    axis = LiveAxis.of([LiveSession(start=at("20T19:00"), end=at("20T23:00"))], TZ)
    assert [tick.session for tick in axis.ticks(axis.total)] == [None] * len(axis.ticks(axis.total))


@pytest.mark.parametrize("x", [0.0, 47.0, 204.5, 205.0, 337.0, 415.0])
def test_a_place_on_the_axis_has_its_moment_back(x):
    assert AXIS.x(AXIS.moment_at(x)) == x


def test_past_the_last_session_there_is_no_moment():
    assert AXIS.moment_at(415.5) is None
