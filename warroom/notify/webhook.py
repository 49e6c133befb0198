"""A plain webhook: the prompts as JSON, signed like the HTTP intake (SPEC §6): X-Warroom-Signature: sha256=<hex HMAC-SHA256 of the body>.

The body: {"text": the message as the robots get it, "prompts": [{"id", "key", "rule", "kind",
"urgency", "title", "reason", "message", "groups", "link", "fired_at"}]}; `id` (the prompt's key and
when it fired) lets a receiver drop a repeat. Any 2xx is taken; 429 and 5xx are refused for now.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime

from warroom.config import NotifyTarget
from warroom.notify.base import RateLimit, Request, Verdict, json_body
from warroom.notify.message import Notice, message_text

# Our own limit, for a receiver that publishes none: 60 a minute.
RATE = RateLimit(per_minute=60, burst=10, per_second=50 / 60)
SIGNATURE_HEADER = "X-Warroom-Signature"


def signature(secret: str, body: bytes) -> str:
    """Return the header value that signs a body: sha256=<hex HMAC-SHA256 under the secret>."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def build(target: NotifyTarget, notices: Sequence[Notice], now: float) -> Request:
    """Return the signed request that posts these notices to a webhook (`now` is unused: the body's ids make it safe to replay)."""
    prompts = [
        asdict(notice) | {"id": f"{notice.key}@{notice.fired_at}", "groups": list(notice.groups),
                          "fired_at": datetime.fromtimestamp(notice.fired_at, UTC).isoformat()}
        for notice in notices
    ]
    body = json_body({"text": message_text(notices), "prompts": prompts})
    headers = {"Content-Type": "application/json; charset=utf-8", SIGNATURE_HEADER: signature(target.secret.get_secret_value() if target.secret else "", body)}
    return Request(url=target.url.get_secret_value(), body=body, headers=headers)


def judge(status: int, body: bytes) -> Verdict:
    """Return what a webhook's answer means."""
    if 200 <= status < 300:
        return Verdict(ok=True, retry=False, detail="")
    text = body[:300].decode("utf-8", errors="replace")
    return Verdict(ok=False, retry=status == 429 or status >= 500, detail=f"HTTP {status}: {text}")
