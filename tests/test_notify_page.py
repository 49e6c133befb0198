"""The setup page's panel of group robots (warroom/web/views/notify_status.py), through Streamlit's AppTest: each robot with its URL
masked, a failing one marked, and no key or secret anywhere on the page."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.events import access as access_section
from tests.events import small_event, table
from warroom import access
from warroom.access import SESSION_KEY, Viewer
from warroom.config import load_event
from warroom.store import Store

APP = Path(__file__).resolve().parent.parent / "app.py"
WECOM_KEY = "693a91f6-key-of-the-robot"
FEISHU_SECRET = "feishu-signing-secret-77"
WECOM = {"kind": "wecom", "name": "运营群", "url": f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={WECOM_KEY}"}
FEISHU = {"kind": "feishu", "url": "https://open.feishu.cn/open-apis/bot/v2/hook/hook-id-of-the-bot-0a1b", "secret": FEISHU_SECRET}


@pytest.fixture
def event(event_dir, monkeypatch, read_afresh):
    """Return the small event with a lead password and two robots, the WeCom one failing three times in a row."""
    source = event_dir / "event.toml"
    lead = access.hash_password("lead-pw", rounds=4)
    source.write_text(small_event(access_section(lead_password_hash=lead, link_secret="a-test-link-secret-of-some-length"))
                      + table("[[notify]]", **WECOM) + table("[[notify]]", **FEISHU), encoding="utf-8")
    for name in ("WARROOM_DB_URL", "WARROOM_REPLAY_CLOCK"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WARROOM_EVENT", str(source))
    config = load_event(source)
    store = Store(config.store_url)
    for target in config.notify:
        store.register_notify_target(target.target_id, target.kind, target.masked_url)
    for _ in range(3):
        store.note_notify_outcome("运营群", at=1_790_000_000, error='HTTP 200: {"errcode":93000,"errmsg":"invalid webhook url, key ***"}')
    store.close()
    return config


def page_text(app: AppTest) -> str:
    """Return every string the page's elements hold (HTML, markdown, captions, code)."""
    return " ".join(str(node.proto) for node in app.main)


def test_the_setup_page_lists_the_robots_masked_and_marks_the_failing_one(event):
    app = AppTest.from_file(str(APP), default_timeout=30)
    app.session_state[SESSION_KEY] = Viewer(role="lead")
    app.run()
    app.switch_page("pages/setup.py")
    app.run()
    shown = page_text(app)
    assert not app.exception, app.exception
    for part in ("群机器人推送", "send?key=***", "/open-apis/bot/v2/hook/***", "连续失败 3 次", "errcode"):
        assert part in shown, f"the setup page lacks {part!r}"
    for secret in (WECOM_KEY, FEISHU_SECRET, "hook-id-of-the-bot"):
        assert secret not in shown, f"the setup page shows {secret!r}"
