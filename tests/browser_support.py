"""Helpers shared by the browser tests (tests/test_browser.py) and the viewers bench (bench/viewers.py).

Debian's Chromium (`apt-get install chromium`, never `playwright install`) driven by Playwright, and
a `python -m warroom demo` subprocess: started on a free port, waited for with a deadline, stopped
with SIGINT like Ctrl-C, and its event clock (replay_clock.json) read back.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import tomllib
import urllib.request
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_EVENT = ROOT / "sample_data" / "520" / "event.toml"
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
# The demo sample's public passwords (sample_data/520/event.toml [access]).
LEAD_PASSWORD = "lead520"
BOSS_PASSWORD = "boss520"


def chromium_missing_message() -> str:
    """Return why the browser tests cannot run, or "" when Debian's Chromium is there."""
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return ""
    return (f"{CHROMIUM} is missing: the browser tests drive Debian's Chromium. "
            "Install it with `apt-get install chromium fonts-noto-cjk fonts-noto-color-emoji` (`make system-deps` does), not `playwright install`.")


def launch_chromium(playwright: Any, **options: Any) -> Any:
    """Return a headless Chromium browser: Debian's binary, no sandbox, no GPU, no background traffic."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True, **options)


def process_alive(pid: int) -> bool:
    """Return whether a process exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def free_port() -> int:
    """Return a TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    """Return whether something accepts TCP connections on the port."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_until(condition: Callable[[], Any], timeout: float, interval: float = 0.2, what: str = "condition",
               pause: Callable[[float], None] = time.sleep) -> Any:
    """Return the first truthy value of `condition()`, polling until `timeout` seconds; raise TimeoutError after.

    `pause(seconds)` waits between polls: a Playwright page's own wait lets the page run meanwhile.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")
        pause(interval)


_MONEY = re.compile(r"([-−]?)¥?\s*([\d,]+(?:\.\d+)?)\s*(万|亿)?")


def parse_money(text: str) -> Decimal:
    """Return the yuan amount of "¥1,760,000", "¥28,032.50" or "176万"; ValueError when there is none."""
    found = _MONEY.search(text.replace("\u00a0", " "))
    if not found or not any(char.isdigit() for char in found.group(2)):
        raise ValueError(f"no amount in {text!r}")
    value = Decimal(found.group(2).replace(",", ""))
    value *= {"万": 10_000, "亿": 100_000_000}.get(found.group(3) or "", 1)
    return -value if found.group(1) else value


# -- the access links of the demo -----------------------------------------------------------------


def _local_secrets() -> dict:
    """Return the repository's .streamlit/secrets.toml (the demo server runs from the repository), or {}."""
    path = ROOT / ".streamlit" / "secrets.toml"
    if not path.is_file():
        return {}
    with path.open("rb") as handle:
        return tomllib.load(handle)


def demo_access():
    """Return the sample event's config and access settings, as the demo's app works them out."""
    from warroom.access import access_settings
    from warroom.config import load_event

    config = load_event(SAMPLE_EVENT)
    return config, access_settings(config, _local_secrets())


def kiosk_query() -> dict[str, str]:
    """Return the query of the TV's kiosk link."""
    from warroom.access import kiosk_token

    _config, settings = demo_access()
    if not settings.link_secret:
        raise RuntimeError("the demo event has no [access] link_secret, so there is no kiosk link")
    return {"kiosk": kiosk_token(settings.link_secret)}


def staff_query(staff_id: str) -> dict[str, str]:
    """Return the query of a staff member's personal link."""
    from warroom.access import token_for

    _config, settings = demo_access()
    token = token_for(settings, staff_id)
    if not token:
        raise RuntimeError(f"no personal link for {staff_id}: the demo event has no link secret")
    return {"token": token}


def wait_healthy(base_url: str, died: Callable[[], str | None], timeout: float, what: str, ready: Callable[[], bool] = lambda: True) -> None:
    """Wait until `base_url/_stcore/health` answers 200 (and `ready()`); RuntimeError with `died()`'s words when the process behind it ends, or at the deadline."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reason = died()
        if reason:
            raise RuntimeError(reason)
        try:
            with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as response:
                if response.status == 200 and ready():
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not answer on {base_url} within {timeout:g} s")


# -- the demo process -----------------------------------------------------------------------------


class DemoProcess:
    """`python -m warroom demo --port P --dir D --speed S` as a process group of its own."""

    def __init__(self, folder: Path, *, port: int | None = None, speed: float = 60.0, log: Path | None = None):
        self.folder = Path(folder)
        self.port = port or free_port()
        self.speed = speed
        self.log_path = Path(log) if log else self.folder.parent / f"{self.folder.name}.log"
        self.process: subprocess.Popen | None = None
        self._log = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, page: str = "", **params: str) -> str:
        """Return the app's address of a page (its url_path, "" for the front page) with a query."""
        query = f"?{urlencode(params)}" if params else ""
        return f"{self.base_url}/{page}{query}"

    def start(self) -> DemoProcess:
        """Start the demo (from the repository, as `make demo` does: its .streamlit/config.toml applies)."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        if signal.getsignal(signal.SIGINT) == signal.SIG_IGN and threading.current_thread() is threading.main_thread():
            # A shell starts background jobs with SIGINT ignored, and a child inherits that: the demo would never see our Ctrl-C.
            signal.signal(signal.SIGINT, signal.default_int_handler)
        self._log = self.log_path.open("wb")
        command = [sys.executable, "-m", "warroom", "demo", "--port", str(self.port), "--dir", str(self.folder), "--speed", f"{self.speed:g}"]
        # A session of its own, so that SIGINT to the group reaches the demo and its app server, as Ctrl-C in a terminal does.
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        return self

    def log_text(self) -> str:
        """Return what the demo printed so far."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def wait_ready(self, timeout: float = 90.0) -> None:
        """Wait until the app server answers its health check; RuntimeError with the log when the demo dies or the deadline passes."""
        assert self.process is not None, "start() first"
        process = self.process
        try:
            wait_healthy(self.base_url, lambda: process.poll() is not None and f"warroom demo exited with {process.returncode} before serving",
                         timeout, "warroom demo", ready=lambda: (self.folder / "replay_clock.json").is_file())
        except RuntimeError as error:
            raise RuntimeError(f"{error}:\n{self.log_text()[-2000:]}") from None

    def server_pid(self) -> int | None:
        """Return the pid of the Streamlit app server the demo started, or None."""
        if self.process is None:
            return None
        for task in Path(f"/proc/{self.process.pid}/task").glob("*/children"):
            for pid in task.read_text().split():
                try:
                    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                except OSError:
                    continue
                if b"streamlit" in cmdline:
                    return int(pid)
        return None

    def event_clock(self) -> tuple[datetime, float, float] | None:
        """Return the replay's (event time, wall time it was written, speed), or None before it is written."""
        try:
            state = json.loads((self.folder / "replay_clock.json").read_text())
        except (OSError, ValueError):
            return None
        return datetime.fromisoformat(state["event_now"]), float(state["wall"]), float(state["speed"])

    def event_now(self) -> datetime | None:
        """Return the server's event time now, as warroom.clock.ReplayClock extrapolates it."""
        state = self.event_clock()
        if state is None:
            return None
        moment, wall, speed = state
        return moment + timedelta(seconds=min(max(time.time() - wall, 0.0), 5.0) * speed)

    def interrupt(self, timeout: float = 30.0) -> int:
        """Send SIGINT to the demo's process group (Ctrl-C) and return its exit code; TimeoutError when it does not exit in time."""
        assert self.process is not None, "start() first"
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise TimeoutError(f"warroom demo did not exit within {timeout:g} s of SIGINT:\n{self.log_text()[-2000:]}") from None

    def close(self) -> None:
        """Stop whatever of the demo still runs (SIGINT, then SIGKILL), and close the log."""
        if self.process is not None and self.process.poll() is None:
            try:
                self.interrupt(timeout=15)
            except TimeoutError:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        if self.process is not None:
            # The app server is in the same group; make sure nothing of it outlives the demo.
            with contextlib.suppress(OSError):
                os.killpg(self.process.pid, signal.SIGKILL)
        if self._log is not None:
            self._log.close()
            self._log = None


@contextlib.contextmanager
def running_demo(folder: Path, *, speed: float = 60.0, timeout: float = 90.0):
    """Run `warroom demo` in `folder` on a free port until the block ends (a browser module's fixture holds one for its tests)."""
    process = DemoProcess(folder, speed=speed, log=folder.parent / "demo.log").start()
    try:
        process.wait_ready(timeout=timeout)
        yield process
    finally:
        process.close()


def sign_in_as_lead(page: Any, url: str, timeout_ms: int = 60_000) -> Any:
    """Open `url` on `page`, sign in with the demo's lead password, and wait for the big screen; return the page."""
    page.goto(url)
    password = page.locator('input[type="password"]')
    password.wait_for(state="visible", timeout=timeout_ms)
    password.fill(LEAD_PASSWORD)
    page.locator('[data-testid="stFormSubmitButton"] button').click()
    page.locator(".wr-revenue").wait_for(state="visible", timeout=timeout_ms)
    return page
