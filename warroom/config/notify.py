"""`[[notify]]`: the group robots (WeCom, DingTalk, Feishu) and signed webhooks that firing prompts are sent to.

A robot's URL carries its key (`key=`, `access_token=`, the Feishu hook id), so the URL is a secret like
the signing secret: both are `SecretStr` (never in a repr), and no error quotes any part of them.
`masked_robot_url` is what may be shown of one: the platform's fixed part, the key as `***`.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs, urlsplit

from pydantic import AfterValidator, Field, SecretStr, ValidationInfo, field_validator

from warroom.config.base import _LocatedError, _Strict

NotifyKind = Literal["wecom", "dingtalk", "feishu", "webhook"]
NOTIFY_KINDS = ("wecom", "dingtalk", "feishu", "webhook")
Urgency = Literal["critical", "high", "normal", "low"]
# A robot URL on a loopback address is a local relay (or a test double): any host but these must be the platform's own.
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
MAX_NAME_LENGTH = 64
MAX_URL_LENGTH = 2048


class _RobotShape:
    """What a platform's robot URL looks like: its hosts, path and the query key (or path segment) that holds its key."""

    def __init__(self, label: str, hosts: tuple[str, ...], path: str, key_param: str | None, example: str):
        self.label, self.hosts, self.path, self.key_param, self.example = label, hosts, path, key_param, example


ROBOT_SHAPES = {
    "wecom": _RobotShape("a WeCom group robot URL", ("qyapi.weixin.qq.com",), "/cgi-bin/webhook/send", "key",
                         "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…"),
    "dingtalk": _RobotShape("a DingTalk robot URL", ("oapi.dingtalk.com",), "/robot/send", "access_token",
                            "https://oapi.dingtalk.com/robot/send?access_token=…"),
    # The key is the last path segment (the hook id); Lark is Feishu's international edition.
    "feishu": _RobotShape("a Feishu/Lark custom bot URL", ("open.feishu.cn", "open.larksuite.com"), "/open-apis/bot/v2/hook/", None,
                          "https://open.feishu.cn/open-apis/bot/v2/hook/…"),
}


def _text(value: Any, what: str) -> str:
    # Checked before pydantic's own type check, whose error would quote the value.
    if not isinstance(value, str):
        raise ValueError(f"{what} in quotes")
    return value


def _robot_url_problem(kind: str, url: str) -> str | None:
    """Return what is wrong with a robot URL of `kind` (never quoting it), or None when it has the platform's shape."""
    if len(url) > MAX_URL_LENGTH or any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        return f"a URL of at most {MAX_URL_LENGTH} characters without spaces or control characters"
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        _port = parts.port  # reading it refuses a port that is not a number from 0 to 65535
    except ValueError:
        return "a URL that parses (the value is not shown: it holds the robot's key)"
    if kind == "webhook":
        if parts.scheme not in ("https", "http") or not host:
            return "an http(s) URL with a host for the webhook"
        if parts.scheme == "http" and host not in LOOPBACK_HOSTS:
            return "an https URL (plain http only to a loopback address)"
        return None
    shape = ROBOT_SHAPES[kind]
    expected = f"{shape.label} such as {shape.example}"
    loopback = host in LOOPBACK_HOSTS
    if parts.scheme != "https" and not (loopback and parts.scheme == "http"):
        return f"{expected} (https)"
    if not loopback and host not in shape.hosts:
        return f"{expected} (its host is not {' or '.join(shape.hosts)})"
    if parts.username or parts.password:
        return f"{expected} (no user or password before the host)"
    if shape.key_param is None:
        hook = parts.path[len(shape.path):] if parts.path.startswith(shape.path) else ""
        if not hook or "/" in hook:
            return f"{expected} (the hook id after {shape.path})"
        return None
    if parts.path != shape.path:
        return f"{expected} (the path {shape.path})"
    values = parse_qs(parts.query, keep_blank_values=True).get(shape.key_param, [])
    if len(values) != 1 or not values[0]:
        return f"{expected} (one {shape.key_param}= in its query)"
    return None


def masked_robot_url(kind: str, url: str) -> str:
    """Return what may be shown of a robot URL: scheme, host and the platform's fixed path, with the key (and any query) as ***."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "***"
    if not parts.scheme.isalpha() or not host or not all(ch.isalnum() or ch in ".-:[]" for ch in host):
        return "***"
    origin = f"{parts.scheme}://{host}{port}"
    shape = ROBOT_SHAPES.get(kind)
    if shape is None:
        return f"{origin}/***"
    if shape.key_param is None:
        return f"{origin}{shape.path}***"
    return f"{origin}{shape.path}?{shape.key_param}=***"


class NotifyTarget(_Strict):
    """One `[[notify]]` target: a group robot (or a signed webhook) that each firing prompt is sent to once."""

    kind: NotifyKind = Field(description="The platform: wecom (企业微信 group robot), dingtalk (钉钉 custom robot), feishu (飞书/Lark custom bot) or webhook.")
    url: SecretStr = Field(description="The robot's webhook URL, with its key (a secret: never shown, only masked).")
    secret: SecretStr | None = Field(
        None, validate_default=True, description="The signing secret: dingtalk (加签, SEC…) and feishu (签名校验) when the robot has one set; webhook: required (X-Warroom-Signature)."
    )
    name: str | None = Field(None, description="A name for the target shown on the setup page; defaults to the kind and a digest of the URL.")
    prompts: tuple[str, ...] = Field((), description="Send only prompts of these rule names or kinds; empty: every prompt.")
    urgency: tuple[Urgency, ...] = Field((), description="Send only prompts of these urgencies (critical, high, normal, low); empty: every urgency.")

    @field_validator("url", mode="before")
    @classmethod
    def _url_text(cls, value: Any) -> Any:
        return _text(value, "the robot's URL")

    @field_validator("secret", mode="before")
    @classmethod
    def _secret_text(cls, value: Any) -> Any:
        return None if value is None else _text(value, "the signing secret")

    @field_validator("url")
    @classmethod
    def _url_shape(cls, value: SecretStr, info: ValidationInfo) -> SecretStr:
        kind = info.data.get("kind")
        problem = kind and _robot_url_problem(kind, value.get_secret_value())
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        kind = info.data.get("kind")
        if value is None:
            if kind == "webhook":
                raise ValueError("a signing secret for the webhook (its requests carry X-Warroom-Signature)")
            return None
        text = value.get_secret_value()
        if kind == "wecom":
            raise ValueError("no secret: WeCom group robots are not signed (the key in the URL is the secret)")
        if not text or len(text) > 512 or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in text):
            raise ValueError("a secret of 1 to 512 characters without control characters")
        return value

    @field_validator("name")
    @classmethod
    def _name_shape(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip() or len(value) > MAX_NAME_LENGTH or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value)):
            raise ValueError(f"a name of 1 to {MAX_NAME_LENGTH} characters without control characters")
        return value

    @property
    def target_id(self) -> str:
        """The target's identity in the store: its name, else the kind and a digest of the URL (stable across restarts, revealing nothing)."""
        if self.name:
            return self.name
        return f"{self.kind}:{hashlib.sha256(self.url.get_secret_value().encode()).hexdigest()[:12]}"

    @property
    def masked_url(self) -> str:
        """The URL as it may be shown: the key as ***."""
        return masked_robot_url(self.kind, self.url.get_secret_value())

    def wants(self, rule: str, kind: str, urgency: str) -> bool:
        """Return whether a prompt of this rule, kind and urgency is sent to this target."""
        return (not self.prompts or rule in self.prompts or kind in self.prompts) and (not self.urgency or urgency in self.urgency)


def _distinct_targets(targets: tuple[NotifyTarget, ...]) -> tuple[NotifyTarget, ...]:
    seen: dict[str, int] = {}
    for index, target in enumerate(targets):
        earlier = seen.setdefault(target.target_id, index)
        if earlier != index:
            key = "name" if target.name else "url"
            raise _LocatedError(("notify", index, key), f"a target of its own, notify[{earlier}] has the same {key}")
    return targets


NotifyTargets = Annotated[tuple[NotifyTarget, ...], AfterValidator(_distinct_targets)]
