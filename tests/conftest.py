"""Shared fixtures: real stores on SQLite and PostgreSQL, and small event files."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text

from tests.events import SMALL_EVENT
from warroom.config import EventConfig, load_event
from warroom.rules import LedgerRules
from warroom.store import Store

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data" / "520"
PG_URL = os.environ.get("WARROOM_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@contextmanager
def fresh_pg_schema_url() -> Iterator[str]:
    """Yield a URL to a fresh PostgreSQL schema, dropped afterwards; fail (never skip) when the server is down."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    separator = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{separator}options={quote(f'-csearch_path={name}')}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


@pytest.fixture
def pg_schema_url():
    """Yield a URL to a fresh PostgreSQL schema, dropped afterwards."""
    with fresh_pg_schema_url() as url:
        yield url


@pytest.fixture(params=BACKENDS)
def store_url(request, tmp_path):
    """Yield a store URL on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'warroom.db'}"
    else:
        yield request.getfixturevalue("pg_schema_url")


@pytest.fixture
def event_dir(tmp_path):
    """Return a folder holding the small event file and empty feeds."""
    (tmp_path / "feeds").mkdir()
    (tmp_path / "event.toml").write_text(SMALL_EVENT, encoding="utf-8")
    return tmp_path


@pytest.fixture
def small_event(event_dir):
    """Return the small event's config."""
    return load_event(event_dir / "event.toml")


@pytest.fixture
def store(store_url, small_event):
    """Yield an empty store for the small event, on each backend."""
    opened = Store(store_url, LedgerRules.from_config(small_event))
    yield opened
    opened.close()


@pytest.fixture
def open_store(store_url):
    """Return a function that opens the store for a given event on this backend; all closed afterwards."""
    opened: list[Store] = []

    def opener(config: EventConfig) -> Store:
        store = Store(store_url, LedgerRules.from_config(config))
        opened.append(store)
        return store

    yield opener
    for store in opened:
        store.close()


@pytest.fixture
def sample_dir(tmp_path):
    """Return a copy of the 520 sample event, with its own store."""
    target = tmp_path / "520"
    shutil.copytree(SAMPLE, target, ignore=shutil.ignore_patterns("warroom.db*", "replay_clock.json"))
    return target


@pytest.fixture
def read_afresh(monkeypatch):
    """Let pages read the store's seq and the replay clock afresh on every run.

    A page test writes and reruns at once; in service, thirty screens share reads a fraction of a second old.
    """
    from warroom.clock import ReplayClock
    from warroom.web import session

    monkeypatch.setattr(session, "SEQ_MAX_AGE", 0)
    monkeypatch.setattr(ReplayClock, "REREAD_SECONDS", 0)


@pytest.fixture(scope="module")
def chromium():
    """Yield a headless Debian Chromium; fail (never skip) when it is not installed. Screenshots go to tests/artifacts/browser/."""
    from tests.browser_support import chromium_missing_message, launch_chromium

    missing = chromium_missing_message()
    if missing:
        pytest.fail(missing, pytrace=False)
    from playwright.sync_api import sync_playwright

    (ROOT / "tests" / "artifacts" / "browser").mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        launched = launch_chromium(playwright)
        yield launched
        launched.close()


@pytest.fixture
def new_page(chromium):
    """Return a factory of pages, each in a browser context of its own (another client: its own cookies and Streamlit session); closed after the test."""
    contexts = []

    def make(viewport: dict, **options):
        context = chromium.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai", **options)
        context.set_default_timeout(30_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
