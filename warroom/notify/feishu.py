"""飞书 (Feishu/Lark) custom bot: POST JSON to the bot's URL (the hook id in its path is the secret), signed when it has a 签名校验 secret.

Signing and limits, from the custom bot guide (open.feishu.cn/document/client-docs/bot-v3/add-custom-bot,
the same page as open.larkoffice.com/document/ukTMukTMukTM/ucTM5YjL3ETO24yNxkjN.md, read 2026-12-06):
with timestamp the current time in seconds (within an hour of Feishu's clock), the string
timestamp + "\n" + secret is the HmacSHA256 KEY over an empty message, base64-encoded, and sent in the
body as "timestamp" (a string) and "sign". Body {"msg_type": "text", "content": {"text": …}}, at most
20 KB. At most 100 requests a minute and 5 a second per bot; an answer {"code": 0} is taken, 11232 and
9499 are throttling, 19021 a bad signature (for good).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence

from warroom.config import NotifyTarget
from warroom.notify.base import RateLimit, Request, Verdict, json_body, judge_json_code
from warroom.notify.message import Notice, clip_utf8, message_text

# 100 a minute and 5 a second: a bucket of 3 refilled by 1.5 a second (3 + 1.5 in a second, 3 + 90 in a minute).
RATE = RateLimit(per_minute=100, burst=3, per_second=1.5)
MAX_TEXT_BYTES = 18_000  # the body stays under 20 KB
RETRY_CODES = frozenset({11232, 9499})


def sign(secret: str, timestamp: int) -> str:
    """Return Feishu's signature of a timestamp (seconds): base64 of HmacSHA256 keyed by timestamp + "\\n" + secret, over nothing."""
    return base64.b64encode(hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()).decode("ascii")


def build(target: NotifyTarget, notices: Sequence[Notice], now: float) -> Request:
    """Return the request that sends these notices to a Feishu bot, signed at `now` (wall-clock seconds) when it has a secret."""
    data: dict = {"msg_type": "text", "content": {"text": clip_utf8(message_text(notices), MAX_TEXT_BYTES)}}
    if target.secret is not None:
        timestamp = int(now)
        data = {"timestamp": str(timestamp), "sign": sign(target.secret.get_secret_value(), timestamp), **data}
    return Request(url=target.url.get_secret_value(), body=json_body(data))


def judge(status: int, body: bytes) -> Verdict:
    """Return what a Feishu bot's answer means (`code`, or `StatusCode` in its older answers)."""
    return judge_json_code(status, body, ("code", "StatusCode"), RETRY_CODES)
