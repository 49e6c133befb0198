"""The earlier events of `[[history]]`: finding their files, refusing a history that goes round, opening their stores read-only.

A history path is read when it is used, not when the event file loads (the earlier event may be on
another machine's path). A missing file, a path the system cannot look up, a store that holds no
figures yet, or a history that leads back to an event already on the way is one line (ConfigError).
The earlier event's store is the one its own file names: WARROOM_DB_URL is this event's.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from warroom.compare import CampaignFigures, campaign_figures
from warroom.config import ConfigError, EventConfig, load_event, store_url_problem
from warroom.redact import hide_password, safe_url
from warroom.rules import LedgerRules
from warroom.store import Store, StoreNotReady
from warroom.text import printable

# How deep a chain of [[history]] files is followed looking for a cycle; a real history is a few events long.
MAX_HISTORY_DEPTH = 32


def _is_file(path: Path, key: str) -> bool:
    """Return whether `path` is a file; ConfigError (one line naming `key`) when the system cannot even look (a name too long …)."""
    try:
        return path.is_file()
    except (OSError, ValueError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise ConfigError(f"{key}: expected a path to an earlier event's file that can be read, got {str(path)[:120]!r} ({reason})") from None


def _check_no_cycle(path: Path) -> None:
    """Raise ConfigError when the [[history]] files reachable from `path` lead back to one already on the way."""

    def walk(current: Path, trail: tuple[Path, ...]) -> None:
        try:
            if len(trail) > MAX_HISTORY_DEPTH or not current.is_file():
                return
        except (OSError, ValueError):
            return
        try:
            config = load_event(current)
        except ConfigError:
            return  # a broken file further back is that event's own business
        for index, entry in enumerate(config.history):
            try:
                target = entry.resolved(config.folder)
            except (OSError, ValueError, RuntimeError):
                continue
            if target in trail or target == current:
                route = printable(" → ".join(str(step) for step in (*trail, current, target)))
                raise ConfigError(f"{current}: key 'history[{index}].path': expected an earlier event, but the history goes round: {route}")
            walk(target, (*trail, current))

    walk(path.resolve(), ())


def load_earlier(config: EventConfig, path: str | os.PathLike) -> EventConfig:
    """Return the earlier event's config from its event file; raise ConfigError (one line) when it is missing, is this event, or the history goes round."""
    try:
        target = Path(path).expanduser().resolve()
    except (OSError, ValueError, RuntimeError):
        target = Path(path)
    if target == config.source.resolve():
        raise ConfigError(f"{printable(str(path))}: expected an earlier event's file, got this event's own ({config.source})")
    if not _is_file(target, "--with"):
        raise ConfigError(f"{printable(str(path))}: no such event file (the earlier event's file; is it on this machine?)")
    earlier = load_event(target)
    for start in (config.source, target):
        _check_no_cycle(start)
    return earlier


def history_config(config: EventConfig, index: int = 0) -> tuple[EventConfig, str]:
    """Return the earlier event named by `[[history]]` entry `index` and its label; ConfigError when there is none or it cannot be read."""
    if not 0 <= index < len(config.history):
        raise ConfigError(f"{config.source}: key 'history': expected a [[history]] entry naming an earlier event's file (path = \"../38/event.toml\")")
    entry = config.history[index]
    key = f"{config.source}: key 'history[{index}].path'"
    try:
        target = entry.resolved(config.folder)
    except (OSError, ValueError, RuntimeError):
        target = config.folder / entry.path
    if not _is_file(target, key):
        raise ConfigError(f"{key}: expected an earlier event's file, but {printable(str(target))[:200]} does not exist")
    earlier = load_earlier(config, target)
    return earlier, entry.label or earlier.event.name


def history_label(config: EventConfig, earlier: EventConfig) -> str | None:
    """Return the label `[[history]]` gives the earlier event's file, if an entry names it with one."""
    for entry in config.history:
        try:
            if entry.label and entry.resolved(config.folder) == earlier.source.resolve():
                return entry.label
        except (OSError, ValueError, RuntimeError):
            continue
    return None


def own_store_url(config: EventConfig) -> str:
    """Return the store URL the event file names (a relative SQLite path resolved), ignoring WARROOM_DB_URL, which is this event's."""
    url = config.store.url
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
        url = prefix + str(config.folder / url[len(prefix):])
    return url


def open_earlier_store(earlier: EventConfig, this_url: str | None = None) -> Store:
    """Return the earlier event's store opened read-only; ConfigError (one line, password masked) when it cannot be, or holds nothing yet."""
    from sqlalchemy.exc import SQLAlchemyError

    url = own_store_url(earlier)
    problem = store_url_problem(url)
    if problem:
        raise ConfigError(f"{earlier.source}: key 'store.url': expected {problem}")
    if this_url is not None and url == this_url:
        raise ConfigError(f"{earlier.source}: key 'store.url': expected the earlier event's own store, got this event's ({safe_url(url)})")
    try:
        return Store(url, LedgerRules.from_config(earlier), read_only=True)
    except StoreNotReady:
        raise ConfigError(f"{earlier.source}: the earlier event's store {safe_url(url)} holds no figures yet: "
                          f"run `warroom ingest -c {earlier.source} --once` first") from None
    except SQLAlchemyError as error:
        detail = hide_password(f"{error.__class__.__name__}: {str(error).splitlines()[0]}", url)
        raise ConfigError(f"{earlier.source}: could not open the earlier event's store {safe_url(url)}: {detail}") from None


def earlier_figures(earlier: EventConfig, now: datetime, label: str | None = None, this_url: str | None = None) -> CampaignFigures:
    """Return the earlier event's figures, read from its own store (opened read-only and closed again)."""
    store = open_earlier_store(earlier, this_url)
    try:
        return campaign_figures(store, earlier, now, label)
    finally:
        store.close()
