"""The event file (SPEC §2): declared once as pydantic models, validated when it loads.

`base` holds the strict model base and value types, `sections` one model per section,
`prompting` the prompt rules, `campaigns` `[[history]]` and `[plan]`, `event` the whole file and its cross-section checks, and
`loading` turns a TOML file into an EventConfig or one ConfigError.
"""

from warroom.config.base import FIRST_YEAR, LAST_YEAR, MAX_MINUTES, ConfigError, EventTime, Yuan
from warroom.config.campaigns import DEFAULT_INVITE_DAYS, HistoryEntry, PlanSettings
from warroom.config.event import EventConfig
from warroom.config.loading import load_event
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
    "MIN_TOKEN_LENGTH",
    "PROFILES",
    "PROMPT_KINDS",
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
    "Leaderboard",
    "LiveSession",
    "PlanSettings",
    "Product",
    "PromptKind",
    "PromptRule",
    "ReviewSettings",
    "Role",
    "Slot",
    "Staff",
    "StoreSettings",
    "Yuan",
    "load_event",
    "store_url_problem",
]
