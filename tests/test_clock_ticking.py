"""The big screen's clock and countdown tick in the browser from what the server sends: the event time, its rate, the sale's moment."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from tests.conftest import SAMPLE
from warroom.clock import FixedClock, ReplayClock, SystemClock
from warroom.config import load_event
from warroom.schedule import next_flash_sale
from warroom.web.views.rail import CLOCK_HOLD_SECONDS, clock_html, countdown_html

EVENT = load_event(SAMPLE / "event.toml")
NOW = datetime.fromisoformat("2026-05-20T20:35:00+08:00")  # five minutes before the 20:40 flash sale


def attributes(html: str, css_class: str) -> dict[str, str]:
    element = re.search(rf'<div ([^>]*)class="{css_class}"', html)
    return dict(re.findall(r'data-([a-z-]+)="([^"]*)"', element.group(1))) if element else {}


def test_a_ticking_clock_carries_the_event_time_its_rate_and_the_event_s_offset():
    shown = attributes(clock_html(NOW, EVENT, "zh", rate=20), "wr-clock-time")
    assert shown == {"event-ms": str(int(NOW.timestamp() * 1000)), "rate": "20", "hold-ms": str(CLOCK_HOLD_SECONDS * 1000),
                     "utc-offset-ms": str(8 * 3600 * 1000)}, f"the clock element carries {shown}"


def test_a_ticking_clock_brings_its_script_and_a_still_one_none():
    assert ("<script>" in clock_html(NOW, EVENT, "zh", rate=1), "<script>" in clock_html(NOW, EVENT, "zh")) == (True, False)


@pytest.mark.parametrize(("clock", "target"), [
    ("2026-05-20T20:35:00", "2026-05-20T20:40:00"),  # coming: counts down to its start
    ("2026-05-20T20:42:00", "2026-05-20T20:50:00"),  # running: to its end
    ("2026-05-20T16:40:00", None),  # hours away: a start time, which does not tick
])
def test_the_countdown_carries_the_moment_it_counts_down_to(clock, target):
    now = datetime.fromisoformat(f"{clock}+08:00")
    shown = attributes(countdown_html(next_flash_sale(EVENT, now), now, EVENT, "zh"), "wr-countdown-time").get("target-ms")
    expected = str(int(datetime.fromisoformat(f"{target}+08:00").timestamp() * 1000)) if target else None
    assert shown == expected, f"at {clock} the countdown counts to {shown}, not {target}"


def test_a_replay_clock_s_rate_is_the_speed_it_was_written_with(tmp_path):
    clock = ReplayClock(tmp_path / "replay_clock.json")
    before = clock.rate()
    clock.write(NOW, 20.0)
    clock._last[:] = [None, float("-inf")]  # read afresh
    assert (before, clock.rate()) == (1.0, 20.0), "the replay clock's rate before and after it was written"


def test_the_web_layer_s_rate_of_each_clock(tmp_path):
    from warroom.web.session import event_clock_rate

    class Live:  # only the clock is read
        def __init__(self, clock):
            self.figures = type("Figures", (), {"clock": clock})()

    assert [event_clock_rate(Live(clock)) for clock in (SystemClock(), FixedClock(NOW))] == [1.0, 0.0]


# -- in the browser: the script ticks them on (Playwright's clock drives the page's time) ------------------------------


FAKE_EPOCH_MS = 1_700_000_000_000  # the page's own clock; the ticker counts from when the HTML arrived, not from this


def ticked(new_page, html: str, milliseconds: int) -> tuple[str, str]:
    """Return the clock's and the countdown's text after the page's clock ran on `milliseconds` from the moment the HTML was shown."""
    page = new_page({"width": 800, "height": 600})
    # Paused: only run_for moves the page's time, however long a busy machine takes to show the page.
    page.clock.install(time=FAKE_EPOCH_MS)
    page.clock.pause_at(FAKE_EPOCH_MS + 1_000)
    page.set_content(f"<html><body>{html}</body></html>")
    page.clock.run_for(milliseconds)
    return page.locator(".wr-clock-time").inner_text(), page.locator(".wr-countdown-time").inner_text()


@pytest.mark.browser
@pytest.mark.parametrize(("rate", "after_ms", "clock", "countdown"), [
    # Half a second of event time past a whole second, so that the few milliseconds the page takes to start do not matter.
    (1, 3_500, "20:35:03", "04:56"),  # the wall clock: three and a half seconds on
    (4, 3_125, "20:35:12", "04:47"),  # a replay at speed 4: twelve and a half seconds on
    (0, 3_500, "20:35:00", "05:00"),  # a clock that stands still
    (1, 9_000, "20:35:05", "04:55"),  # nothing from the server for 9 s: stopped after CLOCK_HOLD_SECONDS
])
def test_the_clock_and_the_countdown_tick_on_in_the_browser(new_page, rate, after_ms, clock, countdown):
    html = clock_html(NOW, EVENT, "zh", rate=rate) + countdown_html(next_flash_sale(EVENT, NOW), NOW, EVENT, "zh")
    assert ticked(new_page, html, after_ms) == (clock, countdown), f"at rate {rate}, {after_ms} ms on"
