"""`[[prompts]]` rules and `[prompt_messages]`: which kinds there are, which keys each reads, and their default copy."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import Field

from warroom.config.base import MAX_MINUTES, Yuan, _Strict

PROMPT_KINDS = ("poster", "live_now", "order_screenshots", "momentum_drop", "viewer_surge", "behind_pace", "quiet_group", "milestone")
PromptKind = Literal["poster", "live_now", "order_screenshots", "momentum_drop", "viewer_surge", "behind_pace", "quiet_group", "milestone"]
URGENCIES = ("critical", "high", "normal", "low")
# Keys that only some kinds of prompt rule read: one set on another kind is a mistake worth naming.
PROMPT_KIND_KEYS: dict[str, tuple[str, ...]] = {
    "countdown_minutes": ("poster",),
    "hold_minutes": ("live_now", "order_screenshots", "milestone"),
    "after_minutes": ("order_screenshots",),
    "window_minutes": ("momentum_drop", "viewer_surge", "quiet_group"),
    "drop_percent": ("momentum_drop",),
    "viewers_hold_percent": ("momentum_drop",),
    "min_orders_per_minute": ("momentum_drop",),
    "surge_percent": ("viewer_surge",),
    "min_viewers": ("viewer_surge",),
    "min_members": ("quiet_group",),
    "min_elapsed_minutes": ("behind_pace",),
    "milestones": ("milestone",),
}
# The default message copy of each kind, as data (see the file).
DEFAULT_PROMPT_MESSAGES: dict[str, tuple[str, ...]] = {
    kind: tuple(templates) for kind, templates in tomllib.loads((Path(__file__).parent.parent / "prompt_messages.toml").read_text(encoding="utf-8")).items()
}
_SALE_FIELDS = ("event", "link", "product", "sku", "price", "list_price", "time", "minutes")
# The {placeholders} each kind's message templates may use.
PROMPT_PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "poster": (*_SALE_FIELDS, "countdown"),
    "live_now": _SALE_FIELDS,
    "order_screenshots": (*_SALE_FIELDS, "orders"),
    "momentum_drop": ("event", "link", "viewers", "orders_last", "orders_before", "drop_percent"),
    "viewer_surge": ("event", "link", "viewers", "viewers_before", "surge_percent"),
    "behind_pace": ("event", "link", "product", "sku", "list_price", "projected", "base", "needed", "rate", "minutes_left"),
    "quiet_group": ("event", "link", "group", "members", "quiet_minutes"),
    "milestone": ("event", "link", "milestone", "revenue"),
}
LINK_PLACEHOLDERS = ("sku",)
INHIBIT_FLASH_SALE = "flash_sale"


class PromptRule(_Strict):
    """One `[[prompts]]` rule: when to tell the team to push which message into which groups (see warroom.prompts)."""

    kind: PromptKind = Field(description="What the rule watches: " + ", ".join(PROMPT_KINDS) + ".")
    name: str | None = Field(None, description="A unique name for the rule; defaults to its kind.")
    messages: tuple[str, ...] = Field(
        (),
        description="Message templates, one or more (alternatives to compare by lift), with {placeholders} such as {product}, {price}, {countdown}, {link}; empty: the kind's defaults.",
    )
    groups: tuple[str, ...] = Field((), description="Prompt only these group ids; empty means every group (for schedule rules: the flash sale's own groups).")
    urgency: Literal["critical", "high", "normal", "low"] | None = Field(
        None, description="How urgent the prompt is shown: critical, high, normal or low; default depends on the kind."
    )
    for_minutes: int | None = Field(
        None, ge=0, le=MAX_MINUTES, description="Minutes the condition must hold before the prompt fires (pending until then), like Prometheus `for`."
    )
    keep_firing_for_minutes: int | None = Field(
        None, ge=0, le=MAX_MINUTES, description="Minutes a prompt keeps firing after its condition clears, against flapping (Prometheus `keep_firing_for`)."
    )
    cooldown_minutes: int | None = Field(
        None, ge=0, le=MAX_MINUTES, description="Minutes after any push into a group during which this rule does not prompt that group again."
    )
    inhibited_by: tuple[str, ...] | None = Field(
        None,
        description="Hold the prompt back while these are active: flash_sale (a flash sale runs, or falls in the rule's look-back) or another rule's name.",
    )
    link: str = Field("", description="The link filled into {link}; may use {sku}, e.g. https://shop.example.com/item/{sku}.")
    countdown_minutes: tuple[int, ...] | None = Field(None, description="poster: the countdown nodes, minutes before each flash sale (default 30, 10, 3).")
    hold_minutes: int | None = Field(
        None, ge=1, le=MAX_MINUTES, description="live_now, order_screenshots, milestone: minutes the prompt stays up (live_now: default the sale's length)."
    )
    after_minutes: int | None = Field(None, ge=0, le=MAX_MINUTES, description="order_screenshots: minutes after a flash sale ends before the prompt fires.")
    window_minutes: int | None = Field(
        None,
        ge=1,
        le=MAX_MINUTES,
        description="momentum_drop, viewer_surge: the comparison window (last N minutes against the N before); quiet_group: the minutes of silence.",
    )
    drop_percent: Decimal | None = Field(None, gt=0, le=100, description="momentum_drop: how far orders per minute must fall, in percent.")
    viewers_hold_percent: Decimal | None = Field(None, ge=0, description="momentum_drop: viewers must stay at least this percent of the window before.")
    min_orders_per_minute: Decimal | None = Field(None, ge=0, description="momentum_drop: ignore drops from a window slower than this many orders per minute.")
    surge_percent: Decimal | None = Field(None, gt=0, description="viewer_surge: how far viewers must rise over the window before, in percent.")
    min_viewers: int | None = Field(None, ge=0, description="viewer_surge: the fewest viewers worth a prompt.")
    min_members: int | None = Field(None, ge=0, description="quiet_group: the fewest members (joins) a group needs to be worth waking.")
    min_elapsed_minutes: int | None = Field(None, ge=0, le=MAX_MINUTES, description="behind_pace: minutes of live time before the projection is trusted.")
    milestones: tuple[Yuan, ...] | None = Field(
        None, description="milestone: revenue milestones in yuan (default a quarter, half, three quarters and all of the base goal, and the stretch goal)."
    )

    @property
    def rule_name(self) -> str:
        """The rule's name, its kind when none is given."""
        return self.name or self.kind
