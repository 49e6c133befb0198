"""The live room (SPEC §4.1): what 抖音罗盘 and 视频号助手 put on their main screen, from the check-in feed.

`warroom.figures` folds the check-in rollups and the store's counters; this module turns them into
the live room's figures, the viewers line of the TV chart, and the "data as of" moment that every
page and export prints. Viewer snapshots count up to the minute of `now` (a replay's clock reads
the store as it stood then); entries, entrants and revenue count every row, as the other figures do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from warroom.clock import at_minute
from warroom.money import to_yuan

# A minute's viewer snapshots, as the check-in rollup keeps them: (the largest value, the latest value, its ts).
ViewerCell = tuple[int | None, int | None, int | None]


@dataclass(frozen=True)
class LiveRoom:
    """The live room's figures at one moment (SPEC §4.1); money exact, ratios unrounded."""

    viewers: int | None  # the latest viewers snapshot; None without one
    peak_viewers: int | None  # the largest viewers snapshot; None without one
    entries: int  # enter_live check-ins
    entrants: int  # distinct customers among them
    entrant_buyers: int  # entrants who have a paid order
    gpm_fen: Decimal | None  # revenue per 1,000 entries, in fen; None without entries
    conversion: Decimal | None  # entrant_buyers / entrants; None without entrants


def live_room(viewers: Mapping[int, ViewerCell], now_minute: int, *, entries: int, entrants: int, entrant_buyers: int, revenue_fen: int) -> LiveRoom:
    """Return the live room at the epoch minute `now_minute`, from the viewers by minute and the folded counts."""
    seen = [minute for minute in viewers if minute <= now_minute]
    peaks = [viewers[minute][0] for minute in seen if viewers[minute][0] is not None]
    return LiveRoom(
        viewers=viewers[max(seen)][1] if seen else None,
        peak_viewers=max(peaks) if peaks else None,
        entries=entries,
        entrants=entrants,
        entrant_buyers=entrant_buyers,
        gpm_fen=Decimal(revenue_fen) * 1000 / entries if entries else None,
        conversion=Decimal(entrant_buyers) / entrants if entrants else None,
    )


def viewers_by_minute(viewers: Mapping[int, ViewerCell], now_minute: int) -> list[tuple[int, int]]:
    """Return (epoch minute, that minute's latest viewers snapshot) for every minute up to `now_minute` that has one, ascending."""
    return sorted((minute, cell[1]) for minute, cell in viewers.items() if minute <= now_minute and cell[1] is not None)


def data_as_of(latest_minute: int | None, now: datetime, fallback: datetime) -> datetime:
    """Return when the store's data ends: the end of `latest_minute`, the newest epoch minute holding an order or a check-in, never after `now`.

    Without any data, `fallback` (the event's end), never after `now`.
    """
    return min(now, at_minute(latest_minute + 1).astimezone(now.tzinfo) if latest_minute is not None else fallback)


def live_json(room: LiveRoom) -> dict:
    """Return the live room in the shape of SPEC §4.1: GPM in yuan to 2 decimals, conversion to 4, both rounded half-up."""
    return {
        "viewers": room.viewers,
        "peak_viewers": room.peak_viewers,
        "entries": room.entries,
        "entrants": room.entrants,
        "gpm": to_yuan(room.gpm_fen) if room.gpm_fen is not None else None,
        "conversion": float(room.conversion.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)) if room.conversion is not None else None,
    }
