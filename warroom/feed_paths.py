"""Where a feed may read: inside the event file's folder, however its path is written (SPEC §5, `allow_outside`)."""

from __future__ import annotations

import glob
from pathlib import Path


def inside(path: Path, folder: Path) -> bool:
    """Return whether `path`, with its symlinks and `..` resolved, lies in `folder` (itself resolved)."""
    return path.resolve().is_relative_to(folder)


def leads_outside(folder: Path, feed_path: str) -> bool:
    """Return whether a feed's path, or any file it names now, leads outside the event's folder.

    The fixed part of a glob must lie inside, no `..` may follow its wildcards, and every file or
    folder entry it matches now must resolve inside too (a symlink in the folder that leads out).
    """
    folder = folder.resolve()
    pattern = folder / feed_path  # an absolute feed path replaces the folder
    parts = pattern.parts
    magic = next((index for index, part in enumerate(parts) if glob.has_magic(part)), len(parts))
    if not inside(Path(*parts[:magic]), folder) or ".." in parts[magic:]:
        return True
    if magic < len(parts):
        matches = [Path(match) for match in glob.glob(str(pattern), recursive=True)]
    elif pattern.is_dir():
        matches = list(pattern.iterdir())
    else:
        matches = []
    return not all(inside(match, folder) for match in matches)
