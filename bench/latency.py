"""Follow latency: from an order line being written to the order being visible in the store.

    python bench/latency.py [--rows 300] [--interval 0.05] [--polling] [--store-url URL]

A following `python -m warroom ingest` runs as a subprocess. Once it holds the lease, this
script appends one canonical order line at a steady pace (every `--interval` seconds) and
polls the store (every few milliseconds) for the new order ids. A row's latency is the time
from the end of its write to the first poll that sees it. Prints p50, p95 and max; the goal is
p95 <= 300 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from bench.crash import IngestProcess, StoreProbe, wait_for  # noqa: E402
from warroom.config import load_event  # noqa: E402

GOAL_P95_MS = 300.0
POLL_SECONDS = 0.003
EVENT = """
[event]
name = "latency"
start = "2026-05-20T19:00:00+08:00"
end = "2026-05-21T02:00:00+08:00"

[goals]
base = 100000
stretch = 150000

[store]
url = "{url}"

[[feeds]]
kind = "orders"
path = "feeds/orders.csv"
"""


def percentile(values: list[float], share: float) -> float:
    """Return the nearest-rank percentile of `values`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def measure(folder: Path, *, rows: int = 300, interval: float = 0.05, polling: bool = False, store_url: str | None = None) -> list[float]:
    """Return the write-to-visible latency of each of `rows` lines, in seconds."""
    feeds = folder / "feeds"
    feeds.mkdir(parents=True, exist_ok=True)
    orders = feeds / "orders.csv"
    orders.write_text("order_id,ts,amount,customer_id\n", encoding="utf-8")
    event = folder / "event.toml"
    event.write_text(EVENT.format(url=store_url or "sqlite:///warroom.db"), encoding="utf-8")
    probe = StoreProbe(load_event(event).store_url)
    ingest = IngestProcess(event, folder / "logs")
    ingest.start(*(["--polling"] if polling else []))
    written: dict[str, float] = {}
    seen: dict[str, float] = {}
    try:
        wait_for(lambda: ingest.check_alive() or probe.lease_pid() == ingest.pid, 60, lambda: f"the ingest to take the lease:\n{ingest.tail()}")
        # Let it read the header and settle into its wait before the clock starts.
        wait_for(lambda: probe.checkpointed("orders:feeds/orders.csv", orders), 30, lambda: "the ingest to read the header")
        next_write = time.monotonic()
        last_seq = 0
        with probe.engine.connect() as conn:
            while len(seen) < rows:
                now = time.monotonic()
                if len(written) < rows and now >= next_write:
                    order_id = f"o{len(written):06d}"
                    with open(orders, "a", encoding="utf-8") as handle:
                        handle.write(f"{order_id},2026-05-20 21:00:00,1299,c{len(written)}\n")
                    written[order_id] = time.monotonic()
                    next_write += interval
                rows_now = conn.execute(text("SELECT order_id, seq FROM orders WHERE seq > :seq"), {"seq": last_seq}).all()
                conn.rollback()  # end the read transaction, so the next poll sees new commits
                stamp = time.monotonic()
                for order_id, seq in rows_now:
                    seen.setdefault(order_id, stamp)
                    last_seq = max(last_seq, seq)
                if len(written) == rows and now - written[max(written)] > 30:
                    raise TimeoutError(f"{rows - len(seen)} rows not visible 30 s after the last write")
                ingest.check_alive()
                time.sleep(POLL_SECONDS)
    finally:
        if ingest.running():
            ingest.stop()
        probe.close()
    return [seen[order_id] - written[order_id] for order_id in written]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300)
    parser.add_argument("--interval", type=float, default=0.05, help="seconds between two written lines (default 0.05: 20 rows/s)")
    parser.add_argument("--polling", action="store_true", help="run the ingest with the polling observer (network mounts)")
    parser.add_argument("--store-url", default=None, help="an empty store instead of SQLite in a temporary folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="warroom-latency-") as folder:
        latencies = [value * 1000 for value in measure(Path(folder), rows=args.rows, interval=args.interval, polling=args.polling, store_url=args.store_url)]
    p50, p95, worst = percentile(latencies, 0.5), percentile(latencies, 0.95), max(latencies)
    print(f"rows: {len(latencies)} written every {args.interval * 1000:.0f} ms{' (polling observer)' if args.polling else ''}")
    print(f"write -> visible latency: p50 {p50:.0f} ms, p95 {p95:.0f} ms, max {worst:.0f} ms, mean {statistics.fmean(latencies):.0f} ms (goal p95 <= {GOAL_P95_MS:.0f} ms)")
    return 0 if p95 <= GOAL_P95_MS else 1


if __name__ == "__main__":
    sys.exit(main())
