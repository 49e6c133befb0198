"""`warroom demo`: replay the 520 sample event in event time, ingest it live and serve the app."""

from __future__ import annotations

import csv
import io
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from warroom import access, runtime
from warroom.clock import REPLAY_CLOCK_ENV, ReplayClock, parse_time
from warroom.config import EventConfig, load_event
from warroom.demo_history import prepare_history
from warroom.links import app_secrets, base_url
from warroom.redact import hide_password
from warroom.runtime import disk_full, disk_full_message, evaluator_thread, open_store, serve_command, stop_server
from warroom.schedule import live_sessions

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data" / "520"
LEAD_IN = timedelta(minutes=5)
# After a session ends, keep replaying this long (late orders and refunds), then jump ahead.
AFTERGLOW = timedelta(minutes=15)
TICK_SECONDS = 0.25
# The sample event's public passwords (sample_data/520/event.toml says so beside their hashes): printed only while they still sign in.
DEMO_PASSWORDS = {access.LEAD: "lead520", access.BOSS: "boss520"}
# Ctrl-C in a terminal reaches the app server too, which may stop before this process handles it: an app
# server that stops within this many seconds of a Ctrl-C stopped because of it, not by itself.
INTERRUPT_GRACE_SECONDS = 2.0
SERVER_LOG = "app_server.log"


@dataclass(frozen=True)
class _Line:
    ts: datetime
    target: Path
    text: str


def _parse_ts(text: str, config: EventConfig) -> datetime | None:
    try:
        return parse_time(text, config.event.tz)
    except ValueError:
        return None


def _timeline(config: EventConfig, source: Path, target: Path) -> tuple[list[_Line], dict[Path, str]]:
    """Return every feed line in event-time order, and the header each CSV target starts with."""
    lines: list[_Line] = []
    headers: dict[Path, str] = {}
    for feed in config.feeds:
        path = source / feed.path
        out = target / feed.path
        text = path.read_text(encoding="utf-8-sig")
        raw_lines = text.splitlines(keepends=True)
        if path.suffix == ".csv":
            headers[out], raw_lines = raw_lines[0], raw_lines[1:]
            ts_index = next(csv.reader([headers[out]])).index("ts")
        previous = config.event.start
        for raw in raw_lines:
            if path.suffix == ".csv":
                cells = next(csv.reader(io.StringIO(raw)), [])
                stamp = cells[ts_index] if len(cells) > ts_index else ""
            else:
                try:
                    stamp = str(json.loads(raw).get("ts", ""))
                except ValueError:
                    stamp = ""
            # A bad row keeps its place in the file: it is replayed right after its neighbour.
            previous = _parse_ts(stamp, config) or previous
            lines.append(_Line(previous, out, raw))
    lines.sort(key=lambda line: line.ts)
    return lines, headers


class Replay:
    """Writes the sample feeds into a working folder as their event time comes, at `speed`."""

    def __init__(self, config: EventConfig, source: Path, target: Path, speed: float):
        self.config = config
        self.speed = speed
        self.clock = ReplayClock(target / "replay_clock.json")
        self.lines, headers = _timeline(config, source, target)
        for path, header in headers.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(header, encoding="utf-8")
        for line in self.lines:
            line.target.parent.mkdir(parents=True, exist_ok=True)
            line.target.touch()
        self.sessions = live_sessions(config)
        self.position = 0
        self.now = self.sessions[0].start - LEAD_IN
        self.finished = False

    def _write_until(self, moment: datetime) -> int:
        pending: dict[Path, list[str]] = {}
        start = self.position
        while self.position < len(self.lines) and self.lines[self.position].ts <= moment:
            line = self.lines[self.position]
            pending.setdefault(line.target, []).append(line.text)
            self.position += 1
        for path, texts in pending.items():
            with path.open("a", encoding="utf-8") as handle:
                handle.write("".join(texts))
        return self.position - start

    def _skip_quiet_time(self) -> None:
        """Jump over the hours between sessions, so the demo stays lively."""
        for current, upcoming in zip(self.sessions, self.sessions[1:], strict=False):
            if current.end + AFTERGLOW <= self.now < upcoming.start - LEAD_IN:
                self.now = upcoming.start - LEAD_IN
        last = self.sessions[-1]
        if self.now >= last.end + AFTERGLOW:
            self.now = max(self.now, self.lines[-1].ts if self.lines else self.now)
            self.finished = True

    def step(self, wall_seconds: float) -> int:
        """Advance the event clock by `wall_seconds` × speed; write what is due and return how many lines."""
        self.now += timedelta(seconds=wall_seconds * self.speed)
        self._skip_quiet_time()
        written = self._write_until(self.now)
        self.clock.write(self.now, 0.0 if self.finished else self.speed)
        return written

    def start(self) -> int:
        """Write the history before the first session at once; return how many lines."""
        written = self._write_until(self.now)
        self.clock.write(self.now, self.speed)
        return written

    def run(self, stop: threading.Event) -> None:
        """Replay until the sample is exhausted or `stop` is set."""
        last = time.monotonic()
        while not stop.wait(TICK_SECONDS):
            now = time.monotonic()
            self.step(now - last)
            last = now
            if self.finished and self.position >= len(self.lines):
                break


def prepare_folder(folder: Path | None) -> Path:
    """Return a fresh working folder holding a copy of the sample event file, with empty feeds."""
    folder = Path(folder) if folder else Path(tempfile.mkdtemp(prefix="warroom-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("feeds", "warroom.db", "warroom.db-wal", "warroom.db-shm", "replay_clock.json"):
        target = folder / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    shutil.copy(SAMPLE / "event.toml", folder / "event.toml")
    return folder


def _guarded(name: str, target, stop: threading.Event, url: str):
    """Return `target` wrapped for a thread: an error ends the demo with one line (its store password masked), not a thread's traceback."""
    def run(*args, **kwargs) -> None:
        try:
            target(*args, **kwargs)
        except Exception as error:  # noqa: BLE001 - any failure of a demo thread is reported the same way
            first = (str(error).splitlines() or [""])[0]
            line = disk_full_message(url) if disk_full(error) else hide_password(f"{error.__class__.__name__}: {first}", url)
            print(f"warroom demo: the {name} stopped: {line}", file=sys.stderr)
            stop.set()

    return run


def _welcome(config: EventConfig, folder: Path, port: int) -> list[str]:
    """Return the lines that say where to open the demo (the LAN address), the TV's kiosk link, the demo passwords and how to stop."""
    base = base_url(config, port)
    settings = access.access_settings(config, app_secrets())
    lines = [
        f"  open            {base.url}" + (f"  (on this machine: http://localhost:{port})" if "://localhost:" not in base.url else ""),
    ]
    if settings.link_secret:
        lines.append(f"  TV (kiosk)      {access.link(base.url, kiosk=access.kiosk_token(settings.link_secret))}")
    # The passwords are shown only while they are the ones that sign in (a secrets file may have replaced them).
    known = {role: password for role, password in DEMO_PASSWORDS.items() if access.verify_password(password, settings.password_hashes.get(role))}
    if known:
        labels = {access.LEAD: "team lead", access.BOSS: "boss"}
        lines.append("  passwords       " + ", ".join(f"{labels[role]} {password}" for role, password in known.items()))
    lines.append(f"  staff links     warroom links -c {folder / 'event.toml'} --port {port}")
    if base.warning:
        lines.append(f"  note            {base.warning}")
    lines.append("  stop            Ctrl-C")
    return lines


def _catch_stop_signals(interrupted: threading.Event, stop: threading.Event) -> dict:
    """Make Ctrl-C (SIGINT) and SIGTERM stop the demo by setting the events; return the handlers they replace."""
    def handler(_signum, _frame) -> None:
        interrupted.set()
        stop.set()

    previous = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, handler)
    return previous


def _server_log_tail(path: Path, url: str) -> str:
    """Return the end of the app server's log, its store password masked."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return hide_password(text.strip()[-400:], url)


def run_demo(*, speed: float, port: int, folder: Path | None) -> int:
    """Run the demo until Ctrl-C (exit code 0) or until a part of it fails (1, after one line saying which)."""
    folder = prepare_folder(folder)
    config = load_event(folder / "event.toml")
    welcome = _welcome(config, folder, port)  # a bad WARROOM_PUBLIC_URL stops the demo here, in one line
    replay = Replay(config, SAMPLE, folder, speed)
    history = replay.start()
    store = open_store(config)
    prepare_history(folder, SAMPLE)
    stop, interrupted = threading.Event(), threading.Event()
    url = config.store_url
    ingest = threading.Thread(target=_guarded("ingest", runtime.ingest, stop, url), args=(config, store), kwargs={"once": False, "stop": stop}, name="ingest", daemon=True)
    replayer = threading.Thread(target=_guarded("replay", replay.run, stop, url), args=(stop,), name="replay", daemon=True)
    prompts = evaluator_thread(store, config, stop, replay.clock, guard=lambda target: _guarded("prompt evaluator", target, stop, url))
    command, env = serve_command(folder / "event.toml", port, {REPLAY_CLOCK_ENV: str(replay.clock.path)})
    previous = _catch_stop_signals(interrupted, stop)
    server_log = folder / SERVER_LOG
    # The server's output goes to a file: a pipe nobody reads would fill up and stall it.
    with server_log.open("wb") as log:
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        ingest.start()
        replayer.start()
        prompts.start()
        print(f"warroom demo: {config.event.name}", file=sys.stderr)
        print(f"  working folder  {folder} ({history} rows of history written, replaying at {speed:g}x)", file=sys.stderr)
        print("\n".join(welcome), file=sys.stderr, flush=True)
        while not stop.wait(0.5):
            if server.poll() is not None:
                break
        if not interrupted.is_set() and server.poll() is not None:
            # Ctrl-C may have reached the app server first: give the handler of this process a moment to note it.
            interrupted.wait(INTERRUPT_GRACE_SECONDS)
        if interrupted.is_set():
            print("\nwarroom demo: stopping", file=sys.stderr)
            return 0
        if server.poll() is not None:
            print(f"warroom demo: the app server stopped: {_server_log_tail(server_log, url)}", file=sys.stderr)
        return 1  # a thread stopped and said why, or the app server stopped by itself
    finally:
        stop.set()
        stop_server(server)
        ingest.join(timeout=10)
        replayer.join(timeout=5)
        prompts.join(timeout=10)
        store.close()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
