"""What a group robot is sent: a firing prompt as a `Notice` (stored with its row), and one or more notices as the message's text.

The text is Chinese (the team reads it in its work chats, and copies the message into the WeChat
groups), from warroom/strings.toml like every string shown; the message to copy is on lines of its own.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

from warroom.config import ConfigError, EventConfig
from warroom.i18n import fmt_list, t
from warroom.links import DEFAULT_PORT, base_url, lan_address
from warroom.prompts import Prompt

PROMPTS_PAGE = "prompts"
URGENCY_RANK = {"critical": 0, "high": 1, "normal": 2, "low": 3}
LANG = "zh"


def prompts_page_url(config: EventConfig, *, find_lan: Callable[[], str | None] = lan_address) -> str:
    """Return the link to the prompts page, on the address every link is built on (warroom.links.base_url: the public URL, else the LAN address)."""
    try:
        base = base_url(config, DEFAULT_PORT, find_lan=find_lan).url
    except ConfigError:
        # A bad WARROOM_PUBLIC_URL: `warroom serve` says so; a robot's message still links somewhere that works on this machine's network.
        base = base_url(config, DEFAULT_PORT, environ={}, find_lan=find_lan).url
    return f"{base}/{PROMPTS_PAGE}"


@dataclass(frozen=True)
class Notice:
    """One firing prompt as a robot is told it: kept as JSON in its notification row, so a restart can still send it."""

    key: str
    rule: str
    kind: str
    urgency: str
    title: str
    reason: str
    message: str  # the message to copy into the groups
    groups: tuple[str, ...]  # the target groups' names
    link: str  # the prompts page
    fired_at: int  # epoch seconds (event time)
    expires_at: int | None = None  # epoch seconds (event time): no use sending it after

    def to_json(self) -> str:
        """Return the notice as the JSON its row keeps."""
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Notice:
        """Return a notice from its row's JSON."""
        data = json.loads(text)
        return cls(**{**data, "groups": tuple(data["groups"])})


def notice_of(prompt: Prompt, config: EventConfig) -> Notice:
    """Return what a robot is told of a firing prompt: title, reason, the message to copy, its groups by name, and the prompts page."""
    names = {group.id: group.name for group in config.groups}
    return Notice(
        key=prompt.key, rule=prompt.rule, kind=prompt.kind, urgency=prompt.urgency, title=prompt.title, reason=prompt.reason,
        message=prompt.message, groups=tuple(names.get(group, group) for group in prompt.target_groups), link=prompts_page_url(config),
        fired_at=int(prompt.fired_at.timestamp()) if prompt.fired_at else int(prompt.active_since.timestamp()),
        expires_at=int(prompt.expires_at.timestamp()) if prompt.expires_at else None,
    )


def _urgency(urgency: str) -> str:
    return t(f"op_urgency_{urgency}", LANG) if urgency in URGENCY_RANK else urgency


def _lines(notice: Notice) -> list[str]:
    groups = fmt_list(notice.groups, LANG) if notice.groups else t("op_all_groups", LANG)
    lines = [t("notify_heading", LANG, urgency=_urgency(notice.urgency), title=notice.title)]
    if notice.reason:
        lines.append(notice.reason)
    lines.append(t("notify_groups", LANG, groups=groups))
    if notice.message:
        lines += [t("notify_copy", LANG), notice.message]
    return lines


def message_text(notices: Sequence[Notice]) -> str:
    """Return the text of one message: a notice, or several merged (most urgent first), then the link to the prompts page."""
    if len(notices) == 1:
        lines = _lines(notices[0])
    else:
        lines = [t("notify_merged", LANG, count=len(notices))]
        for number, notice in enumerate(notices, 1):
            lines += ["", f"{number}. " + _lines(notice)[0], *_lines(notice)[1:]]
    lines += ["", t("notify_page", LANG, link=notices[0].link)]
    return "\n".join(lines)


def clip_utf8(text: str, limit: int) -> str:
    """Return text cut to at most `limit` bytes of UTF-8 (an ellipsis marking the cut), never splitting a character."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[: max(0, limit - 3)].decode("utf-8", errors="ignore") + "…"
