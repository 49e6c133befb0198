"""Local stand-ins for the group robots (tests of warroom.notify): one HTTP server that answers as WeCom, DingTalk, Feishu and a
signed webhook do, checking each request's format and signature the way the platform documents it, written here apart from
warroom/notify so that a mistake in one is not repeated in the other. Not collected by pytest (no test_ prefix).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

WECOM_KEY = "wecom-key-0a1b2c3d"
DINGTALK_TOKEN = "dingtalk-token-4e5f6a7b"
DINGTALK_SECRET = "SECdingtalk-secret-8c9d"
FEISHU_HOOK = "feishu-hook-0e1f2a3b"
FEISHU_SECRET = "feishu-secret-4c5d6e"
WEBHOOK_SECRET = "webhook-secret-7f8a9b"
SECRETS = (WECOM_KEY, DINGTALK_TOKEN, DINGTALK_SECRET, FEISHU_HOOK, FEISHU_SECRET, WEBHOOK_SECRET)


@dataclass
class Robots:
    """What the local robots took (`received[platform]`: the texts), what they refused (`refused`), and canned answers to give next."""

    port: int
    wall: Callable[[], float]
    received: dict[str, list[str]] = field(default_factory=lambda: {"wecom": [], "dingtalk": [], "feishu": [], "webhook": []})
    bodies: dict[str, list[dict]] = field(default_factory=lambda: {"wecom": [], "dingtalk": [], "feishu": [], "webhook": []})
    refused: list[str] = field(default_factory=list)
    # platform -> [(status, body)] answered instead of checking, first first.
    canned: dict[str, list[tuple[int, bytes]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    took_one: threading.Event = field(default_factory=threading.Event)  # set when a message is taken

    def url(self, platform: str) -> str:
        """Return the robot URL of a platform on this server, with its key."""
        base = f"http://127.0.0.1:{self.port}"
        return {
            "wecom": f"{base}/cgi-bin/webhook/send?key={WECOM_KEY}",
            "dingtalk": f"{base}/robot/send?access_token={DINGTALK_TOKEN}",
            "feishu": f"{base}/open-apis/bot/v2/hook/{FEISHU_HOOK}",
            "webhook": f"{base}/hooks/warroom",
        }[platform]

    def targets(self, **names: str) -> list[dict]:
        """Return a `[[notify]]` entry for each platform on this server (with its secret), named as given."""
        secrets = {"dingtalk": DINGTALK_SECRET, "feishu": FEISHU_SECRET, "webhook": WEBHOOK_SECRET}
        return [{"kind": kind, "url": self.url(kind), "name": names.get(kind, kind), **({"secret": secrets[kind]} if kind in secrets else {})}
                for kind in ("wecom", "dingtalk", "feishu", "webhook")]

    def counts(self) -> dict[str, int]:
        """Return how many messages each platform took."""
        with self.lock:
            return {platform: len(texts) for platform, texts in self.received.items()}


def _dingtalk_ok(query: dict[str, list[str]], now: float) -> str | None:
    # DingTalk: timestamp in ms within an hour; sign = base64(HmacSHA256(secret, timestamp + "\n" + secret)), URL-encoded on the query.
    if query.get("access_token") != [DINGTALK_TOKEN]:
        return "token"
    try:
        timestamp = int(query["timestamp"][0])
        signed = query["sign"][0]
    except (KeyError, ValueError):
        return "no timestamp or sign"
    if abs(now * 1000 - timestamp) > 3600 * 1000:
        return "timestamp"
    expected = base64.b64encode(hmac.new(DINGTALK_SECRET.encode(), f"{timestamp}\n{DINGTALK_SECRET}".encode(), hashlib.sha256).digest()).decode()
    return None if hmac.compare_digest(signed, expected) else "sign"


def _feishu_ok(body: dict, now: float) -> str | None:
    # Feishu: timestamp in s (a string) within an hour; sign = base64(HmacSHA256 keyed by timestamp + "\n" + secret, over nothing).
    timestamp = body.get("timestamp")
    if not isinstance(timestamp, str) or not timestamp.isdigit() or abs(now - int(timestamp)) > 3600:
        return "timestamp"
    expected = base64.b64encode(hmac.new(f"{timestamp}\n{FEISHU_SECRET}".encode(), b"", hashlib.sha256).digest()).decode()
    return None if hmac.compare_digest(str(body.get("sign")), expected) else "sign"


class _Handler(BaseHTTPRequestHandler):
    robots: Robots

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):  # noqa: N802 - http.server's name
        robots = self.robots
        parts = urlsplit(self.path)
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        platform = {"/cgi-bin/webhook/send": "wecom", "/robot/send": "dingtalk", "/hooks/warroom": "webhook"}.get(parts.path)
        if parts.path.startswith("/open-apis/bot/v2/hook/"):
            platform = "feishu"
        with robots.lock:
            canned = robots.canned.get(platform or "", [])
            if canned:
                self._answer(*canned.pop(0))
                return
        problem = self._check(platform, parts, raw)
        with robots.lock:
            if problem:
                robots.refused.append(f"{platform}: {problem}")
            else:
                body = json.loads(raw)
                robots.bodies[platform].append(body)
                robots.received[platform].append(_text_of(platform, body))
                robots.took_one.set()
        ok = {"feishu": b'{"code":0,"msg":"success","data":{}}', "webhook": b"{}"}.get(platform or "", b'{"errcode":0,"errmsg":"ok"}')
        refused = {"feishu": b'{"code":19021,"msg":"sign match fail or timestamp is not within one hour from current time"}',
                   "webhook": b'{"error":"bad signature"}'}.get(platform or "", b'{"errcode":310000,"errmsg":"sign not match"}')
        self._answer(401 if problem and platform == "webhook" else 200, refused if problem else ok)

    def _check(self, platform: str | None, parts, raw: bytes) -> str | None:
        if platform is None:
            return "unknown path"
        if not self.headers.get("Content-Type", "").startswith("application/json"):
            return "content type"
        try:
            body = json.loads(raw)
        except ValueError:
            return "not JSON"
        query = parse_qs(parts.query)
        now = self.robots.wall()
        if platform == "wecom":
            content = body.get("text", {}).get("content") if body.get("msgtype") == "text" else None
            if query.get("key") != [WECOM_KEY]:
                return "key"
            return None if isinstance(content, str) and len(content.encode()) <= 2048 else "format"
        if platform == "dingtalk":
            if body.get("msgtype") != "text" or not isinstance(body.get("text", {}).get("content"), str):
                return "format"
            return _dingtalk_ok(query, now)
        if platform == "feishu":
            if parts.path.rsplit("/", 1)[-1] != FEISHU_HOOK:
                return "hook"
            if len(raw) > 20 * 1024 or body.get("msg_type") != "text" or not isinstance(body.get("content", {}).get("text"), str):
                return "format"
            return _feishu_ok(body, now)
        expected = "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), raw, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(self.headers.get("X-Warroom-Signature", ""), expected):
            return "signature"
        return None if isinstance(body.get("prompts"), list) and isinstance(body.get("text"), str) else "format"


def _text_of(platform: str, body: dict) -> str:
    return {"wecom": lambda: body["text"]["content"], "dingtalk": lambda: body["text"]["content"],
            "feishu": lambda: body["content"]["text"], "webhook": lambda: body["text"]}[platform]()


@contextmanager
def local_robots(wall: Callable[[], float]) -> Iterator[Robots]:
    """Yield the local robots on a free port (signatures checked against `wall`, the clock the sender signs with); stopped after."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    robots = Robots(port=server.server_address[1], wall=wall)
    server.RequestHandlerClass = type("Handler", (_Handler,), {"robots": robots})
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield robots
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class Wall:
    """An injected wall clock (epoch seconds) that a test moves by hand: the dispatcher's and the local robots' time alike."""

    def __init__(self, now: float = 1_790_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock on."""
        self.now += seconds
