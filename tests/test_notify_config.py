"""`[[notify]]` in the event file: each platform's URL shape, the secrets never shown (errors, reprs, the store), and hostile text
(hypothesis) giving one ConfigError line that quotes neither the URL nor the secret; names kept as written on both stores."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.events import SMALL_EVENT, table
from warroom.config import ConfigError, NotifyTarget, load_event
from warroom.notify import Dispatcher
from warroom.web.views.notify_status import status_rows

WECOM_URL = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
DINGTALK_URL = "https://oapi.dingtalk.com/robot/send?access_token=566cc69da782ec33e42541b09b08551f"
FEISHU_URL = "https://open.feishu.cn/open-apis/bot/v2/hook/5e3d587e-d78e-4a07-bd07-265f269f86fd"
# A marker no message of the config's can contain: a secret written with it is found if an error quotes it.
MARK = "ZQXJ"
HOSTILE = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def load(*targets: dict):
    """Return the small event with these [[notify]] entries, loaded from a file as `warroom` does."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "event.toml"
        path.write_text(SMALL_EVENT + "".join(table("[[notify]]", **target) for target in targets), encoding="utf-8")
        return load_event(path)


def refusal(*targets: dict) -> str:
    with pytest.raises(ConfigError) as refused:
        load(*targets)
    return str(refused.value)


@pytest.mark.parametrize(("target", "masked"), [
    ({"kind": "wecom", "url": WECOM_URL}, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***"),
    ({"kind": "dingtalk", "url": DINGTALK_URL, "secret": "SECabc"}, "https://oapi.dingtalk.com/robot/send?access_token=***"),
    ({"kind": "dingtalk", "url": DINGTALK_URL}, "https://oapi.dingtalk.com/robot/send?access_token=***"),  # keyword or IP security
    ({"kind": "feishu", "url": FEISHU_URL, "secret": "s"}, "https://open.feishu.cn/open-apis/bot/v2/hook/***"),
    ({"kind": "feishu", "url": FEISHU_URL.replace("open.feishu.cn", "open.larksuite.com")}, "https://open.larksuite.com/open-apis/bot/v2/hook/***"),
    ({"kind": "webhook", "url": "https://hooks.example.com/warroom/t0ken", "secret": "s"}, "https://hooks.example.com/***"),
    ({"kind": "webhook", "url": "http://127.0.0.1:9000/hook", "secret": "s"}, "http://127.0.0.1:9000/***"),
])
def test_a_robot_url_of_the_platform_s_shape_loads_and_shows_masked(target, masked):
    (loaded,) = load(target).notify
    assert (loaded.masked_url, target["url"] in repr(loaded)) == (masked, False)


@pytest.mark.parametrize(("target", "key", "expected"), [
    ({"kind": "wecom", "url": WECOM_URL.replace("qyapi.weixin.qq.com", "evil.example.com")}, "url", "its host is not qyapi.weixin.qq.com"),
    ({"kind": "wecom", "url": WECOM_URL.replace("https", "http")}, "url", "(https)"),
    ({"kind": "wecom", "url": WECOM_URL.split("?")[0]}, "url", "one key= in its query"),
    ({"kind": "wecom", "url": WECOM_URL.replace(".com/", ".com:99999/")}, "url", "a URL that parses"),
    ({"kind": "wecom", "url": WECOM_URL, "secret": "SECabc"}, "secret", "WeCom group robots are not signed"),
    ({"kind": "dingtalk", "url": DINGTALK_URL.replace("/robot/send", "/robot/other")}, "url", "the path /robot/send"),
    ({"kind": "feishu", "url": FEISHU_URL.rsplit("/", 1)[0] + "/"}, "url", "the hook id"),
    ({"kind": "webhook", "url": "https://hooks.example.com/warroom"}, "secret", "a signing secret for the webhook"),
    ({"kind": "webhook", "url": "http://hooks.example.com/warroom", "secret": "s"}, "url", "plain http only to a loopback address"),
    ({"kind": "webhook", "url": "ftp://hooks.example.com/", "secret": "s"}, "url", "an http(s) URL"),
    ({"kind": "slack", "url": WECOM_URL}, "kind", "'wecom', 'dingtalk', 'feishu' or 'webhook'"),
    ({"kind": "wecom", "url": WECOM_URL, "prompts": ["nope"]}, "prompts", "rule names from [[prompts]] or prompt kinds"),
    ({"kind": "wecom", "url": WECOM_URL, "urgency": ["urgent"]}, "urgency[0]", "'critical', 'high', 'normal' or 'low'"),
    ({"kind": "wecom", "url": WECOM_URL, "name": "a\nb"}, "name", "without control characters"),
])
def test_a_wrong_target_names_its_key_and_what_was_expected_without_its_secrets(target, key, expected):
    message = refusal(target)
    assert f"key 'notify[0].{key}'" in message and expected in message, message
    assert "693a91f6" not in message and "566cc69d" not in message and "5e3d587e" not in message and "SECabc" not in message, message


def test_two_targets_on_one_robot_are_refused():
    message = refusal({"kind": "wecom", "url": WECOM_URL}, {"kind": "wecom", "url": WECOM_URL})
    assert "key 'notify[1].url'" in message and "693a91f6" not in message, message


def test_a_prompt_filter_may_name_a_kind_or_a_rule():
    rules = table("[[prompts]]", kind="poster", name="海报")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "event.toml"
        path.write_text(SMALL_EVENT + rules + table("[[notify]]", kind="wecom", url=WECOM_URL, prompts=["海报", "milestone"]), encoding="utf-8")
        (target,) = load_event(path).notify
    assert (target.wants("海报", "poster", "high"), target.wants("m", "milestone", "low"), target.wants("x", "live_now", "high")) == (True, True, False)


_HOSTILE_TEXT = st.text(st.characters(codec="utf-8"), max_size=40)
_PREFIXES = {"wecom": WECOM_URL.split("=")[0] + "=", "dingtalk": DINGTALK_URL.split("=")[0] + "=", "feishu": FEISHU_URL.rsplit("/", 1)[0] + "/",
             "webhook": "https://hooks.example.com/"}


@HOSTILE
@given(kind=st.sampled_from(sorted(_PREFIXES)), shaped=st.booleans(), url_tail=_HOSTILE_TEXT, secret_tail=_HOSTILE_TEXT, name=st.none() | _HOSTILE_TEXT)
def test_hostile_targets_load_or_give_one_line_quoting_no_secret(kind, shaped, url_tail, secret_tail, name):
    url = (_PREFIXES[kind] if shaped else "") + MARK + url_tail
    try:
        load({"kind": kind, "url": url, "secret": MARK + secret_tail, "name": name})
    except ConfigError as error:
        message = str(error)
        assert "\n" not in message and MARK not in message, message


@HOSTILE
@given(name=st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), min_size=1, max_size=64).filter(str.strip))
def test_a_target_s_name_is_kept_as_written_on_both_stores(store, name):
    target = NotifyTarget(kind="webhook", url=f"https://hooks.example.com/{MARK}", secret=MARK, name=name)
    event = load().model_copy(update={"notify": (target,)})
    Dispatcher(store, event).step()
    (row,) = status_rows(store, event, "zh")
    assert (row["target"], MARK in repr(row)) == (name, False)
