"""Frozen moments of the 520 replay, served: the TV and the phone looked at as they are at one event time.

A scene copies the sample event (and its earlier 三八节 event) into a folder, writes the feeds up to its moment as the demo's replay
would (warroom.demo.Replay), ingests them once, runs the prompt evaluator at that moment, and stops the
replay clock there (speed 0), so that `warroom serve` shows the evening exactly as it stood, however long
the browser takes. The browser tests (tests/test_browser_tv.py) and the screenshot script
(bench/screens.py) use it.
"""

from __future__ import annotations

import re
import subprocess
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from tests.browser_support import wait_healthy
from warroom import demo, runtime
from warroom.clock import REPLAY_CLOCK_ENV, FixedClock
from warroom.config import load_event
from warroom.demo_history import prepare_history
from warroom.prompt_state import PromptEvaluator

# Three moments of the 520 event (sessions 20 May 19:30–22:55 and 21 May 19:30–23:00, +08:00).
MOMENTS = {
    "early": datetime.fromisoformat("2026-05-20T20:17:00+08:00"),
    "second_evening": datetime.fromisoformat("2026-05-21T21:42:00+08:00"),
    "after_end": datetime.fromisoformat("2026-05-21T23:40:00+08:00"),
}


def freeze(folder: Path, at: datetime, store_url: str | None = None) -> Path:
    """Make `folder` the 520 event as it stood at `at`, ingested and evaluated; return its event file.

    `store_url` puts its store elsewhere (a PostgreSQL schema, for replicas on one store); by default
    it is the sample's SQLite file in the folder.
    """
    folder = demo.prepare_folder(folder)
    event_file = folder / "event.toml"
    if store_url is not None:
        written, count = re.subn(r'(?m)^url = "sqlite:///warroom.db"$', f'url = "{store_url}"', event_file.read_text(encoding="utf-8"))
        assert count == 1, "the sample event file's [store] url changed shape"
        event_file.write_text(written, encoding="utf-8")
    prepare_history(folder, demo.SAMPLE)  # the 三八节 event beside it, as the demo makes it ready
    config = load_event(event_file)
    replay = demo.Replay(config, demo.SAMPLE, folder, speed=0.0)
    replay.now = at
    replay.start()
    store = runtime.open_store(config)
    try:
        runtime.ingest(config, store, once=True, stop=threading.Event())
        PromptEvaluator(store, config, FixedClock(at)).tick(at)
    finally:
        store.close()
    return event_file


@dataclass
class Scene:
    """`warroom serve` of a frozen folder on a port, with its clock stopped at the scene's moment."""

    folder: Path
    port: int
    process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90.0) -> Scene:
        command, env = runtime.serve_command(self.folder / "event.toml", self.port, {REPLAY_CLOCK_ENV: str(self.folder / "replay_clock.json")})
        log = (self.folder.parent / f"{self.folder.name}.serve.log").open("wb")
        self.process = subprocess.Popen(command, env=env, cwd=demo.SAMPLE.parent.parent, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        process = self.process
        wait_healthy(self.base_url, lambda: process.poll() is not None and f"warroom serve exited with {process.returncode}; see {log.name}", timeout, "warroom serve")
        return self

    def close(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
