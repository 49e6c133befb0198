"""A full disk during an ingest is one line and a non-zero exit; the next run resumes with nothing lost or doubled (issue 15).

The disk is filled for real: the child process caps every SQLite connection it opens with
`PRAGMA max_page_count`, so SQLite itself raises SQLITE_FULL ("database or disk is full") when a
commit would grow the store past it, exactly as on a full file system. No database call is mocked.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.events import SMALL_EVENT
from warroom.store import Store

ROWS = 20_000  # four batches of 5 000: the disk fills in the middle of the run
_CAPPED = """
import sys
from sqlalchemy import Engine, event

@event.listens_for(Engine, "connect")
def _cap(dbapi_connection, _record):
    dbapi_connection.execute("PRAGMA max_page_count = {pages}")

import warroom.cli
sys.exit(warroom.cli.main(sys.argv[1:]))
"""


def _env() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if key != "WARROOM_DB_URL"}


def warroom(*args: str, max_pages: int | None = None) -> subprocess.CompletedProcess:
    """Run the command line; with `max_pages`, every SQLite connection may grow its database to that many pages only."""
    command = [sys.executable, "-c", _CAPPED.format(pages=max_pages)] if max_pages else [sys.executable, "-m", "warroom"]
    return subprocess.run([*command, *args], capture_output=True, text=True, cwd=ROOT, env=_env(), timeout=300)


def _event(folder):
    (folder / "feeds").mkdir(parents=True)
    (folder / "event.toml").write_text(SMALL_EVENT, encoding="utf-8")
    lines = ["order_id,ts,amount,customer_id,staff_id,status"]
    for n in range(ROWS):
        # Every fifth order is refunded later in the file: a resumed run must not undo or double it.
        lines.append(f"A{n},2026-05-20 20:{n % 60:02d}:00,{100 + n % 900},C{n % 3000},S0{1 + n % 2},paid")
    lines += [f"A{n},2026-05-20 21:00:00,{100 + n % 900},C{n % 3000},S0{1 + n % 2},refunded" for n in range(0, ROWS, 5)]
    (folder / "feeds" / "orders.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "feeds" / "checkins.jsonl").write_text("", encoding="utf-8")
    return folder / "event.toml"


def _pages(db) -> int:
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return conn.execute("PRAGMA page_count").fetchone()[0]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Return (the stats of an ingest with room enough, the failing run, the stats after it, the stats after the next run)."""
    base = tmp_path_factory.mktemp("disk")
    reference = _event(base / "reference")
    assert warroom("ingest", "-c", str(reference), "--once").returncode == 0
    expected = json.loads(warroom("stats", "-c", str(reference), "--json").stdout)
    full = _pages(base / "reference" / "warroom.db")
    Store(f"sqlite:///{base / 'empty.db'}").close()
    empty = _pages(base / "empty.db")
    event = _event(base / "full")
    failed = warroom("ingest", "-c", str(event), "--once", max_pages=empty + (full - empty) // 2)
    partial = json.loads(warroom("stats", "-c", str(event), "--json").stdout)
    resumed = warroom("ingest", "-c", str(event), "--once")
    assert resumed.returncode == 0, resumed.stderr
    after = json.loads(warroom("stats", "-c", str(event), "--json").stdout)
    yield expected, failed, partial, after
    shutil.rmtree(base)


def test_a_full_disk_is_one_line_and_a_non_zero_exit(runs):
    _, failed, _, _ = runs
    assert failed.returncode == 1, failed.stderr
    assert failed.stderr.strip().count("\n") == 0, failed.stderr
    assert "Traceback" not in failed.stderr, failed.stderr
    assert "disk is full" in failed.stderr, failed.stderr


def test_the_disk_filled_in_the_middle_of_the_run(runs):
    expected, _, partial, _ = runs
    assert 0 < partial["orders"] + partial["refunds"]["orders"] < expected["orders"] + expected["refunds"]["orders"]


def test_the_next_run_resumes_with_nothing_lost_or_doubled(runs):
    expected, _, _, after = runs
    assert after == expected
