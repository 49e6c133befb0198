"""The event file is a way in (issue 15): hostile values in any key load, or fail as one ConfigError naming the file and a key.

Property-based (hypothesis): a valid event file that uses every section has one of its keys (or
one element of an array) replaced by hostile TOML: any Unicode TOML can hold (NUL and other
control characters included, escaped as TOML requires; surrogates cannot be written in TOML, so
the byte-level cases below cover them), huge and negative numbers, NaN and infinity, far-off
dates, wrong types, markdown and HTML. The documents are written with a small TOML writer of
inline values, so each one parses and the check is about validation, not TOML syntax.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import tomllib
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT
from tests.events import SMALL_EVENT
from warroom.config import ConfigError, load_event

BASE = SMALL_EVENT + """
[store]
url = "sqlite:///warroom.db"

[[products]]
sku = "P01"
name = "焕颜精华套装"
price = 1299

[commission]
bands = [ { from = 0, rate = 0.10 }, { from = 500, rate = 0.12 } ]
team_pool_rate = 0.03
team_pool_goal = "base"
team_pool_split = "equal"

[[flash_sales]]
at = "2026-05-20T20:30:00+08:00"
sku = "P01"
price = 520
minutes = 10
groups = ["G01"]

[[leaderboards]]
role = "community"
metric = "invites"

[[prompts]]
kind = "momentum_drop"
name = "drop"
messages = ["{event}: orders fell {drop_percent}%"]
window_minutes = 5
drop_percent = 30

[access]
link_secret = "a-test-link-secret-of-some-length"
demo_hint = false
"""
BASE = BASE.replace('end = "2026-05-20T23:00:00+08:00"', 'end = "2026-05-20T23:00:00+08:00"\ntimezone = "Asia/Shanghai"\nbudget = 15000\nrefund_window_days = 7', 1)
BASE = BASE.replace('path = "feeds/orders.csv"', 'path = "feeds/orders.csv"\nformat = "csv"\nprofile = "canonical"\nencoding = "auto"\nname = "orders"\nallow_outside = false', 1)
BASE = BASE.replace("demo_hint = false", 'demo_hint = false\nlead_password_hash = "$2b$12$' + "a" * 53 + '"', 1)
BASE = BASE.replace("drop_percent = 30", 'drop_percent = 30\nurgency = "high"\nfor_minutes = 2\ncooldown_minutes = 10\ninhibited_by = ["flash_sale"]\nlink = "https://shop.example.com/item/{sku}"', 1)
BASE = BASE.replace('name = "第一晚"', 'name = "第一晚"\nslots = [ { start = "2026-05-20T20:00:00+08:00", end = "2026-05-20T21:00:00+08:00", host = "S01" } ]', 1)
BASE = BASE.replace('aliases = ["linx01"]', 'aliases = ["linx01"]\nteam = "A"\ntoken = "a-fixed-token-for-s01"', 1)
DOCUMENT = tomllib.loads(BASE)


def _leaves(value, path=()):
    """Yield the path of every key and array element of a TOML document."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield (*path, key)
            yield from _leaves(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield (*path, index)
            yield from _leaves(inner, (*path, index))


KEYS = sorted(set(_leaves(DOCUMENT)), key=repr)


def toml_string(text: str) -> str:
    """Return text as a TOML basic string, escaping what TOML requires (control characters, DEL, quote, backslash)."""
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def toml_value(value) -> str:
    """Return a value as inline TOML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{toml_string(key)} = {toml_value(inner)}" for key, inner in value.items()) + "}"
    raise TypeError(value)


def toml_document(document: dict) -> str:
    """Return a document as TOML, one top-level key per line, everything below it inline."""
    return "".join(f"{toml_string(key)} = {toml_value(value)}\n" for key, value in document.items())


def replaced(document, path, value):
    """Return a copy of the document with the value at `path` replaced."""
    copy = json.loads(json.dumps(document, default=str))  # plain data; datetimes become their text, which the loader reads the same
    target = copy
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return copy


HOSTILE_TEXT = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
    st.sampled_from([
        "", " ", "\u0000", "a\u0000b", "\u202e", "\ufeff", "﷽" * 20, "🧧" * 30, "x" * 5000, "../../etc/passwd", "/etc/*",
        "<script>alert(1)</script>", "**bold** [link](javascript:alert(1))", "{event}{", "%s%n", "${HOME}", "'; DROP TABLE orders; --",
        "NaN", "inf", "1e309", "-0", "0x10", "2026-05-20T20:00:00", "0001-01-01T00:00:00+08:00", "Asia/../../etc/passwd",
        "mysql://u:pw@h/d", "sqlite:///", "sqlite:///:memory:", "postgresql+psycopg://u:pw@127.0.0.1:1/d",
    ]),
)
AWARE = st.builds(
    lambda moment, minutes: moment.replace(tzinfo=timezone(timedelta(minutes=minutes))),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)), st.integers(-1439, 1439),
)
SCALARS = st.one_of(
    HOSTILE_TEXT,
    st.integers(),
    st.sampled_from([0, -1, 2**31, 2**63 - 1, -(2**63), 10**30, 10**400]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    AWARE,
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    st.dates(),
    st.times(),
)
HOSTILE = st.one_of(SCALARS, st.lists(SCALARS, max_size=3), st.dictionaries(HOSTILE_TEXT, SCALARS, max_size=2))


def _write(folder: Path, text: str) -> Path:
    (folder / "feeds").mkdir(exist_ok=True)
    path = folder / "event.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_base_document_loads(tmp_path):
    assert load_event(_write(tmp_path, toml_document(DOCUMENT))).event.name == "小测试"


def _load_or_config_error(path: Path) -> str | None:
    """Load the event; return None when it loads, else the ConfigError's message. Anything else propagates and fails the test."""
    try:
        config = load_event(path)
    except ConfigError as error:
        return str(error)
    # What the commands read of a loaded file right away must not fail either.
    _ = (config.store_url, config.folder, config.event.tz, config.event.refund_deadline, [feed.label for feed in config.feeds])
    return None


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "300")), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=st.sampled_from(KEYS), value=HOSTILE)
# What the sweep below found before the fixes: each crashed the loader with something other than ConfigError.
@example(key=("event", "end"), value=datetime(9999, 12, 30, tzinfo=UTC))
@example(key=("event", "refund_window_days"), value=10**12)
@example(key=("event", "timezone"), value="x" * 5000)
def test_a_hostile_value_loads_or_is_one_config_error_naming_file_and_key(key, value):
    with tempfile.TemporaryDirectory() as folder:
        path = _write(Path(folder), toml_document(replaced(DOCUMENT, key, value)))
        message = _load_or_config_error(path)
    if message is not None:
        assert message.startswith(f"{path}: key '"), message
        assert "\n" not in message, message


@pytest.mark.parametrize(
    "raw",
    [b"[event]\nname = \"a\x00b\"\n", b"[event]\nname = \"\\uD800\"\n", b"[event]\nname = \"\xff\xfe\"\n", b"\xef\xbb\xbf\xef\xbb\xbf[event]\n", b"\x00" * 10, b"[event\n"],
    ids=["raw-nul", "surrogate-escape", "not-utf8", "two-boms", "only-nul", "broken-toml"],
)
def test_a_file_toml_cannot_hold_is_one_config_error_naming_the_file(tmp_path, raw):
    path = tmp_path / "event.toml"
    path.write_bytes(raw)
    with pytest.raises(ConfigError) as error:
        load_event(path)
    assert str(error.value).startswith(f"{path}: ")
    assert "\n" not in str(error.value)


def _check(path: Path) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "WARROOM_DB_URL"}
    return subprocess.run([sys.executable, "-m", "warroom", "check", "-c", str(path)], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=st.sampled_from(KEYS), value=HOSTILE)
@example(key=("event", "end"), value=datetime(9999, 12, 30, tzinfo=UTC))
@example(key=("event", "name"), value="<script>alert(1)</script>\u0000")
def test_check_on_a_hostile_file_is_one_line_never_a_traceback(key, value):
    with tempfile.TemporaryDirectory() as folder:
        path = _write(Path(folder), toml_document(replaced(DOCUMENT, key, value)))
        loads = _load_or_config_error(path) is None
        result = _check(path)
    if loads:
        assert "Traceback" not in result.stderr, result.stderr
    else:
        assert result.returncode == 2, result.stderr
        assert result.stderr.count("\n") == 1, result.stderr
        assert "Traceback" not in result.stderr, result.stderr


# Every key gets each of these too, not only what hypothesis happens to draw.
NASTY = [
    "", "\u0000", "x" * 5000, "<b>html</b>", "../../etc/passwd", "0001-01-01T00:00:00+08:00", -1, 0, 10**12, 10**30, -(10**30), 2**63,
    float("nan"), float("inf"), -0.0, 1e308, True, [], {}, [{}], datetime(9999, 12, 30, 23, 59, tzinfo=UTC), datetime(1, 1, 2, tzinfo=UTC),
    datetime(2026, 5, 20, 20, 0), date(2026, 5, 20), time(20, 0),
]


@pytest.mark.parametrize("key", KEYS, ids=repr)
def test_every_key_takes_every_nasty_value_without_a_crash(tmp_path, key):
    failures = []
    for value in NASTY:
        path = _write(tmp_path, toml_document(replaced(DOCUMENT, key, value)))
        try:
            message = _load_or_config_error(path)
        except Exception as error:  # noqa: BLE001 - collected, so one run names every failing value
            failures.append(f"{value!r:.40}: {error.__class__.__name__}: {error!s:.80}")
            continue
        if message is not None and not (message.startswith(f"{path}: key '") and "\n" not in message):
            failures.append(f"{value!r:.40}: {message:.200}")
    assert failures == []
