"""Running the war room: opening the store, tailing the feeds, the prompt evaluator beside them, and serving the app.

The command line (`warroom.cli`), the demo (`warroom.demo`) and the web layer import this module, and
it imports none of them. It is the one module of the core that starts the connectors: everything else
in `warroom/` is the model and the store, which the connectors write to.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from warroom.clock import Clock
from warroom.config import DB_URL_ENV, ConfigError, EventConfig, Feed, store_url_problem
from warroom.redact import hide_password, safe_url
from warroom.rules import LedgerRules

APP = Path(__file__).resolve().parent.parent / "app.py"
EVENT_ENV = "WARROOM_EVENT"


def _store_key(config: EventConfig) -> str:
    """Return where the store URL came from, for an error message: the environment variable or the file's key."""
    return f"{DB_URL_ENV}" if os.environ.get(DB_URL_ENV) else f"{config.source}: key 'store.url'"


def open_store(config: EventConfig, *, read_only: bool = False):
    """Return the event's store, or raise ConfigError naming the URL (its password masked) when it cannot be opened.

    `read_only`: for commands that only read (stats, quarantine, prompts): a store the user may not
    write (a read-only file or folder) is opened for reading, without creating or upgrading anything.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from warroom.store import Store, StoreNotReady

    url = config.store_url
    problem = store_url_problem(url)
    if problem:
        raise ConfigError(f"{_store_key(config)}: expected {problem}")
    rules = LedgerRules.from_config(config)
    try:
        if read_only:
            try:
                return Store(url, rules, read_only=True)
            except StoreNotReady:
                pass  # a new store, or one of an earlier schema: opened for writing creates it, as ever
        return Store(url, rules)
    except SQLAlchemyError as error:
        if disk_full(error):
            raise ConfigError(disk_full_message(url)) from None
        detail = hide_password(f"{error.__class__.__name__}: {str(error).splitlines()[0]}", url)
        raise ConfigError(f"{_store_key(config)}: could not open {safe_url(url)}: {detail}") from None


def disk_full(error: BaseException) -> bool:
    """Return whether an error is the store's disk (or its size limit) being full: SQLITE_FULL, ENOSPC or PostgreSQL's disk_full."""
    import errno
    import sqlite3

    for cause in (error, getattr(error, "orig", None), error.__cause__):
        if isinstance(cause, sqlite3.Error) and getattr(cause, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
            return True
        if isinstance(cause, OSError) and cause.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if getattr(cause, "sqlstate", None) == "53100":  # PostgreSQL disk_full
            return True
    return False


def disk_full_message(url: str) -> str:
    """Return the one line printed when the store's disk is full."""
    return (f"the store's disk is full ({safe_url(url)}): nothing committed was lost; free space and run again "
            "(the next run resumes where this one stopped)")


def feed_files(config: EventConfig) -> list[tuple[Feed, list[Path]]]:
    """Return each feed of the event with the files its path matches now."""
    from connectors.tail import matching_files

    return [(feed, matching_files(config.folder / feed.path)) for feed in config.feeds]


def feed_warnings(config: EventConfig) -> list[str]:
    """Return one line for each feed whose path names no file yet (a typo, or exports not yet dropped)."""
    warnings = []
    for feed, files in feed_files(config):
        pattern = config.folder / feed.path
        if not files:
            state = "matches no file yet" if pattern.exists() or any(ch in feed.path for ch in "*?[") else "does not exist"
            warnings.append(f"warroom: warning: feed {feed.label}: {pattern} {state}; the ingest reads it once it appears")
    return warnings


def held_by_another_ingest(store) -> bool:
    """Return whether the store's ingest lease was renewed lately (an ingest started now would be refused)."""
    import time

    from sqlalchemy import select

    from connectors.runner import LEASE, LEASE_TTL_SECONDS
    from warroom import schema

    with store.reading() as conn:
        heartbeat = conn.execute(select(schema.leases.c.heartbeat).where(schema.leases.c.name == LEASE)).scalar()
    return heartbeat is not None and heartbeat > time.time() - LEASE_TTL_SECONDS


def ingest(config: EventConfig, store, *, once: bool, stop: threading.Event, polling: bool = False, on_batch: Callable | None = None):
    """Tail every feed of the event into the store until `stop` is set (with `once`, until caught up); return the totals.

    Raises ConfigError (connectors.runner.IngestRefused) when another ingest holds the store.
    """
    from connectors.runner import run_ingest

    return run_ingest(config, store, once=once, stop=stop, polling=polling, on_batch=on_batch)


def evaluator_thread(store, config: EventConfig, stop: threading.Event, clock: Clock, guard: Callable[[Callable], Callable] | None = None) -> threading.Thread:
    """Return the thread (not started) that runs the one prompt evaluator beside the ingest until `stop` is set; `guard` wraps its target."""
    from warroom.prompt_state import run_evaluator

    target = guard(run_evaluator) if guard else run_evaluator
    return threading.Thread(target=target, args=(store, config, stop), kwargs={"clock": clock}, name="prompts", daemon=True)


MALLOC_ARENAS_ENV, MALLOC_ARENAS = "MALLOC_ARENA_MAX", "2"


def serve_command(config_path: Path, port: int, extra_env: dict[str, str] | None = None) -> tuple[list[str], dict[str, str]]:
    """Return the command and environment that serve the app for one event."""
    command = [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.headless", "true", "--server.port", str(port),
        "--browser.gatherUsageStats", "false",
        # Thirty TVs re-run fragments many times a second. After every run Streamlit would otherwise
        # re-scan the imported modules for its file watcher and run a full gc.collect() (~0.1 s with
        # pandas, plotly and SQLAlchemy loaded); the app is not edited while a show is on.
        "--server.fileWatcherType", "none", "--runner.postScriptGC", "false",
        "--global.minCachedMessageSize", "1000",
    ]
    # Every rerun runs in a script thread of its own, and glibc gives threads arenas of their own (up to 8 per
    # core), each holding on to freed memory: the server's RSS crept up while its Python heap stood still.
    env = {**os.environ, EVENT_ENV: str(Path(config_path).resolve()), **(extra_env or {})}
    env.setdefault(MALLOC_ARENAS_ENV, MALLOC_ARENAS)
    return command, env


def stop_server(server: subprocess.Popen, timeout: float = 10) -> None:
    """Stop an app server started from serve_command: SIGTERM, then SIGKILL when it has not ended within `timeout` seconds."""
    server.terminate()
    try:
        server.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
