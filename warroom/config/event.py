"""The whole event file as one model, with the checks that span its sections."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, model_validator

from warroom.config.base import MAX_MINUTES, _check_templates, _LocatedError, _Strict, _unique
from warroom.config.campaigns import HistoryEntry, PlanSettings
from warroom.config.network import IntakeSettings, ServerSettings
from warroom.config.notify import NotifyTargets
from warroom.config.prompting import (
    DEFAULT_PROMPT_MESSAGES,
    INHIBIT_FLASH_SALE,
    LINK_PLACEHOLDERS,
    PROMPT_KIND_KEYS,
    PROMPT_KINDS,
    PROMPT_PLACEHOLDERS,
    PromptKind,
    PromptRule,
)
from warroom.config.sections import (
    DB_URL_ENV,
    Access,
    BigScreenSettings,
    Commission,
    EventInfo,
    Feed,
    FlashSale,
    Goals,
    Group,
    Leaderboard,
    LiveSession,
    Product,
    ReviewSettings,
    Staff,
    StoreSettings,
)


class EventConfig(_Strict):
    event: EventInfo
    goals: Goals
    store: StoreSettings = StoreSettings()
    staff: tuple[Staff, ...] = ()
    products: tuple[Product, ...] = ()
    commission: Commission = Commission()
    sessions: tuple[LiveSession, ...] = ()
    flash_sales: tuple[FlashSale, ...] = ()
    groups: tuple[Group, ...] = ()
    feeds: tuple[Feed, ...] = ()
    leaderboards: tuple[Leaderboard, ...] = ()
    prompts: tuple[PromptRule, ...] = Field((), description="[[prompts]] rules; none given means the default rules (warroom.prompt_rules.DEFAULT_RULES).")
    access: Access = Field(Access(), description="[access]: passwords (bcrypt hashes) and the link secret; see warroom.access.")
    prompt_messages: dict[PromptKind, tuple[str, ...]] = Field(
        {},
        description="[prompt_messages]: the default message copy of a kind of prompt rule (kind = [templates]), for rules without messages of their own; unset kinds keep warroom/prompt_messages.toml's.",
    )
    review: ReviewSettings = Field(ReviewSettings(), description="[review]: the buyer tiers.")
    big_screen: BigScreenSettings = Field(BigScreenSettings(), description="[big_screen]: the big-order ticker's threshold.")
    notify: NotifyTargets = Field((), description="[[notify]]: group robots and webhooks each firing prompt is sent to (warroom.notify).")
    server: ServerSettings = Field(ServerSettings(), description="[server]: public_url, the address every link and QR code is built on (warroom.links).")
    intake: IntakeSettings | None = Field(None, description="[intake]: the HTTP intake's secret (SPEC §6); without it the intake answers 404.")
    history: tuple[HistoryEntry, ...] = Field((), description="[[history]]: earlier events to compare with and plan from (warroom.compare, warroom.plan).")
    plan: PlanSettings = Field(PlanSettings(), description="[plan]: the days of inviting before the event, for planning backwards.")

    # Not part of the file: where it was loaded from, to resolve relative paths.
    source: Path = Field(Path("event.toml"), exclude=True)

    @model_validator(mode="after")
    def _references(self) -> EventConfig:
        staff_ids = [member.id for member in self.staff]
        _unique("staff", staff_ids, "id")
        _unique("products", [product.sku for product in self.products], "sku")
        _unique("groups", [group.id for group in self.groups], "id")
        known_staff = set(staff_ids)
        for index, group in enumerate(self.groups):
            if group.owner not in known_staff:
                raise _LocatedError(("groups", index, "owner"), f"a staff id from [[staff]], got {group.owner!r}")
        known_groups = {group.id for group in self.groups}
        for index, sale in enumerate(self.flash_sales):
            for group_id in sale.groups:
                if group_id not in known_groups:
                    raise _LocatedError(("flash_sales", index, "groups"), f"group ids from [[groups]], got {group_id!r}")
        for s_index, session in enumerate(self.sessions):
            if not (self.event.start <= session.start and session.end <= self.event.end):
                raise _LocatedError(("sessions", s_index), "a session within the event's start and end")
            for index, slot in enumerate(session.slots):
                if slot.host not in known_staff:
                    raise _LocatedError(("sessions", s_index, "slots", index, "host"), f"a staff id from [[staff]], got {slot.host!r}")
                if not (session.start <= slot.start < slot.end <= session.end):
                    raise _LocatedError(("sessions", s_index, "slots", index), "a slot that runs forwards within its session")
        known_skus = {product.sku for product in self.products}
        for index, sale in enumerate(self.flash_sales):
            if known_skus and sale.sku not in known_skus:
                raise _LocatedError(("flash_sales", index, "sku"), f"a sku from [[products]], got {sale.sku!r}")
        seen_token: dict[str, int] = {}
        for index, member in enumerate(self.staff):
            if member.token is not None and seen_token.setdefault(member.token, index) != index:
                raise _LocatedError(("staff", index, "token"), f"a token of its own, staff[{seen_token[member.token]}] has the same one")
        seen_alias: dict[str, str] = {}
        for index, member in enumerate(self.staff):
            for alias in member.aliases:
                if seen_alias.setdefault(alias, member.id) != member.id:
                    raise _LocatedError(("staff", index, "aliases"), f"aliases unique across staff, {alias!r} is also {seen_alias[alias]}'s")
        return self

    @model_validator(mode="after")
    def _prompt_rules(self) -> EventConfig:
        _unique("prompts", [rule.rule_name for rule in self.prompts], "name")
        names = {rule.rule_name for rule in self.prompts}
        known_groups = {group.id for group in self.groups}
        for index, rule in enumerate(self.prompts):
            for key, kinds in PROMPT_KIND_KEYS.items():
                if getattr(rule, key) is not None and rule.kind not in kinds:
                    raise _LocatedError(("prompts", index, key), f"no {key} on a {rule.kind} rule (only on {', '.join(kinds)})")
            for group_id in rule.groups:
                if group_id not in known_groups:
                    raise _LocatedError(("prompts", index, "groups"), f"group ids from [[groups]], got {group_id!r}")
            for source in rule.inhibited_by or ():
                if source != INHIBIT_FLASH_SALE and (source not in names or source == rule.rule_name):
                    raise _LocatedError(("prompts", index, "inhibited_by"), f"{INHIBIT_FLASH_SALE} or another rule's name, got {source!r}")
            if any(not 1 <= minutes <= MAX_MINUTES for minutes in rule.countdown_minutes or ()):
                raise _LocatedError(("prompts", index, "countdown_minutes"), f"whole minutes of at least 1 and at most {MAX_MINUTES}")
            for key, templates, allowed in (("messages", rule.messages, PROMPT_PLACEHOLDERS[rule.kind]), ("link", (rule.link,), LINK_PLACEHOLDERS)):
                _check_templates(("prompts", index, key), templates, allowed)
        for kind, templates in self.prompt_messages.items():
            _check_templates(("prompt_messages", kind), templates, PROMPT_PLACEHOLDERS[kind])
        # A notify target's prompts filter names rules or kinds; without [[prompts]], the default rules are named by their kind.
        for index, target in enumerate(self.notify):
            for name in target.prompts:
                if name not in names and name not in PROMPT_KINDS:
                    raise _LocatedError(("notify", index, "prompts"), f"rule names from [[prompts]] or prompt kinds, got {name!r}")
        return self

    @property
    def default_messages(self) -> dict[str, tuple[str, ...]]:
        """The message copy of each kind for rules without their own: the event file's [prompt_messages], else the shipped copy."""
        return {**DEFAULT_PROMPT_MESSAGES, **{kind: templates for kind, templates in self.prompt_messages.items() if templates}}

    @property
    def folder(self) -> Path:
        """The folder that relative paths in the file are resolved against."""
        return self.source.resolve().parent

    @property
    def store_url(self) -> str:
        """The store's SQLAlchemy URL, with the environment override and relative SQLite paths resolved."""
        url = os.environ.get(DB_URL_ENV) or self.store.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
            url = prefix + str(self.folder / url[len(prefix) :])
        return url

    def staff_by_id(self) -> dict[str, Staff]:
        """Staff keyed by id."""
        return {member.id: member for member in self.staff}

    def alias_map(self) -> dict[str, str]:
        """Every id and alias that names a staff member, mapped to that member's id."""
        mapping = {member.id: member.id for member in self.staff}
        for member in self.staff:
            mapping.update({alias: member.id for alias in member.aliases})
        return mapping
