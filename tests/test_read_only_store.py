"""`stats`, `quarantine` and `prompts` read a store they may not write: a read-only file, and a read-only folder (issue 15).

How the store is made read-only: tests usually run as root, where chmod does not stop a write. So
each command runs in a child process that, when it is root, drops to the `nobody` user (uid and
gid 65534) before it reads: then the permission bits decide, as for any user. The interpreter's
standard library may live where `nobody` cannot read (pyenv under /root), so the child imports
everything the command uses first, then drops privileges, then runs the command line. Not root,
the child simply runs: chmod alone makes the store read-only. The store lives in a folder of its
own under the system temp folder, since pytest's tmp_path is readable only by its owner.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from sqlalchemy.exc import DBAPIError

from tests.conftest import BACKENDS, ROOT
from tests.events import SMALL_EVENT
from warroom.store import Store, StoreNotReady

NOBODY = 65534
# Imported before privileges drop: everything stats, quarantine and prompts import lazily.
_CHILD = f"""
import os, sys, encodings.utf_8_sig, encodings.idna
import sqlalchemy.dialects.sqlite.pysqlite, sqlalchemy.dialects.postgresql
import warroom.cli, warroom.figures, warroom.clock, warroom.i18n, warroom.prompt_state, warroom.prompts, warroom.store, connectors.tail
from zoneinfo import ZoneInfo
ZoneInfo("Asia/Shanghai")
if os.getuid() == 0:
    os.setgroups([])
    os.setgid({NOBODY})
    os.setuid({NOBODY})
sys.exit(warroom.cli.main(sys.argv[1:]))
"""

ORDERS = "order_id,ts,amount,customer_id,staff_id\nA1,2026-05-20 20:00:00,100,C1,S01\nA2,2026-05-20 20:01:00,250,C2,S02\nA3,2026-05-20 20:02:00,oops,13812345678,S01\n"


def run_unprivileged(*args: str) -> subprocess.CompletedProcess:
    """Run the command line as a user that may not write the store (nobody, when we are root)."""
    env = {key: value for key, value in os.environ.items() if key != "WARROOM_DB_URL"}
    return subprocess.run([sys.executable, "-c", _CHILD, *args], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)


def _make_read_only(folder: Path) -> None:
    for path in folder.rglob("*"):
        path.chmod(stat.S_IMODE(path.stat().st_mode) & 0o555)
    folder.chmod(0o555)


@pytest.fixture(params=["read-only folder, store closed", "read-only folder and files, WAL not checkpointed", "read-only file, folder writable"])
def read_only_event(request):
    """Yield the event file of an ingested store that the child process may read but not write."""
    base = Path(tempfile.mkdtemp(prefix="warroom-ro-"))
    base.chmod(0o755)
    folder = base / "event"
    (folder / "feeds").mkdir(parents=True)
    (folder / "event.toml").write_text(SMALL_EVENT, encoding="utf-8")
    (folder / "feeds" / "orders.csv").write_text(ORDERS, encoding="utf-8")
    (folder / "feeds" / "checkins.jsonl").write_text("", encoding="utf-8")
    ingest = subprocess.run([sys.executable, "-m", "warroom", "ingest", "-c", str(folder / "event.toml"), "--once"], capture_output=True, text=True, cwd=ROOT)
    assert ingest.returncode == 0, ingest.stderr
    db = folder / "warroom.db"
    held = sqlite3.connect(db)
    held.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    if request.param.startswith("read-only folder and files"):
        # A commit left in the WAL (a writer that is still running, or was killed): the reader must see it.
        held.execute("PRAGMA wal_autocheckpoint=0")
        held.execute("INSERT INTO quarantine (digest, feed, position, raw, reason, first_seen_seq) VALUES ('wal', 'orders', 'line 9', 'in the WAL', 'test', 1)")
        held.commit()
        assert (folder / "warroom.db-wal").stat().st_size > 0
    else:
        held.close()
        held = None
        assert not (folder / "warroom.db-wal").exists()
    if request.param.startswith("read-only file"):
        for path in folder.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o444)
        folder.chmod(0o777)
    else:
        _make_read_only(folder)
    yield folder / "event.toml", request.param
    if held is not None:
        held.close()
    for path in [base, *base.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    shutil.rmtree(base)


def test_stats_reads_a_read_only_store(read_only_event):
    event, _ = read_only_event
    result = run_unprivileged("stats", "-c", str(event), "--json")
    assert (result.returncode, result.stderr, json.loads(result.stdout or "{}").get("orders")) == (0, "", 2)


def test_quarantine_reads_a_read_only_store(read_only_event):
    event, case = read_only_event
    result = run_unprivileged("quarantine", "-c", str(event), "--json")
    # The row committed to the WAL only is read too.
    assert result.returncode == 0, result.stderr
    masked = ["138****5678" in row["raw"] for row in json.loads(result.stdout)]
    assert masked == ([True, False] if "WAL" in case else [True]), "which quarantined rows carry the masked phone"


def test_prompts_reads_a_read_only_store(read_only_event):
    event, _ = read_only_event
    result = run_unprivileged("prompts", "-c", str(event), "--at", "2026-05-20T20:30:00+08:00", "--json")
    assert result.returncode == 0, result.stderr


def test_a_read_only_store_really_refuses_writes(read_only_event):
    """The setup is sound: the same user's ingest cannot write the store (one line, no traceback)."""
    event, _ = read_only_event
    result = run_unprivileged("quarantine", "-c", str(event), "--release")
    assert result.returncode != 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr


def test_a_read_only_store_of_an_earlier_schema_is_not_ready(tmp_path):
    """Opened read-only, a store that lacks a column of this version's schema asks to be opened for writing first (which upgrades it)."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    Store(url).close()
    with sqlite3.connect(tmp_path / "old.db") as conn:
        conn.execute("ALTER TABLE quarantine DROP COLUMN reason")
    with pytest.raises(StoreNotReady):
        Store(url, read_only=True)


def test_a_missing_sqlite_store_is_not_ready(tmp_path):
    with pytest.raises(StoreNotReady):
        Store(f"sqlite:///{tmp_path / 'none.db'}", read_only=True)
    assert not (tmp_path / "none.db").exists()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_store_opened_read_only_refuses_writes(request, tmp_path, backend):
    url = f"sqlite:///{tmp_path / 'ro.db'}" if backend == "sqlite" else request.getfixturevalue("pg_schema_url")
    Store(url).close()
    store = Store(url, read_only=True)
    try:
        with pytest.raises(DBAPIError):
            store.release_quarantine()
    finally:
        store.close()


@pytest.mark.postgres
def test_stats_and_quarantine_read_a_postgres_store_with_a_select_only_role(tmp_path, pg_schema_url):
    """On PostgreSQL a read-only store is a role that may only SELECT: stats and quarantine read it without writing."""
    import uuid
    from urllib.parse import unquote

    from sqlalchemy import create_engine, text

    folder = tmp_path / "event"
    (folder / "feeds").mkdir(parents=True)
    (folder / "event.toml").write_text(SMALL_EVENT, encoding="utf-8")
    (folder / "feeds" / "orders.csv").write_text(ORDERS, encoding="utf-8")
    (folder / "feeds" / "checkins.jsonl").write_text("", encoding="utf-8")
    env = {**os.environ, "WARROOM_DB_URL": pg_schema_url}
    assert subprocess.run([sys.executable, "-m", "warroom", "ingest", "-c", str(folder / "event.toml"), "--once"], cwd=ROOT, env=env, capture_output=True).returncode == 0
    schema_name = unquote(pg_schema_url.rsplit("search_path%3D", 1)[-1]).split("&")[0]
    role = f"reader_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_schema_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
        conn.execute(text(f'GRANT USAGE ON SCHEMA "{schema_name}" TO "{role}"'))
        conn.execute(text(f'GRANT SELECT ON ALL TABLES IN SCHEMA "{schema_name}" TO "{role}"'))
    try:
        reader_env = {**os.environ, "WARROOM_DB_URL": pg_schema_url.replace("postgres@", f"{role}@", 1)}
        results = [subprocess.run([sys.executable, "-m", "warroom", *args, "-c", str(folder / "event.toml"), "--json"], cwd=ROOT, env=reader_env, capture_output=True, text=True)
                   for args in (("stats",), ("quarantine",))]
        assert ([r.returncode for r in results], json.loads(results[0].stdout)["orders"], len(json.loads(results[1].stdout))) == ([0, 0], 2, 1), results[0].stderr + results[1].stderr
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP OWNED BY "{role}"'))
            conn.execute(text(f'DROP ROLE "{role}"'))
        admin.dispose()
