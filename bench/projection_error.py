"""How far the projected finish is from the final revenue, minute by minute, over the 520 sample's live sessions.

    python bench/projection_error.py [--event sample_data/520/event.toml] [--every 1]

The sample is copied to a temporary folder and taken in once (`warroom ingest --once`, SQLite).
Its revenue by minute is then replayed: at the start of each live minute, the pace is computed
exactly as the figures compute it (`warroom.pace.pace_at` over the event's sessions), from the
revenue sold before that minute, as a store replayed up to then would hold it (a refund booked
later is already netted out here, the one difference from a live replay).

Printed per 30 minutes of live time and overall: the projection's error against the final
revenue (mean and max of |projected − final| / final), the share of minutes whose band holds the
final figure, the band's mean width (as a share of the final figure), the share of minutes whose
point lies inside its own band and strictly off its edges, and the largest jump of the point from
one minute to the next (as a share of the final figure).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import shutil
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from warroom.cli import main as warroom  # noqa: E402
from warroom.clock import minute_of  # noqa: E402
from warroom.config import EventConfig, load_event  # noqa: E402
from warroom.figures import LiveFigures  # noqa: E402
from warroom.money import to_fen  # noqa: E402
from warroom.pace import Pace, pace_at  # noqa: E402
from warroom.runtime import open_store  # noqa: E402
from warroom.schedule import live_sessions  # noqa: E402

EVENT = ROOT / "sample_data" / "520" / "event.toml"
BUCKET_MINUTES = 30


@dataclass(frozen=True)
class Minute:
    """The pace at the start of one live minute."""

    live_minute: int  # 0 for the first live minute of the event
    at: datetime
    pace: Pace


def ingest_sample(event: Path, folder: Path) -> tuple[EventConfig, dict[int, int], int]:
    """Take a copy of the event's feeds in once (its SQLite store in `folder`); return (config, revenue by epoch minute, final revenue)."""
    copy = folder / "event"
    shutil.copytree(event.parent, copy)
    config_path = copy / event.name
    with contextlib.redirect_stdout(io.StringIO()):
        if warroom(["ingest", "-c", str(config_path), "--once"]):
            raise SystemExit("the ingest failed")
    config = load_event(config_path)
    store = open_store(config, read_only=True)
    try:
        snapshot = LiveFigures(store, config).refresh(config.event.end + timedelta(days=30))
    finally:
        store.close()
    return config, dict(snapshot.revenue_by_minute), snapshot.revenue_fen


def replay(config: EventConfig, by_minute: dict[int, int], every: int) -> list[Minute]:
    """Return the pace at the start of every `every`-th live minute, from the revenue sold before it."""
    sessions = live_sessions(config)
    base_fen, stretch_fen = to_fen(config.goals.base), to_fen(config.goals.stretch)
    minutes = sorted(by_minute)
    results, live_minute = [], 0
    for session in sessions:
        moment = session.start
        while moment < session.end:
            if live_minute % every == 0:
                cutoff = minute_of(moment)
                revenue = sum(by_minute[m] for m in minutes if m < cutoff)
                results.append(Minute(live_minute, moment, pace_at(sessions, by_minute, revenue, base_fen, stretch_fen, moment)))
            moment += timedelta(minutes=1)
            live_minute += 1
    return results


def summary(rows: list[Minute], final_fen: int) -> tuple[float, float, float, float, float, float, float]:
    """Return (mean |error| %, max |error| %, band holds final %, mean band width %, point inside %, point off the edges %, largest jump %)."""
    errors = [abs(row.pace.projected_fen - final_fen) / final_fen * 100 for row in rows]
    holds = [row.pace.projected_low_fen <= final_fen <= row.pace.projected_high_fen for row in rows]
    widths = [(row.pace.projected_high_fen - row.pace.projected_low_fen) / final_fen * 100 for row in rows]
    inside = [row.pace.projected_low_fen <= row.pace.projected_fen <= row.pace.projected_high_fen for row in rows]
    off_edges = [row.pace.projected_low_fen < row.pace.projected_fen < row.pace.projected_high_fen for row in rows]
    jumps = [abs(later.pace.projected_fen - earlier.pace.projected_fen) / final_fen * 100 for earlier, later in zip(rows, rows[1:], strict=False)]

    def share(flags: list[bool]) -> float:
        return sum(flags) / len(flags) * 100

    return (sum(errors) / len(errors), max(errors), share(holds), sum(widths) / len(widths), share(inside), share(off_edges), max(jumps, default=0.0))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--event", type=Path, default=EVENT, help="the event file whose feeds are replayed (default: the 520 sample)")
    parser.add_argument("--every", type=int, default=1, help="compute the pace every this many live minutes (default 1)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        config, by_minute, final_fen = ingest_sample(args.event.resolve(), Path(folder))
    rows = replay(config, by_minute, max(1, args.every))
    live_fen = sum(value for minute, value in by_minute.items() if any(minute_of(s.start) <= minute < minute_of(s.end) for s in live_sessions(config)))
    print(f"{config.event.name}: final revenue ¥{final_fen / 100:,.2f} (¥{live_fen / 100:,.2f} of it in live minutes), "
          f"base ¥{config.goals.base:,}, stretch ¥{config.goals.stretch:,}; {len(rows)} live minutes replayed")
    header = f"{'live minutes':<14}{'mean |err|':>11}{'max |err|':>10}{'band holds':>11}{'band width':>11}{'pt inside':>10}{'off edges':>10}{'max jump':>9}"
    print(header)
    print("-" * len(header))
    buckets: dict[int, list[Minute]] = {}
    for row in rows:
        buckets.setdefault(row.live_minute // BUCKET_MINUTES, []).append(row)
    for bucket, members in sorted(buckets.items()):
        label = f"{bucket * BUCKET_MINUTES}–{(bucket + 1) * BUCKET_MINUTES}"
        mean, worst, holds, width, inside, off_edges, jump = summary(members, final_fen)
        print(f"{label:<14}{mean:>10.1f}%{worst:>9.1f}%{holds:>10.0f}%{width:>10.1f}%{inside:>9.0f}%{off_edges:>9.0f}%{jump:>8.1f}%")
    mean, worst, holds, width, inside, off_edges, jump = summary(rows, final_fen)
    print("-" * len(header))
    print(f"{'overall':<14}{mean:>10.1f}%{worst:>9.1f}%{holds:>10.0f}%{width:>10.1f}%{inside:>9.0f}%{off_edges:>9.0f}%{jump:>8.1f}%")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
