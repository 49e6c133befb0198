"""Pairs of generated events for the compare and plan tests: each in a folder of its own, with its own store (SQLite or PostgreSQL)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from tests.conftest import ROOT, fresh_pg_schema_url
from tests.events import small_event, store
from tests.figures_helpers import apply
from warroom.config import EventConfig, load_event
from warroom.rules import LedgerRules
from warroom.store import Store

# (this event's backend, the earlier event's backend): the same on both, and an event on SQLite beside one on PostgreSQL.
BACKEND_PAIRS = ["sqlite-sqlite", "postgres-postgres", "sqlite-postgres"]


@contextmanager
def store_urls(pair: str, folder: Path) -> Iterator[tuple[str, str]]:
    """Yield (this event's store URL, the earlier one's) for a backend pair such as "sqlite-postgres"; PostgreSQL schemas dropped after."""
    with ExitStack() as stack:
        urls = []
        for side, backend in zip(("this", "earlier"), pair.split("-"), strict=True):
            if backend == "sqlite":
                (folder / side).mkdir(parents=True, exist_ok=True)
                urls.append(f"sqlite:///{folder / side / 'warroom.db'}")
            else:
                urls.append(stack.enter_context(fresh_pg_schema_url()))
        yield urls[0], urls[1]


def write_event(folder: Path, name: str, url: str, *sections: str, budget: int | None = None, base: int | None = None) -> Path:
    """Write the small event, renamed, with its store at `url` and `sections` added; return its event file."""
    folder.mkdir(parents=True, exist_ok=True)
    text = small_event(store(url), *sections, budget=budget).replace('name = "小测试"', f"name = {json.dumps(name, ensure_ascii=False)}", 1)
    if base is not None:
        text = text.replace("base = 10000\nstretch = 15000", f"base = {base}\nstretch = {max(base, 15000)}", 1)
    path = folder / "event.toml"
    path.write_text(text, encoding="utf-8")
    return path


def history(path: str, label: str | None = None) -> str:
    """Return one `[[history]]` entry."""
    return "\n[[history]]\n" + f"path = {json.dumps(path, ensure_ascii=False)}\n" + (f"label = {json.dumps(label, ensure_ascii=False)}\n" if label else "")


def fill(event_file: Path, *rows) -> EventConfig:
    """Write orders and check-ins into the event's own store as one batch; return its config."""
    config = load_event(event_file)
    opened = Store(config.store.url, LedgerRules.from_config(config))
    try:
        apply(opened, *rows)
    finally:
        opened.close()
    return config


def warroom(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Run the `warroom` command line in a process of its own."""
    return subprocess.run([sys.executable, "-m", "warroom", *args], capture_output=True, text=True, cwd=cwd, timeout=300)
