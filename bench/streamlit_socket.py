"""A Streamlit session driven over its WebSocket as the browser's client drives it, without rendering (bench/viewers.py, bench/mix.py).

A viewer asks for the first run of a page with its query (and a cookie, for a signed-in lead), keeps
the query string and page the server sets, re-runs each fragment on the interval the server's
auto_rerun asks for (as the browser's setInterval does), keeps the messages the server marks
cacheable and reports their hashes, and reads what the page shows out of the HTML the server sends.

It also times every rerun it asks for: from the request to the start of the run that takes it in
(the new_session message naming the fragment) and to that run's script_finished, so that a fragment
queued behind another fragment of the same session, or a request folded into the next run, shows.
"""

from __future__ import annotations

import asyncio
import html
import re
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

_SHOWN = {
    "clock_time": re.compile(r'class="wr-clock-time">([^<]*)<'),
    "clock_date": re.compile(r'class="wr-clock-date">([^<]*)<'),
    "board": re.compile(r'class="wr-updated">([^<]*)<'),
}
CACHED_HASHES = 40  # the message hashes a socket viewer reports having, newest last (the browser keeps those of its last runs)


_TICKING = re.compile(r'data-event-ms="(-?\d+)" data-rate="([\d.e+-]+)" data-hold-ms="(\d+)" data-utc-offset-ms="(-?\d+)" class="wr-clock-time"')
TICK_SECONDS = 0.1  # how often the page's ticker (templates/rail/clock_ticker.html) and its DOM watcher look


@dataclass(frozen=True)
class ClockAnchor:
    """A clock element the server sent for the browser to tick on from: when it arrived, and what the page's script reads off it."""

    received: float
    event_ms: int
    rate: float
    hold_ms: int
    utc_offset_ms: int
    day: str

    def shown(self, wall: float) -> str:
        """Return the clock's text at `wall`, as the page's script computes it: "5月20日 周三|19:37:58"."""
        moment = self.event_ms + min((wall - self.received) * 1000, self.hold_ms) * self.rate + self.utc_offset_ms
        local = time.gmtime(moment // 1000)
        return f"{self.day}|{local.tm_hour:02d}:{local.tm_min:02d}:{local.tm_sec:02d}"


def clock_anchor(body: str, received: float) -> ClockAnchor | None:
    """Return the ticking clock an HTML element carries, or None (an element without one, or a clock the server ticks itself)."""
    found = _TICKING.search(body)
    if found is None:
        return None
    day = _SHOWN["clock_date"].search(body)
    return ClockAnchor(received, int(found.group(1)), float(found.group(2)), int(found.group(3)), int(found.group(4)),
                       html.unescape(day.group(1)).strip() if day else "")


def big_screen_shown(body: str) -> list[tuple[str, str]]:
    """Return what a big screen's HTML element shows: the clock ("5月20日 周三|19:37:58") and the revenue card's "updated" time."""
    found = {key: html.unescape(match.group(1)).strip() for key, pattern in _SHOWN.items() if (match := pattern.search(body))}
    shown = []
    if "clock_time" in found and not _TICKING.search(body):
        # The same text the page's DOM watcher reads.
        shown.append(("clock", f"{found.get('clock_date', '')}|{found['clock_time']}"))
    if "board" in found:
        shown.append(("board", found["board"]))
    return shown


@dataclass
class RerunTimes:
    """Each fragment's reruns as one viewer asked for them: (asked, started, finished) wall times, and the requests folded into another."""

    asked: dict[str, float] = field(default_factory=dict)  # fragment -> the oldest request not yet taken in by a run
    started: dict[str, float] = field(default_factory=dict)
    done: list[tuple[str, float, float, float]] = field(default_factory=list)  # (fragment, asked, started, finished)
    folded: dict[str, int] = field(default_factory=dict)  # fragment -> requests that joined one already waiting

    def ask(self, fragment: str, now: float) -> None:
        if fragment in self.asked:
            self.folded[fragment] = self.folded.get(fragment, 0) + 1
        else:
            self.asked[fragment] = now

    def start(self, fragments, now: float) -> None:
        for fragment in fragments:
            if fragment in self.asked:
                self.started[fragment] = now

    def finish(self, fragments, now: float) -> None:
        for fragment in fragments:
            if fragment in self.started:
                self.done.append((fragment, self.asked.pop(fragment), self.started.pop(fragment), now))


class SocketViewer:
    """A page as the browser's Streamlit client drives it, over the WebSocket, without rendering (the big screen by default)."""

    kind = "socket"

    def __init__(self, base_url: str, query: dict[str, str], *, page: str = "", reads=big_screen_shown, ready_keys: tuple[str, ...] = ("clock", "board"),
                 cookie: str | None = None, reload_every: float | None = None):
        self.url = base_url.replace("http://", "ws://", 1).rstrip("/") + "/_stcore/stream"
        self.origin = base_url.rstrip("/")
        self.page_name = page
        self.page_url = f"{self.origin}/{page}?{urlencode(query)}"
        self.query_string = urlencode(query)
        self.reads, self.ready_keys, self.cookie, self.reload_every = reads, ready_keys, cookie, reload_every
        self.reruns = RerunTimes()
        self.intervals: dict[str, float] = {}  # fragment -> its auto_rerun interval, s
        self.page_hash = ""
        self.shown: dict[str, str] = {}
        self.log: list = []
        self.lock = threading.Lock()
        self.cache: dict[str, object] = {}
        self.timers: dict[str, tuple[float, asyncio.Task]] = {}
        self.dead = ""
        self.ready = threading.Event()
        self.messages = 0
        self.received_bytes = 0  # what the server sent this viewer, as the WebSocket frames' payloads
        self.socket = None
        self.anchors: list[ClockAnchor] = []  # the clock elements received since the last drain, and the one before
        self.ticked = 0.0  # up to when the ticking clock was drained
        self.ticking_shown = ""  # what it showed then

    def drain(self) -> list:
        """Return [key, wall time, text] for each change shown since the last drain; raise when the connection died.

        A clock that ticks in the browser is shown as the page's script shows it: every TICK_SECONDS, from the
        last clock element received by then (so a late element shows as a late clock, as on a TV).
        """
        if self.dead:
            raise ConnectionError(self.dead)
        now = time.time()
        with self.lock:
            log, self.log = self.log, []
            anchors, self.anchors = self.anchors, self.anchors[-1:]
        if anchors:
            ticks, moment, index = [], max(self.ticked, anchors[0].received), 0
            while moment <= now:
                while index + 1 < len(anchors) and anchors[index + 1].received <= moment:
                    index += 1
                text = anchors[index].shown(moment)
                if text != self.ticking_shown:
                    self.ticking_shown = text
                    ticks.append(["clock", moment, text])
                moment += TICK_SECONDS
            self.ticked = moment
            log = sorted(log + ticks, key=lambda change: change[1])
        return log

    async def run(self, stop: asyncio.Event) -> None:
        """Hold the session until `stop` is set (or the connection fails, which marks the viewer dead)."""
        from websockets.asyncio.client import connect

        try:
            headers = {"Cookie": self.cookie} if self.cookie else None
            async with connect(self.url, origin=self.origin, subprotocols=["streamlit"], proxy=None, max_size=None, open_timeout=60,
                               ping_interval=None, additional_headers=headers) as socket:  # a browser answers the server's pings, it sends none
                self.socket = socket
                await self.rerun(None)
                if self.reload_every:
                    self.timers[""] = (self.reload_every, asyncio.create_task(self._every(None, self.reload_every)))
                reader = asyncio.create_task(self._read(socket))
                stopping = asyncio.create_task(stop.wait())
                done, _pending = await asyncio.wait({reader, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if reader in done and not stop.is_set():
                    reader.result()  # a failure: raise it here
                    raise ConnectionError("the server closed the connection")
                reader.cancel()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            self.dead = f"{error.__class__.__name__}: {str(error).splitlines()[0][:120] if str(error) else ''}"
        finally:
            for _interval, task in self.timers.values():
                task.cancel()

    async def rerun(self, fragment_id: str | None) -> None:
        """Send a rerun request: the whole page, or one fragment's auto-rerun."""
        from streamlit.proto.BackMsg_pb2 import BackMsg

        message = BackMsg()
        state = message.rerun_script
        state.query_string = self.query_string
        state.page_script_hash = self.page_hash
        state.page_name = "" if self.page_hash else self.page_name
        if fragment_id:
            state.fragment_id = fragment_id
            state.is_auto_rerun = True
        if fragment_id or self.ready.is_set():
            self.reruns.ask(fragment_id or "", time.time())  # "": the whole page, run again
        state.cached_message_hashes.extend(list(self.cache)[-CACHED_HASHES:])
        state.context_info.timezone = "Asia/Shanghai"
        state.context_info.locale = "zh-CN"
        state.context_info.url = self.page_url
        await self.socket.send(message.SerializeToString())

    async def _every(self, fragment_id: str | None, interval: float) -> None:
        # Fixed-rate, like the browser's setInterval: a slow server does not slow the requests.
        from websockets.exceptions import ConnectionClosed

        loop = asyncio.get_running_loop()
        due = loop.time() + interval
        while True:
            await asyncio.sleep(max(0.0, due - loop.time()))
            due += interval
            try:
                await self.rerun(fragment_id)
            except ConnectionClosed:
                return  # the reader notices and says why

    async def _read(self, socket) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        async for data in socket:
            message = ForwardMsg()
            message.ParseFromString(data)
            self.messages += 1
            self.received_bytes += len(data)
            kind = message.WhichOneof("type")
            if kind == "ref_hash":
                message = self.cache.get(message.ref_hash)
                if message is None:
                    continue
                kind = message.WhichOneof("type")
            elif message.metadata.cacheable:
                self.cache.pop(message.hash, None)
                self.cache[message.hash] = message
                while len(self.cache) > 4 * CACHED_HASHES:
                    self.cache.pop(next(iter(self.cache)))
            if kind == "new_session":
                self.page_hash = message.new_session.page_script_hash
                self.reruns.start(list(message.metadata.run.fragment_ids) or [""], time.time())
            elif kind == "script_finished":
                self.reruns.finish(list(message.metadata.run.fragment_ids) or [""], time.time())
                if not self.ready_keys:
                    self.ready.set()
            elif kind == "page_info_changed":
                self.query_string = message.page_info_changed.query_string
            elif kind == "auto_rerun":
                fragment, interval = message.auto_rerun.fragment_id, message.auto_rerun.interval
                if fragment and self.timers.get(fragment, (None,))[0] != interval:
                    if fragment in self.timers:
                        self.timers[fragment][1].cancel()
                    self.timers[fragment] = (interval, asyncio.create_task(self._every(fragment, interval)))
                    self.intervals[fragment] = interval
            elif kind == "stop_auto_rerun":
                for fragment in message.stop_auto_rerun.fragment_ids:
                    if fragment in self.timers:
                        self.timers.pop(fragment)[1].cancel()
            elif kind == "delta" and message.delta.WhichOneof("type") == "new_element" and message.delta.new_element.WhichOneof("type") == "html":
                self._read_html(message.delta.new_element.html.body)

    def _read_html(self, body: str) -> None:
        now = time.time()
        with self.lock:
            if (anchor := clock_anchor(body, now)) is not None:
                self.anchors.append(anchor)
                self.shown.setdefault("clock", anchor.shown(now))
            for key, text in self.reads(body):
                if self.shown.get(key) != text:
                    self.shown[key] = text
                    self.log.append([key, now, text])
        if all(key in self.shown for key in self.ready_keys):
            self.ready.set()


class SocketSwarm(threading.Thread):
    """Runs the socket viewers on one asyncio loop, in a thread of their own."""

    def __init__(self, viewers: list[SocketViewer]):
        super().__init__(name="socket-viewers", daemon=True)
        self.viewers = viewers
        self.loop = asyncio.new_event_loop()
        self._closing: asyncio.Event | None = None
        self._started = threading.Event()

    def run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._main())

    async def _main(self) -> None:
        self._closing = asyncio.Event()
        self._started.set()
        await asyncio.gather(*(viewer.run(self._closing) for viewer in self.viewers))

    def wait_ready(self, timeout: float) -> None:
        """Wait until every viewer shows the clock and the board; TimeoutError naming how many did not, or why one died."""
        deadline = time.monotonic() + timeout
        for viewer in self.viewers:
            while not viewer.ready.wait(0.2):
                if viewer.dead:
                    raise RuntimeError(f"a socket viewer failed: {viewer.dead}")
                if time.monotonic() >= deadline:
                    waiting = sum(1 for other in self.viewers if not other.ready.is_set())
                    raise TimeoutError(f"{waiting} socket viewers still show nothing after {timeout:g} s")

    def close(self) -> None:
        """Close every connection and end the loop."""
        if self._started.wait(5) and self._closing is not None:
            self.loop.call_soon_threadsafe(self._closing.set)
        self.join(timeout=30)




def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def rerun_summary(viewers: list[SocketViewer], since: float) -> list[str]:
    """Return one line per fragment interval: runs a minute (the fewest of any viewer), and the wait and the run, p50/p95/max, in seconds.

    The wait is from a request to the start of the run that took it in; requests folded into one already
    waiting (the session was busy with another fragment) are counted, as the browser's ticks that the server skipped.
    """
    lines = []
    by_interval: dict[float, list] = {}
    for viewer in viewers:
        for fragment, asked, started, finished in viewer.reruns.done:
            if asked >= since:
                by_interval.setdefault(viewer.intervals.get(fragment, 0.0), []).append((viewer, fragment, asked, started, finished))
    elapsed = max(1.0, time.time() - since)
    for interval, runs in sorted(by_interval.items()):
        waits = [started - asked for _v, _f, asked, started, _e in runs]
        spans = [finished - started for _v, _f, _a, started, finished in runs]
        per_viewer: dict[tuple[int, str], int] = {}
        for viewer, fragment, *_times in runs:
            per_viewer[(id(viewer), fragment)] = per_viewer.get((id(viewer), fragment), 0) + 1
        folded = sum(count for viewer in viewers for fragment, count in viewer.reruns.folded.items() if viewer.intervals.get(fragment) == interval)
        lines.append(f"  every {interval:g} s: {len(runs)} runs, fewest {60 * min(per_viewer.values()) / elapsed:.0f}/min per fragment; "
                     f"wait p50 {_percentile(waits, 0.5):.2f} p95 {_percentile(waits, 0.95):.2f} max {max(waits):.2f} s; "
                     f"run p50 {_percentile(spans, 0.5):.2f} p95 {_percentile(spans, 0.95):.2f} max {max(spans):.2f} s; {folded} requests folded into a waiting one")
    return lines
