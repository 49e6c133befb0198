"""The live event of this process: its config and read model opened once, the shared latest snapshot, the cached reads, and the store-reopen check."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

import streamlit as st
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from warroom.clock import FixedClock, default_clock
from warroom.config import ConfigError, EventConfig, load_event
from warroom.figures import LiveFigures, Snapshot
from warroom.health import IngestHealth, ingest_health
from warroom.i18n import t
from warroom.intake import with_spool_feeds
from warroom.prompt_state import active_silences, prompts_at, prompts_seq
from warroom.prompts import FIRING, PENDING
from warroom.review import build_review
from warroom.runtime import EVENT_ENV, open_store
from warroom.ticker import BigOrderFeed
from warroom.web.current import is_lead
from warroom.web.errors import error_detail, one_line, redact_secrets, show_detail
from warroom.web.text import event_time

log = logging.getLogger("warroom.web")
TICKER_ROWS = 5  # the big orders the big screen's ticker shows


@dataclass(frozen=True)
class LiveEvent:
    """One event's validated config and its incremental read model, and the values every session of the process shares."""

    config: EventConfig
    figures: LiveFigures
    latest: dict[str, Latest] = field(default_factory=dict, compare=False, repr=False)
    store_file: tuple[int, int] | None = None  # the SQLite file's (device, inode) when it was opened; None on PostgreSQL
    # When it was opened: the caches of what was read from the store are keyed on it, since a file opened again may
    # get the old one's inode, and its seq starts anew.
    opened: int = field(default_factory=time.monotonic_ns)

    def shared(self, name: str) -> Latest:
        """Return the process's holder of one shared value (the snapshot, the revenue line, the big orders)."""
        return self.latest.setdefault(name, Latest())


SEQ_MAX_AGE = 0.2  # seconds: how stale the store's seq may be when a session asks whether anything changed
SHARED_MAX_AGE = 0.25  # seconds: a snapshot (or the big orders) this fresh serves every session that asks meanwhile


class Latest:
    """The latest value of something every session asks for: built by one session at a time, while the others take the last one.

    Thirty TVs each refreshing the figures every two seconds would otherwise queue on the read
    model's lock, and with the GIL passed between them every query inside it takes turns: seconds
    of lag for a few milliseconds of work.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: Hashable = None
        self._value = None
        self._built = 0.0

    def _fresh(self, key: Hashable, max_age: float | None) -> bool:
        return self._value is not None and self._key == key and (max_age is None or time.monotonic() - self._built < max_age)

    def get(self, key: Hashable, build: Callable[[], object], max_age: float | None = None):
        """Return the value for `key` (no older than `max_age` seconds when given): the last one while another session builds it."""
        if self._fresh(key, max_age):
            return self._value
        if not self._lock.acquire(blocking=self._value is None):
            return self._value
        try:
            if not self._fresh(key, max_age):  # another session may have built it while this one waited
                self._value, self._key, self._built = build(), key, time.monotonic()
            return self._value
        finally:
            self._lock.release()


def _release(live: LiveEvent) -> None:
    live.figures.store.close()


@st.cache_resource(show_spinner=False, max_entries=8, on_release=_release)
def _open_live_event(path: str, _modified_ns: int) -> LiveEvent:
    # Keyed on the file's mtime too, so an edited event file (new goals) takes effect on reload.
    config = load_event(path)
    store = open_store(config)
    return LiveEvent(config=config, figures=LiveFigures(store, config, clock=default_clock()), store_file=store_file(store.url))


APP_RAN_KEY = "warroom_app_ran"


def app_ran() -> None:
    """Note that app.py, which works out the viewer and picks the page they may open, ran in this session."""
    st.session_state[APP_RAN_KEY] = True


WANTED_PAGE_PARAM = "wr_page"  # the query key that carries the page asked for through app.py (see _through_app)


def _through_app() -> None:
    """Send a page that Streamlit ran by itself to app.py, with the page that was asked for.

    Until app.py has called st.navigation once in the server process, Streamlit serves the `pages/`
    folder the old way: after a restart, a request for /big_screen (or /review) ran that file alone,
    without app.py's sign-in, and showed the big screen to anyone. Switching to app.py runs it, as
    the app's main page; its st.navigation moves the process to the new way, and it signs in and routes.
    The page's address goes along (WANTED_PAGE_PARAM): a lead's browser that reconnects to a replica just
    restarted, on the prompts page, gets the prompts page again if its role may open it, not its landing page.
    """
    if not st.session_state.get(APP_RAN_KEY):
        # With its query: a TV's kiosk link or a staff member's personal link still signs them in.
        query = st.query_params.to_dict()
        wanted = urlparse(st.context.url or "").path.rstrip("/").rsplit("/", 1)[-1]
        if wanted:
            query[WANTED_PAGE_PARAM] = wanted
        st.switch_page("app.py", query_params=query)


def wanted_page() -> str | None:
    """Return (and take out of the address) the page that _through_app carried to app.py, or None."""
    wanted = st.query_params.get(WANTED_PAGE_PARAM)
    if wanted is not None:
        del st.query_params[WANTED_PAGE_PARAM]
    return wanted


def open_event(lang: str) -> LiveEvent:
    """Return the event named by WARROOM_EVENT, built once per process; on a problem show one short line and stop.

    Every page opens the event first, so this is where a page that app.py did not route is sent through it,
    and where a SQLite store file deleted or replaced under the running app is noticed and opened again.
    """
    _through_app()
    raw = os.environ.get(EVENT_ENV, "").strip()
    if not raw:
        st.error(t("no_event", lang))
        st.stop()
    path = Path(raw).expanduser().resolve()
    key = (str(path), path.stat().st_mtime_ns if path.exists() else 0)
    try:
        live = _open_live_event(*key)
        if store_file(live.figures.store.url) != live.store_file:
            live = _reopen_store(live, key)
        return live
    except (ConfigError, SQLAlchemyError) as error:
        # The message names the event file and may hold the store URL with its password: only a
        # redacted line reaches the log, and only a signed-in lead sees it, without paths.
        log.error("cannot open the event: %s", redact_secrets(str(error)))
        if is_lead():
            st.error(t("event_invalid" if isinstance(error, ConfigError) else "store_unavailable", lang, error=error_detail(error)))
        else:
            st.error(t("app_unavailable", lang), icon=":material/error:")
    st.stop()


# -- a store file deleted or replaced under the running app -------------------------------------------

STORE_NOTICE_SECONDS = 3600  # how long the setup page and the big screen say that the store was opened again


def store_file(url: str) -> tuple[int, int] | None:
    """Return the (device, inode) of a SQLite store's file, (0, 0) when the file is gone; None for other stores."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    try:
        found = os.stat(parsed.database)
    except OSError:
        return (0, 0)
    return (found.st_dev, found.st_ino)


@st.cache_resource(show_spinner=False)
def _store_notices() -> dict[str, tuple[str, datetime]]:
    # Event file -> ("replaced" or "deleted", when it was noticed); shared by every session of the process.
    return {}


_reopen_lock = threading.Lock()


def _reopen_store(stale: LiveEvent, key: tuple[str, int]) -> LiveEvent:
    """Return the event with its store opened afresh (the file at its path is another one, or none), and note when."""
    with _reopen_lock:
        live = _open_live_event(*key)
        if live is stale:
            # The old entry closes the handle on the deleted or replaced file (its on_release).
            _open_live_event.clear(*key)
            kind = "deleted" if stale.store_file is not None and store_file(stale.figures.store.url) == (0, 0) else "replaced"
            _store_notices()[key[0]] = (kind, datetime.now(UTC))
            log.warning("the store file was %s while the app served; opened it again", kind)
            live = _open_live_event(*key)
    return live


def store_notice(live: LiveEvent, lang: str, now: datetime | None = None) -> str | None:
    """Return the line that says the store file was replaced or deleted and opened again (within the last hour), else None."""
    notice = _store_notices().get(str(live.config.source.resolve()))
    if notice is None:
        return None
    kind, at = notice
    if ((now or datetime.now(UTC)) - at).total_seconds() > STORE_NOTICE_SECONDS:
        return None
    return t(f"store_{kind}", lang, time=event_time(at, live.config).strftime("%H:%M:%S"))


def store_seq(live: LiveEvent) -> int:
    """Return the store's seq as read at most SEQ_MAX_AGE ago by any session of the process."""
    return live.shared("seq").get(None, live.figures.store.seq, max_age=SEQ_MAX_AGE)


def take_snapshot(live: LiveEvent, lang: str) -> Snapshot | None:
    """Return the latest figures (shared by every session: rebuilt on a store change, else every SHARED_MAX_AGE), or None after a warning."""
    if store_file(live.figures.store.url) != live.store_file:
        # A live panel holds the event it started with: run the whole page, which opens the store again.
        st.rerun(scope="app")
    try:
        # The store's seq (read at most every SEQ_MAX_AGE, outside any lock) keys it: a change shows within that.
        return live.shared("snapshot").get(store_seq(live), live.figures.refresh, max_age=SHARED_MAX_AGE)
    except SQLAlchemyError as error:
        log.warning("reading the figures failed: %s", redact_secrets(one_line(error)))
        st.warning(t("refresh_failed", lang))
        show_detail(error, lang)
        return None


def big_orders(live: LiveEvent, now: datetime, limit: int = TICKER_ROWS) -> list:
    """Return the newest big orders up to `now` from one feed per live event (each poll reads only the orders changed since the last).

    The feed remembers the orders it read, so it belongs to the live event: an edited event file or a store
    opened again makes a new one.
    """
    feed = live.shared("big_order_feed").get(None, lambda: BigOrderFeed(live.config))
    store = live.figures.store
    return live.shared(f"big_orders:{limit}").get(store_seq(live), lambda: feed.poll(store, now=now, limit=limit), max_age=SHARED_MAX_AGE)


def feeds_health(live: LiveEvent) -> IngestHealth:
    """Return the feeds' and the ingest's health now (the setup page's panel), read through the store's public interface.

    With [intake], the HTTP intake's spools are feeds too (warroom.intake).
    """
    return ingest_health(live.figures.store, with_spool_feeds(live.config), event_now(live), wall_now=datetime.now(UTC))


def event_now(live: LiveEvent) -> datetime:
    """Return the event clock: the wall clock, or the demo's replay clock."""
    return live.figures.clock.now()


def event_clock_rate(live: LiveEvent) -> float:
    """Return the event seconds that pass in one wall second: 1 on the wall clock, the replay's speed in the demo, 0 on a clock that stands still."""
    clock = live.figures.clock
    if isinstance(clock, FixedClock):
        return 0.0
    rate = getattr(clock, "rate", None)
    return float(rate()) if callable(rate) else 1.0


@st.cache_data(show_spinner=False, ttl=600, max_entries=16)
def _cached_review(source: str, opened: int, seq: int, prompts_seq: int, minute: int, lang: str, _live: LiveEvent, _snapshot: Snapshot):
    return build_review(_live.figures.store, _live.config, _snapshot, lang)


def review_of(live: LiveEvent, snapshot: Snapshot, lang: str):
    """Return the review at this snapshot, built once per change to the store or the pushes (and per minute, for the lift windows)."""
    pushes = prompts_seq(live.figures.store)
    # When the store was opened keys it too: a store opened again starts its seq anew.
    return _cached_review(str(live.config.source), live.opened, snapshot.seq, pushes, int(snapshot.as_of.timestamp()) // 60, lang, live, snapshot)


def _prompts_at(live: LiveEvent, now_ts: int, states: tuple[str, ...]) -> list:
    moment = datetime.fromtimestamp(now_ts, UTC)
    return prompts_at(live.figures.store, live.config, clock=FixedClock(moment), states=states)[1]


def live_prompts(live: LiveEvent, now: datetime, *, include_pending: bool = False) -> list:
    """Return the prompts at `now` (firing ones, active first).

    The evaluator's stored state is used when it ran lately, else the rules are replayed; either
    way the answer is kept for the minute, until the prompts change (the evaluator saw a change, a
    push, a silence).
    """
    minute = int(now.timestamp()) // 60
    states = (FIRING, PENDING) if include_pending else (FIRING,)
    # Keyed on the minute and on prompts_seq (which the evaluator, a push or a silence moves), computed
    # at the first request's second: a push made since then changes the key, so it shows at once. Not
    # on every store write: the rules read whole minutes, and re-running them for every order made
    # thirty TVs wait on a 0.1-0.3 s computation every second or so. Built by one session while the
    # others take the last answer (a cache with a lock, as st.cache_data has, held every TV still
    # while one of them computed, each new minute: every three wall seconds in the demo).
    pushes = prompts_version(live)
    now_ts = int(now.timestamp())
    return live.shared(f"prompts:{','.join(states)}").get((minute, pushes), lambda: _prompts_at(live, now_ts, states))


def prompts_version(live: LiveEvent) -> int:
    """Return the store's prompts_seq (moved by the evaluator, a push, a silence) as read at most SEQ_MAX_AGE ago by any session."""
    return live.shared("prompts_seq").get(None, lambda: prompts_seq(live.figures.store), max_age=SEQ_MAX_AGE)


def shared_silences(live: LiveEvent, at: datetime) -> list:
    """Return the silences holding at `at` or set to start later, read at most SEQ_MAX_AGE ago by any session (a new one shows by the next run).

    Each lead's prompts page asks every second; one query for all of them, not one each.
    """
    return live.shared("silences").get(prompts_version(live), lambda: active_silences(live.figures.store, at=at), max_age=SEQ_MAX_AGE)
