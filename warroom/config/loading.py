"""Loading the event file: TOML in, a validated EventConfig out, or one ConfigError naming the file, the key and what was expected."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from pydantic import ValidationError

from warroom.config.base import ConfigError, _LocatedError
from warroom.config.event import EventConfig
from warroom.config.sections import SECRET_KEYS
from warroom.feed_paths import leads_outside


def _check_feed_paths(config: EventConfig, source: Path) -> None:
    """Raise ConfigError for a feed whose path leads outside the event's folder without `allow_outside = true`."""
    for index, feed in enumerate(config.feeds):
        try:
            outside = not feed.allow_outside and leads_outside(config.folder, feed.path)
        except (OSError, ValueError, RuntimeError) as error:
            raise ConfigError(f"{source}: key 'feeds[{index}].path': expected a path that can be read, got {feed.path!r} ({error})") from None
        if outside:
            raise ConfigError(
                f"{source}: key 'feeds[{index}].path': expected a path inside the event file's folder {config.folder} "
                f"(set allow_outside = true on this feed to read elsewhere), got {feed.path!r}"
            )


def _dotted(loc: tuple) -> str:
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts[-1] = f"{parts[-1]}[{part}]" if parts else f"[{part}]"
        else:
            parts.append(str(part))
    return ".".join(parts) or "(top level)"


_FRIENDLY = {
    "decimal_parsing": "a number",
    "decimal_type": "a number",
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "datetime_parsing": "a date-time such as 2026-05-20T19:00:00+08:00",
    "datetime_type": "a date-time such as 2026-05-20T19:00:00+08:00",
    "string_type": "text in quotes",
    "timezone_aware": "a date-time with a UTC offset, e.g. 2026-05-20T19:00:00+08:00",
}


def _describe(error: dict) -> tuple[str, str]:
    loc = tuple(part for part in error["loc"] if part not in ("function-after[_ordered(), EventInfo]",))
    kind = error["type"]
    if kind == "missing":
        return _dotted(loc), "a value, but the key is missing"
    if kind == "extra_forbidden":
        return _dotted(loc), "no such key (check its spelling against SPEC §2)"
    message = error["msg"].removeprefix("Value error, ").removeprefix("Input should be ")
    message = _FRIENDLY.get(kind, message)
    if "input" in error and kind not in ("value_error",) and not (loc and loc[-1] in SECRET_KEYS):
        return _dotted(loc), f"{message}; got {error['input']!r}"
    return _dotted(loc), message


def load_event(path: str | os.PathLike) -> EventConfig:
    """Return the validated event at `path`; raise ConfigError naming the file, the key and what was expected."""
    source = Path(path)
    try:
        # Windows editors (Notepad) start UTF-8 files with a byte-order mark: TOML itself does not allow one.
        raw = tomllib.loads(source.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ConfigError(f"{source}: no such event file") from None
    except IsADirectoryError:
        raise ConfigError(f"{source}: expected an event file (TOML), got a folder") from None
    except OSError as error:
        raise ConfigError(f"{source}: could not read the event file: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{source}: not valid TOML: {error}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{source}: expected UTF-8 text") from None
    try:
        config = EventConfig.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        ctx_error = first.get("ctx", {}).get("error")
        if isinstance(ctx_error, _LocatedError):
            key, expected = _dotted(ctx_error.loc), ctx_error.message
        else:
            key, expected = _describe(first)
        more = f" (and {error.error_count() - 1} more problem(s))" if error.error_count() > 1 else ""
        raise ConfigError(f"{source}: key '{key}': expected {expected}{more}") from None
    config = config.model_copy(update={"source": source})
    _check_feed_paths(config, source)
    return config
