"""The live time axis: the event's live sessions laid end to end, with the hours between them folded out.

A chart of an evening that spans two nights reads in minutes of live time: the gap between 22:55 on
the first night and 19:30 on the second takes no room, and each session starts where the one before
ended. Both the big screen's chart and the review's read their x positions here, so that a moment has
one place on every chart (`LiveAxis.x`), and the ticks say which night they belong to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from warroom.config import LiveSession

TICK_STEPS_MINUTES = (15, 30, 60, 120)
MAX_TICKS = 8


@dataclass(frozen=True)
class Tick:
    x: float  # minutes of live time from the first session's start
    time: str  # HH:MM in the event's timezone
    session: str | None  # the session's label, on the first tick of each session only


@dataclass(frozen=True)
class LiveAxis:
    """Minutes of live time, from the first session's start, across `sessions` (sorted, non-overlapping)."""

    sessions: tuple[LiveSession, ...]
    tz: tzinfo

    @classmethod
    def of(cls, sessions: Sequence[LiveSession], tz: tzinfo) -> LiveAxis:
        return cls(tuple(sorted(sessions, key=lambda session: session.start)), tz)

    def _offsets(self) -> list[float]:
        """Each session's start on the axis."""
        offsets, total = [], 0.0
        for session in self.sessions:
            offsets.append(total)
            total += (session.end - session.start) / timedelta(minutes=1)
        return offsets

    @property
    def total(self) -> float:
        """The whole live time, in minutes."""
        return sum((session.end - session.start) / timedelta(minutes=1) for session in self.sessions)

    def x(self, moment: datetime) -> float:
        """Return the moment's place on the axis: in a session, its live minutes so far; between sessions, the end of the one before."""
        for session, offset in zip(self.sessions, self._offsets(), strict=True):
            if moment < session.start:
                return offset
            if moment < session.end:
                return offset + (moment - session.start) / timedelta(minutes=1)
        return self.total

    def moment_at(self, x: float) -> datetime | None:
        """Return the moment at `x` minutes of live time (the inverse of `x` within the sessions); None past the last session's end."""
        for session, offset in zip(self.sessions, self._offsets(), strict=True):
            length = (session.end - session.start) / timedelta(minutes=1)
            if x <= offset + length:
                return session.start + timedelta(minutes=max(x - offset, 0.0))
        return None

    def session_end_x(self, moment: datetime) -> float:
        """Return where the session on air at `moment` ends on the axis (before the show: the first's end; after it: the last's)."""
        for session, offset in zip(self.sessions, self._offsets(), strict=True):
            if moment < session.end:
                return offset + (session.end - session.start) / timedelta(minutes=1)
        return self.total

    def boundaries(self) -> list[float]:
        """Where each session after the first starts on the axis."""
        return self._offsets()[1:]

    def ticks(self, until_x: float, label: bool = True) -> list[Tick]:
        """Return round-time ticks up to `until_x`, few enough to read, each session's first one carrying the session's label."""
        span = max(until_x, 1.0)
        step = next((minutes for minutes in TICK_STEPS_MINUTES if span / minutes <= MAX_TICKS), TICK_STEPS_MINUTES[-1])
        ticks: list[Tick] = []
        for index, (session, offset) in enumerate(zip(self.sessions, self._offsets(), strict=True)):
            if index and offset >= until_x:
                break
            local_start = session.start.astimezone(self.tz)
            # The first round time at or after the session's start, in the event's own clock.
            since_midnight = local_start.hour * 60 + local_start.minute + (1 if local_start.second or local_start.microsecond else 0)
            first = local_start.replace(second=0, microsecond=0) + timedelta(minutes=(-since_midnight) % step)
            name = session.name or f"{local_start:%m-%d}"
            ticks.append(Tick(offset, f"{local_start:%H:%M}", name if label and (len(self.sessions) > 1 or session.name) else None))
            moment = first
            while moment < session.end:
                at = self.x(moment)
                # Skip a round time that would print on top of the session's own start label.
                if at <= until_x and at - offset >= step * 0.75:
                    ticks.append(Tick(at, f"{moment.astimezone(self.tz):%H:%M}", None))
                moment += timedelta(minutes=step)
            if index == 0 and not ticks:
                ticks.append(Tick(0.0, f"{local_start:%H:%M}", name))
        return ticks
