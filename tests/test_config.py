"""Event-file validation: every error names the file, the key and what was expected."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import SAMPLE
from tests.events import SMALL_EVENT, small_event
from tests.events import access as access_section
from tests.events import store as store_section
from warroom.cli import main
from warroom.config import ConfigError, EventConfig, load_event


def write(tmp_path, text):
    path = tmp_path / "event.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "key", "expected"),
    [
        (("base = 10000", 'base = "lots"'), "goals.base", "number"),
        (("base = 10000\n", ""), "goals.base", "missing"),
        (('role = "order_taker"\naliases', 'role = "boss"\naliases'), "staff[0].role", "order_taker"),
        (('owner = "S20"', 'owner = "S99"'), "groups[0].owner", "staff id"),
        (('timezone', 'timezone'), None, None),
        (("[goals]", "[goals]\nbasse = 1"), "goals.basse", "no such key"),
        (('end = "2026-05-20T23:00:00+08:00"', 'end = "2026-05-20T18:00:00+08:00"'), "event", "end after start"),
        (("stretch = 15000", "stretch = 5000"), "goals", "stretch at least as large as base"),
        (('path = "feeds/orders.csv"', 'path = "feeds/orders.csv"\nprofile = "taobao"'), "feeds[0].profile", "canonical"),
    ],
    ids=["wrong-type", "missing", "unknown-role", "unknown-owner", "unchanged-ok", "misspelt", "end-before-start", "stretch-below-base", "unknown-profile"],
)
def test_a_bad_event_file_names_the_key(tmp_path, change, key, expected):
    path = write(tmp_path, SMALL_EVENT.replace(*change, 1))
    if key is None:
        assert isinstance(load_event(path), EventConfig)
        return
    with pytest.raises(ConfigError) as error:
        load_event(path)
    message = str(error.value)
    assert str(path) in message, message
    assert f"'{key}'" in message, message
    assert expected in message, message


def test_broken_toml_is_one_line(tmp_path):
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_event(write(tmp_path, "[event\nname="))


def test_a_missing_file_is_reported(tmp_path):
    with pytest.raises(ConfigError, match="no such event file"):
        load_event(tmp_path / "nope.toml")


def test_the_command_line_prints_one_line_and_exits_non_zero(tmp_path, capsys):
    path = write(tmp_path, SMALL_EVENT.replace("base = 10000", 'base = "lots"'))
    code = main(["stats", "-c", str(path), "--json"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_the_sample_event_loads():
    assert len(load_event(SAMPLE / "event.toml").staff) == 34


def test_every_setting_is_documented():
    undocumented = []

    def walk(model, prefix):
        for name, field in model.model_fields.items():
            if name == "source":
                continue
            annotation = field.annotation
            inner = getattr(annotation, "__args__", (annotation,))[0] if hasattr(annotation, "__args__") else annotation
            if isinstance(inner, type) and hasattr(inner, "model_fields"):
                walk(inner, f"{prefix}{name}.")
            elif not field.description:
                undocumented.append(prefix + name)

    walk(EventConfig, "")
    assert undocumented == []


def test_an_event_file_that_starts_with_a_bom_loads(tmp_path):
    path = tmp_path / "event.toml"
    path.write_bytes(b"\xef\xbb\xbf" + SMALL_EVENT.encode("utf-8"))
    assert load_event(path).event.name == "小测试"


def test_a_folder_given_as_the_event_file_is_one_error(tmp_path):
    with pytest.raises(ConfigError, match="expected an event file"):
        load_event(tmp_path)


@pytest.mark.parametrize(
    "url",
    ["mysql://u:pw@host/db", "postgresql://u@host/db", "oracle://x", "not a url", "sqlite://", "redis://h:6379"],
)
def test_an_unsupported_store_url_names_the_key(tmp_path, url):
    path = write(tmp_path, small_event(store_section(url)))
    with pytest.raises(ConfigError) as error:
        load_event(path)
    assert str(path) in str(error.value)
    assert "'store.url'" in str(error.value)
    assert "sqlite:///" in str(error.value)


@pytest.mark.parametrize("url", ["sqlite:///warroom.db", "sqlite:////tmp/x.db", "postgresql+psycopg://u@h/db"])
def test_a_supported_store_url_loads(tmp_path, url):
    assert load_event(write(tmp_path, small_event(store_section(url)))).store.url == url


def test_an_unsupported_store_url_does_not_show_its_password(tmp_path):
    with pytest.raises(ConfigError) as error:
        load_event(write(tmp_path, small_event(store_section("mysql://u:SECRETPW@host/db"))))
    assert "SECRETPW" not in str(error.value)


@pytest.mark.parametrize("encoding", ["klingon", "rot13", "hex", "utf-8\\u0000"])
def test_an_unknown_feed_encoding_is_refused_at_load(tmp_path, encoding):
    path = write(tmp_path, SMALL_EVENT.replace('path = "feeds/orders.csv"', f'path = "feeds/orders.csv"\nencoding = "{encoding}"', 1))
    with pytest.raises(ConfigError, match=r"key 'feeds\[0\]\.encoding'"):
        load_event(path)


@pytest.mark.parametrize("encoding", ["auto", "AUTO", "utf-8", "utf-8-sig", "gbk", "GB18030"])
def test_a_known_feed_encoding_loads(tmp_path, encoding):
    path = write(tmp_path, SMALL_EVENT.replace('path = "feeds/orders.csv"', f'path = "feeds/orders.csv"\nencoding = "{encoding}"', 1))
    assert load_event(path).feeds[0].encoding == encoding


def _with_tokens(first: str, second: str) -> str:
    text = SMALL_EVENT.replace('role = "order_taker"\naliases', f'role = "order_taker"\ntoken = "{first}"\naliases', 1)
    return text.replace('name = "小周"\nrole = "order_taker"', f'name = "小周"\nrole = "order_taker"\ntoken = "{second}"', 1)


@pytest.mark.parametrize(
    ("first", "second", "key"),
    [
        ("Q", "a-long-enough-token-2", "staff[0].token"),
        ("fifteen-chars-x", "a-long-enough-token-2", "staff[0].token"),
        ("the-same-long-token-1", "the-same-long-token-1", "staff[1].token"),
    ],
    ids=["one-character", "fifteen-characters", "shared"],
)
def test_a_short_or_shared_staff_token_is_refused(tmp_path, first, second, key):
    with pytest.raises(ConfigError) as error:
        load_event(write(tmp_path, _with_tokens(first, second)))
    message = str(error.value)
    assert f"'{key}'" in message, message
    assert first not in message, message


def test_distinct_tokens_of_sixteen_characters_load(tmp_path):
    config = load_event(write(tmp_path, _with_tokens("sixteen-chars-ok", "another-token-of-16")))
    assert [member.token for member in config.staff[:2]] == ["sixteen-chars-ok", "another-token-of-16"]


def test_a_short_link_secret_is_not_shown(tmp_path):
    with pytest.raises(ConfigError) as error:
        load_event(write(tmp_path, small_event(access_section(link_secret="SECRETPW"))))
    assert "'access.link_secret'" in str(error.value)
    assert "SECRETPW" not in str(error.value)


def _with_orders_path(tmp_path, path: str, extra: str = "") -> Path:
    (tmp_path / "feeds").mkdir(exist_ok=True)
    return write(tmp_path, SMALL_EVENT.replace('path = "feeds/orders.csv"', f"path = {json.dumps(path)}{extra}", 1))


@pytest.fixture
def outside(tmp_path):
    """Return an event folder beside a folder of files that are not the event's (`secrets/passwd`)."""
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "passwd").write_text("root:x:0:0\n", encoding="utf-8")
    event = tmp_path / "event"
    event.mkdir()
    return event


@pytest.mark.parametrize(
    "path",
    ["../secrets/passwd", "feeds/../../secrets/passwd", "../secrets/*", "feeds/*/../../../secrets/passwd", "/etc/passwd", "/etc/*", "../**/passwd", "feeds/link/passwd", "feeds/*"],
    ids=["dotdot", "dotdot-inside", "glob-outside", "glob-then-dotdot", "absolute", "absolute-glob", "recursive-glob-outside", "through-a-symlinked-folder", "glob-matching-a-symlink"],
)
def test_a_feed_path_outside_the_event_folder_is_refused(outside, path):
    (outside / "feeds").mkdir()
    # Symlinks in the event's folder that lead out of it: a folder, and a file a glob matches.
    (outside / "feeds" / "link").symlink_to(outside.parent / "secrets", target_is_directory=True)
    (outside / "feeds" / "orders.csv").symlink_to(outside.parent / "secrets" / "passwd")
    with pytest.raises(ConfigError) as error:
        load_event(_with_orders_path(outside, path))
    assert "'feeds[0].path'" in str(error.value), str(error.value)
    assert "allow_outside" in str(error.value), str(error.value)


@pytest.mark.parametrize("path", ["feeds/orders.csv", "feeds/", "feeds/*.csv", "./feeds/../feeds/orders.csv", "feeds/**/*.csv", "exports/抖店/"])
def test_a_feed_path_inside_the_event_folder_loads(tmp_path, path):
    assert load_event(_with_orders_path(tmp_path, path)).feeds[0].path == path


def test_a_feed_may_be_allowed_outside(outside):
    config = load_event(_with_orders_path(outside, "../secrets/passwd", "\nallow_outside = true"))
    assert config.feeds[0].allow_outside is True


def test_a_feed_path_with_a_nul_is_one_error(tmp_path):
    with pytest.raises(ConfigError, match=r"feeds\[0\]\.path"):
        load_event(_with_orders_path(tmp_path, "feeds/a\u0000b.csv"))
