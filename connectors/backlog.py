"""How much of the feeds' files is read, in bytes: the unread backlog that decides a read-ahead, and a --once run's progress."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from connectors.tail import matching_files
from warroom.config import EventConfig
from warroom.records import Checkpoint


@dataclass
class FeedBytes:
    """The feeds' files (by path) with their sizes when measured, and how many of their bytes the checkpoints cover.

    A text file's checkpoint offset is a byte offset. A workbook's counts sheet rows until it is
    done, so a workbook counts as unread until it is done, then as read whole.
    """

    sizes: dict[str, int] = field(default_factory=dict)
    read: dict[str, int] = field(default_factory=dict)

    @classmethod
    def measure(cls, config: EventConfig, checkpoints: dict[str, list[Checkpoint]]) -> FeedBytes:
        """Return the feeds' files as they are now, read as far as `checkpoints` (by feed label) say (a file is matched to its checkpoints by path)."""
        measured = cls()
        for feed in config.feeds:
            for path in matching_files(config.folder / feed.path, (feed.format,) if feed.format else ()):
                try:
                    measured.sizes[str(path)] = path.stat().st_size
                except OSError:
                    continue  # gone since it was listed
            measured.advance(checkpoints.get(feed.label, []))
        return measured

    def advance(self, checkpoints: Iterable[Checkpoint]) -> None:
        """Take in committed checkpoints (a file's progress never goes back: a re-read is not progress)."""
        for checkpoint in checkpoints:
            size = self.sizes.get(checkpoint.path)
            if size is None:
                continue  # a file that appeared after the measure: not part of the backlog
            if checkpoint.done:
                covered = size
            elif checkpoint.path.lower().endswith(".xlsx"):
                covered = 0
            else:
                covered = min(checkpoint.offset, size)
            self.read[checkpoint.path] = max(self.read.get(checkpoint.path, 0), covered)

    @property
    def unread(self) -> int:
        """Bytes of the measured files that no checkpoint covers."""
        return sum(size - self.read.get(path, 0) for path, size in self.sizes.items())
