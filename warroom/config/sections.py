"""The event file's sections (SPEC §2): the event, goals, store, staff, products, commission, sessions, sales, groups, feeds, boards, access."""

from __future__ import annotations

import codecs
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from warroom.config.base import MAX_MINUTES, EventTime, Yuan, _Strict

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
    url: str = Field(
        "sqlite:///warroom.db",
        description=f"SQLAlchemy URL, {STORE_URL_EXPECTED}; a relative SQLite path is relative to the event file; {DB_URL_ENV} overrides it.",
    )

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
    """`[big_screen]`: what the TV's ticker shows, which orders get a callout, and whether its board rotates."""

    big_order: Yuan = Field(Decimal(1000), gt=0, description="An order at least this big, in yuan, goes on the big screen's ticker.")
    callout: Yuan = Field(Decimal(3000), gt=0, description="An order at least this big, in yuan, gets a callout of its own on the TV: who took it, the amount and the product.")
    rotate_seconds: int = Field(0, ge=0, le=3600, description="Seconds each board shows before the TV's board turns to the next (the order-takers', each other role's, the team battle); 0 keeps the order-takers' board. A kiosk link's &rotate=N overrides it.")


class Staff(_Strict):
    id: str = Field(description="A unique staff id, e.g. S01.")
    name: str = Field(description="The name shown on leaderboards.")
    role: Role = Field(description="One of " + ", ".join(ROLES) + ".")
    team: str | None = Field(None, description="Optional team, for team totals.")
    aliases: tuple[str, ...] = Field((), description="Ids that shop exports use for this member.")
    token: str | None = Field(
        None, description=f"Optional fixed token for the member's personal link: at least {MIN_TOKEN_LENGTH} characters, unique across staff."
    )

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


# -- [access]: who may open the war room (warroom.access; the pages by role) ---------------------
_BCRYPT_PREFIXES = ("$2a$", "$2b$", "$2y$")


class Access(_Strict):
    """`[access]`: the hashed passwords of the leads and the bosses, and the secret that signs personal links.

    Optional: the same keys in `.streamlit/secrets.toml` (`[warroom]`, `[warroom.passwords]`) take
    precedence and keep the secrets out of the event file. See warroom.access.
    """

    lead_password_hash: str | None = Field(None, description="bcrypt hash of the team leads' password (python -m warroom.access hash).")
    boss_password_hash: str | None = Field(None, description="bcrypt hash of the bosses' password (python -m warroom.access hash).")
    link_secret: str | None = Field(
        None,
        min_length=16,
        description="Secret that signs the staff's personal links and the kiosk link (python -m warroom.access secret); changing it revokes every link.",
    )
    demo_hint: bool = Field(False, description="Show the demo passwords on the login page: for the sample event only.")

    @field_validator("lead_password_hash", "boss_password_hash")
    @classmethod
    def _bcrypt_hash(cls, value: str | None) -> str | None:
        if value is not None and not (value.startswith(_BCRYPT_PREFIXES) and len(value) == 60):
            raise ValueError("a bcrypt hash such as $2b$12$… (60 characters), made with: python -m warroom.access hash")
        return value
