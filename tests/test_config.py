"""Event-file validation: every error names the file, the key and what was expected."""

from __future__ import annotations

import pytest

from tests.conftest import SAMPLE, SMALL_EVENT
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
    assert (str(path) in message, f"'{key}'" in message, expected in message) == (True, True, True), message


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
    assert (code, err.count("\n"), "Traceback" in err) == (2, 1, False)


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
