"""The command line under bad input (issue 15): secrets stay hidden, errors are one line, nothing stops it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT
from tests.events import small_event
from tests.events import store as store_section
from warroom.config import load_event
from warroom.rules import LedgerRules
from warroom.store import Store

SECRET = "SECRETPW"
UNREACHABLE = f"postgresql+psycopg://u:{SECRET}@127.0.0.1:1/db"


def warroom(*args: str, env_url: str | None = None, cwd=ROOT) -> subprocess.CompletedProcess:
    """Run the command line in a child process, with WARROOM_DB_URL set to `env_url` or unset."""
    env = {key: value for key, value in os.environ.items() if key != "WARROOM_DB_URL"}
    if env_url:
        env["WARROOM_DB_URL"] = env_url
    return subprocess.run([sys.executable, "-m", "warroom", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


def assert_one_line_error(result: subprocess.CompletedProcess) -> None:
    """Fail unless a finished command failed with exactly one line on stderr and no traceback."""
    assert result.returncode != 0, f"the command succeeded: {result.stderr}"
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stderr.strip().count("\n") == 0, f"more than one line on stderr: {result.stderr}"


def assert_secret_hidden(text: str) -> None:
    """Fail if the test password shows in a command's output."""
    assert SECRET not in text, "the password was shown"


def with_password(url: str) -> str:
    """Return a PostgreSQL URL of the test server carrying a password (trust auth ignores it)."""
    return url.replace("postgres@", f"postgres:{SECRET}@", 1)


@pytest.fixture
def event_dir(event_dir):
    """Return the small event's folder with both feed files present (and empty)."""
    (event_dir / "feeds" / "orders.csv").write_text("order_id,ts,amount\n", encoding="utf-8")
    (event_dir / "feeds" / "checkins.jsonl").write_text("", encoding="utf-8")
    return event_dir


# -- 1. secrets ------------------------------------------------------------------------------------

CONFIG_COMMANDS = [("check",), ("stats", "--json"), ("stats",), ("ingest", "--once"), ("quarantine",), ("quarantine", "--json"), ("prompts",), ("serve", "--port", "1")]


@pytest.mark.parametrize("command", CONFIG_COMMANDS, ids=" ".join)
def test_an_unreachable_store_in_the_event_file_shows_no_password(event_dir, command):
    event = event_dir / "event.toml"
    event.write_text(small_event(store_section(UNREACHABLE)), encoding="utf-8")
    result = warroom(command[0], "-c", str(event), *command[1:])
    assert_secret_hidden(result.stdout + result.stderr)
    assert_one_line_error(result)


def test_the_demo_with_an_unreachable_store_shows_no_password(tmp_path):
    result = warroom("demo", "--dir", str(tmp_path / "demo"), "--port", "1", env_url=UNREACHABLE)
    assert_secret_hidden(result.stdout + result.stderr)
    assert_one_line_error(result)


@pytest.mark.postgres
@pytest.mark.parametrize("command", [c for c in CONFIG_COMMANDS if c[0] != "serve"], ids=" ".join)
def test_a_reachable_store_url_with_a_password_is_never_printed(event_dir, pg_schema_url, command):
    url = with_password(pg_schema_url)
    result = warroom(command[0], "-c", str(event_dir / "event.toml"), *command[1:], env_url=url)
    assert result.returncode == 0, result.stderr
    assert_secret_hidden(result.stdout + result.stderr)


@pytest.mark.postgres
def test_check_shows_the_store_url_with_its_password_masked(event_dir, pg_schema_url):
    result = warroom("check", "-c", str(event_dir / "event.toml"), env_url=with_password(pg_schema_url))
    assert "postgres:***@127.0.0.1" in result.stdout


@pytest.mark.postgres
def test_a_refused_ingest_shows_the_store_url_masked(event_dir, pg_schema_url):
    url = with_password(pg_schema_url)
    store = Store(url, LedgerRules.from_config(load_event(event_dir / "event.toml")))
    # Another host's ingest holds a fresh lease: this one must refuse, naming the store.
    store.take_lease("ingest", "elsewhere:1:1:", int(time.time()), 15)
    store.close()
    result = warroom("ingest", "-c", str(event_dir / "event.toml"), "--once", env_url=url)
    assert_secret_hidden(result.stderr)
    assert "postgres:***@" in result.stderr, result.stderr
    assert_one_line_error(result)


# -- 2. phone numbers in quarantine -------------------------------------------------------------------

@pytest.fixture
def quarantined_phone(event_dir):
    """Return the event file after ingesting an order row that is quarantined and holds a phone number."""
    (event_dir / "feeds" / "orders.csv").write_text(
        "order_id,ts,amount,customer_id\nA1,2026-05-20 20:00:00,-5,13812345678\nA2,2026-05-20 20:01:00,oops,+86 139-1234-5678\n", encoding="utf-8"
    )
    event = event_dir / "event.toml"
    assert warroom("ingest", "-c", str(event), "--once").returncode == 0
    return event


@pytest.mark.parametrize("flags", [(), ("--json",)], ids=["text", "json"])
def test_quarantine_masks_phone_numbers(quarantined_phone, flags):
    result = warroom("quarantine", "-c", str(quarantined_phone), *flags)
    shown = result.stdout
    for unmasked in ("12345678", "1234-5678"):
        assert unmasked not in shown, f"{unmasked} shown unmasked: {shown}"
    for masked in ("138****5678", "139****5678"):
        assert masked in shown, f"{masked} missing: {shown}"


def test_quarantine_json_still_parses_after_masking(quarantined_phone):
    rows = json.loads(warroom("quarantine", "-c", str(quarantined_phone), "--json").stdout)
    assert len(rows) == 2


# -- 7. a feed path that does not exist ---------------------------------------------------------

@pytest.mark.parametrize("command", [("ingest", "--once"), ("check",)], ids=" ".join)
def test_a_missing_feed_path_is_one_warning_per_feed(event_dir, command):
    for feed in (event_dir / "feeds").iterdir():
        feed.unlink()
    result = warroom(command[0], "-c", str(event_dir / "event.toml"), *command[1:])
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warroom: warning: feed")]
    assert result.returncode == 0, result.stderr
    assert len(warnings) == 2, result.stderr
    assert all("feeds/orders.csv" in w or "feeds/checkins.jsonl" in w for w in warnings), warnings


def test_a_present_feed_gives_no_warning(event_dir):
    assert "warning" not in warroom("ingest", "-c", str(event_dir / "event.toml"), "--once").stderr


# -- 11. times outside 2000–2100 --------------------------------------------------------------------

@pytest.mark.parametrize(
    "moment",
    ["0001-01-01T00:00:00+08:00", "1999-12-31T23:59:59+08:00", "2101-01-01T00:00:00+08:00", "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00"],
)
def test_a_time_option_outside_2000_to_2100_is_one_line(event_dir, moment):
    result = warroom("prompts", "-c", str(event_dir / "event.toml"), "--at", moment)
    assert_one_line_error(result)
    assert "2000" in result.stderr, result.stderr


@pytest.mark.parametrize("moment", ["2000-01-01T00:00:00+08:00", "2026-05-20T20:30:00", "2100-12-31T23:59:59+08:00"])
def test_a_time_option_inside_2000_to_2100_is_taken(event_dir, moment):
    assert warroom("prompts", "-c", str(event_dir / "event.toml"), "--at", moment, "--json").returncode == 0


@pytest.mark.postgres
def test_a_demo_whose_ingest_is_refused_stops_with_one_line_and_no_password(tmp_path, pg_schema_url):
    import socket

    url = with_password(pg_schema_url)
    store = Store(url)
    store.take_lease("ingest", "elsewhere:1:1:", int(time.time()) + 3600, 15)  # fresh for the next hour
    store.close()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = warroom("demo", "--dir", str(tmp_path / "demo"), "--port", str(port), env_url=url)
    said = [line for line in result.stderr.splitlines() if "stopped" in line]
    assert result.returncode == 1, result.stderr
    assert_secret_hidden(result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    assert len(said) == 1, result.stderr
    assert "postgres:***@" in result.stderr, result.stderr


# -- 5. an unsupported store, a folder for the event file -------------------------------------------

@pytest.mark.parametrize(
    ("where", "url"),
    [("file", "mysql://u:SECRETPW@127.0.0.1/db"), ("environment", "mysql://u:SECRETPW@127.0.0.1/db"), ("environment", "postgresql://u:SECRETPW@h/db")],
)
def test_an_unsupported_store_is_one_line_naming_where_it_came_from(event_dir, where, url):
    event = event_dir / "event.toml"
    if where == "file":
        event.write_text(small_event(store_section(url)), encoding="utf-8")
    result = warroom("stats", "-c", str(event), env_url=url if where == "environment" else None)
    named = f"{event}: key 'store.url'" if where == "file" else "WARROOM_DB_URL"
    assert_one_line_error(result)
    assert named in result.stderr, result.stderr
    assert "postgresql+psycopg://" in result.stderr, result.stderr
    assert_secret_hidden(result.stderr)


@pytest.mark.parametrize("command", [("check",), ("stats", "--json"), ("ingest", "--once")], ids=" ".join)
def test_a_folder_given_to_c_is_one_line(event_dir, command):
    result = warroom(command[0], "-c", str(event_dir), *command[1:])
    assert_one_line_error(result)
    assert str(event_dir) in result.stderr, result.stderr


@pytest.mark.parametrize(("option", "value"), [("--speed", "nan"), ("--speed", "0"), ("--speed", "-5"), ("--speed", "inf"), ("--speed", "1e400"), ("--port", "0"), ("--port", "99999"), ("--port", "-1")])
def test_a_bad_demo_option_is_refused_before_anything_starts(tmp_path, option, value):
    result = warroom("demo", "--dir", str(tmp_path / "demo"), option, value)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert not (tmp_path / "demo").exists(), "the demo folder was made"
