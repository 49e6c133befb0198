"""Crash test: a following `warroom ingest`, fed the hard way and SIGKILLed at random moments, loses nothing and doubles nothing.

    python bench/crash.py [--kills 100] [--seed 1] [--rows 20000] [--store-url URL] [--keep DIR] [--read-ahead]

The feeds come from a generated set of canonical rows whose final figures are known up front:

* `feeds/orders.csv`, appended in chunks that end mid-line (often mid-character), with order
  updates (refunds, partial refunds, cancellations), reposted lines, blank and bad lines; it is
  rotated now and then (renamed to `orders.csv.N`, and a new file started);
* `feeds/checkins.jsonl`, appended the same way and copytruncated now and then (copied to
  `checkins.jsonl.N`, then truncated). A copytruncate loses the lines the tailer had not read yet
  unless the copies are part of the feed, so the feed's path is the glob `feeds/checkins.jsonl*`;
* `feeds/exports/`, a folder of CSV exports (BOM, CRLF, `¥1,299.00`), each repeating half of the
  previous one, some rows changed (a refund), one bad row repeated; every export is written in two
  halves with a pause shorter than the settle time between them.

Meanwhile `python -m warroom ingest -c event.toml` runs as a subprocess and is killed with SIGKILL
at random moments (during its start-up, just after a write, or at a random time once it holds the
lease) and restarted at once. After the last kill a follower is started and given time to catch up
(polling the store with a deadline), stopped with SIGTERM, then `ingest --once` finishes and
`stats --json` must equal the generated figures. The store itself is compared row by row: an order
or check-in missing is lost, one that should not exist (or a bad row quarantined twice) is doubled,
an order in another state is wrong.

With --read-ahead, the backlog variant: the feeds are written whole first, then `ingest --once`,
reading ahead in a second process (connectors/pipeline.py) in small batches, is SIGKILLed a few
commits into its run, again and again, and finally run to the end; the same checks follow.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from warroom.config import load_event  # noqa: E402
from warroom.rules import state_key  # noqa: E402

KINDS = ("join_group", "enter_live", "check_in", "invite", "share")
HEADER = ["order_id", "ts", "amount", "status", "refund_amount", "sku", "product", "qty", "customer_id", "staff_id", "group_id"]
PRODUCTS = (("P01", "焕颜精华套装", 129900), ("P02", "修护面霜", 52000), ("P03", "洁面乳", 9900), ("P04", "520 礼盒", 199900), ("P05", "小样", 990))
TZ = timezone(timedelta(hours=8))
START = datetime(2026, 5, 20, 19, 0, tzinfo=TZ)
STATS_KEYS = ("revenue", "orders", "paying_customers", "refunds", "checkins", "quarantined")
# A dropped export's second half comes this long after the first: well inside the reader's settle time (2 s).
EXPORT_PAUSE = (0.1, 0.8)
STARTUP_DEADLINE = 60.0
KILL_MODES = ("during start-up", "just after a write", "at a random moment")
CATCH_UP_DEADLINE = 120.0

EVENT = """
[event]
name = "crash test"
start = "2026-05-20T19:00:00+08:00"
end = "2026-05-21T02:00:00+08:00"

[goals]
base = 100000
stretch = 150000

[store]
url = "{url}"

[[staff]]
id = "S01"
name = "小林"
role = "order_taker"

[[staff]]
id = "S02"
name = "小周"
role = "order_taker"

[[staff]]
id = "S20"
name = "阿青"
role = "community"

[[groups]]
id = "G01"
name = "宠粉 1 群"
owner = "S20"

[[feeds]]
kind = "orders"
path = "feeds/orders.csv"
name = "orders"

[[feeds]]
kind = "checkins"
path = "feeds/checkins.jsonl*"
format = "jsonl"
name = "checkins"

[[feeds]]
kind = "orders"
path = "feeds/exports/"
name = "exports"
"""


class CrashFailure(AssertionError):
    """The ingest misbehaved: it died on its own, would not start, or never caught up."""


# -- the generated feeds ------------------------------------------------------------------------


@dataclass
class Plan:
    """What the feeds will hold, and the figures and store contents that follow from it."""

    orders: list[bytes]  # the appended orders feed's lines, in write order (the header is added per file)
    checkins: list[bytes]
    exports: list[bytes]  # whole export files
    rows: int  # data rows in all feeds (bad and repeated rows included)
    final_orders: dict[str, tuple[str, int, int]]  # order_id -> (status, amount_fen, refund_fen)
    checkin_ids: set[str]
    bad_tokens: set[str]  # each distinct bad row carries one of these
    expected: dict  # the SPEC §4 figures in STATS_KEYS

    def store_totals(self) -> tuple[int, int, int, int, int]:
        """Return what `StoreProbe.totals()` reads once everything is in."""
        paid = sum(amount - refund for status, amount, refund in self.final_orders.values() if status == "paid")
        refunded = sum(1 for status, _a, _r in self.final_orders.values() if status == "refunded")
        return len(self.final_orders), paid, refunded, len(self.checkin_ids), len(self.bad_tokens)


def _yuan(fen: int) -> float:
    return float((Decimal(fen) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _money(fen: int, rng: random.Random) -> str:
    """Write an amount the way the feeds do: 1299, 1299.00, ¥1,299.00 or 1299元."""
    value = Decimal(fen) / 100
    style = rng.randrange(4)
    if style == 0 and fen % 100 == 0:
        return str(fen // 100)
    if style == 2:
        return f"¥{value:,.2f}"
    if style == 3:
        return f"{value:.2f}元"
    return f"{value:.2f}"


def _csv_line(cells: list[str], terminator: str = "\n") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=terminator).writerow(cells)
    return buffer.getvalue().encode("utf-8")


class _Orders:
    """Order lines with their states, and the precedence-rule final state of every order."""

    def __init__(self, rng: random.Random, customers: int):
        self.rng = rng
        self.customers = customers
        self.base: dict[str, dict] = {}
        self.states: dict[str, list[tuple[str, int, int]]] = {}

    def new(self, order_id: str, second: float) -> dict:
        rng = self.rng
        sku, product, price = rng.choice(PRODUCTS)
        qty = 1 if rng.random() < 0.85 else 2
        ts = START + timedelta(seconds=max(0.0, second + rng.uniform(-180, 60)))  # out of order by up to 3 minutes
        stamp = ts.strftime("%Y-%m-%d %H:%M:%S") if rng.random() < 0.7 else ts.isoformat()
        order = {
            "order_id": order_id, "ts": stamp, "amount_fen": price * qty, "sku": sku, "product": product, "qty": qty,
            "customer_id": f"c{rng.randrange(self.customers):06d}", "staff_id": rng.choice(("S01", "S02", "")), "group_id": "G01",
        }
        self.base[order_id] = order
        return order

    def line(self, order_id: str, status: str = "paid", refund_fen: int = 0, terminator: str = "\n") -> bytes:
        order = self.base[order_id]
        self.states.setdefault(order_id, []).append((status, order["amount_fen"], refund_fen))
        refund = _money(refund_fen, self.rng) if refund_fen else ""
        cells = [order["order_id"], order["ts"], _money(order["amount_fen"], self.rng), status, refund, order["sku"], order["product"],
                 str(order["qty"]), order["customer_id"], order["staff_id"], order["group_id"]]
        return _csv_line(cells, terminator)

    def update(self) -> tuple[str, int]:
        """Return a later state for an order: refunded, partly refunded, or cancelled."""
        roll = self.rng.random()
        if roll < 0.4:
            return "refunded", 0
        if roll < 0.7:
            return "paid", -1  # a partial refund; the caller picks the amount
        return "cancelled", 0

    def final(self) -> dict[str, tuple[str, int, int]]:
        finals = {}
        for order_id, states in self.states.items():
            best = max(states, key=lambda state: state_key(state[0], state[2]))
            # Rows with the same precedence key must be the same state, or the last one read would decide.
            assert all(state == best for state in states if state_key(state[0], state[2]) == state_key(best[0], best[2])), order_id
            finals[order_id] = best
        return finals


def make_plan(rows: int = 20_000, seed: int = 1, exports: int = 8) -> Plan:
    """Generate the feeds: about `rows` appended order lines, as many check-ins, and `exports` exports of about rows/10 each."""
    rng = random.Random(seed)
    orders = _Orders(rng, customers=max(rows // 3, 10))
    bad: set[str] = set()
    count = 0

    # The appended orders feed, with updates landing up to 400 lines later (across rotations too).
    order_lines: list[bytes] = []
    due: dict[int, list[bytes]] = {}
    for index in range(rows):
        order_id = f"o{index:07d}"
        orders.new(order_id, index * 0.9)
        order_lines.append(orders.line(order_id))
        count += 1
        roll = rng.random()
        if roll < 0.10:
            status, refund = orders.update()
            if refund < 0:
                refund = rng.randrange(1, orders.base[order_id]["amount_fen"])
            due.setdefault(index + rng.randint(1, 400), []).append(orders.line(order_id, status, refund))
        elif roll < 0.11:
            order_lines.append(order_lines[rng.randrange(len(order_lines))])  # the bot posts a line again
            count += 1
        elif roll < 0.114:
            bad.add(f"obad{index}")
            order_lines.append(_csv_line([f"obad{index}", "2026-05-20 21:00:00", "not money", "paid", "", "P01", "", "1", "c1", "", ""]))
            count += 1
        elif roll < 0.117:
            order_lines.append(b"\n")
        for line in due.pop(index, []):
            order_lines.append(line)
            count += 1
    for late in sorted(due):
        order_lines.extend(due[late])
        count += len(due[late])

    # The check-ins feed.
    checkin_lines: list[bytes] = []
    checkin_ids: dict[str, str] = {}
    for index in range(rows):
        second = index * 0.9 + rng.uniform(-120, 60)
        stamp = (START + timedelta(seconds=max(0.0, second))).strftime("%Y-%m-%d %H:%M:%S")
        roll = rng.random()
        if roll < 0.004:
            bad.add(f"kbad{index}")
            text_line = f'{{"id": "kbad{index}", "ts": "{stamp}", "kind": "dance", "customer_id": "c1"}}' if roll < 0.002 else f'{{"id": "kbad{index}", "ts": "{stamp}", "kind'
        elif roll < 0.014 and checkin_lines:
            checkin_lines.append(checkin_lines[rng.randrange(len(checkin_lines))])  # repeated: counted once
            count += 1
            continue
        elif roll < 0.03:
            text_line = json.dumps({"id": f"v{index:07d}", "ts": stamp, "kind": "viewers", "value": rng.randrange(100, 5000)})
        else:
            kind = rng.choice(KINDS)
            event = {"id": f"k{index:07d}", "ts": stamp, "kind": kind, "customer_id": f"c{rng.randrange(orders.customers):06d}", "group_id": "G01"}
            if kind in ("invite", "join_group"):
                event["staff_id"] = rng.choice(("S01", "S02", "S20"))
            checkin_ids[event["id"]] = kind
            text_line = json.dumps(event, ensure_ascii=False)
        checkin_lines.append(text_line.encode("utf-8") + b"\n")
        count += 1

    # The dropped exports: a sliding window of shop orders, each export repeating half of the
    # previous one; an order may change (a refund) between exports; one bad row in two exports in a row.
    per_export = max(rows // 10, 4)
    shop = [f"x{index:07d}" for index in range(per_export * (exports + 1) // 2 + per_export)]
    for index, order_id in enumerate(shop):
        orders.new(order_id, index * 2.0)
    changes: dict[str, tuple[int, str, int]] = {}
    export_files: list[bytes] = []
    for number in range(exports):
        low = number * per_export // 2
        window = shop[low:low + per_export]
        for order_id in rng.sample(window, max(1, len(window) // 20)):
            if order_id not in changes:
                status, refund = orders.update()
                if refund < 0:
                    refund = rng.randrange(1, orders.base[order_id]["amount_fen"])
                changes[order_id] = (number, status, refund)
        lines = [b"\xef\xbb\xbf" + _csv_line(HEADER, "\r\n")]
        for order_id in window:
            changed = changes.get(order_id)
            status, refund = (changed[1], changed[2]) if changed and changed[0] <= number else ("paid", 0)
            lines.append(orders.line(order_id, status, refund, terminator="\r\n"))
            count += 1
        # The shop's export also holds some orders the bot logged, in their final state.
        for order_id in rng.sample(sorted(orders.base.keys() - set(shop)), min(10, rows)):
            status, _amount, refund = max(orders.states[order_id], key=lambda state: state_key(state[0], state[2]))
            lines.append(orders.line(order_id, status, refund, terminator="\r\n"))
            count += 1
        token = f"xbad{number // 2}"
        bad.add(token)
        lines.append(_csv_line([token, "not a time", "1299", "paid", "", "P01", "", "1", "c1", "", ""], "\r\n"))
        count += 1
        export_files.append(b"".join(lines))

    finals = orders.final()
    paid = [(amount - refund, orders.base[order_id]["customer_id"]) for order_id, (status, amount, refund) in finals.items() if status == "paid"]
    refunded = [amount for status, amount, _refund in finals.values() if status == "refunded"]
    by_kind = dict.fromkeys(KINDS, 0)
    for kind in checkin_ids.values():
        by_kind[kind] += 1
    expected = {
        "revenue": _yuan(sum(fen for fen, _c in paid)),
        "orders": len(paid),
        "paying_customers": len({customer for _f, customer in paid}),
        "refunds": {"orders": len(refunded), "amount": _yuan(sum(refunded))},
        "checkins": by_kind,
        "quarantined": len(bad),
    }
    return Plan(order_lines, checkin_lines, export_files, count, finals, set(checkin_ids), bad, expected)


def write_event(folder: Path, store_url: str | None = None) -> Path:
    """Write the crash event (and empty feed folders) into `folder`; return the event file."""
    (folder / "feeds" / "exports").mkdir(parents=True, exist_ok=True)
    event = folder / "event.toml"
    event.write_text(EVENT.format(url=store_url or "sqlite:///warroom.db"), encoding="utf-8")
    return event


# -- the writer ---------------------------------------------------------------------------------


class AppendedFile:
    """One appended feed file: chunks that end mid-line, rename rotation and copytruncate."""

    def __init__(self, path: Path, lines: list[bytes], rng: random.Random, header: bytes = b""):
        self.path, self.lines, self.rng, self.header = path, lines, rng, header
        self.position = 0
        self.partial = b""  # the rest of a line whose start is already written
        self.generation = 0
        self._write(header, mode="wb")

    @property
    def finished(self) -> bool:
        return self.position >= len(self.lines) and not self.partial

    def append(self, count: int) -> None:
        """Write the rest of the open line, `count` more lines, and the start of the next one (cut anywhere, even mid-character)."""
        data = self.partial + b"".join(self.lines[self.position:self.position + count])
        self.position = min(self.position + count, len(self.lines))
        self.partial = b""
        if self.position < len(self.lines):
            following = self.lines[self.position]
            self.position += 1
            cut = self.rng.randrange(1, len(following)) if len(following) > 1 else 0
            data, self.partial = data + following[:cut], following[cut:]
        self._write(data)

    def complete(self) -> None:
        """Finish the open line (a writer ends its line before it rotates or stops)."""
        if self.partial:
            self._write(self.partial)
            self.partial = b""

    def rotate(self) -> None:
        """Rename the file away and start a new one, as a logger's rename rotation does."""
        self.complete()
        self.generation += 1
        os.rename(self.path, self.path.with_name(f"{self.path.name}.{self.generation}"))
        self._write(self.header, mode="wb")

    def copytruncate(self) -> None:
        """Copy the file aside and truncate it in place, as logrotate's copytruncate does; the writer goes on appending."""
        self.complete()
        self.generation += 1
        shutil.copyfile(self.path, self.path.with_name(f"{self.path.name}.{self.generation}"))
        with open(self.path, "r+b") as handle:
            handle.truncate(0)

    def _write(self, data: bytes, mode: str = "ab") -> None:
        with open(self.path, mode) as handle:
            handle.write(data)


class Feeder:
    """Writes the plan's feeds as a sequence of steps; an export's second half is a delayed action."""

    def __init__(self, feeds: Path, plan: Plan, rng: random.Random, *, steps: int, rotations: int = 4,
                 may_rotate: Callable[[Path], bool] = lambda _path: True):
        self.rng = rng
        # A generation created and rotated away while no ingest ever saw it cannot be found again
        # (connectors/tail.py): the orders file is rotated only once some ingest has checkpointed it.
        self.may_rotate = may_rotate
        self._next_check = 0.0
        self.orders = AppendedFile(feeds / "orders.csv", plan.orders, rng, header=_csv_line(HEADER))
        self.checkins = AppendedFile(feeds / "checkins.jsonl", plan.checkins, rng)
        self.exports = list(enumerate(plan.exports))
        self.folder = feeds / "exports"
        self.delayed: list[tuple[float, Callable[[], None]]] = []
        per_step = max(1, (len(plan.orders) + len(plan.checkins)) // max(steps, 1))
        # Each stream keeps its own order; the streams, rotations and drops are interleaved at random.
        kinds = ["orders"] * max(1, len(plan.orders) // per_step) + ["checkins"] * max(1, len(plan.checkins) // per_step)
        kinds += ["export"] * len(plan.exports) + ["rotate"] * rotations + ["copytruncate"] * rotations
        rng.shuffle(kinds)
        self.steps = kinds
        self.per_step = per_step
        self.done = 0

    @property
    def finished(self) -> bool:
        return self.done >= len(self.steps) and not self.delayed

    def ready(self, now: float) -> bool:
        """Return whether the next step may be taken now."""
        if self.done >= len(self.steps):
            return False
        if self.steps[self.done] != "rotate":
            return True
        if now < self._next_check:
            return False
        self._next_check = now + 0.05
        return self.may_rotate(self.orders.path)

    def step(self, now: float) -> None:
        """Take the next step."""
        kind = self.steps[self.done]
        self.done += 1
        count = self.rng.randint(1, 2 * self.per_step)
        if kind == "orders":
            self.orders.append(count)
        elif kind == "checkins":
            self.checkins.append(count)
        elif kind == "rotate":
            self.orders.rotate()
        elif kind == "copytruncate":
            self.checkins.copytruncate()
        elif kind == "export":
            number, data = self.exports.pop(0)
            path = self.folder / f"export_{number:03d}.csv"
            cut = self.rng.randrange(len(data) // 4, 3 * len(data) // 4)
            with open(path, "wb") as handle:
                handle.write(data[:cut])
            self.delayed.append((now + self.rng.uniform(*EXPORT_PAUSE), lambda: _append(path, data[cut:])))
        if self.done == len(self.steps):
            self.delayed.append((now, self.flush))

    def run_delayed(self, now: float) -> None:
        """Run the delayed actions that are due."""
        due = [action for at, action in self.delayed if at <= now]
        self.delayed = [(at, action) for at, action in self.delayed if at > now]
        for action in due:
            action()

    def flush(self) -> None:
        """Write everything not written yet (the steps' random sizes may leave a tail)."""
        while not self.orders.finished:
            self.orders.append(len(self.orders.lines))
            self.orders.complete()
        while not self.checkins.finished:
            self.checkins.append(len(self.checkins.lines))
            self.checkins.complete()
        for number, data in self.exports:
            _append(self.folder / f"export_{number:03d}.csv", data)
        self.exports = []


def _append(path: Path, data: bytes) -> None:
    with open(path, "ab") as handle:
        handle.write(data)


# -- the ingest process and the store -----------------------------------------------------------


class IngestProcess:
    """`python -m warroom ingest -c EVENT` as a subprocess, its stderr kept in a log per start."""

    def __init__(self, event: Path, logs: Path, env: dict[str, str] | None = None):
        self.event, self.logs, self.env = event, logs, env
        logs.mkdir(parents=True, exist_ok=True)
        self.process: subprocess.Popen | None = None
        self.started_at = 0.0
        self.starts = 0

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def log(self) -> Path:
        return self.logs / f"ingest-{self.starts:03d}.log"

    def start(self, *extra: str) -> None:
        self.starts += 1
        with open(self.log, "wb") as log:
            command = [sys.executable, "-m", "warroom", "ingest", "-c", str(self.event), *extra]
            self.process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=log, env=self.env)
        self.started_at = time.monotonic()

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def check_alive(self) -> None:
        """Raise CrashFailure if the ingest ended by itself."""
        if self.process is not None and self.process.poll() is not None:
            raise CrashFailure(f"the ingest exited by itself with {self.process.returncode}:\n{self.tail()}")

    def kill(self) -> None:
        """SIGKILL the ingest and reap it."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self.process = None

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM the ingest, wait for it to finish its batch and exit; return its exit code."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout)
        self.process = None
        return code

    def tail(self, lines: int = 20) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


class StoreProbe:
    """Read-only looks into the store from the test process."""

    def __init__(self, url: str):
        sqlite = make_url(url).get_backend_name() == "sqlite"
        self.engine = create_engine(url, connect_args={"timeout": 30} if sqlite else {})

    def close(self) -> None:
        self.engine.dispose()

    def _query(self, sql: str) -> list | None:
        try:
            with self.engine.connect() as conn:
                return conn.execute(text(sql)).all()
        except Exception:  # the store may not exist yet, or be mid-creation by a process being killed
            return None

    def rows_held(self) -> int:
        """Return how many orders and check-ins the store holds (0 when it has no tables yet)."""
        counts = [self._query(f"SELECT count(*) FROM {table}") for table in ("orders", "checkins")]
        return sum(found[0][0] for found in counts if found)

    def lease_pid(self) -> int | None:
        """Return the pid of the ingest holding the lease, if any."""
        rows = self._query("SELECT owner FROM leases WHERE name = 'ingest'")
        if not rows:
            return None
        parts = rows[0][0].split(":")
        return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None

    def checkpointed(self, feed: str, path: Path) -> bool:
        """Return whether the store holds a checkpoint of the file now at `path` (by its device and inode)."""
        try:
            info = path.stat()
        except OSError:
            return False
        rows = self._query(f"SELECT fingerprint FROM checkpoints WHERE feed = '{feed}'") or []
        return any(row[0].startswith(f"{info.st_dev}:{info.st_ino}:") for row in rows)

    def totals(self) -> tuple[int, int, int, int, int] | None:
        """Return (orders, paid revenue in fen, refunded orders, check-ins, quarantined rows)."""
        rows = self._query(
            "SELECT (SELECT count(*) FROM orders),"
            " (SELECT coalesce(sum(amount_fen - refund_fen), 0) FROM orders WHERE status = 'paid'),"
            " (SELECT count(*) FROM orders WHERE status = 'refunded'),"
            " (SELECT count(*) FROM checkins WHERE kind <> 'viewers'),"
            " (SELECT count(*) FROM quarantine)"
        )
        return tuple(int(value) for value in rows[0]) if rows else None

    def contents(self) -> tuple[dict[str, tuple[str, int, int]], list[str], list[str]]:
        """Return the orders (id -> status, amount, refund), the counted check-in ids, and the quarantined raw texts."""
        with self.engine.connect() as conn:
            orders = {row[0]: (row[1], row[2], row[3]) for row in conn.execute(text("SELECT order_id, status, amount_fen, refund_fen FROM orders"))}
            checkins = [row[0] for row in conn.execute(text("SELECT checkin_id FROM checkins WHERE kind <> 'viewers'"))]
            raws = [row[0] for row in conn.execute(text("SELECT raw FROM quarantine"))]
        return orders, checkins, raws


def wait_for(condition: Callable[[], bool], deadline: float, what: Callable[[], str], poll: float = 0.05) -> None:
    """Poll `condition` until it holds; raise CrashFailure (saying `what()`) once `deadline` seconds have passed."""
    give_up = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > give_up:
            raise CrashFailure(f"gave up after {deadline:.0f} s waiting for {what()}")
        time.sleep(poll)


# -- the run ------------------------------------------------------------------------------------


@dataclass
class CrashResult:
    kills: int
    rows: int
    elapsed: float
    lost: int
    doubled: int
    wrong: int
    stats: dict
    expected: dict
    problems: list[str] = field(default_factory=list)
    modes: dict[str, int] = field(default_factory=dict)  # how many kills came at each kind of moment

    @property
    def ok(self) -> bool:
        return not self.problems and self.lost == 0 and self.doubled == 0 and self.wrong == 0 and self.stats == self.expected

    def summary(self) -> str:
        verdict = "ok" if self.ok else "FAILED"
        moments = ", ".join(f"{count} {mode}" for mode, count in self.modes.items())
        return f"{verdict}: kills={self.kills} ({moments}) rows={self.rows} elapsed={self.elapsed:.1f}s lost={self.lost} doubled={self.doubled} wrong={self.wrong}"


def _warroom(event: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "warroom", *args, "-c", str(event)], cwd=ROOT, capture_output=True, text=True, timeout=600)


def run_crash(folder: Path, *, kills: int = 100, rows: int = 20_000, seed: int = 1, exports: int = 8,
              store_url: str | None = None, log: Callable[[str], None] = lambda _line: None, catch_up_deadline: float = CATCH_UP_DEADLINE) -> CrashResult:
    """Run the whole crash test in `folder` (which must hold no earlier run) and return its result."""
    started = time.monotonic()
    plan = make_plan(rows, seed, exports)
    event = write_event(folder, store_url)
    url = load_event(event).store_url
    rng = random.Random(seed + 1)
    probe = StoreProbe(url)
    if held := probe.rows_held():
        probe.close()
        raise SystemExit(f"{url} already holds {held} orders and check-ins; the crash test needs an empty store (e.g. a fresh PostgreSQL schema)")
    feeder = Feeder(folder / "feeds", plan, rng, steps=max(6 * kills, 60), rotations=max(4, kills // 8),
                    may_rotate=lambda path: probe.checkpointed("orders", path))
    ingest = IngestProcess(event, folder / "logs")
    killed = 0
    modes = dict.fromkeys(KILL_MODES, 0)
    try:
        ingest.start()
        kill_at: float | None = None
        after_write: float | None = None  # kill just after the next write, or at this time if none comes
        mode = rng.randrange(3)
        next_step = next_probe = time.monotonic()
        while killed < kills:
            now = time.monotonic()
            feeder.run_delayed(now)
            # The writing keeps pace with the kills, so that every life of the ingest sees new data.
            allowed = (killed + 1) * len(feeder.steps) / kills
            if feeder.done < allowed and now >= next_step and feeder.ready(now):
                feeder.step(now)
                next_step = now + rng.uniform(0.005, 0.05)
                if after_write is not None and kill_at is None:
                    kill_at = now + rng.uniform(0.0, 0.06)  # while it reads what was just written
            ingest.check_alive()
            if kill_at is None and after_write is not None and now >= after_write:
                kill_at = now
            if kill_at is None and after_write is None:
                if mode == 0:
                    kill_at = ingest.started_at + rng.uniform(0.0, 1.5)  # during start-up, or its first drain
                elif now >= next_probe:
                    next_probe = now + 0.05
                    if ingest.pid == probe.lease_pid():
                        if mode == 1:
                            after_write = now + 1.0
                        else:
                            kill_at = now + rng.uniform(0.0, 1.0)
                    elif now - ingest.started_at > STARTUP_DEADLINE:
                        raise CrashFailure(f"the ingest did not take the lease within {STARTUP_DEADLINE:.0f} s:\n{ingest.tail()}")
            if kill_at is not None and now >= kill_at:
                ingest.kill()
                killed += 1
                modes[KILL_MODES[mode]] += 1
                log(f"kill {killed}/{kills} ({KILL_MODES[mode]}); {feeder.done}/{len(feeder.steps)} steps written")
                ingest.start()
                kill_at, after_write, mode = None, None, rng.randrange(3)
            time.sleep(0.002)
        # The last life: write what is left, and let the follower catch up on its own.
        while not feeder.finished:
            now = time.monotonic()
            feeder.run_delayed(now)
            if feeder.ready(now):
                feeder.step(now)
            ingest.check_alive()
            time.sleep(0.002)
        expected_totals = plan.store_totals()
        wait_for(lambda: ingest.check_alive() or probe.lease_pid() == ingest.pid, STARTUP_DEADLINE, lambda: f"the last ingest to take the lease:\n{ingest.tail()}")
        problems = []
        try:
            wait_for(lambda: ingest.check_alive() or probe.totals() == expected_totals, catch_up_deadline,
                     lambda: f"the follower to catch up: store {probe.totals()}, feeds {expected_totals} (orders, paid fen, refunded, check-ins, quarantined)")
        except CrashFailure as failure:
            problems.append(str(failure))
        code = ingest.stop()
        if code != 0:
            problems.append(f"the follower exited with {code} on SIGTERM:\n{ingest.tail()}")
        once = _warroom(event, "ingest", "--once")
        if once.returncode != 0:
            problems.append(f"ingest --once failed with {once.returncode}: {once.stderr.strip()}")
        stats, lost, doubled, wrong = _verdict(event, plan, probe)
    finally:
        if ingest.running():
            ingest.kill()
        probe.close()
    return CrashResult(killed, plan.rows, time.monotonic() - started, lost, doubled, wrong, stats, plan.expected, problems, modes)


# `ingest --once` reading ahead in a second process, in batches of argv[2] rows.
READ_AHEAD_SCRIPT = """
import sys
from connectors.runner import run_ingest
from warroom.config import load_event
from warroom.rules import LedgerRules
from warroom.store import Store

config = load_event(sys.argv[1])
store = Store(config.store_url, LedgerRules.from_config(config))
run_ingest(config, store, once=True, read_ahead=True, batch_rows=int(sys.argv[2]))
store.close()
"""


def run_read_ahead_crash(folder: Path, *, kills: int = 100, rows: int = 20_000, seed: int = 1, exports: int = 8, store_url: str | None = None,
                         batch_rows: int = 20, log: Callable[[str], None] = lambda _line: None) -> CrashResult:
    """Run the backlog variant in `folder` (which must hold no earlier run) and return its result; `kills` counts only kills that landed mid-run."""
    started = time.monotonic()
    plan = make_plan(rows, seed, exports)
    event = write_event(folder, store_url)
    url = load_event(event).store_url
    rng = random.Random(seed + 1)
    Feeder(folder / "feeds", plan, rng, steps=20).flush()
    probe = StoreProbe(url)
    if held := probe.rows_held():
        probe.close()
        raise SystemExit(f"{url} already holds {held} orders and check-ins; the crash test needs an empty store (e.g. a fresh PostgreSQL schema)")
    # The staged batches go to a folder of the run's own, so that what killed ingests leave is seen.
    staging = folder / "tmp"
    staging.mkdir()
    environment = {**os.environ, "TMPDIR": str(staging)}
    logs = folder / "logs"
    logs.mkdir()
    killed, problems = 0, []

    def start(life: int) -> subprocess.Popen:
        with open(logs / f"ingest-{life:03d}.log", "wb") as output:
            return subprocess.Popen([sys.executable, "-c", READ_AHEAD_SCRIPT, str(event), str(batch_rows)], cwd=ROOT, env=environment, stdout=output, stderr=output)

    try:
        for life in range(kills):
            held = probe.rows_held()
            ingest = start(life)
            # A few commits into the run, then at a random moment within the next ones.
            more = rng.randint(1, 4) * batch_rows
            wait_for(lambda held=held, more=more, ingest=ingest: probe.rows_held() >= held + more or ingest.poll() is not None, STARTUP_DEADLINE,
                     lambda more=more: f"ingest --once to commit {more} more rows", poll=0.005)
            time.sleep(rng.uniform(0.0, 0.02))
            if ingest.poll() is not None:
                if ingest.returncode != 0:
                    problems.append(f"ingest --once (life {life}) exited with {ingest.returncode}")
                break  # the backlog is all in
            ingest.kill()
            ingest.wait()
            killed += 1
            log(f"kill {killed}/{kills} with {probe.rows_held()} rows held")
        # The reader processes outlive their writers only to take away the staged batches.
        try:
            wait_for(lambda: not any(staging.iterdir()), 30, lambda: f"the staged batches of killed ingests to go: {sorted(staging.iterdir())}")
        except CrashFailure as failure:
            problems.append(str(failure))
        last = start(kills)
        if last.wait(timeout=600) != 0:
            problems.append(f"the last ingest --once exited with {last.returncode}")
        stats, lost, doubled, wrong = _verdict(event, plan, probe)
    finally:
        probe.close()
    return CrashResult(killed, plan.rows, time.monotonic() - started, lost, doubled, wrong, stats, plan.expected, problems, {"mid-backlog": killed})


def _verdict(event: Path, plan: Plan, probe: StoreProbe) -> tuple[dict, int, int, int]:
    """Return the figures of `stats --json` (those in STATS_KEYS), and how many rows the store has lost, doubled and got wrong against the plan."""
    stats_run = _warroom(event, "stats", "--json")
    if stats_run.returncode != 0:
        raise CrashFailure(f"stats --json failed with {stats_run.returncode}: {stats_run.stderr.strip()}")
    stats = json.loads(stats_run.stdout)
    return ({key: stats[key] for key in STATS_KEYS}, *_compare(plan, *probe.contents()))


def _compare(plan: Plan, orders: dict[str, tuple[str, int, int]], checkins: list[str], raws: list[str]) -> tuple[int, int, int]:
    """Return (lost, doubled, wrong): rows the feeds hold but the store lacks, rows the store holds too often or never written, orders in another state."""
    lost = len(plan.final_orders.keys() - orders.keys()) + len(plan.checkin_ids - set(checkins))
    doubled = len(orders.keys() - plan.final_orders.keys()) + len(set(checkins) - plan.checkin_ids) + len(checkins) - len(set(checkins))
    wrong = sum(1 for order_id, (status, amount, refund) in plan.final_orders.items() if order_id in orders and orders[order_id] != (status, amount, refund))
    seen: dict[str, int] = {}
    for raw in raws:
        tokens = [token for token in _tokens(raw) if token in plan.bad_tokens]
        if not tokens:
            doubled += 1  # a quarantined row no bad line explains: a line read in pieces
        for token in tokens:
            seen[token] = seen.get(token, 0) + 1
    lost += len(plan.bad_tokens - seen.keys())
    doubled += sum(times - 1 for times in seen.values())
    return lost, doubled, wrong


def _tokens(raw: str) -> set[str]:
    return {part for part in raw.replace('"', " ").replace(",", " ").split() if "bad" in part}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=100, help="how many times the ingest is SIGKILLed (default 100)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rows", type=int, default=20_000, help="appended order lines; as many check-ins, and exports of rows/10 (default 20000)")
    parser.add_argument("--exports", type=int, default=8)
    parser.add_argument("--store-url", default=None, help="an empty store to use instead of SQLite in the run's folder (e.g. a fresh PostgreSQL schema)")
    parser.add_argument("--keep", type=Path, default=None, help="run in this (empty) folder and keep it, instead of a temporary one")
    parser.add_argument("--quiet", action="store_true", help="print only the summary")
    parser.add_argument("--read-ahead", action="store_true", help="the backlog variant: kill `ingest --once` reading ahead in a second process")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="warroom-crash-") as temporary:
        folder = args.keep or Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        log = (lambda _line: None) if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
        run = run_read_ahead_crash if args.read_ahead else run_crash
        result = run(folder, kills=args.kills, rows=args.rows, seed=args.seed, exports=args.exports, store_url=args.store_url, log=log)
        for problem in result.problems:
            print(problem)
        for key in STATS_KEYS:
            if result.stats[key] != result.expected[key]:
                print(f"stats {key}: {result.stats[key]} != feeds {result.expected[key]}")
        print(result.summary())
        print(f"figures: revenue {result.stats['revenue']}, orders {result.stats['orders']}, paying_customers {result.stats['paying_customers']}, "
              f"refunds {result.stats['refunds']}, checkins {sum(result.stats['checkins'].values())}, quarantined {result.stats['quarantined']}")
        return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
