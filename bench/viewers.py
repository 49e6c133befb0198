"""Viewers bench: many big screens on one war room, each refreshing every second, for minutes.

    python bench/viewers.py [--sessions 30] [--browsers 1] [--minutes 10] [--settle 15] [--speed 20] [--contexts 3] [--viewport 1280x720] [--max-lag 5] [--json FILE]
    python bench/viewers.py --mix [--replicas N [--replica-cpu F]] [--scale K] [--minutes M | --soak-minutes M]   (the team's mixed load: bench/mix.py)

Starts `python -m warroom demo` (the 520 sample replayed at `--speed`, as `warroom demo` does) and
holds `--sessions` Streamlit sessions on the TV's kiosk link. Each is its own session, whose big
screen re-runs every second (one fragment), its clock and flash-sale countdown ticking in the page
between runs from the event time and rate each run sends.

Two kinds of viewer, mixed:
- `--browsers` of them (default 1) are headless Chromium pages (Debian's /usr/bin/chromium, through
  Playwright, spread over `--contexts` browser contexts), rendering everything;
- the rest speak Streamlit's own protocol over its WebSocket, as the browser's client does (the
  first run with the kiosk query, the fragments' auto-reruns on the intervals the server asks for,
  the message cache, the query string the server sets), and read the HTML the server sends, without
  laying it out or painting it. One big screen costs a Chromium renderer about a third of a core
  (plotly, the glows, the fonts), so thirty of them on the server's own machine would measure the
  browsers, not the server; thirty of these cost the bench a few percent of one core.

Every viewer watches what it shows: the rail clock (event time to the second, and the date) and the
revenue card's "updated HH:MM:SS" (a page polls its DOM every 100 ms; a socket notes the board as the
messages arrive, and shows the clock as the page's script would: every 100 ms, from the last clock
element received by then, so a late run shows as a late clock). A socket also times each rerun it asks
for, from the request to the run's script_finished, and counts the requests the server folded into
one already waiting (a fragment queued behind another of its session). The bench follows the server's
event clock (the demo's replay_clock.json, polled every 50 ms), so it knows when the server's clock
passed each shown time: a session's lag at any moment is how long ago, in wall seconds, the server's
clock passed the time the page still shows (+1 s, as the page truncates to the second). A session
"falls behind" when that lag exceeds `--max-lag` seconds.

Every second it samples, from /proc, the CPU time and RSS of the Streamlit app server (the demo's
child), the demo process itself (replay, ingest and prompt threads), and this bench (its socket
viewers and its Chromium processes), with the machine's load. Per minute it prints: server CPU %
(100 % = one core), server RSS, demo CPU, the bench's CPU, the machine's busy % and load, the worst
clock and board lag over all sessions, the fewest clock refreshes any session made in the minute
(60 is one a second), and how many sessions fell behind. The viewers run on the same machine as the
server: their CPU is shown so that the server's figures can be read against it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.streamlit_socket import SocketSwarm, SocketViewer, rerun_summary  # noqa: E402
from tests.browser_support import DemoProcess, chromium_missing_message, free_port, kiosk_query, launch_chromium  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
CLOCK_POLL_SECONDS = 0.05
RESOURCE_SECONDS = 1.0
DRAIN_SECONDS = 5.0

# Installed in each page: remembers when the clock and the revenue card's "updated" text change.
WATCH_JS = """
() => {
  if (window.__wrBench) return true;
  const bench = window.__wrBench = {log: [], last: {}};
  const text = (selector) => { const el = document.querySelector(selector); return el ? el.textContent.trim() : null; };
  const read = () => {
    const now = Date.now();
    const time = text('.wr-clock-time'), day = text('.wr-clock-date');
    const shown = {clock: time === null ? null : `${day}|${time}`, board: text('.wr-updated')};
    for (const [key, value] of Object.entries(shown)) {
      if (value !== bench.last[key]) { bench.last[key] = value; bench.log.push([key, now / 1000, value]); }
    }
  };
  read();
  setInterval(read, 100);
  return true;
}
"""
DRAIN_JS = "() => { const b = window.__wrBench; if (!b) return null; const log = b.log; b.log = []; return log; }"


# -- /proc ----------------------------------------------------------------------------------------


def _stat_fields(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def cpu_ticks(pid: int) -> int | None:
    """Return a process's user + system CPU time, in clock ticks."""
    fields = _stat_fields(pid)
    return int(fields[11]) + int(fields[12]) if fields else None


def rss_mb(pid: int) -> float | None:
    """Return a process's resident set size in MB (VmRSS)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def descendants(root: int) -> set[int]:
    """Return the pids of every live descendant of a process."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields:
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = set(), [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def machine_ticks() -> tuple[int, int]:
    """Return the machine's (busy, total) CPU ticks since boot."""
    values = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return sum(values) - idle, sum(values)


def load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


# -- the server's event clock ---------------------------------------------------------------------


class ServerClock(threading.Thread):
    """Follows the demo's replay clock, and answers when (wall time) the server's event clock passed a given event time."""

    def __init__(self, demo: DemoProcess):
        super().__init__(name="server-clock", daemon=True)
        self.demo = demo
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.records: list[tuple[float, datetime, float]] = []  # (wall, event time, speed), as the replayer wrote them
        self.events: list[datetime] = []

    def run(self) -> None:
        while not self.stop.wait(CLOCK_POLL_SECONDS):
            state = self.demo.event_clock()
            if state is None:
                continue
            moment, wall, speed = state
            with self.lock:
                if not self.records or wall > self.records[-1][0]:
                    self.records.append((wall, moment, speed))
                    self.events.append(moment)

    def now(self) -> datetime | None:
        """Return the server's event time now."""
        with self.lock:
            if not self.records:
                return None
            wall, moment, speed = self.records[-1]
        return moment + timedelta(seconds=min(max(time.time() - wall, 0.0), 5.0) * speed)

    def passed(self, moment: datetime) -> float | None:
        """Return the wall time at which the server's event clock passed `moment`; None when it has not (yet)."""
        with self.lock:
            index = bisect_right(self.events, moment) - 1
            if index < 0:
                # Before the first record seen: the server passed it before the bench looked.
                return self.records[0][0] if self.records else None
            wall, event, speed = self.records[index]
            reached = wall + (moment - event).total_seconds() / speed if speed > 0 else math.inf
            if index + 1 < len(self.records):
                # The next record is later in event time: the clock passed `moment` by then at the latest (a jump over quiet hours).
                reached = min(reached, self.records[index + 1][0])
        return None if math.isinf(reached) or reached > time.time() else reached


# -- resources ------------------------------------------------------------------------------------


@dataclass
class Sample:
    wall: float
    server_cpu_s: float  # CPU seconds used since the previous sample
    demo_cpu_s: float
    bench_cpu_s: float  # this bench: its socket viewers and its Chromium processes
    machine_busy: int
    machine_total: int
    server_rss_mb: float
    load1: float


class Resources(threading.Thread):
    """Samples, every second, the CPU and memory of the app server, the demo and this bench's Chromium."""

    def __init__(self, demo_pid: int, server_pid: int):
        super().__init__(name="resources", daemon=True)
        self.demo_pid, self.server_pid = demo_pid, server_pid
        self.stop = threading.Event()
        self.samples: list[Sample] = []
        self._bench_ticks: dict[int, int] = {}
        self._server = cpu_ticks(server_pid) or 0
        self._demo = cpu_ticks(demo_pid) or 0
        self._machine = machine_ticks()

    def _bench_delta(self) -> float:
        # This process and its Chromium; the demo is a child too, but it is measured apart.
        demo = descendants(self.demo_pid) | {self.demo_pid}
        mine = (descendants(os.getpid()) | {os.getpid()}) - demo
        ticks = {pid: value for pid in mine if (value := cpu_ticks(pid)) is not None}
        delta = sum(value - self._bench_ticks.get(pid, value) for pid, value in ticks.items())
        self._bench_ticks = ticks
        return delta / CLK_TCK

    def sample(self) -> None:
        server, demo, machine = cpu_ticks(self.server_pid), cpu_ticks(self.demo_pid), machine_ticks()
        bench = self._bench_delta()
        self.samples.append(Sample(
            wall=time.time(),
            server_cpu_s=((server or self._server) - self._server) / CLK_TCK,
            demo_cpu_s=((demo or self._demo) - self._demo) / CLK_TCK,
            bench_cpu_s=bench,
            machine_busy=machine[0] - self._machine[0], machine_total=machine[1] - self._machine[1],
            server_rss_mb=rss_mb(self.server_pid) or 0.0, load1=load_average(),
        ))
        self._server, self._demo, self._machine = server or self._server, demo or self._demo, machine

    def run(self) -> None:
        self._bench_delta()  # the baseline
        while not self.stop.wait(RESOURCE_SECONDS):
            self.sample()


# -- sessions -------------------------------------------------------------------------------------

_TIME = re.compile(r"(\d{1,2}):(\d{2}):(\d{2})")
_DAY = re.compile(r"(\d{1,2})月(\d{1,2})日")


def shown_time(key: str, text: str | None, server_now: datetime) -> datetime | None:
    """Return the event time a page shows: the clock ("5月20日 周三|19:37:58") or the board's "更新于 19:37:27"."""
    if not text or not (clock := _TIME.search(text)):
        return None
    hour, minute, second = (int(part) for part in clock.groups())
    day = server_now.date()
    if key == "clock" and (found := _DAY.search(text)):
        day = date(server_now.year, int(found.group(1)), int(found.group(2)))
    moment = datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=server_now.tzinfo)
    if key != "clock" and moment > server_now + timedelta(minutes=5):
        moment -= timedelta(days=1)  # a time of day without a date: the latest one not in the future
    return moment


class PageViewer:
    """A Chromium page on the kiosk link: what it showed, read back from its DOM watcher."""

    kind = "chromium"

    def __init__(self, page):
        self.page = page

    def drain(self) -> list:
        """Return [key, wall time, text] for each change the page showed since the last drain."""
        return self.page.evaluate(DRAIN_JS) or []


@dataclass
class Session:
    """One kiosk viewer (a Chromium page or a socket): what it shows since when, and its worst lag and refreshes per minute."""

    index: int
    viewer: object
    shown: dict[str, tuple[datetime | None, float]] = field(default_factory=dict)  # key -> (shown event time, seen at)
    lag: dict[tuple[str, int], float] = field(default_factory=dict)  # (key, minute) -> worst lag, s
    refreshes: dict[int, int] = field(default_factory=dict)  # minute -> clock changes
    dead: str = ""
    worst: tuple[float, str, float] = (0.0, "", 0.0)  # the worst lag, of what, and when (seconds into the run)

    def _lag_at(self, key: str, wall: float, clock: ServerClock) -> float:
        moment, _since = self.shown.get(key, (None, wall))
        if moment is None:
            return 0.0
        passed = clock.passed(moment + timedelta(seconds=1))
        return max(0.0, wall - passed) if passed is not None else 0.0

    def _note(self, key: str, wall: float, value: float, start: float) -> None:
        minute = max(0, int((wall - start) // 60))
        self.lag[(key, minute)] = max(self.lag.get((key, minute), 0.0), value)
        if value > self.worst[0]:
            self.worst = (value, key, wall - start)

    def drain(self, clock: ServerClock, start: float) -> None:
        """Fold in what the viewer showed since the last drain."""
        if self.dead:
            return
        try:
            log = self.viewer.drain()
        except Exception as error:  # a crashed or closed page, a dropped connection
            self.dead = f"{error.__class__.__name__}: {str(error).splitlines()[0][:120]}"
            return
        server_now = clock.now()
        for key, seen_at, text in log:
            if key in self.shown:
                # The old value stayed up until now: its lag is largest just before it changes.
                self._note(key, seen_at, self._lag_at(key, seen_at, clock), start)
            self.shown[key] = (shown_time(key, text, server_now) if server_now else None, seen_at)
            if key == "clock" and seen_at >= start:
                minute = int((seen_at - start) // 60)
                self.refreshes[minute] = self.refreshes.get(minute, 0) + 1
        now = time.time()
        for key in list(self.shown):
            self._note(key, now, self._lag_at(key, now, clock), start)


# -- the run --------------------------------------------------------------------------------------


@dataclass
class Minute:
    minute: int
    server_cpu: float
    server_rss_mb: float
    server_rss_max_mb: float
    demo_cpu: float
    bench_cpu: float
    machine_busy: float
    load1: float
    clock_lag: float
    board_lag: float
    refreshes_min: int
    behind: int


def summarize_minute(minute: int, start: float, resources: Resources, sessions: list[Session], max_lag: float) -> Minute:
    """Return one minute's row of the table."""
    low, high = start + 60 * minute, start + 60 * (minute + 1)
    samples = [sample for sample in resources.samples if low < sample.wall <= high]
    seconds = sum(RESOURCE_SECONDS for _ in samples) or 1.0
    if len(samples) >= 2:
        seconds = samples[-1].wall - samples[0].wall + RESOURCE_SECONDS

    def percent(name: str) -> float:
        return 100 * sum(getattr(sample, name) for sample in samples) / seconds

    busy, total = sum(s.machine_busy for s in samples), sum(s.machine_total for s in samples)
    lags = {key: [session.lag.get((key, minute), 0.0) for session in sessions] for key in ("clock", "board")}
    behind = sum(1 for session in sessions if session.dead or max(session.lag.get(("clock", minute), 0.0), session.lag.get(("board", minute), 0.0)) > max_lag)
    return Minute(
        minute=minute + 1,
        server_cpu=percent("server_cpu_s"), server_rss_mb=samples[-1].server_rss_mb if samples else 0.0,
        server_rss_max_mb=max((s.server_rss_mb for s in samples), default=0.0),
        demo_cpu=percent("demo_cpu_s"), bench_cpu=percent("bench_cpu_s"),
        machine_busy=100 * busy / total if total else 0.0, load1=max((s.load1 for s in samples), default=0.0),
        clock_lag=max(lags["clock"], default=0.0), board_lag=max(lags["board"], default=0.0),
        refreshes_min=min((session.refreshes.get(minute, 0) for session in sessions), default=0), behind=behind,
    )


HEADER = (f"{'min':>3}  {'server CPU%':>11}  {'server RSS MB':>13}  {'demo CPU%':>9}  {'bench CPU%':>10}  {'machine busy%':>13}  {'load1':>5}  "
          f"{'clock lag s':>11}  {'board lag s':>11}  {'refreshes/min':>13}  {'behind':>6}")


def row(minute: Minute) -> str:
    return (f"{minute.minute:>3}  {minute.server_cpu:>11.0f}  {minute.server_rss_mb:>13.0f}  {minute.demo_cpu:>9.0f}  {minute.bench_cpu:>10.0f}  "
            f"{minute.machine_busy:>13.0f}  {minute.load1:>5.1f}  {minute.clock_lag:>11.1f}  {minute.board_lag:>11.1f}  {minute.refreshes_min:>13}  {minute.behind:>6}")


def open_pages(browser, url: str, count: int, contexts: int, viewport: dict, timeout: float) -> list:
    """Open `count` kiosk pages over `contexts` browser contexts; wait until each shows the clock and the board."""
    if count <= 0:
        return []
    made = [browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai") for _ in range(max(1, min(contexts, count)))]
    pages = []
    for index in range(count):
        page = made[index % len(made)].new_page()
        page.goto(url, wait_until="commit", timeout=timeout * 1000)
        pages.append(page)
    deadline = time.monotonic() + timeout
    for page in pages:
        left = max(1.0, deadline - time.monotonic())
        page.locator(".wr-clock-time").wait_for(state="visible", timeout=left * 1000)
        page.locator(".wr-updated").wait_for(state="visible", timeout=left * 1000)
        page.evaluate(WATCH_JS)
    return pages


def run(args: argparse.Namespace) -> int:
    missing = chromium_missing_message()
    if missing:
        print(missing, file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    width, height = (int(part) for part in args.viewport.lower().split("x"))
    browsers = max(0, min(args.browsers, args.sessions))
    folder = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="warroom-viewers-"))
    demo = DemoProcess(folder / "demo", port=args.port or free_port(), speed=args.speed, log=folder / "demo.log").start()
    clock = ServerClock(demo)
    resources = None
    swarm = None
    minutes: list[Minute] = []
    sessions: list[Session] = []
    dead: list[str] = []
    reruns: list[str] = []
    exit_code = None
    try:
        demo.wait_ready(timeout=120)
        server = demo.server_pid()
        if server is None:
            raise RuntimeError("the demo's app server process was not found")
        clock.start()
        print(f"viewers bench: {args.sessions} kiosk sessions ({browsers} Chromium at {width}x{height}, {args.sessions - browsers} over the WebSocket) "
              f"on {demo.base_url} (warroom demo --speed {args.speed:g}), {args.minutes:g} min; {os.cpu_count()} CPUs; app server pid {server}", flush=True)
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            ramp = time.monotonic()
            sockets = [SocketViewer(demo.base_url, kiosk_query()) for _ in range(args.sessions - browsers)]
            swarm = SocketSwarm(sockets)
            swarm.start()
            pages = open_pages(browser, demo.url(**kiosk_query()), browsers, args.contexts, {"width": width, "height": height}, args.ramp_timeout)
            swarm.wait_ready(max(1.0, args.ramp_timeout - (time.monotonic() - ramp)))
            sessions = [Session(index=index, viewer=viewer) for index, viewer in enumerate([*(PageViewer(page) for page in pages), *sockets])]
            print(f"ramp-up: {len(sessions)} sessions show the big screen after {time.monotonic() - ramp:.1f} s", flush=True)
            if args.settle > 0:
                # Thirty sessions' first runs (imports, first reads, first figures) queue up together;
                # the hold is measured once they have settled into their refresh cycles.
                print(f"settling for {args.settle:g} s (not measured)", flush=True)
                if pages:
                    pages[0].wait_for_timeout(args.settle * 1000)
                else:
                    time.sleep(args.settle)
            resources = Resources(demo.process.pid, server)
            resources.start()
            start = time.time()
            for session in sessions:
                session.drain(clock, start)  # what was shown before the start is the starting point
            print(HEADER, flush=True)
            end = start + args.minutes * 60
            printed = 0
            while True:
                now = time.time()
                pause = max(0.0, min(DRAIN_SECONDS, end - now))
                if pages:
                    pages[0].wait_for_timeout(pause * 1000)  # lets Playwright take in the pages' events meanwhile
                else:
                    time.sleep(pause)
                for session in sessions:
                    session.drain(clock, start)
                now = time.time()
                # Print each minute once the first drain after it is in.
                while printed < args.minutes and now >= start + 60 * (printed + 1) - 0.5:
                    minutes.append(summarize_minute(printed, start, resources, sessions, args.max_lag))
                    print(row(minutes[-1]), flush=True)
                    printed += 1
                if now >= end - 0.05:
                    break
            if printed < math.ceil(args.minutes):
                minutes.append(summarize_minute(printed, start, resources, sessions, args.max_lag))
                print(row(minutes[-1]), flush=True)
            dead = [f"session {session.index} ({session.viewer.kind}): {session.dead}" for session in sessions if session.dead]
            reruns = rerun_summary(sockets, start)
            swarm.close()
            browser.close()
    finally:
        clock.stop.set()
        if resources is not None:
            resources.stop.set()
        try:
            if swarm is not None and swarm.is_alive():
                swarm.close()
            exit_code = demo.interrupt(timeout=30)
        except TimeoutError as error:
            print(error, file=sys.stderr)
        demo.close()
        if exit_code != 0:
            print(f"the demo's log ends:\n{demo.log_text()[-3000:]}", file=sys.stderr)
        if not args.dir and not args.keep:
            shutil.rmtree(folder, ignore_errors=True)

    worst_clock = max((m.clock_lag for m in minutes), default=0.0)
    worst_board = max((m.board_lag for m in minutes), default=0.0)
    behind = max((m.behind for m in minutes), default=0)
    cpu = [m.server_cpu for m in minutes]
    rss = [m.server_rss_max_mb for m in minutes]
    print(f"server CPU: mean {sum(cpu) / max(1, len(cpu)):.0f} %, peak minute {max(cpu, default=0):.0f} % (100 % = one core); "
          f"RSS {minutes[0].server_rss_mb if minutes else 0:.0f} MB after minute 1, {minutes[-1].server_rss_mb if minutes else 0:.0f} MB at the end, peak {max(rss, default=0):.0f} MB")
    print(f"worst lag: clock {worst_clock:.1f} s, board {worst_board:.1f} s; the most sessions behind (> {args.max_lag:g} s) in a minute: {behind} of {args.sessions}")
    for session in sorted(sessions, key=lambda session: session.worst, reverse=True)[:3]:
        lag, key, at = session.worst
        print(f"  session {session.index} ({session.viewer.kind}): worst {key} lag {lag:.1f} s, {at:.0f} s into the run")
    print("reruns as the socket viewers asked for them (request -> run start -> script_finished):")
    for line in reruns:
        print(line)
    for line in dead:
        print(f"  {line}")
    print(f"demo exit code on SIGINT: {exit_code}")
    fell_behind = behind > 0 or bool(dead)
    print("verdict: " + ("SOME SESSIONS FELL BEHIND" if fell_behind else f"no session fell behind (every lag <= {args.max_lag:g} s)"))
    if args.json:
        Path(args.json).write_text(json.dumps({
            "sessions": args.sessions, "browsers": browsers, "minutes": args.minutes, "speed": args.speed, "viewport": args.viewport, "max_lag": args.max_lag,
            "cpus": os.cpu_count(), "rows": [m.__dict__ for m in minutes], "dead": dead, "demo_exit_code": exit_code, "fell_behind": fell_behind,
        }, indent=2))
    return 1 if fell_behind or exit_code != 0 else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=30, help="concurrent kiosk sessions (default 30)")
    parser.add_argument("--browsers", type=int, default=1, help="how many of them are Chromium pages; the rest speak the WebSocket protocol (default 1)")
    parser.add_argument("--minutes", type=float, default=10, help="how long to hold them, after they are all up (default 10)")
    parser.add_argument("--settle", type=float, default=15, help="seconds after ramp-up before the hold is measured (default 15)")
    parser.add_argument("--speed", type=float, default=20, help="the demo's replay speed (default 20, as `warroom demo`)")
    parser.add_argument("--contexts", type=int, default=3, help="browser contexts the pages are spread over (default 3)")
    parser.add_argument("--viewport", default="1280x720", help="each page's size (default 1280x720)")
    parser.add_argument("--max-lag", type=float, default=5.0, help="a session falls behind when what it shows is older than this, in seconds (default 5)")
    parser.add_argument("--ramp-timeout", type=float, default=300.0, help="seconds allowed for every page to come up (default 300)")
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--dir", default=None, help="the working folder (default: a temporary one, removed afterwards)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (the demo's log and store)")
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    parser.add_argument("--mix", action="store_true", help="the 520 team's mixed load instead of --sessions TVs (bench/mix.py)")
    parser.add_argument("--replicas", type=int, default=0, help="with --mix: N `warroom serve` replicas on PostgreSQL behind nginx (default 0: the demo's app)")
    parser.add_argument("--scale", type=float, default=1, help="with --mix: K times the mix's screens, e.g. 2.5 (default 1)")
    parser.add_argument("--replica-cpu", type=float, default=0, help="with --mix --replicas: cap each replica at this share of one core (a cgroup quota; needs root)")
    parser.add_argument("--soak-minutes", type=float, default=0, help="with --mix: hold it this long instead of --minutes, RSS printed each minute")
    args = parser.parse_args(argv)
    # A bench stopped with SIGTERM (timeout, kill) still stops the demo, the replicas and nginx it started.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(143))
    if args.mix:
        from bench.mix import run_mix

        return run_mix(args)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
