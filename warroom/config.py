"""The event file (SPEC §2): declared once as pydantic models, validated when it loads."""

from __future__ import annotations

import codecs
import os
import string
import tomllib
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from warroom.feed_paths import leads_outside

Role = Literal["order_taker", "community", "host", "hype", "stats", "copy", "poster", "video", "props"]
ROLES: tuple[str, ...] = get_args(Role)
PROFILES = ("canonical", "douyin", "weixin", "youzan")
DB_URL_ENV = "WARROOM_DB_URL"
# The store backends there is a driver for: SQLite (a file path after the third slash) and PostgreSQL through psycopg 3.
STORE_SCHEMES = ("sqlite:///", "postgresql+psycopg://")
STORE_URL_EXPECTED = "sqlite:///PATH or postgresql+psycopg://USER@HOST/DB"
# A staff member's fixed link token opens their page: short ones can be guessed (22 is what access.staff_token makes).
MIN_TOKEN_LENGTH = 16
# Keys whose value is a secret: an error about them never shows what was written (SPEC §5).
SECRET_KEYS = ("url", "token", "link_secret", "lead_password_hash", "boss_password_hash")


class ConfigError(Exception):
    """A user's mistake in the event file or the command line: printed as one line, no traceback."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Yuan = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
# Times in the file fall in these years, as a feed row's must (SPEC §5): year 1 or 9999 cannot even be moved to UTC.
FIRST_YEAR, LAST_YEAR = 2000, 2100
# The longest span in minutes a rule or a flash sale may name: a year. Beyond it, date arithmetic overflows.
MAX_MINUTES = 366 * 24 * 60


def _in_years(moment: datetime) -> datetime:
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise ValueError(f"a date-time in the years {FIRST_YEAR}–{LAST_YEAR}, got {moment.isoformat()}")
    return moment


EventTime = Annotated[AwareDatetime, AfterValidator(_in_years)]


class EventInfo(_Strict):
    name: str = Field(description="The event's name, shown on every page.")
    start: EventTime = Field(description="When the event starts (ISO 8601 with offset).")
    end: EventTime = Field(description="When the event ends (ISO 8601 with offset).")
    timezone: str = Field("Asia/Shanghai", description="IANA timezone for times written without an offset.")
    budget: Yuan = Field(Decimal(0), description="What the event cost, in yuan, for ROI.")
    refund_window_days: int = Field(7, ge=0, le=3660, description="Days after the event end until commission is final.")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ValueError(f"an IANA timezone such as Asia/Shanghai, got {value[:60]!r}") from None
        return value

    @model_validator(mode="after")
    def _ordered(self) -> EventInfo:
        if self.end <= self.start:
            raise ValueError("end after start")
        return self

    @property
    def tz(self) -> ZoneInfo:
        """The event's timezone object."""
        return ZoneInfo(self.timezone)

    @property
    def refund_deadline(self) -> datetime:
        """When commission turns from pending to final."""
        return self.end + timedelta(days=self.refund_window_days)


class Goals(_Strict):
    base: Yuan = Field(description="The base revenue goal, in yuan.")
    stretch: Yuan = Field(description="The stretch revenue goal, in yuan.")
    paying_customers: int | None = Field(None, ge=1, description="Buyers needed, worked back from the goal.")

    @model_validator(mode="after")
    def _stretch_above_base(self) -> Goals:
        if self.stretch < self.base:
            raise ValueError("stretch at least as large as base")
        return self


def store_url_problem(url: str) -> str | None:
    """Return what is wrong with a store URL (one the store has no driver for), or None when it can be opened."""
    if not url.startswith(STORE_SCHEMES) or url in STORE_SCHEMES or "\x00" in url:
        from warroom.redact import safe_url

        return f"{STORE_URL_EXPECTED}, got {safe_url(url)!r}"
    return None


class StoreSettings(_Strict):
    url: str = Field("sqlite:///warroom.db", description=f"SQLAlchemy URL, {STORE_URL_EXPECTED}; a relative SQLite path is relative to the event file; {DB_URL_ENV} overrides it.")

    @field_validator("url")
    @classmethod
    def _supported(cls, value: str) -> str:
        problem = store_url_problem(value)
        if problem:
            raise ValueError(problem)
        return value


class ReviewSettings(_Strict):
    """`[review]`: the buyer tiers of the review page (see warroom.review)."""

    high_value: Yuan = Field(Decimal(5000), description="A buyer who spent at least this much in the event, in yuan net of refunds, is high value.")
    high_value_top_percent: Decimal = Field(Decimal(5), ge=0, le=100, description="… and so is every buyer in this top percent by spend.")


class BigScreenSettings(_Strict):
    """`[big_screen]`: what the TV's ticker shows."""

    big_order: Yuan = Field(Decimal(1000), gt=0, description="An order at least this big, in yuan, goes on the big screen's ticker.")


class Staff(_Strict):
    id: str = Field(description="A unique staff id, e.g. S01.")
    name: str = Field(description="The name shown on leaderboards.")
    role: Role = Field(description="One of " + ", ".join(ROLES) + ".")
    team: str | None = Field(None, description="Optional team, for team totals.")
    aliases: tuple[str, ...] = Field((), description="Ids that shop exports use for this member.")
    token: str | None = Field(None, description=f"Optional fixed token for the member's personal link: at least {MIN_TOKEN_LENGTH} characters, unique across staff.")

    @field_validator("token")
    @classmethod
    def _long_enough(cls, value: str | None) -> str | None:
        # The message never repeats the token: it is a secret (SPEC §5).
        if value is not None and len(value.strip()) < MIN_TOKEN_LENGTH:
            raise ValueError(f"a token of at least {MIN_TOKEN_LENGTH} characters (python -m warroom.access secret makes one)")
        return value


class Product(_Strict):
    sku: str = Field(description="The product code.")
    name: str = Field(description="The product name.")
    price: Yuan = Field(description="The list price, in yuan.")


class Band(_Strict):
    from_: Yuan = Field(alias="from", description="The lowest unit price in this band, in yuan.")
    rate: Decimal = Field(ge=0, le=1, description="The commission rate, e.g. 0.12.")


class Commission(_Strict):
    bands: tuple[Band, ...] = Field(
        (Band(**{"from": 0, "rate": Decimal("0.10")}), Band(**{"from": 500, "rate": Decimal("0.12")}), Band(**{"from": 1000, "rate": Decimal("0.15")})),
        min_length=1,
        description="Commission bands by unit price, ascending, the first from 0.",
    )
    basis: Literal["unit_price"] = Field("unit_price", description="The price that picks the band.")
    team_pool_rate: Decimal = Field(Decimal("0.03"), ge=0, le=1, description="Share of revenue paid into the team pool once the goal is reached.")
    team_pool_goal: Literal["base", "stretch"] = Field("base", description="The goal that unlocks the team pool.")
    team_pool_split: Literal["equal", "by_revenue", "none"] = Field("equal", description="How the team pool is shared.")

    @field_validator("bands")
    @classmethod
    def _ascending_from_zero(cls, bands: tuple[Band, ...]) -> tuple[Band, ...]:
        starts = [band.from_ for band in bands]
        if starts[0] != 0 or starts != sorted(set(starts)):
            raise ValueError("bands in ascending order of 'from', the first from 0")
        return bands


class Slot(_Strict):
    """One host's time on air within a live session: `[[sessions.slots]]` with start, end and host (a staff id)."""

    start: EventTime = Field(description="When this host goes on air.")
    end: EventTime = Field(description="When this host goes off air.")
    host: str = Field(description="The staff id of the host on air.")


class LiveSession(_Strict):
    """A live stream: `[[sessions]]` with a name, a start and an end, and its host `slots`.

    Optional and backward-compatible: without any, the whole event counts as one session. Pace
    (run-rates, the projected finish, the run-rate needed for each goal) counts only live time, so
    the figures stay right between sessions; a host's leaderboard revenue is what sold during
    their slots. A session lies within the event; a slot lies within its session.

        [[sessions]]
        name = "第一晚"
        start = "2026-05-20T19:30:00+08:00"
        end = "2026-05-20T22:55:00+08:00"

        [[sessions.slots]]
        start = "2026-05-20T19:30:00+08:00"
        end = "2026-05-20T20:25:00+08:00"
        host = "S19"
    """

    name: str = Field("", description="A label, e.g. 第一晚.")
    start: EventTime = Field(description="When the live stream starts.")
    end: EventTime = Field(description="When the live stream ends.")
    slots: tuple[Slot, ...] = Field((), description="Who is on air when.")

    @model_validator(mode="after")
    def _ordered(self) -> LiveSession:
        if self.end <= self.start:
            raise ValueError("end after start")
        return self


class FlashSale(_Strict):
    at: EventTime = Field(description="When the flash sale starts.")
    sku: str = Field(description="The product on sale.")
    price: Yuan = Field(description="The flash-sale price, in yuan.")
    minutes: int = Field(10, ge=1, le=MAX_MINUTES, description="How long the flash sale runs.")
    groups: tuple[str, ...] = Field((), description="Target groups; empty means every group.")


class Group(_Strict):
    id: str = Field(description="The group id used in the feeds.")
    name: str = Field(description="The group's name.")
    owner: str = Field(description="The staff id of the community member who owns it.")


class Feed(_Strict):
    kind: Literal["orders", "checkins"] = Field(description="orders or checkins.")
    path: str = Field(description="A file, a folder or a glob, relative to the event file.")
    format: Literal["csv", "jsonl", "xlsx"] | None = Field(None, description="Guessed from the suffix when left out.")
    profile: Literal["canonical", "douyin", "weixin", "youzan"] = Field("canonical", description="The column mapping.")
    encoding: str = Field("auto", description="auto, or a codec such as utf-8 or gb18030.")
    name: str | None = Field(None, description="A label for the feed; defaults to its path.")
    allow_outside: bool = Field(False, description="Let the path (after symlinks and ..) lead outside the event file's folder, e.g. to a shared export folder.")

    @field_validator("path")
    @classmethod
    def _no_nul(cls, value: str) -> str:
        if "\x00" in value or not value.strip():
            raise ValueError("a file, folder or glob path, without NUL characters")
        return value

    @field_validator("encoding")
    @classmethod
    def _known_codec(cls, value: str) -> str:
        if value.lower() == "auto":
            return value
        try:
            # A bytes-to-bytes codec such as hex or rot13 is known to Python but cannot read a feed's text.
            known = "\x00" not in value and codecs.lookup(value)._is_text_encoding
        except LookupError:
            known = False
        if not known:
            raise ValueError(f"auto or a text encoding such as utf-8 or gb18030, got {value!r}")
        return value

    @model_validator(mode="after")
    def _profile_fits_kind(self) -> Feed:
        if self.kind == "checkins" and self.profile != "canonical":
            raise ValueError(f"profile 'canonical' for a check-ins feed (shop profiles read orders), got {self.profile!r}")
        return self

    @property
    def label(self) -> str:
        """The feed's name in checkpoints and quarantine."""
        return self.name or f"{self.kind}:{self.path}"


class Leaderboard(_Strict):
    role: Role = Field(description="The role this leaderboard ranks.")
    metric: str = Field(description="The metric that ranks it, e.g. revenue or invites.")


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
    kind: tuple(templates) for kind, templates in tomllib.loads((Path(__file__).parent / "prompt_messages.toml").read_text(encoding="utf-8")).items()
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
    messages: tuple[str, ...] = Field((), description="Message templates, one or more (alternatives to compare by lift), with {placeholders} such as {product}, {price}, {countdown}, {link}; empty: the kind's defaults.")
    groups: tuple[str, ...] = Field((), description="Prompt only these group ids; empty means every group (for schedule rules: the flash sale's own groups).")
    urgency: Literal["critical", "high", "normal", "low"] | None = Field(None, description="How urgent the prompt is shown: critical, high, normal or low; default depends on the kind.")
    for_minutes: int | None = Field(None, ge=0, le=MAX_MINUTES, description="Minutes the condition must hold before the prompt fires (pending until then), like Prometheus `for`.")
    keep_firing_for_minutes: int | None = Field(None, ge=0, le=MAX_MINUTES, description="Minutes a prompt keeps firing after its condition clears, against flapping (Prometheus `keep_firing_for`).")
    cooldown_minutes: int | None = Field(None, ge=0, le=MAX_MINUTES, description="Minutes after any push into a group during which this rule does not prompt that group again.")
    inhibited_by: tuple[str, ...] | None = Field(None, description="Hold the prompt back while these are active: flash_sale (a flash sale runs, or falls in the rule's look-back) or another rule's name.")
    link: str = Field("", description="The link filled into {link}; may use {sku}, e.g. https://shop.example.com/item/{sku}.")
    countdown_minutes: tuple[int, ...] | None = Field(None, description="poster: the countdown nodes, minutes before each flash sale (default 30, 10, 3).")
    hold_minutes: int | None = Field(None, ge=1, le=MAX_MINUTES, description="live_now, order_screenshots, milestone: minutes the prompt stays up (live_now: default the sale's length).")
    after_minutes: int | None = Field(None, ge=0, le=MAX_MINUTES, description="order_screenshots: minutes after a flash sale ends before the prompt fires.")
    window_minutes: int | None = Field(None, ge=1, le=MAX_MINUTES, description="momentum_drop, viewer_surge: the comparison window (last N minutes against the N before); quiet_group: the minutes of silence.")
    drop_percent: Decimal | None = Field(None, gt=0, le=100, description="momentum_drop: how far orders per minute must fall, in percent.")
    viewers_hold_percent: Decimal | None = Field(None, ge=0, description="momentum_drop: viewers must stay at least this percent of the window before.")
    min_orders_per_minute: Decimal | None = Field(None, ge=0, description="momentum_drop: ignore drops from a window slower than this many orders per minute.")
    surge_percent: Decimal | None = Field(None, gt=0, description="viewer_surge: how far viewers must rise over the window before, in percent.")
    min_viewers: int | None = Field(None, ge=0, description="viewer_surge: the fewest viewers worth a prompt.")
    min_members: int | None = Field(None, ge=0, description="quiet_group: the fewest members (joins) a group needs to be worth waking.")
    min_elapsed_minutes: int | None = Field(None, ge=0, le=MAX_MINUTES, description="behind_pace: minutes of live time before the projection is trusted.")
    milestones: tuple[Yuan, ...] | None = Field(None, description="milestone: revenue milestones in yuan (default a quarter, half, three quarters and all of the base goal, and the stretch goal).")

    @property
    def rule_name(self) -> str:
        """The rule's name, its kind when none is given."""
        return self.name or self.kind


# -- [access]: who may open the war room (warroom.access; the pages by role) ---------------------
_BCRYPT_PREFIXES = ("$2a$", "$2b$", "$2y$")


class Access(_Strict):
    """`[access]`: the hashed passwords of the leads and the bosses, and the secret that signs personal links.

    Optional: the same keys in `.streamlit/secrets.toml` (`[warroom]`, `[warroom.passwords]`) take
    precedence and keep the secrets out of the event file. See warroom.access.
    """

    lead_password_hash: str | None = Field(None, description="bcrypt hash of the team leads' password (python -m warroom.access hash).")
    boss_password_hash: str | None = Field(None, description="bcrypt hash of the bosses' password (python -m warroom.access hash).")
    link_secret: str | None = Field(None, min_length=16, description="Secret that signs the staff's personal links and the kiosk link (python -m warroom.access secret); changing it revokes every link.")
    demo_hint: bool = Field(False, description="Show the demo passwords on the login page: for the sample event only.")

    @field_validator("lead_password_hash", "boss_password_hash")
    @classmethod
    def _bcrypt_hash(cls, value: str | None) -> str | None:
        if value is not None and not (value.startswith(_BCRYPT_PREFIXES) and len(value) == 60):
            raise ValueError("a bcrypt hash such as $2b$12$… (60 characters), made with: python -m warroom.access hash")
        return value


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
    prompt_messages: dict[PromptKind, tuple[str, ...]] = Field({}, description="[prompt_messages]: the default message copy of a kind of prompt rule (kind = [templates]), for rules without messages of their own; unset kinds keep warroom/prompt_messages.toml's.")
    review: ReviewSettings = Field(ReviewSettings(), description="[review]: the buyer tiers.")
    big_screen: BigScreenSettings = Field(BigScreenSettings(), description="[big_screen]: the big-order ticker's threshold.")

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
            url = prefix + str(self.folder / url[len(prefix):])
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


class _LocatedError(ValueError):
    def __init__(self, loc: tuple, message: str):
        super().__init__(message)
        self.loc = loc
        self.message = message


def _check_templates(loc: tuple, templates: tuple[str, ...], allowed: tuple[str, ...]) -> None:
    """Raise a located error unless every template has balanced braces and only plain placeholders among `allowed`."""
    for template in templates:
        try:
            fields = [(name, spec, conversion) for _text, name, spec, conversion in string.Formatter().parse(template) if name is not None]
        except ValueError as error:
            raise _LocatedError(loc, f"a template with balanced braces ({error})") from None
        for name, spec, conversion in fields:
            if name not in allowed or spec or conversion:
                raise _LocatedError(loc, f"plain placeholders among {{{'}, {'.join(allowed)}}}, got {{{name}}}")


def _check_feed_paths(config: EventConfig, source: Path) -> None:
    """Raise ConfigError for a feed whose path leads outside the event's folder without `allow_outside = true`."""
    for index, feed in enumerate(config.feeds):
        try:
            outside = not feed.allow_outside and leads_outside(config.folder, feed.path)
        except (OSError, ValueError, RuntimeError) as error:
            raise ConfigError(f"{source}: key 'feeds[{index}].path': expected a path that can be read, got {feed.path!r} ({error})") from None
        if outside:
            raise ConfigError(
                f"{source}: key 'feeds[{index}].path': expected a path inside the event file's folder {config.folder} "
                f"(set allow_outside = true on this feed to read elsewhere), got {feed.path!r}"
            )


def _unique(section: str, values: list[str], key: str) -> None:
    seen: set[str] = set()
    for index, value in enumerate(values):
        if value in seen:
            raise _LocatedError((section, index, key), f"unique values, {value!r} appears twice")
        seen.add(value)


def _dotted(loc: tuple) -> str:
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts[-1] = f"{parts[-1]}[{part}]" if parts else f"[{part}]"
        else:
            parts.append(str(part))
    return ".".join(parts) or "(top level)"


_FRIENDLY = {
    "decimal_parsing": "a number",
    "decimal_type": "a number",
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "datetime_parsing": "a date-time such as 2026-05-20T19:00:00+08:00",
    "datetime_type": "a date-time such as 2026-05-20T19:00:00+08:00",
    "string_type": "text in quotes",
    "timezone_aware": "a date-time with a UTC offset, e.g. 2026-05-20T19:00:00+08:00",
}


def _describe(error: dict) -> tuple[str, str]:
    loc = tuple(part for part in error["loc"] if part not in ("function-after[_ordered(), EventInfo]",))
    kind = error["type"]
    if kind == "missing":
        return _dotted(loc), "a value, but the key is missing"
    if kind == "extra_forbidden":
        return _dotted(loc), "no such key (check its spelling against SPEC §2)"
    message = error["msg"].removeprefix("Value error, ").removeprefix("Input should be ")
    message = _FRIENDLY.get(kind, message)
    if "input" in error and kind not in ("value_error",) and not (loc and loc[-1] in SECRET_KEYS):
        return _dotted(loc), f"{message}; got {error['input']!r}"
    return _dotted(loc), message


def load_event(path: str | os.PathLike) -> EventConfig:
    """Return the validated event at `path`; raise ConfigError naming the file, the key and what was expected."""
    source = Path(path)
    try:
        # Windows editors (Notepad) start UTF-8 files with a byte-order mark: TOML itself does not allow one.
        raw = tomllib.loads(source.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ConfigError(f"{source}: no such event file") from None
    except IsADirectoryError:
        raise ConfigError(f"{source}: expected an event file (TOML), got a folder") from None
    except OSError as error:
        raise ConfigError(f"{source}: could not read the event file: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{source}: not valid TOML: {error}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{source}: expected UTF-8 text") from None
    try:
        config = EventConfig.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        ctx_error = first.get("ctx", {}).get("error")
        if isinstance(ctx_error, _LocatedError):
            key, expected = _dotted(ctx_error.loc), ctx_error.message
        else:
            key, expected = _describe(first)
        more = f" (and {error.error_count() - 1} more problem(s))" if error.error_count() > 1 else ""
        raise ConfigError(f"{source}: key '{key}': expected {expected}{more}") from None
    config = config.model_copy(update={"source": source})
    _check_feed_paths(config, source)
    return config
