"""Feed health for the setup page: per feed, the files read, the bytes still to read, the last row
seen and how far behind it is, the rows set aside in quarantine, and whether an ingest is running.

Read from the store only (checkpoints, quarantine, the newest order and check-in, the ingest
lease), plus a stat of each checkpointed file to see how much of it is still unread. Time is
passed in.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from warroom import schema
from warroom.clock import at_second
from warroom.config import EventConfig
from warroom.store import Store

# An ingest renews its lease every few seconds; one not renewed for this long has stopped.
INGEST_STALE = timedelta(seconds=30)


@dataclass(frozen=True)
class FeedHealth:
    """How one feed is doing."""

    label: str
    kind: str  # orders or checkins
    path: str
    files: int  # files the ingest has checkpointed
    bytes_read: int
    bytes_unread: int  # in checkpointed files still on disk, past their checkpoint
    last_row_at: datetime | None  # the newest row of this kind in the store (feeds of one kind share it)
    lag: timedelta | None  # now minus last_row_at
    quarantined: int


@dataclass(frozen=True)
class IngestHealth:
    """The feeds and the ingest process, at one moment."""

    as_of: datetime  # event time (the demo's replay clock, else the wall clock)
    feeds: list[FeedHealth]
    ingest_heartbeat: datetime | None  # wall time of the ingest lease's last renewal; None when no ingest holds it
    quarantined: int
    wall_as_of: datetime  # the lease is kept in wall time, whatever clock the figures use

    @property
    def ingest_running(self) -> bool:
        """Return whether an ingest holds the lease and renewed it recently."""
        return self.ingest_heartbeat is not None and self.wall_as_of - self.ingest_heartbeat <= INGEST_STALE


def _moment(epoch: int | None) -> datetime | None:
    return at_second(epoch) if epoch is not None else None


def _unread(path: str, offset: int, fingerprint: str, done: bool, folders: dict[Path, dict[str, int]]) -> int:
    """Return the bytes of a checkpointed file still to read: none once it is done or gone.

    A checkpoint's fingerprint starts with its file's device and inode (connectors.tail.Fingerprint).
    After a rotation the path names the new file, whose size says nothing of what is left of the
    old one (counted against each rotated file's offset, it showed 69 KB unread of a caught-up
    feed); the old file is looked for by its inode in the path's folder, where the ingest drains
    it from, so what a stopped ingest left of a rotated file still shows.
    """
    if done:
        return 0
    file = _file_of(fingerprint)
    try:
        info = Path(path).stat()
        if f"{info.st_dev}:{info.st_ino}" == file:
            return max(info.st_size - offset, 0)
    except OSError:
        pass
    folder = Path(path).parent
    if folder not in folders:
        folders[folder] = _sizes_by_file(folder)
    size = folders[folder].get(file)
    return 0 if size is None else max(size - offset, 0)


def _sizes_by_file(folder: Path) -> dict[str, int]:
    """Return the size of each regular file in a folder, by its "device:inode"."""
    sizes = {}
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return sizes
    for entry in entries:
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode):
            sizes[f"{info.st_dev}:{info.st_ino}"] = info.st_size
    return sizes


def _latest_per_file(checkpoints: list[tuple[str, int, str, bool]]) -> list[tuple[str, int, str, bool]]:
    """Return, of each file's checkpoints (given in the order they were written), the last: (path, offset, fingerprint, done).

    A file is its device and inode, the start of its fingerprint. A file shorter than the
    fingerprint's 256 bytes is fingerprinted anew as it grows (connectors.tail), which leaves
    the shorter checkpoints behind: counted too, one file showed as three, with kilobytes
    "unread" that had been read. A file truncated and rewritten in place is still one file.
    """
    latest: dict[str, tuple[str, int, str, bool]] = {}
    for checkpoint in checkpoints:
        latest[_file_of(checkpoint[2])] = checkpoint
    return list(latest.values())


def _file_of(fingerprint: str) -> str:
    """Return the "device:inode" a checkpoint's fingerprint starts with (the whole text when it names none)."""
    dev, _, rest = fingerprint.partition(":")
    return f"{dev}:{rest.partition(':')[0]}" if rest else fingerprint


def ingest_health(store: Store, config: EventConfig, now: datetime, wall_now: datetime | None = None) -> IngestHealth:
    """Return each feed's files, unread bytes, last row seen, lag and quarantined rows, and the ingest's last heartbeat."""
    checkpoints, quarantine = schema.checkpoints, schema.quarantine
    with store.reading() as conn:
        newest = {
            "orders": conn.execute(select(func.max(schema.orders.c.ts))).scalar(),
            "checkins": conn.execute(select(func.max(schema.checkins.c.ts))).scalar(),
        }
        read = conn.execute(
            select(checkpoints.c.feed, checkpoints.c.path, checkpoints.c.offset, checkpoints.c.fingerprint, checkpoints.c.done)
            .order_by(checkpoints.c.seq, checkpoints.c.offset)
        ).all()
        quarantined = dict(conn.execute(select(quarantine.c.feed, func.count()).group_by(quarantine.c.feed)).all())
        heartbeat = conn.execute(select(func.max(schema.leases.c.heartbeat))).scalar()
    feeds = []
    folders: dict[Path, dict[str, int]] = {}
    for feed in config.feeds:
        mine = _latest_per_file([(path, offset, fingerprint, done) for label, path, offset, fingerprint, done in read if label == feed.label])
        last = _moment(newest[feed.kind])
        feeds.append(FeedHealth(
            label=feed.label, kind=feed.kind, path=feed.path, files=len(mine),
            bytes_read=sum(offset for _path, offset, _fingerprint, _done in mine),
            bytes_unread=sum(_unread(*checkpoint, folders) for checkpoint in mine),
            last_row_at=last, lag=max(now - last, timedelta(0)) if last else None,
            quarantined=quarantined.get(feed.label, 0),
        ))
    return IngestHealth(
        as_of=now, feeds=feeds, ingest_heartbeat=_moment(heartbeat), quarantined=sum(quarantined.values()), wall_as_of=wall_now or now,
    )
