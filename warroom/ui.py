"""The one Streamlit adapter: the cached live figures, the theme and CSS, and the shared widgets.

Everything else in `warroom/` is plain Python. Pages call only this module (and `i18n`) and
render what it returns; the HTML builders here are pure functions of a `Snapshot`, so they can
be tested without a browser.
"""

from __future__ import annotations

import functools
import html
import logging
import os
import re
import threading
import time
import traceback
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import plotly.graph_objects as go
import streamlit as st
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from warroom import access
from warroom.clock import at_minute, default_clock
from warroom.config import ConfigError, EventConfig, load_event
from warroom.figures import LiveFigures, Snapshot
from warroom.i18n import fmt_axis_money, fmt_compact, fmt_duration, fmt_int, fmt_pct, fmt_yuan, normalize_lang, t
from warroom.leaderboards import MONEY_METRICS, Standing
from warroom.pace import Pace
from warroom.panels import CHART_MINUTES, PAGE_CSS
from warroom.prompt_state import prompts_seq
from warroom.prompts import title_and_reason
from warroom.redact import safe_url
from warroom.runtime import EVENT_ENV, open_store
from warroom.schedule import live_sessions

log = logging.getLogger("warroom.ui")

REFRESH_SECONDS = 2
TOP_ORDER_TAKERS = 8
CHART_HEIGHT = 490  # px on a 1920 px screen, scaled with it; the chart stretches to the leaderboard card beside it, this tall
CHART_MIN_HEIGHT = 280  # px: the chart alone on a phone
FONT_STACK = "'Noto Sans CJK SC', 'Noto Sans SC', 'PingFang SC', 'Microsoft YaHei', 'Source Han Sans SC', sans-serif"
# A TV never needs the plotly toolbar or hover boxes.
STATIC_CHART = {"staticPlot": True, "displayModeBar": False, "responsive": True}
# The review's charts: hover stays, the plotly toolbar (which a phone shows on every tap) goes.
QUIET_CHART = {"displayModeBar": False, "responsive": True}

GOLD, ORANGE, RED, BLUE, GREEN, MUTED = "#ffd666", "#ffa940", "#ff4d4f", "#69b1ff", "#73d13d", "#8c95a8"


# -- the event and its figures ----------------------------------------------------------------


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
SHARED_MAX_AGE = 0.5  # seconds: a snapshot (or the big orders) this fresh serves every session that asks meanwhile


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


def language() -> str:
    """Return the page's language from `?lang=`: "en" for English, else "zh"."""
    return normalize_lang(st.query_params.get("lang"))


# Set by app.py in every session it runs in: a page's run that follows went through its sign-in and routing.
APP_RAN_KEY = "warroom_app_ran"


def app_ran() -> None:
    """Note that app.py, which works out the viewer and picks the page they may open, ran in this session."""
    st.session_state[APP_RAN_KEY] = True


def _through_app() -> None:
    """Send a page that Streamlit ran by itself to app.py.

    Until app.py has called st.navigation once in the server process, Streamlit serves the `pages/`
    folder the old way: after a restart, a request for /big_screen (or /review) ran that file alone,
    without app.py's sign-in, and showed the big screen to anyone. Switching to app.py runs it, as
    the app's main page; its st.navigation moves the process to the new way, and it signs in and routes.
    """
    if not st.session_state.get(APP_RAN_KEY):
        # With its query: a TV's kiosk link or a staff member's personal link still signs them in.
        st.switch_page("app.py", query_params=st.query_params.to_dict())


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
        log.warning("reading the figures failed: %s", redact_secrets(_one_line(error)))
        st.warning(t("refresh_failed", lang))
        show_detail(error, lang)
        return None


# -- errors: a short message for the viewer, the detail in the server log -----------------------------


def is_lead() -> bool:
    """Return whether this session's viewer is a signed-in team lead (the only viewer shown any error detail)."""
    viewer = signed_in()
    return viewer is not None and viewer.role == access.LEAD


_URL_WORD = re.compile(r"^[A-Za-z][\w+.-]*://")
_WORD_EDGES = "'\"()[]{},;:<>`"


def redact_secrets(text: str) -> str:
    """Return text with every URL in it shown by redact.safe_url (its password as ***), for the server log."""
    return " ".join(_redact_word(word, keep_paths=True) for word in text.split(" "))


def error_detail(error: BaseException) -> str:
    """Return one line a lead may see about an error: its type and first line, URLs without passwords, paths cut to file names."""
    lines = str(error).strip().splitlines()
    text = f"{error.__class__.__name__}: {lines[0] if lines else ''}"
    return " ".join(_redact_word(word, keep_paths=False) for word in text.split(" "))[:300]


def _redact_word(word: str, *, keep_paths: bool) -> str:
    core = word.strip(_WORD_EDGES)
    if not core:
        return word
    if _URL_WORD.match(core):
        shown = safe_url(core)
        if not keep_paths and make_url_backend(core) == "sqlite":
            shown = "sqlite:///" + re.split(r"[\\/]", core.rstrip("/\\"))[-1]
        return word.replace(core, shown)
    if not keep_paths and (core.startswith(("/", "~", "\\")) or re.match(r"[A-Za-z]:[\\/]", core)):
        return word.replace(core, re.split(r"[\\/]", core.rstrip("/\\"))[-1] or "…")
    return word


def make_url_backend(url: str) -> str:
    """Return a store URL's backend name ("sqlite", "postgresql"), or "" when it does not parse."""
    try:
        return make_url(url).get_backend_name()
    except (ArgumentError, ValueError):
        return ""


def show_detail(error: BaseException, lang: str) -> None:
    """Show a signed-in lead one redacted line about an error, as plain text; nobody else sees anything of it."""
    if is_lead():
        st.caption(plain(t("error_detail", lang, detail=error_detail(error))))


def log_failure(what: str, error: BaseException) -> None:
    """Log a failure with its traceback on the server, with any store URL's password hidden."""
    log.error("%s failed:\n%s", what, redact_secrets("".join(traceback.format_exception(error))).rstrip())


@contextmanager
def panel(name: str, lang: str) -> Iterator[None]:
    """Run one panel; when it fails, put a short message where it was, log the detail, and let the rest of the page go on."""
    slot = st.empty()
    try:
        with slot.container():
            yield
    except Exception as error:  # a panel is a boundary: whatever it raises, the others keep running
        log_failure(f"panel {name}", error)
        with slot.container():
            st.error(t("panel_failed", lang), icon=":material/error:")
            show_detail(error, lang)


def guarded(name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Return a decorator that runs a panel function (a fragment's body) inside `panel`, in the page's language."""
    def wrap(function: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(function)
        def run(*args, **kwargs) -> None:
            with panel(name, language()):
                function(*args, **kwargs)
        return run
    return wrap


@contextmanager
def page_boundary() -> Iterator[None]:
    """Run a page; when it fails, show the short message (in the page's language) under what it drew and log the detail (st.stop and st.rerun pass)."""
    try:
        yield
    except Exception as error:  # the last boundary of a run: nothing of the exception reaches the viewer
        page_failed(error)


def page_failed(error: Exception) -> bool:
    """Show the short message for a page (or a button's callback) that failed, and log it; the app-wide on_script_error hook."""
    log_failure("page", error)
    lang = language()
    st.error(t("page_failed", lang), icon=":material/error:")
    show_detail(error, lang)
    return True  # Streamlit shows nothing of the exception itself


def _one_line(error: Exception) -> str:
    lines = str(error).strip().splitlines()
    return f"{error.__class__.__name__}: {lines[0] if lines else ''}"


# -- page frame and CSS -------------------------------------------------------------------------


def configure_app(lang: str) -> None:
    """Set the browser title and the wide layout, and load the shared CSS; call once, first, in app.py."""
    st.set_page_config(page_title=t("app_title", lang), page_icon=":material/monitoring:", layout="wide", initial_sidebar_state="collapsed")
    st.html(f"<style>{BASE_CSS}</style>")


def kiosk_mode() -> None:
    """Hide Streamlit's header, toolbar, menu and footer, and keep refreshed panels from fading."""
    # A signed-in lead keeps the top navigation (SIGNED_IN_SCREEN_CSS); the TV's kiosk link shows nothing else.
    st.html(f"<style>{KIOSK_CSS}{BIG_SCREEN_CSS}{SIGNED_IN_SCREEN_CSS if keeps_navigation() else ''}</style>")


BASE_CSS = f"""
html, body, [data-testid="stApp"] {{ font-family: {FONT_STACK}; }}
/* The script that writes the sign-in cookie takes no room. */
[data-testid="stElementContainer"]:has(.wr-cookie) {{ display: none; }}
"""

KIOSK_CSS = """
header[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
[data-testid="stStatusWidget"], [data-testid="stAppDeployButton"], [data-testid="stMainMenu"],
#MainMenu, footer, [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"] { display: none !important; }
[data-testid="stMainBlockContainer"] { padding: 1.1rem 2.2rem 0.6rem !important; max-width: 100% !important; }
/* A fragment rerun marks its elements stale for a moment; on a TV that reads as flicker. */
[data-stale="true"], [data-stale="true"] * { opacity: 1 !important; transition: none !important; }
"""

def scaled(css: str) -> str:
    """Return big-screen CSS with every `rem` made a `--wr-u`: the screen is drawn for 1920 px in rem, and scales with the window.

    `--wr-u` is 1/120 of the viewport's width (16 px on a 1920 px TV, 12 px at 1440, 10.7 px at
    1280), and a fixed size on a phone, where the panels stack; so the same layout fits every screen.
    """
    return re.sub(r"(?<![\w.-])(\d+(?:\.\d+)?)rem\b", r"calc(\1 * var(--wr-u))", css)


# How many em a character takes (Noto Sans CJK, tabular figures): used to fit a figure to its panel.
_EM_WIDTHS = {**dict.fromkeys("0123456789", 0.56), ",": 0.28, ".": 0.28, ":": 0.28, "¥": 0.62, "%": 0.9, "/": 0.42, " ": 0.25, "–": 0.55, "-": 0.36}


def text_ems(text: str) -> float:
    """Return about how many em wide a line of text is set (CJK characters one em, Latin letters about 0.6)."""
    return sum(_EM_WIDTHS.get(char, 1.0 if ord(char) > 0x2E80 else 0.6) for char in text)


def fit_style(ems: float) -> str:
    """Return the inline style that tells the CSS how many em wide a figure is, so that `100cqi / --wr-ems` fits it to its panel."""
    # A little room for the font's side bearings and the glow.
    return f' style="--wr-ems:{ems * 1.06 + 0.1:.2f}"'


BIG_SCREEN_CSS = scaled(f":root {{ --wr-u: clamp(8px, calc(100vw / 120), 48px); --wr-chart-height: {CHART_HEIGHT / 16:g}rem; }}" + """
@media (max-width: 640px) {
  :root { --wr-u: 8.5px; }
  [data-testid="stMainBlockContainer"] { padding: 12px 10px 8px !important; }
}
.wr { color: #f2f4f8; font-variant-numeric: tabular-nums; line-height: 1.2; }
.wr a { color: #9fb3d9; text-decoration: none; border: 1px solid #2f3a52; border-radius: 999px; padding: 0.2rem 0.9rem; font-size: 1.05rem; }
.wr-header { display: flex; align-items: center; justify-content: space-between; gap: 0.4rem 1.5rem; flex-wrap: wrap; }
.wr-title { font-size: 2.5rem; font-weight: 800; letter-spacing: 0.04em; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.wr-header-right { display: flex; align-items: center; gap: 1.2rem; font-size: 1.35rem; color: #c9d1e0; white-space: nowrap; }
.wr-pill { border-radius: 999px; padding: 0.3rem 1.1rem; font-weight: 700; }
.wr-pill.on { background: rgba(255, 77, 79, 0.18); color: #ff7875; border: 1px solid rgba(255, 77, 79, 0.55); }
.wr-pill.off { background: rgba(140, 149, 168, 0.15); color: #aab2c3; border: 1px solid #3a4458; }
.wr-card { box-sizing: border-box; background: linear-gradient(180deg, #141b2d 0%, #10172a 100%); border: 1px solid #222c44; border-radius: 20px; padding: 1.2rem 1.8rem; }
.wr-label { font-size: 1.6rem; color: #aab2c3; font-weight: 600; }
.wr-label-row { display: flex; justify-content: space-between; align-items: baseline; }
.wr-updated { font-size: 1.35rem; color: #8c95a8; }
/* A figure is as large as its panel allows: its width in em (--wr-ems, set beside it) over the panel's width (cqi). */
.wr-revenue-card, .wr-tile { container-type: inline-size; }
.wr-revenue { font-size: min(9.6rem, calc(100cqi / var(--wr-ems, 5.6))); font-weight: 800; color: #ffd666; line-height: 1.05;
  letter-spacing: -0.01em; margin: 0.2rem 0 0.6rem; text-shadow: 0 0 40px rgba(255, 214, 102, 0.25); white-space: nowrap; }
.wr-goal { margin-top: 0.5rem; }
.wr-goal-row { display: flex; justify-content: space-between; align-items: baseline; font-size: 1.55rem; color: #c9d1e0; margin-bottom: 0.4rem; }
.wr-goal-row b { font-size: 2.1rem; font-weight: 800; }
.wr-goal-row .wr-goal-note { font-size: 1.3rem; color: #8c95a8; margin-left: 0.8rem; }
.wr-track { position: relative; height: 2.3rem; background: #1f2940; border-radius: 999px; overflow: hidden; }
.wr-fill { height: 100%; border-radius: 999px; }
.wr-fill.base { background: linear-gradient(90deg, #d46b08, #ffa940); }
.wr-fill.stretch { background: linear-gradient(90deg, #cf1322, #ff4d4f); }
.wr-fill.done { background: linear-gradient(90deg, #d4b106, #ffd666); }
.wr-top { height: 28rem; }
.wr-revenue-card { display: flex; flex-direction: column; justify-content: space-between; }
.wr-tiles { display: grid; grid-template-columns: 1fr 1fr; grid-template-rows: 1fr 1fr 1fr; gap: 0.9rem; }
.wr-tile { background: linear-gradient(180deg, #141b2d 0%, #10172a 100%); border: 1px solid #222c44; border-radius: 18px; padding: 0.75rem 1.3rem; box-sizing: border-box; }
.wr-tile-label { font-size: 1.35rem; color: #aab2c3; font-weight: 600; }
.wr-tile-value { font-size: min(3.1rem, calc(100cqi / var(--wr-ems, 4))); font-weight: 800; margin-top: 0.15rem; white-space: nowrap; }
.wr-tile-value small { font-size: 0.52em; color: #aab2c3; font-weight: 600; margin-left: 0.2rem; }
.wr-tile-sub { font-size: 1.2rem; color: #8c95a8; margin-top: 0.2rem; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.wr-up { color: #ff7a45; } .wr-down { color: #69b1ff; } .wr-ok { color: #73d13d; } .wr-warn { color: #ffa940; } .wr-muted { color: #8c95a8; }
.wr-board { height: var(--wr-chart-height); }
[data-testid="stPlotlyChart"] { border: 1px solid #222c44; border-radius: 20px; overflow: hidden; }
.wr-board-title { font-size: 1.6rem; color: #aab2c3; font-weight: 700; margin-bottom: 0.5rem; }
.wr-row { display: grid; grid-template-columns: 3rem 7.5rem 1fr 11rem; align-items: center; gap: 0.9rem; height: 3.15rem; font-size: 1.7rem; }
.wr-rank { display: inline-flex; align-items: center; justify-content: center; width: 2.3rem; height: 2.3rem; border-radius: 50%;
  background: #222c44; color: #c9d1e0; font-weight: 800; font-size: 1.25rem; }
.wr-row.r1 .wr-rank { background: #ffd666; color: #1a1300; } .wr-row.r2 .wr-rank { background: #d9dee8; color: #1a1d24; }
.wr-row.r3 .wr-rank { background: #d48806; color: #1a1000; }
.wr-name { font-weight: 700; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.wr-bar { height: 0.9rem; background: #1f2940; border-radius: 999px; overflow: hidden; }
.wr-bar i { display: block; height: 100%; background: linear-gradient(90deg, #cf1322, #ff7875); border-radius: 999px; }
.wr-row.r1 .wr-bar i { background: linear-gradient(90deg, #d4b106, #ffd666); }
.wr-value { text-align: right; font-weight: 800; white-space: nowrap; }
.wr-empty { font-size: 1.6rem; color: #8c95a8; padding: 2rem 0; text-align: center; }
/* Fixed at the foot of the screen: a TV cannot scroll down to a line under the panels. */
.wr-footer { position: fixed; left: 0; right: 0; bottom: 0; z-index: 999980; font-size: 1.3rem; color: #ffc069;
  background: rgba(43, 31, 0, 0.94); border-top: 1px solid rgba(255, 169, 64, 0.5); padding: 0.5rem 2.2rem; }
""")


# -- formatting helpers -----------------------------------------------------------------------

# Any ASCII punctuation may be backslash-escaped in Markdown; Streamlit's own `:red[…]`, `:material/…:`
# and `$…$` (LaTeX) are made of it too.
_MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def plain(text: object) -> str:
    """Return text (a name from the event file or a feed) that Markdown shows as written: no bold, link, image, math or colour."""
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", " ".join(str(text).split()))


def plot_text(text: object) -> str:
    """Return text that plotly shows as written in a label, tick or hover (it reads <a>, <b>, <br> and entities as HTML)."""
    return html.escape(str(text), quote=False)


def event_time(moment: datetime, config: EventConfig) -> datetime:
    """Return a moment as wall time in the event's timezone."""
    return moment.astimezone(config.event.tz)


def trend(pace: Pace) -> str:
    """Return "up", "down" or "flat": the last 10 minutes' run-rate against the 10 before."""
    if pace.rate_last_fen > pace.rate_before_fen:
        return "up"
    if pace.rate_last_fen < pace.rate_before_fen:
        return "down"
    return "flat"


def fmt_standing(standing: Standing, lang: str) -> str:
    """Return a leaderboard value in its metric's unit: money, orders, a count or a ratio."""
    if standing.metric in MONEY_METRICS:
        return fmt_yuan(standing.value)
    if standing.metric == "orders":
        return t("orders_count", lang, count=fmt_int(standing.value))
    if isinstance(standing.value, Decimal) and standing.metric == "conversion":
        return fmt_pct(standing.value)
    return fmt_int(standing.value)


# -- the big-screen panels (pure: snapshot in, HTML or a figure out) ----------------------------


def header_html(config: EventConfig, snapshot: Snapshot, lang: str) -> str:
    """Return the header: the event's name and whether it is on air (the TV's language comes from its link's `lang`)."""
    pace = snapshot.pace
    if pace.on_air:
        parts = [t("on_air", lang)]
        if pace.session and pace.session != config.event.name:
            parts.append(pace.session)
        parts.append(t("live_minutes_left", lang, minutes=fmt_int(pace.live_minutes_left)))
        pill = f'<span class="wr-pill on">● {html.escape(" · ".join(parts))}</span>'
    else:
        parts = [t("off_air", lang)]
        if pace.next_start is not None:
            # Between two nights the TV says when the show is back, not only that it is off.
            parts.append(t("next_live", lang, name=pace.next_session or "", time=_when(pace.next_start, snapshot.as_of, config)).replace("  ", " "))
        pill = f'<span class="wr-pill off">○ {html.escape(" · ".join(parts))}</span>'
    return (
        f'<div class="wr wr-header"><div class="wr-title">{html.escape(config.event.name)}</div>'
        f'<div class="wr-header-right">{pill}</div></div>'
    )


def revenue_html(config: EventConfig, snapshot: Snapshot, lang: str) -> str:
    """Return the revenue card: the total, very large, when it was read, and the two goal bars."""
    updated = event_time(snapshot.as_of, config).strftime("%H:%M:%S")
    revenue = fmt_yuan(snapshot.revenue_fen)
    bars = "".join(
        _goal_bar(t(label, lang), snapshot.revenue_fen, goal_fen, kind, lang)
        for label, goal_fen, kind in (("base_goal", snapshot.base_fen, "base"), ("stretch_goal", snapshot.stretch_fen, "stretch"))
    )
    return (
        '<div class="wr wr-card wr-top wr-revenue-card"><div>'
        f'<div class="wr-label-row"><span class="wr-label">{t("revenue", lang)}</span>'
        f'<span class="wr-updated">{html.escape(t("updated_at", lang, time=updated))}</span></div>'
        f'<div class="wr-revenue"{fit_style(text_ems(revenue))}>{revenue}</div></div><div>{bars}</div></div>'
    )


def _goal_bar(label: str, revenue_fen: int, goal_fen: int, kind: str, lang: str) -> str:
    fraction = Decimal(revenue_fen) / goal_fen if goal_fen else Decimal(0)
    reached = goal_fen > 0 and revenue_fen >= goal_fen
    width = min(max(fraction, Decimal(0)), Decimal(1)) * 100
    note = t("goal_reached", lang) + " ✓" if reached else t("to_go", lang, amount=fmt_compact(goal_fen - revenue_fen, lang))
    css = "done" if reached else kind
    return (
        '<div class="wr-goal"><div class="wr-goal-row">'
        f'<span>{html.escape(label)} {fmt_yuan(goal_fen)}<span class="wr-goal-note">{html.escape(note)}</span></span>'
        f'<b class="{"wr-ok" if reached else ""}">{fmt_pct(fraction)}</b></div>'
        f'<div class="wr-track"><div class="wr-fill {css}" style="width:{width:.2f}%"></div></div></div>'
    )


def _tile(label: str, value: str, sub: str = "&nbsp;", value_class: str = "", unit: str = "") -> str:
    # The value and its small unit (at 0.52 em) are fitted to the tile's width together.
    small = f"<small>{html.escape(unit)}</small>" if unit else ""
    ems = text_ems(value) + 0.52 * (text_ems(unit) + 0.4)
    return (
        f'<div class="wr-tile"><div class="wr-tile-label">{label}</div>'
        f'<div class="wr-tile-value {value_class}"{fit_style(ems)}>{html.escape(value)}{small}</div><div class="wr-tile-sub">{sub}</div></div>'
    )


def kpi_tiles_html(snapshot: Snapshot, lang: str) -> str:
    """Return the tiles: paid orders, buyers against the number needed, the run-rate and where it is heading."""
    pace = snapshot.pace
    per_minute = t("per_minute", lang)
    tiles = [_tile(t("paid_orders", lang), fmt_int(snapshot.paid_orders), html.escape(t("aov", lang, amount=fmt_yuan(snapshot.aov_fen))))]

    buyers = fmt_int(snapshot.paying_customers)
    if snapshot.buyers_needed:
        reached = snapshot.paying_customers >= snapshot.buyers_needed
        progress = fmt_pct(Decimal(snapshot.paying_customers) / snapshot.buyers_needed)
        sub = f'<span class="{"wr-ok" if reached else ""}">{progress}{" ✓" if reached else ""}</span>'
        tiles.append(_tile(t("buyers", lang), buyers, sub, unit=f"/ {fmt_int(snapshot.buyers_needed)}"))
    else:
        tiles.append(_tile(t("buyers", lang), buyers))

    direction = trend(pace)
    if pace.rate_before_fen:
        change = (pace.rate_last_fen - pace.rate_before_fen) / pace.rate_before_fen
        arrow = {"up": "▲", "down": "▼", "flat": "■"}[direction]
        sub = f'<span class="wr-{direction}">{arrow} {fmt_pct(abs(change))}</span> {t("vs_previous", lang)}'
    else:
        sub = t("no_previous", lang)
    tiles.append(_tile(t("run_rate", lang), fmt_yuan(pace.rate_last_fen), sub, f"wr-{direction}" if direction != "flat" else "", unit=per_minute))

    band = t("projected_band", lang, low=fmt_compact(pace.projected_low_fen, lang), high=fmt_compact(pace.projected_high_fen, lang))
    tiles.append(_tile(t("projected", lang), fmt_compact(pace.projected_fen, lang), html.escape(band)))

    for key, needed, goal_fen in (("needed_base", pace.needed_base_fen, snapshot.base_fen), ("needed_stretch", pace.needed_stretch_fen, snapshot.stretch_fen)):
        if snapshot.revenue_fen >= goal_fen:
            tiles.append(_tile(t(key, lang), t("goal_reached", lang) + " ✓", "&nbsp;", "wr-ok"))
        elif needed is None:
            tiles.append(_tile(t(key, lang), "—", t("no_time_left", lang), "wr-muted"))
        else:
            # Green while the last ten minutes' pace would get there, amber when it would not.
            # Off air there is no pace to judge, so the figure stays neutral.
            keeping_up = "" if not pace.on_air else "wr-ok" if pace.rate_last_fen >= needed else "wr-warn"
            to_go = html.escape(t("to_go", lang, amount=fmt_compact(goal_fen - snapshot.revenue_fen, lang)))
            tiles.append(_tile(t(key, lang), fmt_yuan(needed), to_go, keeping_up, unit=per_minute))
    return f'<div class="wr wr-tiles wr-top">{"".join(tiles)}</div>'


def leaderboard_html(snapshot: Snapshot, lang: str, role: str = "order_taker", top: int = TOP_ORDER_TAKERS) -> str:
    """Return the top of one role's leaderboard: rank, name, a bar against the leader, and the value."""
    standings = [s for s in snapshot.leaderboards.get(role, []) if s.value > 0][:top]
    title = f'<div class="wr-board-title">{html.escape(t("top_order_takers", lang, n=top))}</div>'
    if not standings:
        return f'<div class="wr wr-card wr-board">{title}<div class="wr-empty">{html.escape(t("no_sales_yet", lang))}</div></div>'
    leader = max(Decimal(standings[0].value), Decimal(1))
    rows = "".join(
        f'<div class="wr-row r{s.rank}"><span class="wr-rank">{s.rank}</span>'
        f'<span class="wr-name">{html.escape(s.name)}</span>'
        f'<span class="wr-bar"><i style="width:{Decimal(s.value) / leader * 100:.1f}%"></i></span>'
        f'<span class="wr-value">{html.escape(fmt_standing(s, lang))}</span></div>'
        for s in standings
    )
    return f'<div class="wr wr-card wr-board">{title}{rows}</div>'


def _nice_step(top_fen: int) -> int:
    """Return a round tick step (1, 2, 2.5 or 5 × 10^k fen) that gives at most six ticks up to `top_fen`."""
    magnitude = 100
    while True:
        for factor in (1, 2, 2.5, 5):
            step = int(magnitude * factor)
            if top_fen / step <= 6:
                return step
        magnitude *= 10


def revenue_figure(config: EventConfig, snapshot: Snapshot, lang: str) -> go.Figure:
    """Return the cumulative revenue line in the event's timezone, with the base and stretch goals drawn across."""
    tz = config.event.tz

    def local(moment: datetime) -> datetime:
        # Plotly draws a timestamp's wall time as written, so hand it naive event-local times.
        return moment.astimezone(tz).replace(tzinfo=None)

    sessions = live_sessions(config)
    # A minute outside 2000-2100 (a row an older version stored) cannot be drawn: its revenue counts from the start.
    by_minute = [(minute, fen) for minute, fen in snapshot.revenue_by_minute if CHART_MINUTES[0] <= minute < CHART_MINUTES[1]]
    earlier = sum(fen for minute, fen in snapshot.revenue_by_minute if minute < CHART_MINUTES[0])
    start = min(sessions[0].start, at_minute(by_minute[0][0])) if by_minute else sessions[0].start
    moments, totals, running = [start], [earlier], earlier
    for minute, fen in by_minute:
        running += fen
        moments.append(at_minute(minute + 1))
        totals.append(running)
    # The axis runs to the end of the session on air (the runway left tonight), of the first session
    # before the event opens, or of the last one held after it: never on to today (warroom.review.chart_span).
    from warroom.review import chart_span

    end = chart_span(config, moments[1:], snapshot.as_of)[1]
    if min(snapshot.as_of, end) > moments[-1]:
        moments.append(min(snapshot.as_of, end))
        totals.append(running)
    times = [local(moment) for moment in moments]
    # The hours between live sessions are cut out of the time axis, so tonight is not squeezed
    # into a corner by the nights before; each session's start is marked with its name.
    breaks = [
        {"bounds": [local(before.end), local(after.start)]}
        for before, after in zip(sessions, sessions[1:], strict=False)
        if before.end < after.start and after.start <= snapshot.as_of
    ]

    top_fen = max(snapshot.stretch_fen, snapshot.revenue_fen, 100) * 1.12
    step = _nice_step(int(top_fen))
    ticks = list(range(0, int(top_fen) + step, step))
    # Shapes and annotations are written out, and the template left empty (every colour is set here):
    # plotly's add_hline and a named template cost over 100 ms a figure, and every TV asks every 2 s.
    shapes, annotations = [], []
    for fen, color, key in ((snapshot.base_fen, ORANGE, "chart_base"), (snapshot.stretch_fen, RED, "chart_stretch")):
        shapes.append({"type": "line", "xref": "x domain", "x0": 0, "x1": 1, "yref": "y", "y0": fen / 100, "y1": fen / 100,
                       "line": {"color": color, "width": 2.5, "dash": "dash"}})
        # Under the line at the left, where the curve is still low: above the stretch line a short chart has no room beside the session names.
        annotations.append({"xref": "x domain", "x": 0, "xanchor": "left", "yref": "y", "y": fen / 100, "yanchor": "top", "showarrow": False,
                            "text": t(key, lang, amount=fmt_compact(fen, lang)), "font": {"color": color, "size": 20}})
    if len(sessions) > 1:
        for session in sessions:
            if session.name and session.start <= snapshot.as_of:
                shapes.append({"type": "line", "xref": "x", "x0": local(session.start), "x1": local(session.start), "yref": "y domain", "y0": 0, "y1": 1,
                               "line": {"color": "#3a4458", "width": 1.5, "dash": "dot"}})
                # Above the plot area, where the line and the goal labels never reach.
                annotations.append({"x": local(session.start), "y": 1, "yref": "paper", "xanchor": "left", "yanchor": "bottom", "showarrow": False,
                                    "text": plot_text(session.name), "font": {"color": MUTED, "size": 18}})
    line = {"type": "scatter", "x": times, "y": [fen / 100 for fen in totals], "mode": "lines", "line": {"color": GOLD, "width": 5, "shape": "hv"},
            "fill": "tozeroy", "fillcolor": "rgba(255, 214, 102, 0.14)"}
    return go.Figure(data=[line], layout=dict(
        template={}, shapes=shapes, annotations=annotations, height=CHART_MIN_HEIGHT, showlegend=False, hovermode=False,
        paper_bgcolor="#10172a", plot_bgcolor="#10172a",
        font={"family": FONT_STACK, "size": 18, "color": "#c9d1e0"},
        title={"text": t("revenue_over_time", lang), "font": {"size": 26, "color": "#aab2c3"}, "x": 0.02, "y": 0.96},
        margin={"l": 90, "r": 30, "t": 86, "b": 50},
        xaxis={
            "showgrid": False, "linecolor": "#2f3a52", "rangebreaks": breaks, "range": [local(start), local(end)],
            "tickformatstops": [
                {"dtickrange": [None, 86_400_000], "value": "%H:%M"},
                {"dtickrange": [86_400_000, None], "value": "%m-%d"},
            ],
        },
        yaxis={
            "range": [0, top_fen / 100], "tickvals": [fen / 100 for fen in ticks], "ticktext": [fmt_axis_money(fen, lang) for fen in ticks],
            "gridcolor": "rgba(255,255,255,0.07)", "zeroline": False,
        },
    ))


def footer_notice_html(line: str) -> str:
    """Return the big screen's footer line (the store was opened again), escaped."""
    return f'<div class="wr wr-footer">⚠ {html.escape(line)}</div>'


def live_revenue_figure(live: LiveEvent, snapshot: Snapshot, lang: str) -> go.Figure:
    """Return the big screen's revenue line, built once per store change and event minute for every screen (shared: never change it)."""
    # Thirty TVs each asking every 2 s would otherwise build thirty identical figures.
    key = (snapshot.seq, int(snapshot.as_of.timestamp()) // 60)
    return live.shared(f"revenue_figure:{lang}").get(key, lambda: revenue_figure(live.config, snapshot, lang))


# == Access, navigation, and the personal, leaderboard and setup pages ============================
# Used by app.py, pages/login.py, my_ranking.py, leaderboards.py and setup.py. Who may see what is
# decided in warroom.access (plain Python); the pure HTML panels are in warroom.panels.

PERSONAL_REFRESH_SECONDS = 5  # phones: fresh between two orders, light on data and battery
SETUP_REFRESH_SECONDS = 10
DEFAULT_BASE_URL = "http://localhost:8501"
_LANG_KEY = "warroom_lang"

# The big screen for a signed-in lead: the kiosk look, but with the top navigation back.
SIGNED_IN_SCREEN_CSS = """
header[data-testid="stHeader"], header [data-testid="stToolbar"] { display: flex !important; }
[data-testid="stMainBlockContainer"] { padding-top: 4.2rem !important; }
"""


def remember_language() -> None:
    """Keep `?lang=` across pages: moving between pages clears the query string, so put it back from the session."""
    given = st.query_params.get("lang")
    if given is not None:
        st.session_state[_LANG_KEY] = normalize_lang(given)
    elif st.session_state.get(_LANG_KEY) == "en":
        st.query_params["lang"] = "en"


def language_switch(lang: str, key: str = "language_switch") -> None:
    """Show a small button, right-aligned, that switches the language without reloading the page."""
    if st.container(horizontal=True, horizontal_alignment="right").button(t("switch_language", lang), key=key, type="tertiary", icon=":material/translate:"):
        other = "zh" if lang == "en" else "en"
        st.session_state[_LANG_KEY] = other
        st.query_params["lang"] = other
        st.rerun()


def _secrets() -> dict:
    """Return the Streamlit secrets as a plain dict; empty without a secrets file."""
    try:
        return st.secrets.to_dict()
    except (FileNotFoundError, KeyError):
        # StreamlitSecretNotFoundError (no file, or one that does not parse) is a FileNotFoundError.
        return {}


def access_settings(live: LiveEvent) -> access.AccessSettings:
    """Return the event's passwords and link secret, the secrets file's over the event file's."""
    return access.access_settings(live.config, _secrets())


def signed_in() -> access.Viewer | None:
    """Return the viewer this session signed in as, or None."""
    return st.session_state.get(access.SESSION_KEY)


# A lead's or boss's sign-in outlives the session (a reload starts a new one) as a signed cookie; see warroom.access.
_SESSION_TOKEN_KEY = "warroom_session_token"  # the token this session's sign-in is kept under
_COOKIE_WANTED_KEY = "warroom_cookie_wanted"  # the cookie the browser should hold: a token, or "" for none
_SIGNED_OUT_KEY = "warroom_signed_out"  # this session signed out: its browser's cookie no longer counts
_COOKIE_SENT_KEY = "warroom_cookie_sent"  # the cookie this session already sent the browser to SESSION_ROUTE for
_SESSION_ID_KEY = "warroom_session_id"  # throttles this session's wrong passwords


@st.cache_resource(show_spinner=False)
def login_throttle() -> access.LoginThrottle:
    """Return the process's count of wrong passwords, per client and role, and each role's budget of them."""
    return access.LoginThrottle()


@st.cache_resource(show_spinner=False)
def _signed_out_tokens() -> set[str]:
    # Tokens signed out before they expired; a restart forgets them, and they still expire.
    return set()


def request_cookie(name: str) -> str | None:
    """Return a cookie the browser sent when this session connected, or None."""
    try:
        value = st.context.cookies.get(name)
    except (AttributeError, RuntimeError, KeyError):
        return None
    return value if isinstance(value, str) else None


def attempt_sign_in(settings: access.AccessSettings, role: str, password: str) -> access.SignInAttempt:
    """Return what a password gives, throttled per client (address and browser session) and role (see warroom.access.LoginThrottle)."""
    import secrets as random_secrets

    session = st.session_state.setdefault(_SESSION_ID_KEY, random_secrets.token_hex(8))
    try:
        address = st.context.ip_address
    except (AttributeError, RuntimeError):
        address = None
    client = access.client_key(address if isinstance(address, str) else None, session)
    return access.attempt_sign_in(settings, login_throttle(), role, password, client=client, now=time.monotonic())


def _viewer_from_cookie(settings: access.AccessSettings) -> access.Viewer | None:
    from datetime import UTC

    token = request_cookie(access.SESSION_COOKIE)
    if not token or st.session_state.get(_SIGNED_OUT_KEY) or token in _signed_out_tokens():
        return None
    viewer = access.viewer_from_session_token(settings, token, datetime.now(UTC))
    if viewer is not None:
        st.session_state[_SESSION_TOKEN_KEY] = token
    return viewer


SESSION_ROUTE = "/_warroom/session"  # where the browser is sent to have its sign-in cookie written or removed
_COOKIE_CODE_SECONDS = 60.0  # a code that hands a cookie to that route is good for this long, once
_cookie_codes: dict[str, tuple[str, float]] = {}  # one-use code -> (the cookie's value, "" to remove it; when the code expires)
_cookie_codes_lock = threading.Lock()


def cookie_code(value: str, now: float) -> str:
    """Return a one-use code that SESSION_ROUTE exchanges for writing `value` as the sign-in cookie ("" removes it)."""
    import secrets as random_secrets

    code = random_secrets.token_urlsafe(18)
    with _cookie_codes_lock:
        for old in [key for key, (_, expires) in _cookie_codes.items() if expires <= now]:
            del _cookie_codes[old]
        _cookie_codes[code] = (value, now + _COOKIE_CODE_SECONDS)
    return code


def redeem_cookie_code(code: str, now: float) -> str | None:
    """Return the cookie value a code was made for, once, while it is fresh; None for an unknown, used or expired code."""
    with _cookie_codes_lock:
        value, expires = _cookie_codes.pop(code, ("", 0.0))
    return value if expires > now else None


def write_session_cookie(page_path: str = "") -> None:
    """Have the browser fetch SESSION_ROUTE when its sign-in cookie should change, which writes it HttpOnly; call in app.py.

    A script in the page cannot write an HttpOnly cookie, so the page only sends the browser to the
    route with a one-use code; the route writes (or removes) the cookie and sends the browser back
    to `page_path` (the page the run shows, "" for the front page) with the page's query.
    """
    import json
    from urllib.parse import urlencode

    wanted = st.session_state.get(_COOKIE_WANTED_KEY)
    if wanted is None or wanted == (request_cookie(access.SESSION_COOKIE) or "") or st.session_state.get(_COOKIE_SENT_KEY) == wanted:
        return
    st.session_state[_COOKIE_SENT_KEY] = wanted  # once: the browser comes back from the route in a new session
    query = urlencode(st.query_params.to_dict())
    # Worked out here, not from the browser's address, which may still be the one before the sign-in's rerun.
    target = {"code": cookie_code(wanted, time.monotonic()), "next": f"/{page_path}" + (f"?{query}" if query else "")}
    st.html(f'<div class="wr-cookie"></div><script>location.replace("{SESSION_ROUTE}?" + new URLSearchParams({json.dumps(target)}));</script>',
            unsafe_allow_javascript=True)


def _safe_next(target: str) -> str:
    # Only a path of this site: never another host (//evil.example, /\\evil.example) to send a signed-in browser to.
    return target if target.startswith("/") and not target.startswith(("//", "/\\")) and "\\" not in target else "/"


async def _session_route(request):
    """Write (or remove) the sign-in cookie a one-use code names, HttpOnly, SameSite=Lax, Secure over https; then go back."""
    from starlette.responses import RedirectResponse

    value = redeem_cookie_code(request.query_params.get("code", ""), time.monotonic())
    response = RedirectResponse(_safe_next(request.query_params.get("next", "/")), status_code=303)
    response.headers["Cache-Control"] = "no-store"
    if value is not None:
        forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
        secure = request.url.scheme == "https" or forwarded == "https"
        if value:
            response.set_cookie(access.SESSION_COOKIE, value, max_age=int(access.SESSION_HOURS * 3600), path="/",
                                httponly=True, samesite="lax", secure=secure)
        else:
            response.delete_cookie(access.SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=secure)
    return response


def http_routes() -> list:
    """Return the HTTP routes the app serves beside Streamlit's: the sign-in cookie's."""
    from starlette.routing import Route

    return [Route(SESSION_ROUTE, _session_route, methods=["GET"])]


def current_viewer(live: LiveEvent, settings: access.AccessSettings) -> access.Viewer | None:
    """Return who is looking: a personal or kiosk link in the URL, else this session's sign-in, else an OIDC sign-in."""
    params = st.query_params
    if "kiosk" in params or "token" in params:
        if "kiosk" in params:
            found = access.viewer_from_kiosk(settings, params.get("kiosk"))
        else:
            found = access.viewer_from_token(settings, live.config, params.get("token"))
        if found is None:
            # A wrong link signs the session out: the login page says the link is not valid.
            st.session_state.pop(access.SESSION_KEY, None)
            return None
        st.session_state[access.SESSION_KEY] = found
        return found
    viewer = signed_in()
    if viewer is None:
        # A reload: the sign-in cookie of an earlier session in this browser.
        viewer = _viewer_from_cookie(settings)
        if viewer is not None:
            st.session_state[access.SESSION_KEY] = viewer
    if viewer is None and settings.oidc and st.user.is_logged_in:
        viewer = access.viewer_from_email(settings, st.user.get("email"))
        if viewer is not None:
            st.session_state[access.SESSION_KEY] = viewer
    if viewer is not None and viewer.via == "link" and viewer.staff_id:
        # Moving between pages clears the query string; put the link back so that a reload keeps working.
        token = access.token_for(settings, viewer.staff_id)
        if token:
            st.query_params["token"] = token
    elif viewer is not None and viewer.via == "kiosk" and settings.link_secret:
        st.query_params["kiosk"] = access.kiosk_token(settings.link_secret)
    return viewer


def sign_in(viewer: access.Viewer, settings: access.AccessSettings) -> None:
    """Keep a viewer in this session (and, for a password sign-in, in a cookie for the reloads) and rerun, so that the navigation becomes theirs."""
    from datetime import UTC

    st.session_state[access.SESSION_KEY] = viewer
    st.session_state.pop(_SIGNED_OUT_KEY, None)
    token = access.session_token(settings, viewer, datetime.now(UTC))
    if token:
        st.session_state[_SESSION_TOKEN_KEY] = st.session_state[_COOKIE_WANTED_KEY] = token
    # A refused link left in the address would sign the session straight out again.
    for name in ("token", "kiosk"):
        st.query_params.pop(name, None)
    st.rerun()


def sign_out() -> None:
    """Forget this session's viewer (and end an OIDC sign-in), then show the login page: the sign-out menu item."""
    viewer = st.session_state.pop(access.SESSION_KEY, None)
    # The token stops working in this process at once; the browser is told to drop the cookie.
    for token in (st.session_state.pop(_SESSION_TOKEN_KEY, None), request_cookie(access.SESSION_COOKIE)):
        if token:
            _signed_out_tokens().add(token)
    st.session_state[_SIGNED_OUT_KEY] = True
    st.session_state[_COOKIE_WANTED_KEY] = ""
    if viewer is not None and viewer.via == "oidc":
        st.logout()
    st.rerun()


def keeps_navigation() -> bool:
    """Return whether this session's viewer navigates between pages (a lead, a boss, staff), unlike the TV's kiosk link."""
    viewer = signed_in()
    return viewer is not None and viewer.role != access.KIOSK


def require_viewer(lang: str, roles: tuple[str, ...]) -> access.Viewer:
    """Return the signed-in viewer when their role may see this page; else say so and stop the page."""
    viewer = signed_in()
    if viewer is None or viewer.role not in roles:
        st.warning(t("access_staff_only" if access.STAFF in roles and viewer is not None else "access_denied", lang))
        st.stop()
    return viewer


def show_html(body: str) -> None:
    """Show an HTML panel, or nothing when it is empty (st.html refuses an empty body)."""
    if body:
        st.html(body)


def page_style() -> None:
    """Load the CSS of the personal, leaderboard and setup pages."""
    st.html(f"<style>{PAGE_CSS}</style>")


def on_phone() -> bool:
    """Return whether the browser says it is a phone (its User-Agent has "Mobile"): for charts too crowded to label in full there."""
    try:
        agent = st.context.headers.get("User-Agent") or ""
    except (AttributeError, RuntimeError, KeyError):
        return False
    return isinstance(agent, str) and "Mobile" in agent


def app_base_url(page_path: str) -> str:
    """Return the app's address as the browser sees it (without the page's path), else http://localhost:8501."""
    try:
        url = st.context.url or ""
    except (AttributeError, RuntimeError):
        url = ""
    url = url.split("?")[0].split("#")[0].rstrip("/")
    if page_path and url.endswith("/" + page_path):
        url = url[: -len(page_path) - 1]
    return url or DEFAULT_BASE_URL


@st.cache_data(show_spinner=False, max_entries=512)
def qr_png(text: str) -> bytes:
    """Return a QR code of `text` as PNG bytes."""
    import io

    import qrcode

    code = qrcode.QRCode(border=2, box_size=8, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(text)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").save(buffer, format="PNG")
    return buffer.getvalue()


# == Commission, review, exports, the operator page and the big screen's rail =====================
# Used by pages/commission.py, review.py, prompts.py and the right-hand rail of big_screen.py. The
# computations are in warroom.review and warroom.exports (plain Python); this section holds their
# cached wrappers, the CSS, pure HTML builders and the charts. Imports are local to keep this
# section apart from the shared import block at the top of the file.

RAIL_CLOCK_SECONDS = 1
RAIL_PROMPTS_SECONDS = 3
OPERATOR_REFRESH_SECONDS = 10
CELEBRATION_SECONDS = 12  # how long the banner stays up after a milestone
TICKER_ROWS = 5
URGENCY_COLORS = {"critical": RED, "high": ORANGE, "normal": BLUE, "low": MUTED}

RAIL_CSS = scaled("""
[data-testid="stMainBlockContainer"] [data-testid="stColumn"] .wr-rail { box-sizing: border-box; background: linear-gradient(180deg, #141b2d 0%, #10172a 100%);
  border: 1px solid #222c44; border-radius: 20px; padding: 0.85rem 1.3rem; overflow: hidden; }
.wr-clock { height: 7.4rem; display: flex; flex-direction: column; justify-content: center; }
.wr-clock-time { font-size: 4.3rem; font-weight: 800; line-height: 1; letter-spacing: 0.02em; }
.wr-clock-date { font-size: 1.25rem; color: #aab2c3; margin-top: 0.35rem; }
.wr-countdown { height: 12.2rem; display: flex; flex-direction: column; justify-content: space-between; }
.wr-countdown-time { font-size: 4.6rem; font-weight: 800; line-height: 1; color: #ff7875; }
.wr-countdown.running .wr-countdown-time { color: #73d13d; }
.wr-countdown.soon .wr-countdown-time { color: #ffd666; }
.wr-countdown.far .wr-countdown-time { color: #c9d1e0; }
.wr-countdown-product { font-size: 1.55rem; font-weight: 700; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.wr-countdown-price { font-size: 1.2rem; color: #aab2c3; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.wr-countdown-price b { color: #ffd666; font-size: 1.45rem; }
.wr-prompts { height: 24.6rem; }
.wr-prompt { border-left: 7px solid #69b1ff; background: rgba(255, 255, 255, 0.035); border-radius: 10px; padding: 0.5rem 0.8rem; margin-top: 0.6rem; }
.wr-prompt-title { font-size: 1.45rem; font-weight: 800; line-height: 1.25; display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical; overflow: hidden; }
.wr-prompt-meta { font-size: 1.1rem; color: #aab2c3; margin-top: 0.2rem; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.wr-prompt-tag { display: inline-block; font-size: 0.95rem; font-weight: 800; border-radius: 6px; padding: 0 0.45rem; margin-right: 0.4rem; color: #0b1020; }
.wr-prompt-more { font-size: 1.05rem; color: #8c95a8; margin-top: 0.5rem; }
.wr-sale-row { display: flex; justify-content: space-between; gap: 0.6rem; font-size: 1.3rem; padding: 0.45rem 0; border-bottom: 1px solid #1f2940; }
.wr-sale-row span:first-child { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.wr-ticker { height: 16.4rem; }
.wr-tick { display: grid; grid-template-columns: 4.2rem 7.6rem 1fr; gap: 0.7rem; align-items: baseline; height: 2.7rem; font-size: 1.3rem; border-bottom: 1px solid #1f2940; }
/* A fresh order's flash would otherwise touch the title above it. */
.wr-ticker .wr-rail-title + .wr-tick { margin-top: 0.3rem; }
.wr-tick:last-child { border-bottom: none; }
.wr-tick .t { color: #8c95a8; font-size: 1.1rem; }
.wr-tick .a { color: #ffd666; font-weight: 800; text-align: right; }
.wr-tick .w { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.wr-tick.fresh { animation: wr-flash 1.6s ease-out 2; }
@keyframes wr-flash { 0% { background: rgba(255, 214, 102, 0.35); } 100% { background: transparent; } }
.wr-rail-title { display: flex; justify-content: space-between; align-items: baseline; font-size: 1.4rem; color: #aab2c3; font-weight: 700; }
.wr-rail-title small { font-size: 1.05rem; color: #8c95a8; font-weight: 500; }
.wr-rail-empty { font-size: 1.3rem; color: #8c95a8; padding: 1.2rem 0; text-align: center; }
.wr-celebrate { position: fixed; left: 50%; top: 42%; transform: translate(-50%, -50%); z-index: 999990; pointer-events: none;
  background: radial-gradient(circle at 50% 30%, rgba(255, 214, 102, 0.98), rgba(212, 136, 6, 0.96)); color: #2b1600;
  border-radius: 36px; padding: 2.2rem min(4.4rem, 5vw); text-align: center; box-shadow: 0 0 120px rgba(255, 214, 102, 0.55);
  max-width: 94vw; box-sizing: border-box;
  animation: wr-pop 0.6s cubic-bezier(0.2, 1.6, 0.4, 1) both; }
/* Within the screen on a phone too: the banner is fixed in the middle of the viewport. */
.wr-celebrate b { display: block; font-size: min(7.5rem, 13vw); font-weight: 900; line-height: 1.05; white-space: nowrap; }
.wr-celebrate span { display: block; font-size: min(2.4rem, 5vw); font-weight: 800; margin-top: 0.4rem; }
@keyframes wr-pop { from { transform: translate(-50%, -50%) scale(0.3); opacity: 0; } to { transform: translate(-50%, -50%) scale(1); opacity: 1; } }
""")

BOSS_CSS = """
.wb { color: #f2f4f8; font-variant-numeric: tabular-nums; line-height: 1.35; }
/* Under the top navigation, as on the other pages; Streamlit's own 6rem leaves a band of nothing above the title. */
[data-testid="stMainBlockContainer"] { padding-top: 3.6rem !important; }
@media (max-width: 640px) { [data-testid="stMainBlockContainer"] { padding: 3.8rem 0.8rem 2rem !important; } }
.wb-kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(10.5rem, 1fr)); gap: 0.7rem; margin-bottom: 0.3rem; }
.wb-kpi { background: linear-gradient(180deg, #141b2d 0%, #10172a 100%); border: 1px solid #222c44; border-radius: 14px; padding: 0.7rem 1rem; min-width: 0;
  container-type: inline-size; }
.wb-kpi-label { font-size: 0.9rem; color: #aab2c3; font-weight: 600; }
/* As large as the card allows (the figure's width in em is set beside it), so that ¥57,205.95 is never cut on a phone. */
.wb-kpi-value { font-size: min(1.75rem, calc(100cqi / var(--wr-ems, 5))); font-weight: 800; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.wb-kpi-value.gold { color: #ffd666; } .wb-kpi-value.ok { color: #73d13d; } .wb-kpi-value.warn { color: #ffa940; } .wb-kpi-value.bad { color: #ff7875; }
.wb-kpi-sub { font-size: 0.85rem; color: #8c95a8; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.wb-pill { display: inline-block; border-radius: 999px; padding: 0.15rem 0.8rem; font-weight: 700; font-size: 0.95rem; margin-right: 0.5rem; }
.wb-pill.pending { background: rgba(255, 169, 64, 0.16); color: #ffc069; border: 1px solid rgba(255, 169, 64, 0.5); }
.wb-pill.final { background: rgba(115, 209, 61, 0.14); color: #95de64; border: 1px solid rgba(115, 209, 61, 0.5); }
.wb-pill.unlocked { background: rgba(115, 209, 61, 0.14); color: #95de64; border: 1px solid rgba(115, 209, 61, 0.5); }
.wb-pill.locked { background: rgba(140, 149, 168, 0.15); color: #c9d1e0; border: 1px solid #3a4458; }
.wb-pill.locked_again { background: rgba(255, 77, 79, 0.16); color: #ff7875; border: 1px solid rgba(255, 77, 79, 0.55); }
.wb-card { background: linear-gradient(180deg, #141b2d 0%, #10172a 100%); border: 1px solid #222c44; border-radius: 14px; padding: 0.9rem 1.1rem; }
.wb-note { font-size: 0.95rem; color: #c9d1e0; margin-top: 0.45rem; }
.wb-note.warn { color: #ffc069; } .wb-note.bad { color: #ff7875; } .wb-muted { color: #8c95a8; }
.wb-big { font-size: 2rem; font-weight: 800; color: #ffd666; }
.wb-op-head { display: flex; justify-content: space-between; align-items: baseline; gap: 0.5rem; flex-wrap: wrap; }
.wb-op-head b { font-size: 1.25rem; }
.wb-op-head > span { color: #aab2c3; font-size: 0.95rem; }
.wb-urgency { display: inline-block; font-size: 0.8rem; font-weight: 800; border-radius: 6px; padding: 0.05rem 0.45rem; color: #0b1020; margin-right: 0.4rem; vertical-align: 0.1rem; }
.wb-prompt-title { font-size: 1.15rem; font-weight: 800; line-height: 1.35; }
.wb-prompt-why { font-size: 0.92rem; color: #aab2c3; margin-top: 0.2rem; }
.wb-prompt-groups { font-size: 0.92rem; margin-top: 0.35rem; }
.wb-chip { display: inline-block; background: #1f2940; border-radius: 999px; padding: 0.05rem 0.55rem; margin: 0.12rem 0.2rem 0.12rem 0; font-size: 0.85rem; }
.wb-chip.done { background: rgba(115, 209, 61, 0.16); color: #95de64; }
.wb-chip.held { background: rgba(140, 149, 168, 0.15); color: #8c95a8; text-decoration: line-through; }
.wb-sale { display: flex; justify-content: space-between; align-items: baseline; gap: 0.6rem; }
.wb-sale-time { font-size: 2.4rem; font-weight: 800; color: #ff7875; line-height: 1.1; white-space: nowrap; }
.wb-sale.running .wb-sale-time { color: #73d13d; }
/* Messages are Chinese prose to paste into WeChat, not code: the page's font, wrapped. */
[data-testid="stCode"] pre, [data-testid="stCode"] code { font-family: """ + FONT_STACK + """ !important; white-space: pre-wrap !important; font-size: 0.98rem; line-height: 1.55; }
"""


# -- cached reads ---------------------------------------------------------------------------------


def rail_styles() -> None:
    """Load the CSS of the big screen's rail (clock, countdown, prompts, ticker, celebration)."""
    st.html(f"<style>{RAIL_CSS}</style>")


def boss_styles() -> None:
    """Load the CSS of the commission, review and operator pages."""
    st.html(f"<style>{BOSS_CSS}</style>")


def open_boss_page(lang: str) -> tuple[LiveEvent, Snapshot]:
    """Open the event for the commission or review page: check the viewer may see it, load the CSS, take the figures (else stop)."""
    live = open_event(lang)
    require_viewer(lang, access.COMMISSION_ROLES)
    boss_styles()
    snapshot = take_snapshot(live, lang)
    if snapshot is None:
        st.stop()
    return live, snapshot


@st.cache_resource(show_spinner=False, max_entries=8)
def _big_order_feed(source: str, _modified_ns: int, opened: int, _config: EventConfig):
    # Keyed on when the store was opened too: a feed remembers the orders it read, which a store opened again does not hold.
    from warroom.ticker import BigOrderFeed

    return BigOrderFeed(_config)


def big_orders(live: LiveEvent, now: datetime, limit: int = TICKER_ROWS) -> list:
    """Return the newest big orders up to `now` from one feed per process (each poll reads only the orders changed since the last)."""
    source = live.config.source.resolve()
    feed = _big_order_feed(str(source), source.stat().st_mtime_ns if source.exists() else 0, live.opened, live.config)
    store = live.figures.store
    return live.shared(f"big_orders:{limit}").get(store_seq(live), lambda: feed.poll(store, now=now, limit=limit), max_age=SHARED_MAX_AGE)


def event_now(live: LiveEvent) -> datetime:
    """Return the event clock: the wall clock, or the demo's replay clock."""
    return live.figures.clock.now()


@st.cache_data(show_spinner=False, ttl=600, max_entries=16)
def _cached_review(source: str, opened: int, seq: int, prompts_seq: int, minute: int, lang: str, _live: LiveEvent, _snapshot: Snapshot):
    from warroom.review import build_review

    return build_review(_live.figures.store, _live.config, _snapshot, lang)


def review_of(live: LiveEvent, snapshot: Snapshot, lang: str):
    """Return the review at this snapshot, built once per change to the store or the pushes (and per minute, for the lift windows)."""
    pushes = prompts_seq(live.figures.store)
    # When the store was opened keys it too: a store opened again starts its seq anew.
    return _cached_review(str(live.config.source), live.opened, snapshot.seq, pushes, int(snapshot.as_of.timestamp()) // 60, lang, live, snapshot)


@st.cache_data(show_spinner=False, ttl=120, max_entries=32)
def _cached_prompts(source: str, opened: int, minute: int, prompts_seq: int, states: tuple[str, ...], _now_ts: int, _live: LiveEvent):
    from datetime import UTC

    from warroom.clock import FixedClock
    from warroom.prompt_state import prompts_at

    moment = datetime.fromtimestamp(_now_ts, UTC)
    return prompts_at(_live.figures.store, _live.config, clock=FixedClock(moment), states=states)[1]


def live_prompts(live: LiveEvent, now: datetime, *, include_pending: bool = False) -> list:
    """Return the prompts at `now` (firing ones, active first).

    The evaluator's stored state is used when it ran lately, else the rules are replayed; either
    way the answer is kept for the minute, until the prompts change (the evaluator saw a change, a
    push, a silence).
    """
    from warroom.prompts import FIRING, PENDING

    minute = int(now.timestamp()) // 60
    states = (FIRING, PENDING) if include_pending else (FIRING,)
    # Keyed on the minute and on prompts_seq (which the evaluator, a push or a silence moves), computed
    # at the first request's second: a push made since then changes the key, so it shows at once. Not
    # on every store write: the rules read whole minutes, and re-running them for every order made
    # thirty TVs wait on a 0.1-0.3 s computation every second or so.
    pushes = live.shared("prompts_seq").get(None, lambda: prompts_seq(live.figures.store), max_age=SEQ_MAX_AGE)
    return _cached_prompts(str(live.config.source), live.opened, minute, pushes, states, int(now.timestamp()), live)


# -- the big screen's rail (pure: values in, HTML out) --------------------------------------------------


def _countdown_text(seconds: float) -> str:
    seconds = max(int(seconds), 0)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60:02d}:{rest % 60:02d}"


def clock_html(now: datetime, config: EventConfig, lang: str) -> str:
    """Return the clock: the event's wall time to the second, and the date."""
    local = event_time(now, config)
    weekday = t(f"bs_weekday_{local.weekday()}", lang)
    return (
        f'<div class="wr wr-rail wr-clock"><div class="wr-clock-time">{local:%H:%M:%S}</div>'
        f'<div class="wr-clock-date">{html.escape(t("bs_date", lang, month=local.month, day=local.day, weekday=weekday))}</div></div>'
    )


FAR_SALE_SECONDS = 3 * 3600  # further away than this, the next flash sale shows its start time, not a countdown


def _when(moment: datetime, now: datetime, config: EventConfig) -> str:
    """Return a coming moment as "19:45" on the same event-local day as `now`, else "05-21 19:45"."""
    local = event_time(moment, config)
    return f"{local:%H:%M}" if local.date() == event_time(now, config).date() else f"{local:%m-%d %H:%M}"


def countdown_html(sale, now: datetime, config: EventConfig, lang: str) -> str:
    """Return the countdown to the next flash sale (or the time left in the one running), with its product and price."""
    if sale is None:
        return (f'<div class="wr wr-rail wr-countdown"><div class="wr-rail-title">{html.escape(t("bs_next_sale", lang))}</div>'
                f'<div class="wr-rail-empty">{html.escape(t("bs_no_more_sales", lang))}</div><div></div></div>')
    running = sale.running(now)
    seconds = (sale.end - now).total_seconds() if running else (sale.at - now).total_seconds()
    far = not running and seconds >= FAR_SALE_SECONDS
    state = "running" if running else "soon" if seconds <= 300 else "far" if far else ""
    title = t("bs_sale_running", lang) if running else t("bs_next_sale", lang)
    starts = event_time(sale.at, config)
    when = t("bs_sale_ends", lang) if running else _when(sale.at, now, config)
    # Hours away (tomorrow's show), a countdown like 20:35:06 reads as a time of day: say when it starts, and in how long.
    big = f"{starts:%H:%M}" if far else _countdown_text(seconds)
    if far:
        when = t("bs_in", lang, time=fmt_duration(seconds, lang)) if starts.date() == event_time(now, config).date() else f"{starts:%m-%d}"
    price = t("bs_sale_price", lang, price=fmt_yuan(sale.price_fen))
    listed = f' · {html.escape(t("bs_list_price", lang, price=fmt_yuan(sale.list_price_fen)))}' if sale.list_price_fen else ""
    return (
        f'<div class="wr wr-rail wr-countdown {state}"><div class="wr-rail-title">{html.escape(title)}<small>{html.escape(when)}</small></div>'
        f'<div class="wr-countdown-time">{big}</div>'
        f'<div><div class="wr-countdown-product">{html.escape(sale.product)}</div>'
        f'<div class="wr-countdown-price"><b>{html.escape(price)}</b>{listed}</div></div></div>'
    )


def _group_count(groups: tuple[str, ...], lang: str) -> str:
    if not groups:
        return t("bs_all_groups", lang)
    return t("bs_group_one", lang) if len(groups) == 1 else t("bs_groups", lang, count=len(groups))


def prompts_panel_html(prompts: list, sales: list, now: datetime, config: EventConfig, lang: str, top: int = 3) -> str:
    """Return the prompts panel: the active prompts (urgent first), else the coming flash sales."""
    title = f'<div class="wr-rail-title">{html.escape(t("bs_prompts", lang))}'
    active = [prompt for prompt in prompts if prompt.active]
    if active:
        cards = []
        for prompt in active[:top]:
            color = URGENCY_COLORS.get(prompt.urgency, BLUE)
            meta = [_group_count(prompt.groups, lang)]
            if prompt.deadline and prompt.deadline > now:
                meta.append(t("bs_in", lang, time=_countdown_text((prompt.deadline - now).total_seconds())))
            what, why = title_and_reason(prompt, lang)
            cards.append(
                f'<div class="wr-prompt" style="border-left-color:{color}">'
                f'<div class="wr-prompt-title"><span class="wr-prompt-tag" style="background:{color}">{html.escape(t(f"op_urgency_{prompt.urgency}", lang))}</span>'
                f'{html.escape(what)}</div>'
                f'<div class="wr-prompt-meta">{html.escape(" · ".join(meta))} · {html.escape(why)}</div></div>'
            )
        more = f'<div class="wr-prompt-more">{html.escape(t("bs_more_prompts", lang, count=len(active) - top))}</div>' if len(active) > top else ""
        return f'<div class="wr wr-rail wr-prompts">{title}<small>{len(active)}</small></div>{"".join(cards)}{more}</div>'
    coming = [sale for sale in sales if sale.end > now][:4]
    held = sum(1 for prompt in prompts if prompt.suppressed_by and not prompt.done)
    note = t("bs_held_prompts", lang, count=held) if held else t("bs_no_prompts", lang)
    rows = "".join(
        f'<div class="wr-sale-row"><span>{_when(sale.at, now, config)} {html.escape(sale.product)}</span>'
        f'<span class="wr-muted">{html.escape(fmt_yuan(sale.price_fen))}</span></div>'
        for sale in coming
    )
    if coming:
        body = f'<div class="wr-prompt-more">{html.escape(note)}</div><div class="wr-rail-title" style="margin-top:0.7rem">{html.escape(t("bs_coming_sales", lang))}</div>{rows}'
    else:
        body = f'<div class="wr-rail-empty">{html.escape(note)}</div>'
    return f'<div class="wr wr-rail wr-prompts">{title}<small></small></div>{body}</div>'


def ticker_html(orders: list, now: datetime, config: EventConfig, lang: str, threshold_fen: int) -> str:
    """Return the big-order ticker: time, amount, who took it and what it was (names escaped, phones masked)."""
    title = (f'<div class="wr-rail-title">{html.escape(t("bs_big_orders", lang))}'
             f'<small>{html.escape(t("bs_big_orders_from", lang, amount=fmt_yuan(threshold_fen)))}</small></div>')
    if not orders:
        return f'<div class="wr wr-rail wr-ticker">{title}<div class="wr-rail-empty">{html.escape(t("bs_no_big_orders", lang))}</div></div>'
    rows = []
    for order in orders:
        who = " · ".join(part for part in (order.staff, order.product) if part) or order.customer
        fresh = " fresh" if (now - order.ts).total_seconds() < 120 else ""
        rows.append(
            f'<div class="wr-tick{fresh}"><span class="t">{event_time(order.ts, config):%H:%M}</span>'
            f'<span class="a">{fmt_yuan(order.amount_fen)}</span><span class="w">{html.escape(who)}</span></div>'
        )
    return f'<div class="wr wr-rail wr-ticker">{title}{"".join(rows)}</div>'


def celebration_html(milestone_fen: int, kind: str, lang: str) -> str:
    """Return the celebration banner for a milestone or a goal crossed."""
    headline = t("bs_milestone", lang, amount=fmt_axis_money(milestone_fen, lang))
    sub = t(f"bs_goal_{kind}", lang) if kind in ("base", "stretch") else t("bs_keep_going", lang)
    # No emoji: a TV browser without an emoji font would show a box.
    return f'<div class="wr-celebrate"><b>{html.escape(headline)}</b><span>{html.escape(sub)}</span></div>'


# -- the boss pages' panels and charts --------------------------------------------------------------------


def kpis_html(tiles: list[tuple[str, str, str, str]]) -> str:
    """Return a row of KPI cards from (label, value, sub-line, css class) tuples; every text escaped."""
    cards = "".join(
        f'<div class="wb-kpi"><div class="wb-kpi-label">{html.escape(label)}</div>'
        f'<div class="wb-kpi-value {css}"{fit_style(text_ems(value))}>{html.escape(value)}</div><div class="wb-kpi-sub">{html.escape(sub) or "&nbsp;"}</div></div>'
        for label, value, sub, css in tiles
    )
    return f'<div class="wb wb-kpis">{cards}</div>'


def commission_kpis_html(snapshot: Snapshot, totals, lang: str) -> str:
    """Return the commission page's cards: revenue, commission, the pool, paid out, owed and clawbacks."""
    from warroom.money import yuan_text

    pool = snapshot.team_pool
    return kpis_html([
        (t("revenue", lang), fmt_yuan(snapshot.revenue_fen), t("cm_orders", lang, orders=fmt_int(snapshot.paid_orders)), "gold"),
        (t("cm_commission_total", lang), yuan_text(totals.commission_fen), t("cm_earners", lang, count=totals.earners), ""),
        (t("cm_pool", lang), yuan_text(pool.amount_fen), t(f"cm_pool_{pool.state}", lang), "ok" if pool.unlocked else "bad" if pool.locked_again else ""),
        (t("cm_paid_total", lang), yuan_text(totals.paid_fen), "", ""),
        (t("cm_owed", lang), yuan_text(totals.owed_fen), t(f"cm_status_{snapshot.commission_status}", lang), "warn" if totals.owed_fen else ""),
        (t("cm_clawbacks", lang), yuan_text(totals.clawback_fen), t("cm_clawback_people", lang, count=totals.overpaid), "bad" if totals.clawback_fen else ""),
    ])


def status_html(status: str, deadline: datetime, config: EventConfig, lang: str) -> str:
    """Return the pending/final pill with the date commission becomes final."""
    local = event_time(deadline, config).strftime("%Y-%m-%d %H:%M")
    note = t(f"cm_status_note_{status}", lang, date=local)
    return f'<div class="wb"><span class="wb-pill {status}">{html.escape(t(f"cm_status_{status}", lang))}</span>{html.escape(note)}</div>'


def pool_html(snapshot: Snapshot, config: EventConfig, lang: str) -> str:
    """Return the team pool's card: locked or not, why, how much, how it is shared, and the warning that it can lock again."""
    from warroom.money import yuan_text

    pool = snapshot.team_pool
    goal = t(f"cm_goal_{pool.goal}", lang)
    lines = [f'<span class="wb-pill {pool.state}">{html.escape(t(f"cm_pool_{pool.state}", lang))}</span>'
             f'{html.escape(t("cm_pool_rule", lang, rate=fmt_pct(pool.rate), goal=goal, amount=fmt_yuan(pool.goal_fen)))}']
    lines.append(f'<div class="wb-big">{html.escape(yuan_text(pool.amount_fen))}</div>')
    if pool.state == "unlocked":
        lines.append(f'<div class="wb-note warn">{html.escape(t("cm_pool_may_lock", lang, goal=goal, amount=fmt_yuan(pool.goal_fen)))}</div>')
    elif pool.state == "locked_again":
        lines.append(f'<div class="wb-note bad">{html.escape(t("cm_pool_relocked", lang, goal=goal, short=yuan_text(pool.short_fen), peak=fmt_yuan(pool.peak_fen)))}</div>')
    else:
        lines.append(f'<div class="wb-note">{html.escape(t("cm_pool_to_go", lang, short=yuan_text(pool.short_fen)))}</div>')
    split = t(f"cm_split_{pool.split}", lang)
    if pool.unlocked and pool.split == "equal" and pool.shares_fen:
        share = next(iter(pool.shares_fen.values()))
        split += " · " + t("cm_each", lang, count=len(pool.shares_fen), amount=yuan_text(share))
    lines.append(f'<div class="wb-note">{html.escape(split)}</div>')
    return f'<div class="wb wb-card">{"".join(lines)}</div>'


def commission_figure(rows: list, config: EventConfig, lang: str, top: int = 25) -> go.Figure:
    """Return each earner's commission by band, stacked, with their team-pool share on the end; best earners on top."""
    from warroom.commission import band_labels
    from warroom.money import to_yuan

    # People with commission of their own; those with only a pool share are in the table, not here.
    earners = sorted((row for row in rows if row.commission_fen > 0), key=lambda row: (-row.total_fen, row.staff_id))[:top]
    earners.reverse()  # plotly draws the first bar at the bottom
    names = [plot_text(row.name) for row in earners]
    colors = ("#69b1ff", "#ffa940", "#ff4d4f", "#b37feb", "#5cdbd3", "#ff85c0")
    figure = go.Figure()
    for index, label in enumerate(band_labels(config)):
        figure.add_bar(y=names, x=[to_yuan(row.band_commission_fen[index]) for row in earners], orientation="h",
                       name=plot_text(t("cm_band_commission", lang, band=label)), marker_color=colors[index % len(colors)])
    figure.add_bar(y=names, x=[to_yuan(row.pool_share_fen) for row in earners], orientation="h", name=t("cm_pool_share", lang), marker_color=GOLD)
    figure.update_layout(
        barmode="stack", height=max(260, 28 * len(earners) + 110), margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0, "traceorder": "normal"}, xaxis={"tickprefix": "¥", "tickformat": ",.0f"},
        font={"family": FONT_STACK},
    )
    return figure


def review_revenue_figure(review, config: EventConfig, lang: str, height: int = 460, compact: bool = False) -> go.Figure:
    """Return revenue over time against the goals, with each flash sale shaded and each one held so far marked with its product.

    `compact` (a phone) labels the marks with their numbers only; the products are in the flash-sales tab and the hover.
    """
    from bisect import bisect_right
    from datetime import timedelta

    from warroom.review import chart_span
    from warroom.schedule import flash_sales

    tz = config.event.tz

    def local(moment: datetime) -> datetime:
        return moment.astimezone(tz).replace(tzinfo=None)

    sessions = live_sessions(config)
    # The axis is the event's (its sessions, or its data's span): points outside it are drawn off the edge.
    start, end = chart_span(config, [moment for moment, _ in review.curve], review.as_of)
    first = min(start, review.curve[0][0] - timedelta(minutes=1)) if review.curve else start
    moments = [first, *(moment for moment, _ in review.curve)]
    totals = [0, *(value for _, value in review.curve)]
    breaks = [{"bounds": [local(before.end), local(after.start)]} for before, after in zip(sessions, sessions[1:], strict=False) if before.end < after.start]
    figure = go.Figure(go.Scatter(
        x=[local(moment) for moment in moments], y=[value / 100 for value in totals], mode="lines", name=t("rv_curve", lang),
        line={"color": GOLD, "width": 3, "shape": "hv"}, fill="tozeroy", fillcolor="rgba(255, 214, 102, 0.12)",
        hovertemplate="%{x|%m-%d %H:%M}<br>¥%{y:,.0f}<extra></extra>",
    ))
    for fen, color, key in ((review.base_fen, ORANGE, "chart_base"), (review.stretch_fen, RED, "chart_stretch")):
        figure.add_hline(y=fen / 100, line={"color": color, "width": 2, "dash": "dash"},
                         annotation={"text": t(key, lang, amount=fmt_compact(fen, lang)), "font": {"color": color}}, annotation_position="top left")
    sales = [sale for sale in flash_sales(config) if sale.at <= end]
    xs, ys, hovers = [], [], []
    for index, sale in enumerate(sales):
        held = sale.at <= review.data_time
        # A sale still to come is shaded lighter, without a mark: there is no level of the curve to put it at yet.
        figure.add_vrect(x0=local(sale.at), x1=local(sale.end), fillcolor=f"rgba(255, 77, 79, {0.16 if held else 0.07})", line_width=0, layer="below")
        if not held:
            continue
        at = bisect_right(moments, sale.at) - 1
        xs.append(local(sale.at))
        ys.append(totals[max(at, 0)] / 100)
        short = sale.product if len(sale.product) <= 7 else sale.product[:6] + "…"
        hovers.append(f"{local(sale.at):%m-%d %H:%M} {plot_text(sale.product)}<br>{plot_text(t('bs_sale_price', lang, price=fmt_yuan(sale.price_fen)))}")
        # Labels above the curve (it only rises), at two heights so that neighbours do not collide.
        figure.add_annotation(
            x=xs[-1], y=ys[-1], text=f"{index + 1}" if compact else f"{index + 1}. {plot_text(short)}", showarrow=True, arrowhead=0, arrowcolor="rgba(255, 120, 117, 0.7)",
            ax=-8, ay=-34 if index % 2 == 0 else -62, font={"size": 11, "color": "#ffb3b3"}, bgcolor="rgba(11, 16, 32, 0.75)",
        )
    if xs:
        figure.add_scatter(
            x=xs, y=ys, mode="markers", name=t("rv_flash_sales", lang), hovertext=hovers, hoverinfo="text",
            marker={"symbol": "diamond", "size": 10, "color": RED, "line": {"color": "#0b1020", "width": 1}},
        )
    top_fen = max(review.stretch_fen, review.revenue_fen, 100) * 1.1
    step = _nice_step(int(top_fen))
    ticks = list(range(0, int(top_fen) + step, step))
    figure.update_layout(
        height=height, showlegend=False, margin={"l": 10, "r": 10, "t": 30, "b": 10}, font={"family": FONT_STACK},
        xaxis={"rangebreaks": breaks, "range": [local(start), local(end)], "showgrid": False,
               "tickformatstops": [{"dtickrange": [None, 86_400_000], "value": "%H:%M\n%m-%d"}, {"dtickrange": [86_400_000, None], "value": "%m-%d"}]},
        yaxis={"range": [0, top_fen / 100], "tickvals": [fen / 100 for fen in ticks], "ticktext": [fmt_axis_money(fen, lang) for fen in ticks]},
    )
    return figure


def bar_figure(labels: list[str], values: list[int | float], lang: str, *, horizontal: bool = False, height: int = 340, color: str = GOLD,
               money: bool = True) -> go.Figure:
    """Return a bar chart by label, each bar labelled: money given in fen (shown as compact yuan), else plain numbers."""
    shown = [value / 100 for value in values] if money else list(values)
    text = [fmt_compact(value, lang) for value in values] if money else [f"{value:,.1f}".removesuffix(".0") for value in values]
    template = "¥%{VALUE:,.2f}" if money else "%{VALUE:,.1f}"
    labels = [plot_text(label) for label in labels]  # names from the feeds and the event file: text, not plotly's HTML
    if horizontal:
        bar = go.Bar(y=labels[::-1], x=shown[::-1], text=text[::-1], orientation="h", marker_color=color, textposition="auto",
                     hovertemplate="%{y}<br>" + template.replace("VALUE", "x") + "<extra></extra>")
    else:
        bar = go.Bar(x=labels, y=shown, text=text, marker_color=color, textposition="auto",
                     hovertemplate="%{x}<br>" + template.replace("VALUE", "y") + "<extra></extra>")
    figure = go.Figure(bar)
    axis = {"tickprefix": "¥", "separatethousands": True} if money else {"separatethousands": True}
    figure.update_layout(height=height, margin={"l": 10, "r": 10, "t": 20, "b": 10}, font={"family": FONT_STACK},
                         **({"xaxis": axis, "yaxis": {"automargin": True}} if horizontal else {"yaxis": axis, "xaxis": {"type": "category"}}))
    return figure


def donut_figure(labels: list[str], values_fen: list[int], lang: str, height: int = 320) -> go.Figure:
    """Return a donut of money shares by label."""
    colors = [GOLD, RED, BLUE, GREEN, ORANGE, "#b37feb", "#5cdbd3", MUTED]
    figure = go.Figure(go.Pie(labels=[plot_text(label) for label in labels], values=[fen / 100 for fen in values_fen], hole=0.55, sort=False,
                              marker={"colors": colors[:len(labels)]}, textinfo="label+percent",
                              hovertemplate="%{label}<br>¥%{value:,.2f} (%{percent})<extra></extra>"))
    figure.update_layout(height=height, margin={"l": 10, "r": 10, "t": 10, "b": 10}, showlegend=False, font={"family": FONT_STACK})
    return figure


def funnel_figure(review, lang: str, height: int = 320) -> go.Figure:
    """Return the funnel joined → entered live → paid, with each stage's share of the first."""
    figure = go.Figure(go.Funnel(
        y=[t(f"rv_funnel_{step.key}", lang) for step in review.funnel], x=[step.customers for step in review.funnel],
        texttemplate=t("rv_funnel_text", lang), marker={"color": [BLUE, ORANGE, GOLD]}, textfont={"color": "#0b1020"},
    ))
    figure.update_layout(height=height, margin={"l": 10, "r": 10, "t": 10, "b": 10}, font={"family": FONT_STACK})
    return figure


def show_table(table, *, height: int | str = "auto", key: str | None = None) -> None:
    """Show a review table: money in yuan, counts and shares formatted, times in event time."""
    import pandas as pd

    columns: dict[str, list] = {header: [] for header in table.headers}
    config: dict = {}
    for header, kind in zip(table.headers, table.kinds, strict=True):
        if kind == "money":
            config[header] = st.column_config.NumberColumn(header, format="¥%,.2f")
        elif kind == "count":
            config[header] = st.column_config.NumberColumn(header, format="%,d")
        elif kind == "percent":
            config[header] = st.column_config.NumberColumn(header, format="%.1f%%")
        elif kind == "number":
            config[header] = st.column_config.NumberColumn(header, format="%,.2f")
        elif kind == "time":
            config[header] = st.column_config.DatetimeColumn(header, format="MM-DD HH:mm")
    for row in table.rows:
        for header, kind, value in zip(table.headers, table.kinds, row, strict=True):
            if value is None:
                columns[header].append(None)
            elif kind == "money":
                columns[header].append(float(Decimal(value) / 100))
            elif kind == "percent":
                columns[header].append(float(Decimal(value) * 100))
            elif kind == "number":
                columns[header].append(float(value))
            elif kind == "text":
                from warroom.i18n import mask_phone

                columns[header].append(mask_phone(str(value)))
            else:
                columns[header].append(value)
    st.dataframe(pd.DataFrame(columns), hide_index=True, column_config=config, height=height, key=key, placeholder="—")


def safe_file_name(*parts: str, suffix: str) -> str:
    """Return a download file name from parts, without characters a file system or a header refuses."""
    import re

    name = "_".join(re.sub(r'[\\/:*?"<>|\s]+', "-", part).strip("-") for part in parts if part)
    return f"{name or 'warroom'}.{suffix}"


def operator_sale_html(sale, now: datetime, config: EventConfig, lang: str) -> str:
    """Return the operator page's flash-sale card: what, when, at what price, and the countdown."""
    if sale is None:
        return f'<div class="wb wb-card">{html.escape(t("bs_no_more_sales", lang))}</div>'
    running = sale.running(now)
    seconds = (sale.end - now).total_seconds() if running else (sale.at - now).total_seconds()
    label = t("bs_sale_running", lang) if running else t("op_next_sale_at", lang, time=event_time(sale.at, config).strftime("%m-%d %H:%M"))
    price = t("bs_sale_price", lang, price=fmt_yuan(sale.price_fen))
    return (
        f'<div class="wb wb-card"><div class="wb-sale {"running" if running else ""}"><div>'
        f'<div class="wb-kpi-label">{html.escape(label)}</div><div class="wb-prompt-title">{html.escape(sale.product)}</div>'
        f'<div class="wb-prompt-why">{html.escape(price)}</div></div>'
        f'<div class="wb-sale-time">{_countdown_text(seconds)}</div></div></div>'
    )


# SPEC §5: text keeps any Unicode but NUL and the other C0 controls, tab aside; a lone surrogate cannot be stored at all.
_CONTROLS = re.compile(r"[\x00-\x08\x0a-\x1f]")
_SURROGATES = re.compile(r"[\ud800-\udfff]")
TEXT_LIMIT = 500  # characters of a viewer's text kept in the store
SILENCE_LIMIT_MINUTES = 24 * 60


def clean_text(text: object, limit: int = TEXT_LIMIT) -> str:
    """Return text fit to store from a form: C0 controls (but tab) removed, lone surrogates as U+FFFD, at most `limit` characters."""
    return _CONTROLS.sub("", _SURROGATES.sub("\ufffd", str(text)))[:limit]


def record_push(store, prompt, staff_id: str | None, groups: list[str], at: datetime, group_names: dict[str, str], lang: str) -> tuple[str, str]:
    """Record the operator page's "I pushed it" and return its (kind, message) flash; a bad value gets a warning, never an exception."""
    from warroom.i18n import fmt_list
    from warroom.prompt_state import acknowledge

    # Only the prompt's own groups, once each, in its order: a form cannot record a push into anything else.
    chosen = [group for group in prompt.groups if group in set(groups)]
    if not staff_id:
        return ("warning", t("op_ack_not_stored", lang))
    try:
        acknowledge(store, prompt.key, clean_text(staff_id), at=at, groups=chosen, template=prompt.template)
    except (KeyError, ValueError):
        return ("warning", t("op_ack_not_stored", lang))
    names = fmt_list((plain(group_names.get(group, group)) for group in chosen), lang) or t("op_all_groups", lang)
    return ("success", t("op_acked", lang, title=plain(title_and_reason(prompt, lang)[0]), groups=names))


def record_silence(store, minutes: object, created_by: str, at: datetime, rule: str | None, title: str, lang: str) -> tuple[str, str]:
    """Record a silence from the operator page and return its (kind, message) flash; minutes outside 1 minute to a day are refused."""
    import math

    from warroom.prompt_state import silence

    if isinstance(minutes, bool) or not isinstance(minutes, int | float) or not math.isfinite(minutes) or not 1 <= minutes <= SILENCE_LIMIT_MINUTES:
        return ("warning", t("op_silence_refused", lang, limit=SILENCE_LIMIT_MINUTES))
    silence(store, minutes=minutes, created_by=clean_text(created_by), at=at, rule=None if rule is None else clean_text(rule), comment=clean_text(title))
    return ("success", t("op_silenced", lang, minutes=fmt_int(minutes)))


def operator_status_html(line: str) -> str:
    """Return the operator page's status line (the time, how many prompts, revenue), escaped."""
    return f'<div class="wb wb-muted" style="font-size:0.92rem">{html.escape(line)}</div>'


def operator_prompt_html(prompt, group_names: dict[str, str], now: datetime, lang: str) -> str:
    """Return one prompt's head on the operator page: urgency, what to push, why, and its groups (to push, pushed, held back)."""
    color = URGENCY_COLORS.get(prompt.urgency, BLUE)
    # The groups still to push are the page's toggles (when the prompt is active); here, what is done or held back.
    chips = [] if prompt.active else [f'<span class="wb-chip">{html.escape(group_names.get(g, g))}</span>' for g in prompt.groups]
    chips += [f'<span class="wb-chip done">✓ {html.escape(group_names.get(g, g))}</span>' for g in prompt.pushed_groups]
    chips += [f'<span class="wb-chip held">{html.escape(group_names.get(g, g))}</span>' for g in (*prompt.cooling_groups, *prompt.silenced_groups)]
    state = ""
    if prompt.done:
        state = t("op_done", lang)
    elif prompt.suppressed_by:
        state = t("op_held", lang, why=", ".join(t(f"op_held_{reason.split(':')[0]}", lang) for reason in prompt.suppressed_by))
    elif prompt.deadline and prompt.deadline > now:
        state = t("bs_in", lang, time=_countdown_text((prompt.deadline - now).total_seconds()))
    what, why = title_and_reason(prompt, lang)
    return (
        f'<div class="wb"><div class="wb-op-head"><div class="wb-prompt-title"><span class="wb-urgency" style="background:{color}">'
        f'{html.escape(t(f"op_urgency_{prompt.urgency}", lang))}</span>{html.escape(what)}</div>'
        f'<span>{html.escape(state)}</span></div>'
        f'<div class="wb-prompt-why">{html.escape(t("op_why", lang))}{html.escape(why)}</div>'
        + (f'<div class="wb-prompt-groups">{"".join(chips)}</div>' if chips else "")
        + (f'<div class="wb-prompt-groups wb-muted">{html.escape(t("op_no_groups", lang))}</div>' if not prompt.target_groups else "")
        + "</div>"
    )
