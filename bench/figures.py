"""Big-screen figures: an incremental `LiveFigures.refresh()` against a full read (`recompute()`), at 1M orders.

    python bench/figures.py [--orders 1000000] [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test] [--backends sqlite,postgres]

For each backend this builds a store for the 520 sample event (its staff, groups, products and
two evenings) holding `--orders` synthetic orders and their check-ins, written through
`Store.apply` in batches of 20,000, exactly as ingest writes them, so the rollups are the ones
ingest keeps (a tqdm bar shows the progress). The show is then live, 1 h 30 into its second
evening, and in the same run it times:

(a) `LiveFigures.refresh()`, every big-screen figure from the rollup rows changed since the last
    refresh, each after a small commit of what two seconds of a live evening add (new orders, the
    refund of an earlier one, entries, a viewers count), `--refreshes` times;
(b) `recompute()`, the same figures from a full read of orders, check-ins and payouts,
    `--recomputes` times, each after another such commit.

Before every timed full read, the incremental figures are refreshed too and the two snapshots
must be equal, field by field; any difference is printed and the exit status is 1. One line per
backend gives the median and p95 of both, and the ratio of the medians; the goal is a refresh of
at most 50 ms at 1M orders and at least 10× faster than the full read. PostgreSQL runs in a fresh
schema (`options=-csearch_path=…`) that is dropped afterwards.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import create_engine, text
from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.figures_helpers import recompute  # noqa: E402
from warroom.config import EventConfig, load_event  # noqa: E402
from warroom.figures import LiveFigures, Snapshot  # noqa: E402
from warroom.money import to_fen  # noqa: E402
from warroom.records import Batch, CheckIn, OrderLine  # noqa: E402
from warroom.rules import LedgerRules  # noqa: E402
from warroom.store import Store  # noqa: E402

EVENT = ROOT / "sample_data" / "520" / "event.toml"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BATCH_ROWS = 20_000
LIVE_SHARE = 0.9  # of orders placed while a session is on air; the rest trickle in over the event


@dataclass
class Timings:
    backend: str
    build_seconds: float
    cold_ms: float
    refresh_ms: list[float]
    recompute_ms: list[float]
    differences: list[str]


def synthetic_rows(config: EventConfig, orders: int, until: datetime, seed: int = 20):
    """Yield batches of check-ins, then of orders, shaped like the sample event but `orders` long, all before `until`."""
    rng = random.Random(seed)
    takers = [m.id for m in config.staff if m.role == "order_taker"]
    hype = [m.id for m in config.staff if m.role == "hype"]
    groups = [g.id for g in config.groups]
    products = [(p.sku, p.name, to_fen(p.price)) for p in config.products]
    start, end = int(config.event.start.timestamp()), int(until.timestamp())
    # The show is live at `until`: the sessions so far, the last one cut short there.
    sessions = [(int(s.start.timestamp()), min(int(s.end.timestamp()), end)) for s in config.sessions if s.start < until]
    customers = max(orders // 4, 1)

    def live_moment() -> int:
        low, high = rng.choice(sessions)
        return rng.randrange(low, high)

    def any_moment() -> int:
        return live_moment() if rng.random() < LIVE_SHARE else rng.randrange(start, end)

    checkins: list[CheckIn] = []
    for number in range(customers):
        customer, group, taker = f"C{number:07d}", rng.choice(groups), rng.choice(takers)
        invited = rng.randrange(start, sessions[0][0])
        checkins.append(CheckIn(f"I{number}", invited, "invite", customer, group, taker))
        checkins.append(CheckIn(f"J{number}", invited + rng.randrange(30, 600), "join_group", customer, group, taker))
        if rng.random() < 0.7:
            checkins.append(CheckIn(f"L{number}", live_moment(), "enter_live", customer, group, None))
        if rng.random() < 0.1:
            checkins.append(CheckIn(f"H{number}", any_moment(), rng.choice(("share", "check_in")), customer, group, rng.choice(hype)))
        if len(checkins) >= BATCH_ROWS:
            yield Batch(checkins=checkins)
            checkins = []
    for low, high in sessions:
        checkins.extend(CheckIn(f"V{moment}", moment, "viewers", value=rng.randrange(2_000, 30_000)) for moment in range(low, high, 60))
    yield Batch(checkins=checkins)
    lines: list[OrderLine] = []
    for number in range(orders):
        sku, name, price = rng.choice(products)
        qty = 1 if rng.random() < 0.85 else rng.randrange(2, 4)
        amount = price * qty
        if rng.random() < 0.2:  # a coupon
            amount -= amount * rng.randrange(3, 15) // 100
        roll = rng.random()
        status, refund = ("refunded", 0) if roll < 0.015 else ("cancelled", 0) if roll < 0.02 else ("paid", amount // 3) if roll < 0.03 else ("paid", 0)
        who = rng.random()
        staff = rng.choice(takers) if who < 0.7 else None
        lines.append(OrderLine(f"B{number:08d}", any_moment(), amount, status, refund, sku, name, qty, f"C{rng.randrange(customers):07d}", staff,
                               rng.choice(groups) if who < 0.9 else None))
        if len(lines) >= BATCH_ROWS:
            yield Batch(orders=lines)
            lines = []
    yield Batch(orders=lines)


def build(store: Store, config: EventConfig, orders: int, until: datetime) -> float:
    """Fill the store through `Store.apply`, as ingest does; return the seconds it took."""
    began = time.perf_counter()
    checkins = 0
    with tqdm(total=orders, desc=f"seed {store.dialect}", unit=" orders", file=sys.stderr, mininterval=1, dynamic_ncols=True) as bar:
        for batch in synthetic_rows(config, orders, until):
            store.apply(batch)
            checkins += len(batch.checkins)
            bar.set_postfix_str(f"+ {checkins:,} check-ins", refresh=False)
            if batch.orders:
                bar.update(len(batch.orders))
            else:
                bar.refresh()
    return time.perf_counter() - began


class Trickle:
    """What a few seconds of a live evening add: new orders, the refund of an earlier one, entries and a viewers count."""

    def __init__(self, config: EventConfig, seed: int = 7):
        self.rng = random.Random(seed)
        self.takers = [m.id for m in config.staff if m.role == "order_taker"]
        self.groups = [g.id for g in config.groups]
        self.products = [(p.sku, p.name, to_fen(p.price)) for p in config.products]
        self.sold: list[OrderLine] = []
        self.rounds = 0

    def next(self, now: datetime) -> Batch:
        rng, moment, number = self.rng, int(now.timestamp()), self.rounds
        self.rounds += 1
        orders = []
        for index in range(5):
            sku, name, price = rng.choice(self.products)
            orders.append(OrderLine(f"N{number}-{index}", moment - rng.randrange(0, 90), price, "paid", 0, sku, name, 1,
                                    f"C{rng.randrange(1000):07d}", rng.choice(self.takers), rng.choice(self.groups)))
        if self.sold:  # an order sold in an earlier round is refunded in full
            refunded = self.sold.pop(rng.randrange(len(self.sold)))
            orders.append(refunded._replace(status="refunded"))
        self.sold.extend(orders[:5])
        checkins = [CheckIn(f"T{number}-{index}", moment - index, "enter_live", f"C{rng.randrange(1000):07d}") for index in range(3)]
        checkins.append(CheckIn(f"TV{number}", moment, "viewers", value=rng.randrange(2_000, 30_000)))
        return Batch(orders=orders, checkins=checkins)


def differences(incremental: Snapshot, reference: Snapshot) -> list[str]:
    """Return the snapshot fields that differ, with both values (shortened)."""
    return [f"{name}: refresh {str(getattr(incremental, name))[:200]} != full read {str(getattr(reference, name))[:200]}"
            for name in (f.name for f in fields(Snapshot)) if getattr(incremental, name) != getattr(reference, name)]


def measure(backend: str, url: str, config: EventConfig, orders: int, refreshes: int, recomputes: int) -> Timings:
    """Build one backend's store and time both ways of getting the figures, checking they agree."""
    store = Store(url, LedgerRules.from_config(config))
    try:
        now = config.sessions[-1].start + timedelta(hours=1, minutes=30)
        build_seconds = build(store, config, orders, now)
        figures = LiveFigures(store, config)
        began = time.perf_counter()
        figures.refresh(now)
        cold_ms = (time.perf_counter() - began) * 1000
        trickle = Trickle(config)
        refresh_ms = []
        for _ in tqdm(range(refreshes), desc=f"refresh {backend}", file=sys.stderr, mininterval=1, dynamic_ncols=True):
            now += timedelta(seconds=2)
            store.apply(trickle.next(now))
            began = time.perf_counter()
            figures.refresh(now)
            refresh_ms.append((time.perf_counter() - began) * 1000)
        recompute_ms, found = [], []
        for _ in tqdm(range(recomputes), desc=f"full read {backend}", file=sys.stderr, mininterval=1, dynamic_ncols=True):
            now += timedelta(seconds=2)
            store.apply(trickle.next(now))
            snapshot = figures.refresh(now)
            began = time.perf_counter()
            reference = recompute(store, config, now)
            recompute_ms.append((time.perf_counter() - began) * 1000)
            found.extend(difference for difference in differences(snapshot, reference) if difference not in found)
        return Timings(backend, build_seconds, cold_ms, refresh_ms, recompute_ms, found)
    finally:
        store.close()


def p95(values: list[float]) -> float:
    """Return the 95th percentile, interpolated between the closest ranks."""
    return statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else values[0]


def fresh_pg_schema(base_url: str) -> tuple[str, callable]:
    """Return a URL on a new schema and a function that drops it."""
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    separator = "&" if "?" in base_url else "?"

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()

    return f"{base_url}{separator}options={quote(f'-csearch_path={name}')}", drop


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one line per backend."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000, help="synthetic orders to build (default 1,000,000)")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help=f"PostgreSQL server (default {DEFAULT_PG_URL})")
    parser.add_argument("--backends", default="sqlite,postgres", help="comma-separated: sqlite, postgres")
    parser.add_argument("--refreshes", type=int, default=100, help="timed refreshes, each after a small commit (default 100)")
    parser.add_argument("--recomputes", type=int, default=3, help="timed full reads, each after a small commit and checked against a refresh (default 3)")
    args = parser.parse_args(argv)
    config = load_event(EVENT)
    results = []
    for backend in args.backends.split(","):
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as folder:
                results.append(measure("sqlite", f"sqlite:///{Path(folder) / 'bench.db'}", config, args.orders, args.refreshes, args.recomputes))
        elif backend == "postgres":
            url, drop = fresh_pg_schema(args.pg_url)
            try:
                results.append(measure("postgres", url, config, args.orders, args.refreshes, args.recomputes))
            finally:
                drop()
        else:
            parser.error(f"unknown backend {backend!r}")
    print(f"\n{args.orders:,} orders, sample event ({len(config.staff)} staff, {len(config.groups)} groups, {len(config.products)} products); "
          f"{args.refreshes} refreshes, {args.recomputes} full reads, each after a small commit")
    print(f"{'backend':<10}{'seed s':>8}{'cold ms':>9}{'refresh ms':>12}{'p95':>8}{'full read ms':>14}{'p95':>8}{'ratio':>8}  same figures")
    for result in results:
        refresh, full = statistics.median(result.refresh_ms), statistics.median(result.recompute_ms)
        print(f"{result.backend:<10}{result.build_seconds:>8.0f}{result.cold_ms:>9.0f}{refresh:>12.2f}{p95(result.refresh_ms):>8.2f}"
              f"{full:>14.0f}{p95(result.recompute_ms):>8.0f}{full / refresh:>7.0f}×  {'no' if result.differences else 'yes'}")
    for result in results:
        for difference in result.differences:
            print(f"{result.backend}: {difference}")
    return 1 if any(result.differences for result in results) else 0

if __name__ == "__main__":
    sys.exit(main())
