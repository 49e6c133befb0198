"""How much of the feeds' files is read, in bytes: the unread backlog that decides a read-ahead, and a --once run's progress."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from connectors.tail import Fingerprint, matching_files
from warroom.config import EventConfig
from warroom.records import Checkpoint


@dataclass
class FeedBytes:
    """The feeds' files with their sizes when measured, and how many of their bytes the checkpoints cover: an estimate.

    A file is known by its device and inode, as its checkpoints name it, not by its path: after a
    rotation the path names a new file, and the old file's checkpoint says nothing of it. A text
    file's checkpoint offset is a byte offset; a workbook's counts sheet rows until it is done, so a
    workbook counts as unread until it is done, then as read whole.
    """

    sizes: dict[tuple[int, int], int] = field(default_factory=dict)
    workbooks: set[tuple[int, int]] = field(default_factory=set)
    read: dict[tuple[int, int], int] = field(default_factory=dict)

    @classmethod
    def measure(cls, config: EventConfig, checkpoints: dict[str, list[Checkpoint]]) -> FeedBytes:
        """Return the feeds' files as they are now, read as far as `checkpoints` (by feed label) say."""
        measured = cls()
        for feed in config.feeds:
            for path in matching_files(config.folder / feed.path, (feed.format,) if feed.format else ()):
                try:
                    info = path.stat()
                except OSError:
                    continue  # gone since it was listed
                key = (info.st_dev, info.st_ino)
                measured.sizes[key] = info.st_size
                if path.suffix.lower() == ".xlsx":
                    measured.workbooks.add(key)
            measured.advance(checkpoints.get(feed.label, []))
        return measured

    def advance(self, checkpoints: Iterable[Checkpoint]) -> None:
        """Take in committed checkpoints (a file's progress never goes back: a re-read is not progress)."""
        for checkpoint in checkpoints:
            fingerprint = Fingerprint.parse(checkpoint.fingerprint)
            key = None if fingerprint is None else (fingerprint.dev, fingerprint.ino)
            size = self.sizes.get(key)
            if size is None:
                continue  # a file gone, or one that appeared after the measure: not part of the backlog
            if checkpoint.done:
                covered = size
            elif key in self.workbooks:
                covered = 0
            else:
                covered = min(checkpoint.offset, size)
            self.read[key] = max(self.read.get(key, 0), covered)

    @property
    def unread(self) -> int:
        """Bytes of the measured files that no checkpoint covers."""
        return sum(size - self.read.get(key, 0) for key, size in self.sizes.items())
