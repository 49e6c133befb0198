"""钉钉 (DingTalk) custom robot: POST JSON to the robot's URL (its `access_token=` is the secret), signed when it has a 加签 secret.

Signing and limits, from the custom robot's documentation (open.dingtalk.com/document/robots/customize-robot-security-settings
and custom-robot-access; as quoted in blog.csdn.net/lxw1844912514/article/details/125780346 and the
Python sample in blog.csdn.net/weixin_31560545/article/details/116255918, read 2026-12-06): with
timestamp the current time in milliseconds, sign = urlencode(base64(HmacSHA256(key=secret,
message=timestamp + "\n" + secret))), sent as `&timestamp=…&sign=…` on the URL; the timestamp must be
within an hour of DingTalk's clock. Body {"msgtype": "text", "text": {"content": …}}. At most 20
messages a minute per robot (more: throttled for 10 minutes, errcode 130101).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from urllib.parse import quote_plus

from warroom.config import NotifyTarget
from warroom.notify.base import RateLimit, Request, Verdict, json_body, judge_json_code
from warroom.notify.message import Notice, clip_utf8, message_text

RATE = RateLimit(per_minute=20, burst=5, per_second=15 / 60)
MAX_TEXT_BYTES = 18_000  # the body stays under 20 KB
RETRY_CODES = frozenset({130101})


def sign(secret: str, timestamp_ms: int) -> str:
    """Return DingTalk's signature of a timestamp (milliseconds), base64 and URL-encoded."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode("ascii"))


def build(target: NotifyTarget, notices: Sequence[Notice], now: float) -> Request:
    """Return the request that sends these notices to a DingTalk robot, signed at `now` (wall-clock seconds) when it has a secret."""
    url = target.url.get_secret_value()
    if target.secret is not None:
        timestamp = int(now * 1000)
        url += f"&timestamp={timestamp}&sign={sign(target.secret.get_secret_value(), timestamp)}"
    text = clip_utf8(message_text(notices), MAX_TEXT_BYTES)
    return Request(url=url, body=json_body({"msgtype": "text", "text": {"content": text}}))


def judge(status: int, body: bytes) -> Verdict:
    """Return what a DingTalk robot's answer means."""
    return judge_json_code(status, body, ("errcode",), RETRY_CODES)
