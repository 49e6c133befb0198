"""The links that are handed out (SPEC §7): built on [server] public_url, WARROOM_PUBLIC_URL, else the LAN address with a warning."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.events import access, small_event, table
from warroom.access import access_settings, viewer_from_kiosk, viewer_from_token
from warroom.config import PUBLIC_URL_ENV, ConfigError, load_event
from warroom.links import LAN, LOCAL_ONLY, PUBLIC, base_url, event_links, lan_address

SECRET = "links-secret-0123456789"
PUBLIC_URL = "https://warroom.example.com"


def write_event(folder, *sections: str):
    path = folder / "event.toml"
    path.write_text(small_event(access(link_secret=SECRET), *sections), encoding="utf-8")
    return path


def run_links(event, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environ = {key: value for key, value in os.environ.items() if key != PUBLIC_URL_ENV} | (env or {})
    return subprocess.run([sys.executable, "-m", "warroom", "links", "-c", str(event), *args], capture_output=True, text=True,
                          cwd=event.parent, env=environ, timeout=120)


@pytest.mark.parametrize(
    ("environ", "in_file", "lan", "expected"),
    [
        ({PUBLIC_URL_ENV: "https://env.example.com/"}, PUBLIC_URL, "192.168.1.20", ("https://env.example.com", PUBLIC)),
        ({}, PUBLIC_URL, "192.168.1.20", (PUBLIC_URL, PUBLIC)),
        ({PUBLIC_URL_ENV: "  "}, None, "192.168.1.20", ("http://192.168.1.20:8600", LAN)),
        ({}, None, None, ("http://127.0.0.1:8600", LOCAL_ONLY)),
    ],
    ids=["env over file", "file", "LAN address", "no network"],
)
def test_links_are_built_on_the_first_address_found(tmp_path, environ, in_file, lan, expected):
    config = load_event(write_event(tmp_path, table("[server]", public_url=in_file) if in_file else ""))
    base = base_url(config, 8600, environ=environ, find_lan=lambda: lan)
    assert (base.url, base.reach) == expected, f"links on {base} with env {environ}, file {in_file}, LAN {lan}"


@pytest.mark.parametrize(("reach", "says"), [(LAN, "phones off this network"), (LOCAL_ONLY, "only this machine"), (PUBLIC, None)])
def test_only_links_off_a_public_url_carry_a_warning(tmp_path, reach, says):
    config = load_event(write_event(tmp_path, table("[server]", public_url=PUBLIC_URL) if reach == PUBLIC else ""))
    warning = base_url(config, 8501, environ={}, find_lan=lambda: "10.0.0.5" if reach == LAN else None).warning
    assert (warning is None) if says is None else (says in (warning or "")), f"{reach}: warning {warning!r}"


def test_the_lan_address_is_not_loopback():
    address = lan_address()
    assert address is None or not address.startswith("127."), f"the LAN address found is {address}"


@pytest.mark.parametrize(
    "public_url",
    ["ftp://example.com", "example.com", "https://", "https://example.com/?a=1", "https://example.com/#x", "http://exa mple.com",
     "https://example.com:99999", "javascript:alert(1)"],
)
def test_a_bad_public_url_is_one_line_naming_the_file_and_the_key(tmp_path, public_url):
    event = write_event(tmp_path, table("[server]", public_url=public_url))
    with pytest.raises(ConfigError) as error:
        load_event(event)
    message = str(error.value)
    assert (str(event) in message, "'server.public_url'" in message, "\n" not in message) == (True, True, True), message


def test_a_public_url_with_a_password_is_refused_without_showing_it(tmp_path):
    event = write_event(tmp_path, table("[server]", public_url="https://lead:hunter2-secret@example.com"))
    with pytest.raises(ConfigError) as error:
        load_event(event)
    assert "hunter2" not in str(error.value), str(error.value)


def test_a_bad_warroom_public_url_is_one_line_naming_the_variable(tmp_path):
    config = load_event(write_event(tmp_path))
    with pytest.raises(ConfigError) as error:
        base_url(config, 8501, environ={PUBLIC_URL_ENV: "ftp://user:pw-secret@example.com"})
    assert (str(error.value).startswith(PUBLIC_URL_ENV), "pw-secret" in str(error.value)) == (True, False), str(error.value)


@pytest.mark.parametrize("secret", ['"short"', "12345678901234567890", '"                   "'])
def test_a_bad_intake_secret_is_refused_without_showing_it(tmp_path, secret):
    event = tmp_path / "event.toml"
    event.write_text(small_event() + f"\n[intake]\nsecret = {secret}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_event(event)
    message = str(error.value)
    assert ("'intake.secret'" in message, secret.strip('"').strip() in message if secret.strip('" ') else False) == (True, False), message


def toml_string(text: str) -> str:
    """Return a TOML basic string of any text without lone surrogates (control characters and DEL as escapes)."""
    return '"' + "".join(f"\\u{ord(char):04x}" if ord(char) < 32 or char in '"\\\x7f' else char for char in text) + '"'


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(st.characters(exclude_categories=("Cs",)), max_size=80) | st.from_regex(r"https?://[a-z0-9.\-]{0,20}(:[0-9]{0,6})?(/[^ ]{0,10})?", fullmatch=True))
def test_any_public_url_loads_as_an_http_address_or_fails_in_one_line(tmp_path, text):
    event = tmp_path / "event.toml"
    event.write_text(small_event(access(link_secret=SECRET)) + f"\n[server]\npublic_url = {toml_string(text)}\n", encoding="utf-8")
    try:
        config = load_event(event)
    except ConfigError as error:
        assert "\n" not in str(error) and "'server.public_url'" in str(error), str(error)
        return
    parts = urlsplit(config.server.public_url)
    link = event_links(config, access_settings(config), base_url(config, 8501, environ={})).kiosk
    assert (parts.scheme in ("http", "https"), bool(parts.hostname), link.startswith(config.server.public_url + "/?kiosk=")) == (True, True, True), link


def test_links_json_gives_every_link_on_the_public_url(tmp_path):
    event = write_event(tmp_path, table("[server]", public_url=PUBLIC_URL + "/"))
    result = run_links(event, "--json")
    assert result.returncode == 0, result.stderr
    links = json.loads(result.stdout)
    urls = [links["kiosk"], *(member["url"] for member in links["staff"])]
    assert ([key for key in links], [sorted(member) for member in links["staff"]][:1]) == (["kiosk", "staff"], [["name", "staff_id", "url"]]), links
    assert all(url.startswith(PUBLIC_URL + "/?") for url in urls), urls
    assert result.stderr == "", f"a public URL needs no warning: {result.stderr}"


def test_each_printed_link_opens_its_own_page(tmp_path):
    event = write_event(tmp_path, table("[server]", public_url=PUBLIC_URL))
    links = json.loads(run_links(event, "--json").stdout)
    config = load_event(event)
    settings_ = access_settings(config)
    opened = {member["staff_id"]: viewer_from_token(settings_, config, parse_qs(urlsplit(member["url"]).query)["token"][0]).staff_id
              for member in links["staff"]}
    kiosk = viewer_from_kiosk(settings_, parse_qs(urlsplit(links["kiosk"]).query)["kiosk"][0])
    assert (opened, kiosk is not None) == ({member.id: member.id for member in config.staff}, True), links


def test_the_environment_variable_overrides_the_file(tmp_path):
    event = write_event(tmp_path, table("[server]", public_url=PUBLIC_URL))
    links = json.loads(run_links(event, "--json", env={PUBLIC_URL_ENV: "http://10.1.2.3:9000"}).stdout)
    assert links["kiosk"].startswith("http://10.1.2.3:9000/?kiosk="), links["kiosk"]


def test_links_without_a_public_url_use_the_lan_address_and_warn(tmp_path):
    event = write_event(tmp_path)
    result = run_links(event, "--json", "--port", "8612")
    links = json.loads(result.stdout)
    expected = f"http://{lan_address() or '127.0.0.1'}:8612/?kiosk="
    assert (links["kiosk"].startswith(expected), "warning" in result.stderr, result.stderr.count("\n")) == (True, True, 1), (links["kiosk"], result.stderr)


def test_links_without_a_link_secret_say_none_can_be_made(tmp_path):
    event = tmp_path / "event.toml"
    event.write_text(small_event(table("[server]", public_url=PUBLIC_URL)), encoding="utf-8")
    result = run_links(event, "--json")
    links = json.loads(result.stdout)
    assert (result.returncode, links["kiosk"], {member["url"] for member in links["staff"]}, "link_secret" in result.stderr) == (0, None, {None}, True), result


def test_links_prints_no_other_secret(tmp_path):
    event = write_event(tmp_path, table("[server]", public_url=PUBLIC_URL), "\n[intake]\nsecret = \"intake-secret-abcdef-123\"\n")
    result = run_links(event)
    assert (result.returncode, SECRET in result.stdout + result.stderr, "intake-secret" in result.stdout + result.stderr) == (0, False, False), result


def test_the_secrets_file_of_the_working_folder_signs_the_links_as_it_does_in_the_app(tmp_path):
    from warroom.access import kiosk_token

    event = write_event(tmp_path, table("[server]", public_url=PUBLIC_URL))
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text('[warroom]\nlink_secret = "from-the-secrets-file-0123"\n', encoding="utf-8")
    links = json.loads(run_links(event, "--json").stdout)
    assert links["kiosk"] == f"{PUBLIC_URL}/?kiosk={kiosk_token('from-the-secrets-file-0123')}", links["kiosk"]
