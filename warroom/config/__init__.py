"""The event file (SPEC §2): declared once as pydantic models, validated when it loads.

`base` holds the strict model base and value types, `sections` one model per section,
`prompting` the prompt rules, `notify` the group robots prompts are sent to, `campaigns` `[[history]]` and `[plan]`, `event` the whole file and its cross-section checks, and
`loading` turns a TOML file into an EventConfig or one ConfigError.
"""

from warroom.config.base import FIRST_YEAR, LAST_YEAR, MAX_MINUTES, ConfigError, EventTime, Yuan
from warroom.config.campaigns import DEFAULT_INVITE_DAYS, HistoryEntry, PlanSettings
from warroom.config.event import EventConfig
from warroom.config.loading import load_event
from warroom.config.network import MIN_INTAKE_SECRET_LENGTH, PUBLIC_URL_ENV, IntakeSettings, ServerSettings, public_url_problem
from warroom.config.notify import NOTIFY_KINDS, NotifyKind, NotifyTarget, masked_robot_url
from warroom.config.prompting import DEFAULT_PROMPT_MESSAGES, INHIBIT_FLASH_SALE, PROMPT_KINDS, URGENCIES, PromptKind, PromptRule
from warroom.config.sections import (
    DB_URL_ENV,
    MIN_TOKEN_LENGTH,
    PROFILES,
    ROLES,
    SECRET_KEYS,
    STORE_SCHEMES,
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
    Role,
    Slot,
    Staff,
    StoreSettings,
    store_url_problem,
)

__all__ = [
    "DB_URL_ENV",
    "DEFAULT_INVITE_DAYS",
    "DEFAULT_PROMPT_MESSAGES",
    "FIRST_YEAR",
    "INHIBIT_FLASH_SALE",
    "LAST_YEAR",
    "MAX_MINUTES",
    "MIN_INTAKE_SECRET_LENGTH",
    "MIN_TOKEN_LENGTH",
    "NOTIFY_KINDS",
    "PROFILES",
    "PROMPT_KINDS",
    "PUBLIC_URL_ENV",
    "ROLES",
    "SECRET_KEYS",
    "STORE_SCHEMES",
    "URGENCIES",
    "Access",
    "BigScreenSettings",
    "Commission",
    "ConfigError",
    "EventConfig",
    "EventInfo",
    "EventTime",
    "Feed",
    "FlashSale",
    "Goals",
    "Group",

    "HistoryEntry",
    "IntakeSettings",
    "Leaderboard",
    "LiveSession",
    "NotifyKind",
    "NotifyTarget",
    "PlanSettings",
    "Product",
    "PromptKind",
    "PromptRule",
    "ReviewSettings",
    "ServerSettings",
    "Role",
    "Slot",
    "Staff",
    "StoreSettings",
    "Yuan",
    "load_event",
    "masked_robot_url",
    "public_url_problem",
    "store_url_problem",
]
