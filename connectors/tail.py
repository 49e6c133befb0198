"""The tailing engine: which files a feed has, who they are, and where reading starts.

A file is known by its fingerprint, not its path: `dev:inode:length:sha1`, where `sha1` hashes
the file's first `length` bytes.

* Appended files hash their first `FINGERPRINT_BYTES` (256) bytes. A file shorter than that is
  fingerprinted on the bytes it has, and re-fingerprinted as it grows, until it reaches 256
  bytes. Reading never goes past the size seen when the fingerprint was taken, so a short
  fingerprint always covers every byte read. A checkpoint therefore matches a file when the
  dev and inode are equal and the file's first `length` bytes hash to `sha1`: the file is the
  same file, or one whose bytes are identical up to the offset read (an inode reused for
  identical content), where resuming loses nothing. Growth leaves the short checkpoints
  behind as stale rows (a few per file at most); the longest match wins.
* Dropped exports are snapshots: they are hashed whole (`length` is the file's size), so an
  export rewritten in place with new content is a new file and is read again.

Where reading starts:

| file | checkpoint | starts at |
|---|---|---|
| appended | one matches and its offset ≤ size | the checkpoint's offset |
| appended | one matches but the file is now shorter (truncated while stopped) | 0 |
| appended | none matches (new file, inode reused, checkpoint missing or corrupt) | 0 |
| appended, renamed away from the path while stopped (rotated) | one matches | the checkpoint's offset, found by inode in the path's folder |
| dropped | same whole-file fingerprint, done | not read again |
| dropped | same whole-file fingerprint, not done | the checkpoint's offset |
| dropped text | a done one whose bytes are this file's start (it grew) | that file's end |
| dropped | none | 0, once the file has settled |

Re-reading is always safe: the store dedupes orders and check-ins by id and bad rows by content.

A file rotated away while the ingest is stopped is found again on start-up by its checkpoint:
the first scan looks in the feed path's folder for the inodes of checkpointed files that left the
path, and drains each one that still matches from its offset, like a file rotated while running.
A generation that was created and rotated away while no ingest ever saw it has no checkpoint and
is not found: if the ingest may stay down that long, put the rotated names in the feed path.
"""

from __future__ import annotations

import glob
import hashlib
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from connectors.formats import MAX_RECORD_BYTES, SUFFIX_FORMATS, Record, Run, split_records
from warroom.records import Checkpoint

FINGERPRINT_BYTES = 256
CHUNK_BYTES = 1 << 20
# How long a file that left the feed's path (renamed away by a rotation, or deleted) is still drained.
ROTATE_WAIT_SECONDS = 5.0
# A dropped export is read once its size and mtime have held this long, or its mtime is this old.
SETTLE_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """Who a file is: its device and inode, and a sha1 of its first `length` bytes."""

    dev: int
    ino: int
    length: int
    digest: str

    def __str__(self) -> str:
        return f"{self.dev}:{self.ino}:{self.length}:{self.digest}"

    @classmethod
    def parse(cls, text: str) -> Fingerprint | None:
        """Return the fingerprint a checkpoint names, or None when the text is not one."""
        parts = text.split(":")
        if len(parts) != 4 or not all(part.isdigit() for part in parts[:3]) or len(parts[3]) != 40:
            return None
        return cls(int(parts[0]), int(parts[1]), int(parts[2]), parts[3])


def hash_prefix(fd: int, length: int) -> str:
    """Return the sha1 hex of a file's first `length` bytes (fewer if the file is shorter)."""
    digest = hashlib.sha1()
    offset = 0
    while offset < length:
        data = os.pread(fd, min(CHUNK_BYTES, length - offset), offset)
        if not data:
            break
        digest.update(data)
        offset += len(data)
    return digest.hexdigest()


def count_lines(fd: int, end: int) -> int:
    """Return how many line breaks a file holds before offset `end`."""
    lines, offset = 0, 0
    while offset < end:
        data = os.pread(fd, min(CHUNK_BYTES, end - offset), offset)
        if not data:
            break
        lines += data.count(b"\n")
        offset += len(data)
    return lines


@dataclass(eq=False)
class TailedFile:
    """One open file of a feed and how far it has been read."""

    path: Path
    fd: int
    fingerprint: Fingerprint
    offset: int
    line: int
    limit: int
    whole: bool
    # Whether the last unterminated line counts as a record: a dropped export, or a rotated file past its wait.
    final: bool = False
    # An appended file that has not grown for the settle time: a quoted cell still open over its
    # complete lines was a stray quote, not a cell still being written (see split_records).
    quiet: bool = False
    grown_at: float | None = None
    done: bool = False
    gone_since: float | None = None
    # The reader's per-file parse state (header, encoding); dropped whenever the file restarts at 0.
    state: object | None = None
    # The header of a file that was truncated: a copytruncate'd CSV goes on without one.
    previous_state: object | None = None
    # The checkpoint last handed out (or found at start), so that only changes are handed out again.
    emitted: Checkpoint | None = None
    stat_key: tuple[int, int] = (0, 0)

    def checkpoint(self, feed: str) -> Checkpoint:
        """Return this file's checkpoint as of now."""
        return Checkpoint(feed=feed, fingerprint=str(self.fingerprint), path=str(self.path), offset=self.offset, done=self.done)

    def advance(self, record: Record | Run) -> None:
        """Record that `record` (or each record of a run) has been consumed."""
        self.offset = record.end
        self.line += record.lines

    def restart(self, size: int, fingerprint_bytes: int) -> None:
        """Read the file again from 0 (it was truncated or rewritten in place)."""
        self.previous_state = self.state or self.previous_state
        self.state = None
        self.offset, self.line, self.limit = 0, 1, size
        self.fingerprint = _fingerprint(self.fd, min(size, fingerprint_bytes))


def _fingerprint(fd: int, length: int) -> Fingerprint:
    info = os.fstat(fd)
    return Fingerprint(info.st_dev, info.st_ino, length, hash_prefix(fd, length))


def matching_files(pattern: Path, formats: Iterable[str] = ()) -> list[Path]:
    """Return the regular files a feed's path names: the file, the folder's files of the feed's formats, or the glob's matches."""
    wanted = set(formats) or set(SUFFIX_FORMATS.values())
    text = str(pattern)
    if glob.has_magic(text):
        candidates = [Path(path) for path in glob.glob(text, recursive=True)]
    elif pattern.is_dir():
        candidates = [path for path in pattern.iterdir() if SUFFIX_FORMATS.get(path.suffix.lower()) in wanted]
    else:
        candidates = [pattern]
    # Excel's lock files (~$x.xlsx) and hidden temp files are not exports.
    return sorted(path for path in candidates if not path.name.startswith(("~$", ".")) and _is_file(path))


def _is_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False


def watched_folder(pattern: Path) -> Path:
    """Return the folder whose changes can affect a feed path: the folder, a file's parent, or a glob's fixed prefix."""
    parts = pattern.parts
    for index, part in enumerate(parts):
        if glob.has_magic(part):
            return Path(*parts[:index]) if index else Path(".")
    return pattern if pattern.is_dir() else pattern.parent


def read_records(tailed: TailedFile, *, quoted: bool, max_bytes: int = MAX_RECORD_BYTES, runs: bool = False) -> Iterator[Record | Run]:
    """Yield the complete records (with `runs`, also runs of one-line records) between a file's offset and its limit; the caller advances the file as it consumes them."""
    offset, line = tailed.offset, tailed.line
    # A window always holds a whole record of the longest allowed length, so one that yields none is over it.
    window = max(CHUNK_BYTES, max_bytes + 1)
    while offset < tailed.limit:
        buffer = os.pread(tailed.fd, min(window, tailed.limit - offset), offset)
        if not buffer:
            return  # shrunk under us: the next scan sees the truncation
        at_end = offset + len(buffer) >= tailed.limit
        emitted = False
        final = tailed.final and at_end
        quiet = (tailed.final or tailed.quiet) and at_end
        for record in split_records(buffer, offset, line, final=final, quiet=quiet, quoted=quoted, max_bytes=max_bytes, runs=runs):
            emitted = True
            offset, line = record.end, line + record.lines
            yield record
        if at_end:
            return
        if not emitted:
            # Not one record in a whole window: the line is too long, skip to its end.
            record = _skip_long_line(tailed, offset, line, buffer[:max_bytes], len(buffer))
            if record is None:
                return
            offset, line = record.end, line + 1
            yield record


def _skip_long_line(tailed: TailedFile, start: int, line: int, head: bytes, scanned: int) -> Record | None:
    cursor = start + scanned
    while cursor < tailed.limit:
        data = os.pread(tailed.fd, min(CHUNK_BYTES, tailed.limit - cursor), cursor)
        if not data:
            break
        newline = data.find(b"\n")
        if newline >= 0:
            return Record(head, start, cursor + newline + 1, line, 1, too_long=True)
        cursor += len(data)
    return Record(head, start, tailed.limit, line, 1, too_long=True) if tailed.final else None


@dataclass
class _Unsettled:
    stat_key: tuple[int, int]
    since: float


@dataclass
class Tailer:
    """The files of one feed path: finds them, follows rotations and truncations, and says where to read."""

    feed: str
    pattern: Path
    checkpoints: list[Checkpoint]
    clock: Callable[[], float]
    # Whether a file is a dropped export (read whole once settled) rather than an appended one.
    is_whole: Callable[[Path], bool]
    # Whether a dropped export is binary (a workbook), whose growth cannot be read on from a byte offset.
    is_binary: Callable[[Path], bool] = lambda path: False
    formats: tuple[str, ...] = ()
    fingerprint_bytes: int = FINGERPRINT_BYTES
    rotate_wait: float = ROTATE_WAIT_SECONDS
    settle_seconds: float = SETTLE_SECONDS
    files: dict[tuple[int, int], TailedFile] = field(default_factory=dict)
    unsettled: dict[tuple[int, int], _Unsettled] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._looked_for_rotated = False
        self._by_inode: dict[tuple[int, int], list[tuple[Fingerprint, Checkpoint]]] = {}
        for checkpoint in self.checkpoints:
            fingerprint = Fingerprint.parse(checkpoint.fingerprint)
            if fingerprint is not None and checkpoint.offset >= 0:
                self._by_inode.setdefault((fingerprint.dev, fingerprint.ino), []).append((fingerprint, checkpoint))

    def scan(self) -> list[TailedFile]:
        """Return the files to read now, rotated-away files first so that their last lines come before the new file's."""
        now = self.clock()
        present: dict[tuple[int, int], tuple[Path, os.stat_result]] = {}
        for path in matching_files(self.pattern, self.formats):
            try:
                info = path.stat()
            except OSError:
                continue
            present.setdefault((info.st_dev, info.st_ino), (path, info))
        if not self._looked_for_rotated:
            self._looked_for_rotated = True
            self._find_rotated(present, now)
        for key, (path, info) in present.items():
            if self.is_whole(path):
                self._scan_whole(key, path, info, now)
            else:
                self._scan_appended(key, path, info, now)
        for key, tailed in list(self.files.items()):
            if key not in present:
                self._scan_gone(key, tailed, now)
        for key in [key for key in self.unsettled if key not in present]:
            del self.unsettled[key]
        ready = [tailed for tailed in self.files.values() if not tailed.done and (tailed.whole or tailed.offset < tailed.limit)]
        return sorted(ready, key=lambda tailed: (tailed.gone_since is None, tailed.gone_since or 0, str(tailed.path)))

    def close(self) -> None:
        """Close every open file."""
        for tailed in self.files.values():
            _close(tailed)
        self.files.clear()

    # -- appended files ------------------------------------------------------------------

    def _scan_appended(self, key: tuple[int, int], path: Path, info: os.stat_result, now: float) -> None:
        tailed = self.files.get(key)
        if tailed is None:
            tailed = self._open_appended(path)
            if tailed is not None:
                self.files[(tailed.fingerprint.dev, tailed.fingerprint.ino)] = tailed
                tailed.grown_at = now
                tailed.quiet = self.settle_seconds <= 0
            return
        tailed.path, tailed.gone_since, tailed.final = path, None, False
        if info.st_size != tailed.limit or tailed.grown_at is None:
            tailed.grown_at = now
        self._follow(tailed, info.st_size)
        tailed.quiet = now - tailed.grown_at >= self.settle_seconds

    def _find_rotated(self, present: dict[tuple[int, int], tuple[Path, os.stat_result]], now: float) -> None:
        """Reopen checkpointed appended files that were renamed out of the path while no ingest ran, to drain them."""
        wanted = {key for key, known in self._by_inode.items() if key not in present and not any(checkpoint.done for _, checkpoint in known)}
        if not wanted:
            return
        try:
            entries = list(os.scandir(watched_folder(self.pattern)))
        except OSError:
            return
        for entry in entries:
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            key = (info.st_dev, info.st_ino)
            if key not in wanted or key in self.files or not stat.S_ISREG(info.st_mode) or self.is_whole(Path(entry.path)):
                continue
            tailed = self._open_appended(Path(entry.path), known_only=True)
            if tailed is not None:
                tailed.gone_since = now
                self.files[key] = tailed

    def _open_appended(self, path: Path, *, known_only: bool = False) -> TailedFile | None:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return None  # gone or unreadable since the listing; the next scan tries again
        size = os.fstat(fd).st_size
        fingerprint = _fingerprint(fd, min(size, self.fingerprint_bytes))
        offset = self._resume(fd, fingerprint, size)
        if offset is None and known_only:
            os.close(fd)
            return None
        offset = offset or 0
        return TailedFile(path=path, fd=fd, fingerprint=fingerprint, offset=offset, line=count_lines(fd, offset) + 1, limit=size, whole=False)

    def _resume(self, fd: int, fingerprint: Fingerprint, size: int) -> int | None:
        """Return where an appended file's reading starts (the table in this module's docstring); None when no checkpoint matches."""
        candidates = self._by_inode.get((fingerprint.dev, fingerprint.ino), [])
        for known, checkpoint in sorted(candidates, key=lambda item: (item[0].length, item[1].offset), reverse=True):
            # A short fingerprint vouches only for the bytes it hashed; past them the offset is not to be trusted.
            if known.length > size or (known.length < self.fingerprint_bytes and checkpoint.offset > known.length):
                continue
            if hash_prefix(fd, known.length) != known.digest:
                continue
            return checkpoint.offset if checkpoint.offset <= size else 0
        return None

    def _follow(self, tailed: TailedFile, size: int) -> None:
        """Notice truncation and in-place rewrites, grow a short fingerprint, and let reading go up to `size`."""
        if size < tailed.offset or hash_prefix(tailed.fd, tailed.fingerprint.length) != tailed.fingerprint.digest:
            tailed.restart(size, self.fingerprint_bytes)
            return
        if tailed.fingerprint.length < self.fingerprint_bytes and size > tailed.fingerprint.length:
            tailed.fingerprint = _fingerprint(tailed.fd, min(size, self.fingerprint_bytes))
        tailed.limit = size

    def _scan_gone(self, key: tuple[int, int], tailed: TailedFile, now: float) -> None:
        """Drain a file that left the path (rotated away or deleted) through its open descriptor, then let it go."""
        if tailed.whole:
            if tailed.done:
                _close(tailed)
                del self.files[key]
            return
        size = os.fstat(tailed.fd).st_size
        if tailed.gone_since is None or size != tailed.limit:
            tailed.gone_since = now  # still being written: wait again
        self._follow(tailed, size)
        if now - tailed.gone_since >= self.rotate_wait:
            # No writer has touched it for the whole wait: its last line is as complete as it will get.
            tailed.final = True
            if tailed.offset >= tailed.limit:
                _close(tailed)
                del self.files[key]

    # -- dropped exports -----------------------------------------------------------------

    def _scan_whole(self, key: tuple[int, int], path: Path, info: os.stat_result, now: float) -> None:
        stat_key = (info.st_size, info.st_mtime_ns)
        tailed = self.files.get(key)
        if tailed is not None:
            tailed.path = path
            if tailed.stat_key == stat_key:
                return
            # Changed after it was read (or while being read): a new snapshot, once it settles.
            _close(tailed)
            del self.files[key]
        pending = self.unsettled.get(key)
        if pending is None or pending.stat_key != stat_key:
            self.unsettled[key] = pending = _Unsettled(stat_key, now)
        old_enough = now - info.st_mtime >= self.settle_seconds
        held = now - pending.since >= self.settle_seconds
        if not (old_enough or held):
            return
        del self.unsettled[key]
        tailed = self._open_whole(path, stat_key)
        if tailed is not None:
            self.files[key] = tailed

    def _open_whole(self, path: Path, stat_key: tuple[int, int]) -> TailedFile | None:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return None
        size = os.fstat(fd).st_size
        fingerprint = _fingerprint(fd, size)
        tailed = TailedFile(path=path, fd=fd, fingerprint=fingerprint, offset=0, line=1, limit=size, whole=True, final=True, stat_key=stat_key)
        known = self._by_inode.get((fingerprint.dev, fingerprint.ino), [])
        exact = [checkpoint for seen, checkpoint in known if seen == fingerprint]
        if exact:
            tailed.emitted = exact[-1]
            tailed.offset, tailed.done = (size, True) if exact[-1].done else (min(exact[-1].offset, size), False)
        elif not self.is_binary(path):
            # An export that only grew (its old bytes are still its start) goes on from where the old one ended.
            for seen, checkpoint in sorted(known, key=lambda item: item[0].length, reverse=True):
                if checkpoint.done and checkpoint.offset == seen.length < size and hash_prefix(fd, seen.length) == seen.digest:
                    tailed.offset = seen.length
                    break
        if tailed.done:
            _close(tailed)
        elif tailed.offset:
            tailed.line = count_lines(fd, tailed.offset) + 1
        return tailed

    def finish(self, tailed: TailedFile) -> None:
        """Mark a dropped export as read to its end, and close it."""
        tailed.offset, tailed.done = tailed.limit, True
        key = (tailed.fingerprint.dev, tailed.fingerprint.ino)
        self._by_inode.setdefault(key, []).append((tailed.fingerprint, tailed.checkpoint(self.feed)))
        _close(tailed)


def _close(tailed: TailedFile) -> None:
    if tailed.fd >= 0:
        os.close(tailed.fd)
        tailed.fd = -1
