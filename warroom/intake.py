"""The HTTP intake's rules (SPEC §6), without a web server: the signature, the size limit, the spool and replays.

A shop back-end, an ERP or a group bot POSTs JSON Lines of canonical rows to
`/api/v1/feeds/{orders|checkins}`, signed `X-Warroom-Signature: sha256=<hex>` (HMAC-SHA256 of the
raw body under `[intake] secret`). The lines go, fsynced, to the event's spool,
`intake/{kind}.jsonl` beside the event file, which the ingest tails as one more feed
(`spool_feeds`): exactly-once, attribution and quarantine stay in the connectors.

A replayed body counts nothing twice. Each body's SHA-256 (with its kind) is written to
`intake/received.sha256` once its lines are durable; a body already there adds no line, and the
answer says `"replayed": true`. Should the process die between the two writes, the retried body
is spooled again, and the store still counts nothing twice: an order is its order id, a check-in
its id (or its content), and a bad line is quarantined once per feed. One lock (a thread lock and
an flock of `intake/.lock`) orders the writers, so that two servers of one event could share it.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select

from warroom import schema
from warroom.config import EventConfig, Feed

KINDS = ("orders", "checkins")
MAX_BODY_BYTES = 5 * 1024 * 1024  # SPEC §6: 5 MB
SIGNATURE_HEADER = "X-Warroom-Signature"
SIGNATURE_PREFIX = "sha256="
SPOOL_FOLDER = "intake"
RECEIVED_FILE = "received.sha256"  # one line per body taken: its digest, kind, accepted and quarantined lines
LOCK_FILE = ".lock"
BOM = b"\xef\xbb\xbf"
_TAIL_CHUNK = 64 * 1024


class BodyTooLarge(Exception):
    """A body over MAX_BODY_BYTES: refused (413) before it is read to its end."""


def spool_feeds(config: EventConfig) -> tuple[Feed, ...]:
    """Return the feeds of the intake's spool (one a kind), or none without `[intake]`."""
    if config.intake is None:
        return ()
    return tuple(Feed(kind=kind, path=f"{SPOOL_FOLDER}/{kind}.jsonl", format="jsonl", encoding="utf-8", name=f"intake:{kind}") for kind in KINDS)


def with_spool_feeds(config: EventConfig) -> EventConfig:
    """Return the event with its intake spool among its feeds, for the ingest (the same event without `[intake]`)."""
    extra = spool_feeds(config)
    return config.model_copy(update={"feeds": (*config.feeds, *extra)}) if extra else config


def sign(secret: str, body: bytes) -> str:
    """Return the X-Warroom-Signature header value of a body: "sha256=" and the hex HMAC-SHA256 under the secret."""
    return SIGNATURE_PREFIX + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """Return whether the header is the body's signature under the secret (compared in constant time)."""
    given = (header or "").strip()
    if not given.lower().startswith(SIGNATURE_PREFIX):
        return False
    expected = sign(secret, body)
    return hmac.compare_digest(expected.encode("ascii"), (SIGNATURE_PREFIX + given[len(SIGNATURE_PREFIX):].lower()).encode("utf-8", "replace"))


def declared_too_large(content_length: str | None) -> bool:
    """Return whether a request's Content-Length already says its body is over the limit (False when it gives none)."""
    return bool(content_length and content_length.strip().isdigit() and int(content_length) > MAX_BODY_BYTES)


async def read_limited(chunks) -> bytes:
    """Return a body read from an async iterator of chunks; raise BodyTooLarge as soon as it passes MAX_BODY_BYTES."""
    parts, size = [], 0
    async for chunk in chunks:
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise BodyTooLarge
        parts.append(chunk)
    return b"".join(parts)


def body_lines(body: bytes) -> list[bytes]:
    """Return a body's lines without their line breaks: blank ones left out, a leading byte-order mark dropped."""
    return [line for line in body.removeprefix(BOM).split(b"\n") if line.strip()]


@dataclass(frozen=True)
class Taken:
    """What one body gave: lines the ingest will count, lines it will quarantine, and whether the body was a replay (then nothing)."""

    accepted: int
    quarantined: int
    replayed: bool = False

    def as_json(self) -> dict:
        """Return the answer's JSON: {"accepted": N, "quarantined": M}, with "replayed": true for a replay."""
        return {"accepted": self.accepted, "quarantined": self.quarantined, **({"replayed": True} if self.replayed else {})}


class Spool:
    """One event's intake spool: takes each body's lines durably, once.

    `counts(kind, line)` says whether the ingest will count a line (connectors.intake_lines reads it as the feed will).
    """

    def __init__(self, folder: Path, counts: Callable[[str, bytes], bool]):
        self.folder = Path(folder)
        self.counts = counts
        self._lock = threading.Lock()
        self._received: set[str] = set()
        self._received_read = 0  # bytes of the received file already read into _received

    def path(self, kind: str) -> Path:
        """Return the spool file of a kind."""
        return self.folder / f"{kind}.jsonl"

    def take(self, kind: str, body: bytes) -> Taken:
        """Append a body's lines to the kind's spool and fsync them, unless this body was taken before; return what it gave."""
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        digest = hashlib.sha256(kind.encode("ascii") + b"\n" + body).hexdigest()
        # Read before the lock (5 MB of lines take a second or two): other bodies are written meanwhile.
        lines = body_lines(body)
        accepted = sum(1 for line in lines if self.counts(kind, line))
        with self._lock, self._locked():
            self._read_received()
            if digest in self._received:
                return Taken(0, 0, replayed=True)
            if lines:
                _append_durably(self.path(kind), b"".join(line + b"\n" for line in lines))
            record = f"{digest} {kind} {accepted} {len(lines) - accepted}\n".encode("ascii")
            _append_durably(self.folder / RECEIVED_FILE, record)
            self._received.add(digest)
            self._received_read += len(record)
            return Taken(accepted, len(lines) - accepted)

    def _locked(self):
        self.folder.mkdir(parents=True, exist_ok=True)
        return _FileLock(self.folder / LOCK_FILE)

    def _read_received(self) -> None:
        """Read the digests other writers (another server of this event) added since the last look."""
        try:
            with (self.folder / RECEIVED_FILE).open("rb") as handle:
                handle.seek(self._received_read)
                data = handle.read()
        except FileNotFoundError:
            return
        complete = data[: data.rfind(b"\n") + 1]
        self._received.update(line.split(b" ", 1)[0].decode("ascii", "replace") for line in complete.splitlines() if line)
        self._received_read += len(complete)


class _FileLock:
    """An exclusive flock of a file, held for a `with` block."""

    def __init__(self, path: Path):
        self.path = path
        self.fd = -1

    def __enter__(self) -> _FileLock:
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *_exc) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


def _append_durably(path: Path, data: bytes) -> None:
    """Append bytes to a file and fsync it (and its folder, when the file is new); a torn last line left by a crash is cut off first."""
    new = not path.exists()
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        _cut_torn_tail(fd)
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)
    if new:
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def _cut_torn_tail(fd: int) -> None:
    """Truncate a file after its last line break: bytes after it are a write that died before its answer, never acknowledged."""
    size = os.fstat(fd).st_size
    if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
        return
    end = size
    while end > 0:
        start = max(0, end - _TAIL_CHUNK)
        newline = os.pread(fd, end - start, start).rfind(b"\n")
        if newline >= 0:
            os.ftruncate(fd, start + newline + 1)
            return
        end = start
    os.ftruncate(fd, 0)



def lag_seconds(store, now: datetime) -> float | None:
    """Return how far the store's newest order or check-in is behind `now`, in seconds (None before any); raise the store's error when it cannot be read.

    The same lag as the setup page's feed table: event time now (the demo's replay clock) minus the newest row's time.
    """
    with store.reading() as conn:
        newest = [conn.execute(select(func.max(table.c.ts))).scalar() for table in (schema.orders, schema.checkins)]
    known = [moment for moment in newest if moment is not None]
    return round(max(now.timestamp() - max(known), 0.0), 1) if known else None
