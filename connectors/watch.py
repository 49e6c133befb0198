"""Wakes the ingest loop when a feed's folder changes; the loop still re-stats on a timer, since events can be missed."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path

from watchdog.events import EVENT_TYPE_CLOSED_NO_WRITE, EVENT_TYPE_OPENED, FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from connectors.tail import watched_folder
from warroom.config import EventConfig

RESTAT_SECONDS = 1.0
# Reading a file opens and closes it: those events must not wake the loop, or it would wake itself forever.
_QUIET_EVENTS = frozenset({EVENT_TYPE_OPENED, EVENT_TYPE_CLOSED_NO_WRITE})


class _Wake(FileSystemEventHandler):
    def __init__(self, changed: threading.Event):
        self.changed = changed

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type not in _QUIET_EVENTS:
            self.changed.set()


def feed_folders(config: EventConfig) -> list[tuple[Path, bool]]:
    """Return (folder, recursive) for every folder that holds an event's feeds; a `**` glob is watched recursively."""
    folders: dict[Path, bool] = {}
    for feed in config.feeds:
        pattern = Path(feed.path)
        pattern = pattern if pattern.is_absolute() else config.folder / pattern
        folder = watched_folder(pattern)
        folders[folder] = folders.get(folder, False) or "**" in pattern.parts
    return list(folders.items())


class FeedWatcher:
    """Sets an event when a feed folder changes; `wait()` returns at the next change or after the re-stat interval."""

    def __init__(
        self,
        config: EventConfig | None = None,
        *,
        folders: Iterable[tuple[Path, bool]] = (),
        polling: bool = False,
        interval: float = RESTAT_SECONDS,
    ):
        self.interval = interval
        self.changed = threading.Event()
        self.folders = list(folders) + (feed_folders(config) if config is not None else [])
        # Network mounts deliver no inotify events: the polling observer stats the folders instead.
        self.observer: BaseObserver = PollingObserver(timeout=interval) if polling else Observer()
        self._started = False

    def start(self) -> None:
        """Start watching; a folder that does not exist yet is covered by its nearest existing parent."""
        handler = _Wake(self.changed)
        scheduled: set[Path] = set()
        for folder, recursive in self.folders:
            existing = _nearest_existing(folder)
            if existing not in scheduled:
                self.observer.schedule(handler, str(existing), recursive=recursive)
                scheduled.add(existing)
        self.observer.start()
        self._started = True

    def stop(self) -> None:
        """Stop watching and wait for the observer thread to end."""
        if self._started:
            self.observer.stop()
            self.observer.join()
            self._started = False

    def wake(self) -> None:
        """Wake the waiting loop now (for example to stop it)."""
        self.changed.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Return True if a change arrived within `timeout` (default: the re-stat interval), False if the time ran out."""
        changed = self.changed.wait(self.interval if timeout is None else timeout)
        self.changed.clear()
        return changed

    def __enter__(self) -> FeedWatcher:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


def _nearest_existing(folder: Path) -> Path:
    folder = folder.resolve()
    while not folder.is_dir() and folder != folder.parent:
        folder = folder.parent
    return folder
