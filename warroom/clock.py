"""Time for the figures: the wall clock, or a replay's event clock in the demo."""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Protocol

from warroom.config import FIRST_YEAR, LAST_YEAR

REPLAY_CLOCK_ENV = "WARROOM_REPLAY_CLOCK"


def minute_of(moment: datetime) -> int:
    """Return the epoch minute a moment falls in."""
    return int(moment.timestamp()) // 60


# The seconds a stored time may be shown at. The ingest takes rows of 2000–2100 only (SPEC §5), but a
# store an earlier version wrote may hold a row of the year 1, whose minute in UTC is in the year 0,
# which no datetime can hold: it is shown at the edge instead of failing every screen that reads it.
_EARLIEST_SECOND = int(datetime(FIRST_YEAR - 1, 12, 30, tzinfo=UTC).timestamp())
_LATEST_SECOND = int(datetime(LAST_YEAR + 1, 1, 2, tzinfo=UTC).timestamp())


def at_second(seconds: int) -> datetime:
    """Return an epoch second as a UTC datetime, held within the years a stored row may have."""
    return datetime.fromtimestamp(min(max(seconds, _EARLIEST_SECOND), _LATEST_SECOND), UTC)


def at_minute(minute: int) -> datetime:
    """Return the UTC start of an epoch minute, held within the years a stored row may have."""
    return at_second(minute * 60)


def parse_time(text: str, tz: tzinfo) -> datetime:
    """Return a time written in ISO 8601 (or with / in its date) as an aware datetime, in `tz` when it has no offset; raise ValueError when it is none."""
    moment = datetime.fromisoformat(text.strip().replace("/", "-"))
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


class Clock(Protocol):
    def now(self) -> datetime:
        """Return the current event time (timezone-aware)."""


@dataclass(frozen=True)
class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        """Return the wall-clock time in UTC."""
        return datetime.now(UTC)


@dataclass(frozen=True)
class FixedClock:
    """A clock that stands still: for tests and `--at`."""

    at: datetime

    def now(self) -> datetime:
        """Return the fixed time."""
        return self.at


@dataclass(frozen=True)
class ReplayClock:
    """The demo's event clock: the replayer writes (event time, wall time, speed) to a file."""

    path: Path
    # The last state read and when (monotonic): every big screen asks for the time every second, and
    # the state is re-read at most every REREAD_SECONDS, since the time is extrapolated from it anyway.
    _last: list = field(default_factory=lambda: [None, -math.inf], compare=False, repr=False)

    REREAD_SECONDS = 0.2

    def write(self, event_now: datetime, speed: float) -> None:
        """Publish the replay's position atomically."""
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"event_now": event_now.isoformat(), "wall": time.time(), "speed": speed}))
        os.replace(temporary, self.path)

    def _state(self) -> dict | None:
        state, read_at = self._last
        if time.monotonic() - read_at >= self.REREAD_SECONDS:
            try:
                state = json.loads(self.path.read_text())
            except (OSError, ValueError):
                return None
            self._last[:] = [state, time.monotonic()]
        return state

    def rate(self) -> float:
        """Return the event seconds that pass in one wall second (the replay's speed; 1 before the replay wrote its clock)."""
        state = self._state()
        return float(state["speed"]) if state else 1.0

    def now(self) -> datetime:
        """Return the event time the replay has reached, advanced by the wall time since it was written."""
        state = self._state()
        if state is None:
            return datetime.now(UTC)
        # Cap the extrapolation at a few seconds so a stopped replay stops the clock too.
        elapsed = min(max(time.time() - state["wall"], 0.0), 5.0)
        return datetime.fromisoformat(state["event_now"]) + (elapsed * state["speed"]) * _SECOND


_SECOND = datetime.fromtimestamp(1, UTC) - datetime.fromtimestamp(0, UTC)


def default_clock() -> Clock:
    """Return the replay clock when the demo set one, else the wall clock."""
    path = os.environ.get(REPLAY_CLOCK_ENV)
    return ReplayClock(Path(path)) if path else SystemClock()
