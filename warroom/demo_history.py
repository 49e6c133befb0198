"""`warroom demo`'s earlier events: the sample's `[[history]]` copied beside the demo's event file, with their stores made ready.

The demo works on a copy of the sample event file in a fresh folder, where `../38/event.toml` would
point outside it. Each earlier event's folder (its event file and feeds) is copied under
`history/` in the working folder, the copy's `[[history]]` paths are pointed at them, and each one's
feeds are ingested once, so that the review's comparison and the setup page's plan work with no set-up.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import threading
import tomllib
from pathlib import Path

from warroom.campaign_history import own_store_url
from warroom.config import load_event
from warroom.rules import LedgerRules

HISTORY_FOLDER = "history"
_PATH_LINE = re.compile(r"^\s*path\s*=")


def repoint_history(text: str, paths: list[str]) -> str:
    """Return event-file text with the `path` of each `[[history]]` table replaced by `paths[i]`, in order."""
    lines, index, in_history = [], -1, False
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if stripped.startswith("["):
            in_history = stripped == "[[history]]"
            index += in_history
        elif in_history and _PATH_LINE.match(line) and index < len(paths):
            line = f"path = {json.dumps(paths[index], ensure_ascii=False)}\n"
        lines.append(line)
    return "".join(lines)


def _ready(source: Path, target: Path) -> str:
    """Copy an earlier event's folder to `target`, ingest its feeds once into its own store, and return its name."""
    from warroom.runtime import ingest
    from warroom.store import Store

    shutil.copytree(source.parent, target, ignore=shutil.ignore_patterns("warroom.db*", "replay_clock.json", "expected.json"))
    config = load_event(target / source.name)
    print(f"warroom demo: earlier event {config.event.name}: reading its feeds once …", end="", file=sys.stderr, flush=True)
    # The earlier event's own store, never WARROOM_DB_URL's (that one is this event's).
    store = Store(own_store_url(config), LedgerRules.from_config(config))
    try:
        totals = ingest(config, store, once=True, stop=threading.Event())
    finally:
        store.close()
    print(f" {totals.orders:,} order rows, {totals.checkins:,} check-ins", file=sys.stderr)
    return config.event.name


def prepare_history(folder: Path, sample: Path) -> list[str]:
    """Copy the sample's earlier events under `folder/history/`, point the working event file at them, ingest each once; return their names."""
    event_file = folder / "event.toml"
    entries = tomllib.loads(event_file.read_text(encoding="utf-8-sig")).get("history", [])
    target_root = folder / HISTORY_FOLDER
    if target_root.exists():
        shutil.rmtree(target_root)
    new_paths, names = [], []
    for entry in entries:
        source = (sample / str(entry.get("path", ""))).resolve()
        target = target_root / source.parent.name
        new_paths.append(f"{HISTORY_FOLDER}/{source.parent.name}/{source.name}")
        try:
            name = _ready(source, target)
        except Exception as error:  # noqa: BLE001 - the demo goes on without its history: the review says it cannot read it
            print(f"warroom demo: the earlier event {source} is left out: {error.__class__.__name__}: {(str(error).splitlines() or [''])[0]}",
                  file=sys.stderr)
            continue
        names.append(name)
    event_file.write_text(repoint_history(event_file.read_text(encoding="utf-8-sig"), new_paths), encoding="utf-8")
    return names
