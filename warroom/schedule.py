"""The event's schedule: its live sessions, its flash sales and its revenue milestones, in one place.

The big screen (countdown, coming sales, celebration), the prompts (poster, live now, 晒单,
milestone), the review (the chart's sale markers and live-time axis) and the pace all read this
module, so that no two screens can disagree about when a sale runs or which amount is a milestone.

Milestones are those of the milestone prompt rule: a quarter, half, three quarters and all of the
base goal and the stretch goal, unless the event file's `[[prompts]]` milestone rule names its own
(`milestones = [...]`, in yuan). The big screen celebrates at exactly the amounts the milestone
prompt pushes a data poster for.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from warroom.config import EventConfig, LiveSession, PromptRule
from warroom.money import to_fen

# The default milestones, as fractions of the base goal; the stretch goal is always one too.
MILESTONE_FRACTIONS = (Decimal("0.25"), Decimal("0.5"), Decimal("0.75"), Decimal(1))


def live_sessions(config: EventConfig) -> tuple[LiveSession, ...]:
    """Return the event's live sessions, or the whole event as one when none are declared."""
    if config.sessions:
        return tuple(sorted(config.sessions, key=lambda session: session.start))
    return (LiveSession(name=config.event.name, start=config.event.start, end=config.event.end),)


@dataclass(frozen=True)
class SessionTime:
    """Where a moment falls among the live sessions: the one on air and its time left, else the next one."""

    session: LiveSession | None  # the session on air
    minutes_left: int  # of that session alone, rounded up; 0 off air
    next_session: LiveSession | None  # off air: the next session to start, None after the last

    @property
    def next_start(self) -> datetime | None:
        """Return when the next session starts, off air; None on air or after the last session."""
        return self.next_session.start if self.next_session else None


def session_at(sessions: Sequence[LiveSession], now: datetime) -> SessionTime:
    """Return the session on air at `now` with the minutes left of it (not of the sessions after it), or off air the next session."""
    ordered = sorted(sessions, key=lambda session: session.start)
    current = next((session for session in ordered if session.start <= now < session.end), None)
    if current is not None:
        return SessionTime(current, math.ceil((current.end - now).total_seconds() / 60), None)
    return SessionTime(None, 0, next((session for session in ordered if session.start > now), None))


@dataclass(frozen=True)
class FlashSale:
    """One flash sale from the event file, with its product resolved and its groups spelled out."""

    index: int  # its position in the event file: prompt instance keys name it
    at: datetime
    minutes: int
    sku: str
    product: str
    price_fen: int
    list_price_fen: int | None
    groups: tuple[str, ...]  # the groups it is for; every group of the event when the file names none

    @property
    def end(self) -> datetime:
        """Return when the sale stops."""
        return self.at + timedelta(minutes=self.minutes)

    def running(self, now: datetime) -> bool:
        """Return whether the sale is on at `now`."""
        return self.at <= now < self.end


def flash_sales(config: EventConfig) -> tuple[FlashSale, ...]:
    """Return the event's flash sales in time order, with product names and prices in fen."""
    products = {product.sku: product for product in config.products}
    every_group = tuple(group.id for group in config.groups)
    return tuple(
        FlashSale(
            index=index, at=sale.at, minutes=sale.minutes, sku=sale.sku,
            product=products[sale.sku].name if sale.sku in products else sale.sku,
            price_fen=to_fen(sale.price), list_price_fen=to_fen(products[sale.sku].price) if sale.sku in products else None,
            groups=tuple(sale.groups) or every_group,
        )
        for index, sale in sorted(enumerate(config.flash_sales), key=lambda item: item[1].at)
    )


def next_flash_sale(config: EventConfig, now: datetime) -> FlashSale | None:
    """Return the flash sale running at `now`, else the next one to start, else None."""
    return next((sale for sale in flash_sales(config) if sale.end > now), None)


def rule_milestones_fen(rule: PromptRule, base_fen: int, stretch_fen: int) -> tuple[int, ...]:
    """Return one milestone rule's amounts in fen, ascending: the rule's own, else the default fractions of the base and the stretch goal."""
    chosen = [to_fen(value) for value in rule.milestones] if rule.milestones else [int(base_fen * f) for f in MILESTONE_FRACTIONS] + [stretch_fen]
    return tuple(sorted({fen for fen in chosen if fen > 0}))


def milestones_fen(config: EventConfig) -> tuple[int, ...]:
    """Return the event's revenue milestones in fen, ascending: those of its milestone prompt rules, else the defaults."""
    base_fen, stretch_fen = to_fen(config.goals.base), to_fen(config.goals.stretch)
    rules = [rule for rule in config.prompts if rule.kind == "milestone"] or [PromptRule(kind="milestone")]
    return tuple(sorted({fen for rule in rules for fen in rule_milestones_fen(rule, base_fen, stretch_fen)}))


def milestones_reached(config: EventConfig, revenue_fen: int) -> list[int]:
    """Return the milestones that revenue has reached, ascending."""
    return [milestone for milestone in milestones_fen(config) if revenue_fen >= milestone]


def newly_reached(config: EventConfig, revenue_fen: int, seen: set[int] | None) -> list[int]:
    """Return the milestones reached and not yet seen; with nothing seen yet (a screen just opened), every milestone reached."""
    reached = milestones_reached(config, revenue_fen)
    return reached if seen is None else [milestone for milestone in reached if milestone not in seen]


def milestone_kind(config: EventConfig, milestone_fen: int) -> str:
    """Return "stretch", "base" or "milestone": what reaching this amount means."""
    if milestone_fen == to_fen(config.goals.stretch):
        return "stretch"
    if milestone_fen == to_fen(config.goals.base):
        return "base"
    return "milestone"
