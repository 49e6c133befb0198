"""`[[history]]` and `[plan]`: the earlier events this one is compared with, and how the next one is planned from them (SPEC §7).

A history path is relative to the event file. It is not read when the file loads (the earlier event
may live on another machine's path, or be copied in later): `warroom.compare` reads it when asked,
and says in one line when it is missing or when the history leads back to an event already seen.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from warroom.config.base import _Strict

# Days before the event that order-takers invite customers into the groups, when [plan] does not say.
DEFAULT_INVITE_DAYS = 3
MAX_INVITE_DAYS = 366


class HistoryEntry(_Strict):
    """`[[history]]`: an earlier event to compare with and to plan from."""

    path: str = Field(description="The earlier event's event file, relative to this event file (e.g. ../38/event.toml).")
    label: str | None = Field(None, description="What to call it on the screens; the earlier event's name when left out.")

    @field_validator("path")
    @classmethod
    def _a_path(cls, value: str) -> str:
        if not value.strip() or "\x00" in value:
            raise ValueError(f"a path to an earlier event's event file, such as ../38/event.toml, got {value[:80]!r}")
        return value

    def resolved(self, folder: Path) -> Path:
        """Return the earlier event file's path, resolved against the folder of the event file that names it."""
        return (folder / self.path).resolve()


class PlanSettings(_Strict):
    """`[plan]`: what planning backwards (倒推) needs beyond the goals."""

    invite_days: int = Field(
        DEFAULT_INVITE_DAYS, ge=1, le=MAX_INVITE_DAYS, strict=True,
        description="Days before the event that the order-takers invite customers into the groups: the invites each needs a day are spread over them.",
    )
