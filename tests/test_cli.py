"""The command line on the 520 sample: ingest --once, then stats --json, against the generator's totals."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT

SPEC_KEYS = {"event", "revenue", "orders", "paying_customers", "refunds", "goals", "leaderboards", "commission", "checkins", "quarantined", "live"}


def warroom(*args: str, env_url: str | None = None, cwd=ROOT) -> subprocess.CompletedProcess:
    env = None
    if env_url:
        import os
        env = {**os.environ, "WARROOM_DB_URL": env_url}
    return subprocess.run([sys.executable, "-m", "warroom", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


@pytest.fixture(scope="module")
def ingested_sample(tmp_path_factory):
    """Return (stats, expected) after `ingest --once` of a copy of the sample, on SQLite."""
    import shutil

    from tests.conftest import SAMPLE

    folder = tmp_path_factory.mktemp("sample") / "520"
    shutil.copytree(SAMPLE, folder, ignore=shutil.ignore_patterns("warroom.db*", "replay_clock.json"))
    ingest = warroom("ingest", "-c", str(folder / "event.toml"), "--once")
    assert ingest.returncode == 0, ingest.stderr
    stats = warroom("stats", "-c", str(folder / "event.toml"), "--json")
    assert stats.returncode == 0, stats.stderr
    return json.loads(stats.stdout), json.loads((folder / "expected.json").read_text())


def test_stats_prints_every_spec_key(ingested_sample):
    stats, _ = ingested_sample
    assert set(stats) == SPEC_KEYS


@pytest.mark.parametrize("key", ["revenue", "orders", "paying_customers", "refunds", "checkins", "quarantined"])
def test_stats_match_the_generator(ingested_sample, key):
    stats, expected = ingested_sample
    assert stats[key] == expected[key]


def test_the_order_taker_leaderboard_covers_all_fifteen(ingested_sample):
    stats, _ = ingested_sample
    assert len(stats["leaderboards"]["order_taker"]) == 15


def test_a_second_ingest_once_counts_nothing_twice(sample_dir):
    event = str(sample_dir / "event.toml")
    warroom("ingest", "-c", event, "--once")
    first = warroom("stats", "-c", event, "--json").stdout
    warroom("ingest", "-c", event, "--once")
    assert warroom("stats", "-c", event, "--json").stdout == first


def test_check_accepts_the_sample(sample_dir):
    result = warroom("check", "-c", str(sample_dir / "event.toml"))
    assert result.returncode == 0, result.stderr


def test_a_missing_config_is_one_line(tmp_path):
    result = warroom("stats", "-c", str(tmp_path / "missing.toml"), "--json")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "Traceback" not in result.stderr


@pytest.mark.postgres
def test_ingest_and_stats_on_postgres_match_sqlite(ingested_sample, sample_dir, pg_schema_url):
    event = str(sample_dir / "event.toml")
    assert warroom("ingest", "-c", event, "--once", env_url=pg_schema_url).returncode == 0
    stats = json.loads(warroom("stats", "-c", event, "--json", env_url=pg_schema_url).stdout)
    assert stats == ingested_sample[0]


def test_output_into_a_closed_pipe_is_not_a_traceback(sample_dir):
    # `warroom stats --json | head -c 10`: the reader has gone before we write.
    child = subprocess.Popen([sys.executable, "-m", "warroom", "stats", "-c", str(sample_dir / "event.toml"), "--json"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    child.stdout.close()
    _, stderr = child.communicate(timeout=120)
    assert (child.returncode, stderr.decode()) == (0, "")
