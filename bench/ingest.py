"""Ingest speed: `warroom ingest --once` against a raw sqlite3 executemany upsert of the same rows.

    python bench/ingest.py [--orders 1000000] [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

Both runs happen in this one invocation, on the same generated CSV, so the ratio compares like
with like on this machine. On SQLite the ingest reads this backlog in a second process
(connectors/pipeline.py); peak RSS is that of both together, sampled every 20 ms.

A third run, the schema's floor, bounds what any ledger could reach: raw sqlite3 again, parsing the
same way, but writing what warroom's schema keeps per order (the order, with its indexes, and its
customer's running totals), with no rollups, attribution or precedence. Its ratio is the best
`warroom ingest` could get without writing less per order. With --pg-url, the same floor by COPY on
PostgreSQL, and a bare COPY of each order into the orders table (what the orders alone cost there).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
EVENT = """
[event]
name = "bench"
start = "2026-05-20T19:00:00+08:00"
end = "2026-05-21T23:30:00+08:00"

[goals]
base = 1000000
stretch = 1500000

[store]
url = "sqlite:///warroom.db"

[[feeds]]
kind = "orders"
path = "orders.csv"
"""
START = datetime(2026, 5, 20, 19, 0, 0)


def write_orders(path: Path, count: int) -> None:
    """Write `count` canonical order rows (5% are later updates of earlier orders)."""
    rng = random.Random(1)
    prices = [99, 199, 299, 520, 699, 999, 1299, 1999]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["order_id", "ts", "amount", "status", "refund_amount", "sku", "product", "qty", "customer_id", "staff_id", "group_id"])
        for index in tqdm(range(count), desc="write csv", unit=" rows", disable=None):
            order = index if rng.random() > 0.05 or index < 10 else rng.randrange(index)
            status = "paid" if order == index else "refunded"
            # 40 rows a second from 19:00 on: 1M rows run past midnight into the event's second day.
            ts = (START + timedelta(seconds=index * 25 // 1000)).strftime("%Y-%m-%d %H:%M:%S")
            writer.writerow([f"o{order}", ts, prices[order % 8], status, "", f"P{order % 40:02d}", "", 1, f"c{order % 400000}", f"S{order % 15 + 1:02d}" if order % 3 else "", f"G{order % 12 + 1:02d}"])


def raw_sqlite(path: Path, db: Path) -> float:
    """Return the seconds a plain sqlite3 executemany upsert of the same rows takes (parse included)."""
    connection = sqlite3.connect(db, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute(
        "CREATE TABLE orders (order_id TEXT PRIMARY KEY, ts TEXT, amount_fen INTEGER, status TEXT, refund_fen INTEGER, sku TEXT, product TEXT, qty INTEGER, customer_id TEXT, staff_id TEXT, group_id TEXT)"
    )
    started = time.perf_counter()
    with path.open(encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        batch = []
        for row in reader:
            row[2] = int(Decimal(row[2]) * 100)
            row[4] = int(Decimal(row[4] or 0) * 100)
            batch.append(row)
            if len(batch) == 5000:
                _flush(connection, batch)
        _flush(connection, batch)
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


def _floor_batches(path: Path) -> Iterator[list[tuple]]:
    """Yield the CSV's rows in batches of 5 000, as order rows in warroom's column order but seq: parsed as raw_sqlite parses them (the time is left unparsed, as 0)."""
    with path.open(encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        batch = []
        for order_id, _ts, amount, status, refund, sku, product, qty, customer_id, staff_id, group_id in reader:
            amount_fen, refund_fen = int(Decimal(amount) * 100), int(Decimal(refund or 0) * 100)
            batch.append((order_id, 0, amount_fen, refund_fen, status, sku, product or None, int(qty), customer_id, staff_id or None, group_id, staff_id or None, 0))
            if len(batch) == 5000:
                yield batch
                batch = []
        if batch:
            yield batch


def schema_floor(path: Path, db: Path) -> float:
    """Return the seconds raw sqlite3 takes to write each order, and its customer's totals, into warroom's own tables (parse included)."""
    from sqlalchemy import create_engine

    from warroom import schema

    engine = create_engine(f"sqlite:///{db}")
    schema.metadata.create_all(engine, tables=[schema.orders, schema.customers])
    engine.dispose()
    connection = sqlite3.connect(db, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    started = time.perf_counter()
    for seq, batch in enumerate(_floor_batches(path), start=1):
        _flush_floor(connection, batch, seq)
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


def _flush_floor(connection: sqlite3.Connection, batch: list, seq: int) -> None:
    by_customer: dict[str, list[int]] = {}
    for order in batch:
        totals = by_customer.setdefault(order[8], [0, 0])
        totals[0] += 1
        totals[1] += order[2]
    connection.execute("BEGIN IMMEDIATE")
    connection.executemany(
        "INSERT INTO orders (order_id, ts, amount_fen, refund_fen, status, sku, product, qty, customer_id, staff_id, group_id, credited_staff, band, seq) "
        f"VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,{seq}) ON CONFLICT(order_id) DO UPDATE SET status=excluded.status, refund_fen=excluded.refund_fen",
        batch,
    )
    connection.executemany(
        f"INSERT INTO customers (customer_id, paid_orders, paid_fen, seq) VALUES (?,?,?,{seq}) ON CONFLICT(customer_id) DO UPDATE SET "
        "paid_orders = customers.paid_orders + excluded.paid_orders, paid_fen = customers.paid_fen + excluded.paid_fen, seq = excluded.seq",
        [(customer_id, orders, fen) for customer_id, (orders, fen) in by_customer.items()],
    )
    connection.execute("COMMIT")


def postgres_floor(path: Path, url: str) -> float:
    """Return the seconds PostgreSQL takes, by COPY, to upsert each order and its customer's totals into warroom's own tables (parse included).

    `url` names an empty schema. Each batch of 5 000 rows is COPYed into two staging tables and
    upserted from them, in one transaction that does not wait for the WAL flush, as the ingest's.
    """
    import psycopg
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from warroom import schema

    engine = create_engine(url)
    schema.metadata.create_all(engine, tables=[schema.orders, schema.customers])
    engine.dispose()
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    order_columns = "order_id, ts, amount_fen, refund_fen, status, sku, product, qty, customer_id, staff_id, group_id, credited_staff, band, seq"
    with psycopg.connect(dsn) as connection:
        connection.execute(f"CREATE TEMP TABLE order_stage AS SELECT {order_columns} FROM orders WITH NO DATA")
        connection.execute("CREATE TEMP TABLE customer_stage AS SELECT customer_id, paid_orders, paid_fen, seq FROM customers WITH NO DATA")
        connection.commit()
        started = time.perf_counter()
        for seq, batch in enumerate(_floor_batches(path), start=1):
            _copy_floor(connection, batch, seq)
        elapsed = time.perf_counter() - started
    return elapsed


def postgres_copy_only(path: Path, url: str) -> float:
    """Return the seconds PostgreSQL takes to COPY each order once straight into warroom's orders table (parse included): no customers, no upsert.

    `url` names an empty schema. It bounds what the orders table alone costs, beside postgres_floor.
    """
    import psycopg
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from warroom import schema

    engine = create_engine(url)
    schema.metadata.create_all(engine, tables=[schema.orders])
    engine.dispose()
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    columns = ", ".join(column.name for column in schema.orders.columns)
    copied: set[str] = set()
    with psycopg.connect(dsn) as connection:
        started = time.perf_counter()
        for seq, batch in enumerate(_floor_batches(path), start=1):
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
                with cursor.copy(f"COPY orders ({columns}) FROM STDIN") as copy:
                    for order in batch:
                        if order[0] not in copied:  # a later row of an order (a refund) would be an update: left out
                            copied.add(order[0])
                            copy.write_row((*order, seq))
            connection.commit()
        return time.perf_counter() - started


def _copy_floor(connection, batch: list, seq: int) -> None:
    # A batch names an order once (a refund of an earlier order replaces its row), as the ledger's set-wise path takes them.
    latest = {order[0]: order for order in batch}
    by_customer: dict[str, list[int]] = {}
    for order in latest.values():
        totals = by_customer.setdefault(order[8], [0, 0])
        totals[0] += 1
        totals[1] += order[2]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("TRUNCATE order_stage, customer_stage")
        with cursor.copy("COPY order_stage FROM STDIN") as copy:
            for order in latest.values():
                copy.write_row((*order, seq))
        with cursor.copy("COPY customer_stage FROM STDIN") as copy:
            for customer_id, (orders, fen) in by_customer.items():
                copy.write_row((customer_id, orders, fen, seq))
        cursor.execute("INSERT INTO orders SELECT * FROM order_stage ON CONFLICT (order_id) DO UPDATE SET status = excluded.status, refund_fen = excluded.refund_fen")
        cursor.execute("INSERT INTO customers (customer_id, paid_orders, paid_fen, seq) SELECT * FROM customer_stage ON CONFLICT (customer_id) DO UPDATE SET "
                       "paid_orders = customers.paid_orders + excluded.paid_orders, paid_fen = customers.paid_fen + excluded.paid_fen, seq = excluded.seq")
    connection.commit()


def _flush(connection: sqlite3.Connection, batch: list) -> None:
    connection.execute("BEGIN IMMEDIATE")
    connection.executemany(
        "INSERT INTO orders VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(order_id) DO UPDATE SET status=excluded.status, refund_fen=excluded.refund_fen",
        batch,
    )
    connection.execute("COMMIT")
    batch.clear()


@dataclass(frozen=True)
class IngestRun:
    seconds: float
    peak_rss_mb: float
    # CPU seconds of the ingest and its reader process, and of the whole machine (the database server's included) while it ran.
    ingest_cpu: float
    machine_cpu: float


def _machine_cpu_seconds() -> float:
    """Return the CPU time every core of this machine has spent busy since boot (/proc/stat), in seconds."""
    fields = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def warroom_ingest(folder: Path, url: str | None = None) -> IngestRun:
    """Run `warroom ingest --once` in a subprocess and return its time, peak RSS and CPU.

    The peak is of the whole process tree, sampled every 20 ms: a big backlog is read by a second
    process (connectors/pipeline.py), and the two run side by side.
    """
    env = {**os.environ, **({"WARROOM_DB_URL": url} if url else {})}
    machine_before = _machine_cpu_seconds()
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "warroom", "ingest", "-c", str(folder / "event.toml"), "--once"], env=env, cwd=ROOT)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            peak[0] = max(peak[0], _tree_rss_kb(child.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    # wait4 gives this child's own peak RSS (RUSAGE_CHILDREN would be the largest of all children so far).
    _pid, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    machine = _machine_cpu_seconds() - machine_before
    done.set()
    sampler.join()
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise subprocess.CalledProcessError(child.returncode, child.args)
    # The child's usage includes the reader process it waited for.
    return IngestRun(elapsed, max(peak[0], usage.ru_maxrss) / 1024, usage.ru_utime + usage.ru_stime, machine)


def _tree_rss_kb(pid: int) -> int:
    """Return the resident set of a process and all its descendants, in KiB (0 for what has gone)."""
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--pg-url", default=None, help="also ingest into this PostgreSQL database (a fresh schema)")
    parser.add_argument("--folder", type=Path, default=None, help="write the event here and keep it (for profiling), instead of a temporary folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="warroom-bench-") as temporary:
        folder = args.folder or Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "event.toml").write_text(EVENT, encoding="utf-8")
        for stale in [*folder.glob("raw.db*"), *folder.glob("floor.db*"), *folder.glob("warroom.db*")]:
            stale.unlink()  # a kept folder's databases from an earlier run
        write_orders(folder / "orders.csv", args.orders)
        raw = raw_sqlite(folder / "orders.csv", folder / "raw.db")
        floor = schema_floor(folder / "orders.csv", folder / "floor.db")
        run = warroom_ingest(folder)
        ours, peak = run.seconds, run.peak_rss_mb
        print(f"rows: {args.orders:,}")
        print(f"raw sqlite3 executemany upsert: {raw:6.1f} s  {args.orders / raw:10,.0f} rows/s")
        print(f"the schema's floor (raw sqlite3 into warroom's orders and customers): {floor:6.1f} s  {args.orders / floor:10,.0f} rows/s  ratio {raw / floor:.2f}")
        print(f"warroom ingest --once (SQLite): {ours:6.1f} s  {args.orders / ours:10,.0f} rows/s  peak RSS {peak:.0f} MB (both processes)")
        print(f"  CPU: ingest and reader {run.ingest_cpu:.1f} s, the whole machine {run.machine_cpu:.1f} s")
        print(f"ratio warroom / raw: {raw / ours:.2f}  (goal >= 0.5)")
        if args.pg_url:
            from sqlalchemy import create_engine, text

            schema = f"bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(args.pg_url)
            with admin.begin() as conn:
                conn.execute(text(f"CREATE SCHEMA {schema}"))
                conn.execute(text(f"CREATE SCHEMA {schema}_floor"))
                conn.execute(text(f"CREATE SCHEMA {schema}_copy"))
            try:
                pg_floor = postgres_floor(folder / "orders.csv", f"{args.pg_url}?options=-csearch_path%3D{schema}_floor")
                print(f"the schema's floor on PostgreSQL (COPY and upsert of orders and customers): {pg_floor:6.1f} s  {args.orders / pg_floor:10,.0f} rows/s")
                copy_only = postgres_copy_only(folder / "orders.csv", f"{args.pg_url}?options=-csearch_path%3D{schema}_copy")
                print(f"COPY of each order straight into the orders table, nothing else: {copy_only:6.1f} s  {args.orders / copy_only:10,.0f} rows/s")
                pg_run = warroom_ingest(folder, f"{args.pg_url}?options=-csearch_path%3D{schema}")
                pg = pg_run.seconds
                print(f"warroom ingest --once (PostgreSQL): {pg:6.1f} s  {args.orders / pg:10,.0f} rows/s  peak RSS {pg_run.peak_rss_mb:.0f} MB  (goal >= 100,000 rows/s)")
                cores = os.cpu_count() or 1
                print(f"  CPU: ingest and reader {pg_run.ingest_cpu:.1f} s, the rest of the machine (the server) {pg_run.machine_cpu - pg_run.ingest_cpu:.1f} s; "
                      f"on {cores} cores that work takes at least {pg_run.machine_cpu / cores:.1f} s ({args.orders * cores / pg_run.machine_cpu:,.0f} rows/s at most)")
            finally:
                with admin.begin() as conn:
                    conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
                    conn.execute(text(f"DROP SCHEMA {schema}_floor CASCADE"))
                    conn.execute(text(f"DROP SCHEMA {schema}_copy CASCADE"))


if __name__ == "__main__":
    main()
