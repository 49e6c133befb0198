"""Big-screen figures: an incremental `LiveFigures.refresh()` against a full read (`recompute()`), at 1M orders.

    python bench/figures.py [--orders 1000000] [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test] [--backends sqlite,postgres]

For each backend this builds a store for the 520 sample event (its staff, groups, products and
two evenings) holding `--orders` synthetic orders and their check-ins, written through
`Store.apply` in large batches so the rollups are exactly what ingest keeps. Then, in the same
run, it times (a) `LiveFigures.refresh()` with a few new orders, a refund and some check-ins
committed before each refresh, and (b) `recompute()`, the same figures from a full read; it
checks that both give the same snapshot and prints the medians and their ratio. PostgreSQL runs
in a fresh schema (`options=-csearch_path=…`) that is dropped afterwards.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import create_engine, text
from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from warroom.config import EventConfig, load_event  # noqa: E402
from warroom.figures import LiveFigures, recompute  # noqa: E402
from warroom.records import Batch, CheckIn, OrderLine  # noqa: E402
from warroom.rules import LedgerRules, to_fen  # noqa: E402
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
    same: bool


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
    """Fill the store; return the seconds it took."""
    began = time.perf_counter()
    with tqdm(total=orders, desc=f"build {store.dialect}", unit=" orders", file=sys.stderr, disable=None) as bar:
        for batch in synthetic_rows(config, orders, until):
            store.apply(batch)
            bar.update(len(batch.orders))
    return time.perf_counter() - began


def trickle(rng: random.Random, config: EventConfig, now: datetime, round_number: int) -> Batch:
    """Return what a few seconds of a live evening add: new orders, a refund of an earlier order, some check-ins."""
    moment = int(now.timestamp())
    takers = [m.id for m in config.staff if m.role == "order_taker"]
    products = [(p.sku, p.name, to_fen(p.price)) for p in config.products]
    orders = []
    for index in range(5):
        sku, name, price = rng.choice(products)
        orders.append(OrderLine(f"N{round_number}-{index}", moment - rng.randrange(0, 90), price, "paid", 0, sku, name, 1, f"C{rng.randrange(1000):07d}",
                                rng.choice(takers), "G01"))
    refunded = orders[0]
    orders.append(OrderLine(f"N{max(round_number - 1, 0)}-1", refunded.ts, refunded.amount_fen, "refunded", 0, refunded.sku, refunded.product, 1,
                            refunded.customer_id, refunded.staff_id, "G01"))
    checkins = [CheckIn(f"T{round_number}-{index}", moment - index, "enter_live", f"C{rng.randrange(1000):07d}") for index in range(3)]
    checkins.append(CheckIn(f"TV{round_number}", moment, "viewers", value=rng.randrange(2_000, 30_000)))
    return Batch(orders=orders, checkins=checkins)


def measure(backend: str, url: str, config: EventConfig, orders: int, refreshes: int, recomputes: int) -> Timings:
    """Build one backend's store and time both ways of getting the figures."""
    store = Store(url, LedgerRules.from_config(config))
    try:
        now = config.sessions[-1].start + timedelta(hours=1, minutes=30)
        build_seconds = build(store, config, orders, now)
        figures = LiveFigures(store, config)
        began = time.perf_counter()
        figures.refresh(now)
        cold_ms = (time.perf_counter() - began) * 1000
        rng = random.Random(7)
        refresh_ms = []
        for round_number in tqdm(range(refreshes), desc=f"refresh {backend}", file=sys.stderr, disable=None):
            now += timedelta(seconds=2)
            store.apply(trickle(rng, config, now, round_number))
            began = time.perf_counter()
            snapshot = figures.refresh(now)
            refresh_ms.append((time.perf_counter() - began) * 1000)
        recompute_ms = []
        for _ in tqdm(range(recomputes), desc=f"recompute {backend}", file=sys.stderr, disable=None):
            began = time.perf_counter()
            reference = recompute(store, config, now)
            recompute_ms.append((time.perf_counter() - began) * 1000)
        return Timings(backend, build_seconds, cold_ms, refresh_ms, recompute_ms, snapshot == reference)
    finally:
        store.close()


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
    parser.add_argument("--refreshes", type=int, default=30, help="timed refreshes, each after a small commit (default 30)")
    parser.add_argument("--recomputes", type=int, default=3, help="timed full reads (default 3)")
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
    print(f"\n{args.orders:,} orders, sample event ({len(config.staff)} staff, {len(config.groups)} groups, {len(config.products)} products)")
    print(f"{'backend':<10}{'build s':>10}{'cold ms':>10}{'refresh ms':>12}{'p90 ms':>9}{'full read ms':>14}{'ratio':>9}  same figures")
    for result in results:
        refresh = statistics.median(result.refresh_ms)
        p90 = statistics.quantiles(result.refresh_ms, n=10)[-1] if len(result.refresh_ms) > 1 else refresh
        full = statistics.median(result.recompute_ms)
        print(f"{result.backend:<10}{result.build_seconds:>10.1f}{result.cold_ms:>10.0f}{refresh:>12.2f}{p90:>9.2f}{full:>14.0f}{full / refresh:>8.0f}×  {'yes' if result.same else 'NO'}")
    return 0 if all(result.same for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
