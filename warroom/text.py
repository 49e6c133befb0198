"""What text may be stored and shown (SPEC §5): any Unicode but NUL and the other C0 controls, and no lone surrogate."""

from __future__ import annotations

import re

# NUL and every other C0 control character but tab (SPEC §5), and lone surrogates (JSON's "\ud800"), which no store can encode.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0a-\x1f\ud800-\udfff]")


def scrub(text: str) -> tuple[str, bool]:
    """Return text fit to store (C0 control characters but tab removed, lone surrogates as U+FFFD) and whether it changed."""
    repaired = False
    if _CONTROL.search(text):
        text, repaired = _CONTROL.sub("", text), True
    if not text.isascii() and _SURROGATE.search(text):
        text, repaired = _SURROGATE.sub("\ufffd", text), True
    return text, repaired


def scrub_cells(cells: list[str] | dict[str, str]) -> bool:
    """Scrub each text cell of a row in place (see scrub); return whether any changed."""
    repaired = False
    for key, cell in (cells.items() if isinstance(cells, dict) else enumerate(cells)):
        if isinstance(cell, str):
            cells[key], changed = scrub(cell)
            repaired = repaired or changed
    return repaired


def printable(text: str) -> str:
    """Return text to show as it was written: control characters and lone surrogates as backslash escapes (for quarantine)."""
    if text.isascii() and not _CONTROL.search(text):
        return text
    return _UNPRINTABLE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
