"""企业微信 (WeCom) group robot: POST JSON to the robot's URL (its `key=` is the secret); no signature.

Format and limits, from the robot's documentation (developer.work.weixin.qq.com/document/path/91770,
and the mirror hexdocs.pm/wechat_sdk/WeChat.Work.ChatRobot.html, read 2026-12-06): body
{"msgtype": "text", "text": {"content": …}}, text at most 2048 bytes of UTF-8; each robot takes at
most 20 messages a minute; an answer {"errcode": 0, "errmsg": "ok"} is taken, errcode 45009 is the
frequency limit (try again later). Text, not markdown: the message is copied into WeChat groups as it is.
"""

from __future__ import annotations

from collections.abc import Sequence

from warroom.config import NotifyTarget
from warroom.notify.base import RateLimit, Request, Verdict, json_body, judge_json_code
from warroom.notify.message import Notice, clip_utf8, message_text

# 20 a minute: a bucket of 5 refilled by 15 a minute.
RATE = RateLimit(per_minute=20, burst=5, per_second=15 / 60)
MAX_TEXT_BYTES = 2048
RETRY_CODES = frozenset({45009})


def build(target: NotifyTarget, notices: Sequence[Notice], now: float) -> Request:
    """Return the request that sends these notices to a WeCom robot (`now`, wall-clock seconds, is unused: nothing is signed)."""
    text = clip_utf8(message_text(notices), MAX_TEXT_BYTES)
    return Request(url=target.url.get_secret_value(), body=json_body({"msgtype": "text", "text": {"content": text}}))


def judge(status: int, body: bytes) -> Verdict:
    """Return what a WeCom robot's answer means."""
    return judge_json_code(status, body, ("errcode",), RETRY_CODES)
