"""What every platform module gives the dispatcher: its rate limit, the request for a message, and how to read the answer."""

from __future__ import annotations

import json
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RateLimit:
    """A platform's published limit per robot, and the token bucket kept under it.

    A bucket of `burst` tokens refilled at `per_second` lets through at most burst + per_second × W
    requests in any W seconds, so burst + 60 × per_second stays within `per_minute` (and within
    `per_second_cap` over one second, where the platform has one).
    """

    per_minute: int
    burst: int
    per_second: float


@dataclass(frozen=True)
class Request:
    """One HTTP POST: where to, the body, and its headers (the URL holds the robot's key: never logged)."""

    url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json; charset=utf-8"})


@dataclass(frozen=True)
class Verdict:
    """What a robot's answer means: taken, refused for now (try again later), or refused for good; with a line saying why."""

    ok: bool
    retry: bool
    detail: str


def json_body(data: dict) -> bytes:
    """Return a request body as compact UTF-8 JSON (Chinese as it is, not escaped)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def judge_json_code(status: int, body: bytes, code_fields: tuple[str, ...], retry_codes: frozenset[int]) -> Verdict:
    """Read a robot's answer of the kind {"errcode": 0, "errmsg": "ok"}: 0 is taken; `retry_codes`, HTTP 429 and 5xx are refused for now."""
    text = body[:300].decode("utf-8", errors="replace")
    if status == 429 or status >= 500:
        return Verdict(ok=False, retry=True, detail=f"HTTP {status}: {text}")
    try:
        answer = json.loads(body)
    except ValueError:
        answer = None
    code = next((answer[name] for name in code_fields if isinstance(answer, dict) and name in answer), None)
    if status == 200 and code == 0:
        return Verdict(ok=True, retry=False, detail="")
    return Verdict(ok=False, retry=code in retry_codes, detail=f"HTTP {status}: {text}")
