"""The prompt rules: the event file's `[[prompts]]` made into rules, the per-minute signals they read, and each rule's condition.

`RuleBook.from_config` fills every rule's defaults (`KIND_DEFAULTS`, the message copy of
`warroom/prompt_messages.toml` or the event file's `[prompt_messages]`) and takes the flash sales,
sessions and milestones from `warroom.schedule`. `conditions(rule, book, signals, now)` returns the
instances whose condition holds now, each with its `Content`. Signals read only the whole minutes
before `now`: the minute in progress is still filling up. The lifecycle (pending, firing, resolved)
and the routing are `warroom.prompts`.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from zoneinfo import ZoneInfo

from warroom.clock import at_minute, minute_of
from warroom.config import DEFAULT_PROMPT_MESSAGES, INHIBIT_FLASH_SALE, PROMPT_KINDS, EventConfig, PromptRule
from warroom.i18n import fmt_price, fmt_wan_yuan, fmt_yuan, t
from warroom.money import to_fen
from warroom.pace import pace_at
from warroom.schedule import FlashSale, flash_sales, live_sessions, rule_milestones_fen

DEFAULT_RULES: tuple[PromptRule, ...] = tuple(PromptRule(kind=kind) for kind in PROMPT_KINDS)

# What a rule of each kind does when the event file leaves a setting out.
_COMMON_DEFAULTS = {"for_minutes": 0, "keep_firing_for_minutes": 0, "cooldown_minutes": 0, "inhibited_by": ()}
KIND_DEFAULTS: dict[str, dict] = {
    "poster": {"urgency": "high", "countdown_minutes": (30, 10, 3)},
    "live_now": {"urgency": "critical"},
    "order_screenshots": {"urgency": "normal", "after_minutes": 0, "hold_minutes": 10},
    "momentum_drop": {
        "urgency": "high", "window_minutes": 5, "drop_percent": Decimal(30), "viewers_hold_percent": Decimal(80),
        "min_orders_per_minute": Decimal(1), "for_minutes": 2, "keep_firing_for_minutes": 2, "cooldown_minutes": 10,
        "inhibited_by": (INHIBIT_FLASH_SALE,),
    },
    "viewer_surge": {"urgency": "high", "window_minutes": 5, "surge_percent": Decimal(30), "min_viewers": 100, "keep_firing_for_minutes": 3, "cooldown_minutes": 10},
    "behind_pace": {"urgency": "high", "min_elapsed_minutes": 15, "for_minutes": 5, "cooldown_minutes": 30, "inhibited_by": (INHIBIT_FLASH_SALE,)},
    "quiet_group": {"urgency": "normal", "window_minutes": 15, "min_members": 50, "cooldown_minutes": 20},
    "milestone": {"urgency": "normal", "hold_minutes": 10},
}



# -- rules ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """A prompt rule with every default filled in; durations in whole minutes."""

    name: str
    kind: str
    messages: tuple[str, ...]
    urgency: str
    groups: tuple[str, ...] = ()
    for_minutes: int = 0
    keep_firing_for_minutes: int = 0
    cooldown_minutes: int = 0
    inhibited_by: tuple[str, ...] = ()
    link: str = ""
    countdown_minutes: tuple[int, ...] = ()
    hold_minutes: int | None = None
    after_minutes: int = 0
    window_minutes: int = 0
    drop_percent: Decimal = Decimal(0)
    viewers_hold_percent: Decimal = Decimal(0)
    min_orders_per_minute: Decimal = Decimal(0)
    surge_percent: Decimal = Decimal(0)
    min_viewers: int = 0
    min_members: int = 0
    min_elapsed_minutes: int = 0
    milestones_fen: tuple[int, ...] = ()

    @classmethod
    def from_config(cls, rule: PromptRule, base_fen: int = 0, stretch_fen: int = 0, default_messages: Mapping[str, tuple[str, ...]] = DEFAULT_PROMPT_MESSAGES) -> Rule:
        """Return the rule with the kind's defaults for every setting the event file left out."""
        settings = {**_COMMON_DEFAULTS, **KIND_DEFAULTS[rule.kind]}
        for key in rule.model_fields_set:
            settings[key] = getattr(rule, key)
        settings.pop("name", None)
        settings.pop("kind", None)
        settings.pop("milestones", None)
        if rule.kind == "milestone":
            settings["milestones_fen"] = rule_milestones_fen(rule, base_fen, stretch_fen)
        settings["messages"] = tuple(rule.messages) or default_messages[rule.kind]
        settings["countdown_minutes"] = tuple(sorted(set(settings.get("countdown_minutes") or ()), reverse=True))
        settings["inhibited_by"] = tuple(settings.get("inhibited_by") or ())
        return cls(name=rule.rule_name, kind=rule.kind, **settings)

    @property
    def lookback_minutes(self) -> int:
        """Return how many minutes back the rule's condition reads, counting keep_firing_for (a flash sale there inhibits it)."""
        return (2 * self.window_minutes if self.kind in ("momentum_drop", "viewer_surge") else 0) + self.keep_firing_for_minutes


@dataclass(frozen=True)
class RuleBook:
    """The rules and what they need from the event file: flash sales, groups, products, sessions, goals."""

    rules: tuple[Rule, ...]
    sales: tuple[FlashSale, ...] = ()
    groups: Mapping[str, str] = field(default_factory=dict)  # id -> name, in event-file order
    products: Mapping[str, tuple[str, int]] = field(default_factory=dict)  # sku -> (name, list price in fen)
    sessions: tuple[tuple[datetime, datetime], ...] = ()
    event: str = ""
    timezone: str = "Asia/Shanghai"
    base_fen: int = 0
    stretch_fen: int = 0

    @classmethod
    def from_config(cls, config: EventConfig) -> RuleBook:
        """Return the rule book of an event: its `[[prompts]]`, else the default rules."""
        base_fen, stretch_fen = to_fen(config.goals.base), to_fen(config.goals.stretch)
        products = {p.sku: (p.name, to_fen(p.price)) for p in config.products}
        return cls(
            rules=tuple(Rule.from_config(rule, base_fen, stretch_fen, config.default_messages) for rule in (config.prompts or DEFAULT_RULES)),
            sales=flash_sales(config),
            groups={group.id: group.name for group in config.groups},
            products=products,
            sessions=tuple((session.start, session.end) for session in live_sessions(config)),
            event=config.event.name,
            timezone=config.event.timezone,
            base_fen=base_fen,
            stretch_fen=stretch_fen,
        )

    @property
    def tz(self) -> ZoneInfo:
        """The event's timezone."""
        return ZoneInfo(self.timezone)

    def rule(self, name: str) -> Rule | None:
        """Return the rule of that name, or None."""
        return next((rule for rule in self.rules if rule.name == name), None)

    def template(self, key: str) -> str:
        """Return the raw text of a template key such as `poster#1`, or '' when unknown."""
        name, _, index = key.rpartition("#")
        rule = self.rule(name)
        return rule.messages[int(index)] if rule and index.isdigit() and int(index) < len(rule.messages) else ""


# -- signals -------------------------------------------------------------------------------------


class _Counts:
    """Per-minute counts with prefix sums: the total over any span of minutes in O(log n)."""

    def __init__(self, by_minute: Mapping[int, int]):
        self.minutes = sorted(minute for minute, value in by_minute.items() if value)
        self.prefix = [0]
        for minute in self.minutes:
            self.prefix.append(self.prefix[-1] + by_minute[minute])

    def total(self, first: int, end: int) -> int:
        """Return the sum over minutes in [first, end)."""
        return self.prefix[bisect_left(self.minutes, end)] - self.prefix[bisect_left(self.minutes, first)] if end > first else 0

    def first_reaching(self, amount: int, end: int) -> int | None:
        """Return the first minute before `end` by which the running total reaches `amount` (the counts never go negative)."""
        if self.total(-(1 << 62), end) < amount:
            return None
        return self.minutes[bisect_left(self.prefix, amount) - 1]


@dataclass(frozen=True)
class MinuteSeries:
    """The per-minute figures that signal rules read, keyed by epoch minute (built by `prompt_state.load_series`, or by a test)."""

    orders: Mapping[int, int] = field(default_factory=dict)  # paid orders
    revenue_fen: Mapping[int, int] = field(default_factory=dict)
    viewers: Mapping[int, int] = field(default_factory=dict)  # the last viewers snapshot in each minute
    group_active: Mapping[str, tuple[int, ...]] = field(default_factory=dict)  # minutes with an order or a check-in, ascending
    group_joins: Mapping[str, Mapping[int, int]] = field(default_factory=dict)
    sku_orders: Mapping[str, Mapping[int, int]] = field(default_factory=dict)
    sku_revenue_fen: Mapping[str, Mapping[int, int]] = field(default_factory=dict)

    @cached_property
    def _orders(self) -> _Counts:
        return _Counts(self.orders)

    @cached_property
    def _revenue(self) -> _Counts:
        return _Counts(self.revenue_fen)

    @cached_property
    def _viewer_minutes(self) -> list[int]:
        return sorted(self.viewers)

    @cached_property
    def _joins(self) -> dict[str, _Counts]:
        return {group: _Counts(joins) for group, joins in self.group_joins.items()}

    @cached_property
    def _sku_orders(self) -> dict[str, _Counts]:
        return {sku: _Counts(orders) for sku, orders in self.sku_orders.items()}

    @cached_property
    def _sku_revenue(self) -> dict[str, _Counts]:
        return {sku: _Counts(revenue) for sku, revenue in self.sku_revenue_fen.items()}


_FAR_PAST = -(1 << 62)


@dataclass(frozen=True)
class Signals:
    """What the rules see at one moment: the series up to the whole minute before `minute`, and the pace."""

    minute: int  # now's epoch minute; every figure covers only the minutes before it
    series: MinuteSeries
    on_air: bool = False
    live_since: int | None = None  # the first minute of the session on air
    live_minutes_elapsed: int = 0
    live_minutes_left: int = 0
    revenue_fen: int = 0
    rate_average_fen: Decimal = Decimal(0)
    projected_fen: int = 0
    needed_base_fen: Decimal | None = None
    base_fen: int = 0
    stretch_fen: int = 0

    def _end(self, end: int) -> int:
        return min(end, self.minute)

    def orders(self, first: int, end: int) -> int:
        """Return paid orders over minutes [first, end)."""
        return self.series._orders.total(first, self._end(end))

    def viewer_values(self, first: int, end: int) -> list[int]:
        """Return the viewers snapshots over minutes [first, end), oldest first."""
        minutes = self.series._viewer_minutes
        return [self.series.viewers[m] for m in minutes[bisect_left(minutes, first):bisect_left(minutes, self._end(end))]]

    def viewers_mean(self, first: int, end: int) -> Decimal | None:
        """Return the mean viewers over minutes [first, end), None without snapshots."""
        values = self.viewer_values(first, end)
        return Decimal(sum(values)) / len(values) if values else None

    def viewers_last(self, first: int = _FAR_PAST, end: int | None = None) -> int | None:
        """Return the latest viewers snapshot within [first, end), None without one."""
        values = self.viewer_values(first, self.minute if end is None else end)
        return values[-1] if values else None

    def group_members(self, group: str) -> int:
        """Return how many joined a group (its join_group check-ins so far)."""
        joins = self.series._joins.get(group)
        return joins.total(_FAR_PAST, self.minute) if joins else 0

    def group_last_active(self, group: str) -> int | None:
        """Return the last minute a group had an order or a check-in, None if never."""
        minutes = self.series.group_active.get(group, ())
        index = bisect_left(minutes, self.minute)
        return minutes[index - 1] if index else None

    def sku_orders(self, sku: str, first: int, end: int) -> int:
        """Return paid orders of one product over minutes [first, end)."""
        counts = self.series._sku_orders.get(sku)
        return counts.total(first, self._end(end)) if counts else 0

    def top_sku(self) -> str | None:
        """Return the product with the most revenue so far, None before any sale."""
        totals = {sku: counts.total(_FAR_PAST, self.minute) for sku, counts in self.series._sku_revenue.items()}
        best = max(sorted(totals), key=lambda sku: totals[sku], default=None)
        return best if best is not None and totals[best] > 0 else None

    def crossed(self, amount_fen: int) -> int | None:
        """Return the minute in which revenue first reached `amount_fen`, None while it has not."""
        return self.series._revenue.first_reaching(amount_fen, self.minute)


def signals_at(book: RuleBook, series: MinuteSeries, now: datetime) -> Signals:
    """Return the signals at `now` from a minute series (whole minutes before now only)."""
    minute = minute_of(now)
    revenue = series._revenue.total(_FAR_PAST, minute)
    # The big screen's pace, at the whole minute: the same projection and run-rate needed.
    pace = pace_at(book.sessions, series.revenue_fen, revenue, book.base_fen, book.stretch_fen, at_minute(minute))
    current = next(((start, end) for start, end in book.sessions if start <= now < end), None)
    return Signals(
        minute=minute,
        series=series,
        on_air=current is not None,
        live_since=minute_of(current[0]) if current else None,
        live_minutes_elapsed=pace.live_minutes_elapsed,
        live_minutes_left=pace.live_minutes_left,
        revenue_fen=revenue,
        rate_average_fen=pace.rate_average_fen,
        projected_fen=pace.projected_fen,
        needed_base_fen=pace.needed_base_fen,
        base_fen=book.base_fen,
        stretch_fen=book.stretch_fen,
    )


# -- what a prompt says ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Content:
    """What a prompt says, rendered by the last evaluation in which its condition held."""

    title: str  # what to push
    reason: str  # why: the figure that triggered it
    groups: tuple[str, ...]  # the groups to push into (empty when the event lists no groups)
    messages: tuple[str, ...]  # the rule's templates, filled in
    link: str = ""
    figures: Mapping[str, int | float | str | None] = field(default_factory=dict)
    deadline: datetime | None = None  # the flash sale's start, for a live countdown
    expires_at: datetime | None = None  # when a schedule or milestone prompt stops being useful
    # The i18n keys of the title and reason and the values they are filled with; empty in content
    # stored by a version before them, which only has the Chinese title and reason.
    title_key: str = ""
    reason_key: str = ""
    text_values: Mapping[str, int | str | None] = field(default_factory=dict)


# -- rendering -----------------------------------------------------------------------------------


def _content(title_key: str, reason_key: str, values: Mapping[str, int | str | None], **fields) -> Content:
    """Return content whose title and reason are the i18n strings in Chinese, keeping the keys and values for other languages."""
    return Content(
        title=t(title_key, "zh", **values), reason=t(reason_key, "zh", **values),
        title_key=title_key, reason_key=reason_key, text_values=dict(values), **fields,
    )


def _render(rule: Rule, values: Mapping[str, str]) -> tuple[str, tuple[str, ...]]:
    """Return the rule's link and its messages filled with `values`."""
    link = rule.link.format_map({"sku": values.get("sku", "")}) if rule.link else ""
    filled = {**values, "link": link}
    # A template ending in {link} with no link configured just ends there.
    return link, tuple(template.format_map(filled).strip() for template in rule.messages)


def _hhmm(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%H:%M")


def _percent(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


# -- conditions ----------------------------------------------------------------------------------


def _scoped(rule: Rule, groups: Iterable[str]) -> tuple[str, ...]:
    """Return the groups a rule may prompt, out of `groups`."""
    return tuple(g for g in groups if not rule.groups or g in rule.groups)


def _sale_values(book: RuleBook, sale: FlashSale) -> dict[str, str]:
    return {
        "event": book.event, "product": sale.product, "sku": sale.sku, "price": fmt_price(sale.price_fen),
        "list_price": fmt_price(sale.list_price_fen), "time": _hhmm(sale.at, book.tz), "minutes": str(sale.minutes),
    }


def _sale_figures(sale: FlashSale) -> dict:
    return {"sale": sale.index, "sku": sale.sku, "price_fen": sale.price_fen, "sale_at": sale.at.isoformat()}


def _schedule(rule: Rule, book: RuleBook, signals: Signals, now: datetime) -> dict[str, Content]:
    found: dict[str, Content] = {}
    for sale in book.sales:
        groups = _scoped(rule, sale.groups)
        if book.groups and not groups:
            continue
        values = _sale_values(book, sale)
        said = {"product": sale.product, "time": values["time"], "price_fen": sale.price_fen}
        if rule.kind == "poster":
            nodes = rule.countdown_minutes
            for position, node in enumerate(nodes):
                start = sale.at - timedelta(minutes=node)
                end = sale.at - timedelta(minutes=nodes[position + 1]) if position + 1 < len(nodes) else sale.at
                if not start <= now < end:
                    continue
                countdown = math.ceil((sale.at - now).total_seconds() / 60)
                link, messages = _render(rule, {**values, "countdown": str(countdown)})
                found[f"{rule.name}:{sale.index}:T-{node}"] = _content(
                    "pt_poster_title", "pt_poster_reason", {**said, "node": node, "countdown": countdown},
                    groups=groups, messages=messages, link=link,
                    figures={**_sale_figures(sale), "node_minutes": node, "countdown_minutes": countdown},
                    deadline=sale.at, expires_at=end,
                )
        elif rule.kind == "live_now":
            end = sale.at + timedelta(minutes=min(rule.hold_minutes or sale.minutes, sale.minutes))
            if sale.at <= now < end:
                link, messages = _render(rule, values)
                found[f"{rule.name}:{sale.index}"] = _content(
                    "pt_live_now_title", "pt_live_now_reason", {**said, "minutes": sale.minutes},
                    groups=groups, messages=messages, link=link, figures=_sale_figures(sale), deadline=sale.at, expires_at=end,
                )
        elif rule.kind == "order_screenshots":
            start = sale.end + timedelta(minutes=rule.after_minutes)
            end = start + timedelta(minutes=rule.hold_minutes or 10)
            orders = signals.sku_orders(sale.sku, minute_of(sale.at), minute_of(sale.end - timedelta(seconds=1)) + 1)
            if start <= now < end and orders > 0:
                link, messages = _render(rule, {**values, "orders": str(orders)})
                found[f"{rule.name}:{sale.index}"] = _content(
                    "pt_order_screenshots_title", "pt_order_screenshots_reason", {**said, "orders": orders},
                    groups=groups, messages=messages, link=link, figures={**_sale_figures(sale), "orders": orders},
                    deadline=sale.at, expires_at=end,
                )
    return found


def _momentum_drop(rule: Rule, book: RuleBook, signals: Signals) -> dict[str, Content]:
    window, minute = rule.window_minutes, signals.minute
    if not signals.on_air or signals.live_since is None or signals.live_since > minute - 2 * window:
        return {}
    last = Decimal(signals.orders(minute - window, minute)) / window
    before = Decimal(signals.orders(minute - 2 * window, minute - window)) / window
    if before <= 0 or before < rule.min_orders_per_minute:
        return {}
    drop = (before - last) * 100 / before
    if drop < rule.drop_percent:
        return {}
    viewers_last = signals.viewers_mean(minute - window, minute)
    viewers_before = signals.viewers_mean(minute - 2 * window, minute - window)
    # Without viewer snapshots the team cannot tell, so the drop alone is worth a prompt.
    if viewers_last is not None and viewers_before and viewers_last * 100 < viewers_before * rule.viewers_hold_percent:
        return {}
    viewers = signals.viewers_last(minute - window, minute)
    values = {
        "event": book.event, "viewers": str(viewers if viewers is not None else "-"), "orders_last": f"{last:.1f}",
        "orders_before": f"{before:.1f}", "drop_percent": str(_percent(drop)),
    }
    link, messages = _render(rule, values)
    said = {"window": window, "orders_last": values["orders_last"], "orders_before": values["orders_before"], "drop_percent": _percent(drop), "viewers": viewers}
    return {rule.name: _content(
        "pt_momentum_drop_title", "pt_momentum_drop_reason" if viewers is None else "pt_momentum_drop_reason_viewers", said,
        groups=_scoped(rule, book.groups), messages=messages, link=link,
        figures={"orders_per_minute": float(last), "orders_per_minute_before": float(before), "drop_percent": _percent(drop), "viewers": viewers},
    )}


def _viewer_surge(rule: Rule, book: RuleBook, signals: Signals) -> dict[str, Content]:
    window, minute = rule.window_minutes, signals.minute
    if not signals.on_air:
        return {}
    viewers = signals.viewers_last(minute - window, minute)
    before = signals.viewers_mean(minute - 2 * window, minute - window)
    if viewers is None or not before or viewers < rule.min_viewers or viewers * 100 < before * (100 + rule.surge_percent):
        return {}
    rise = (viewers - before) * 100 / before
    values = {"event": book.event, "viewers": str(viewers), "viewers_before": str(int(before)), "surge_percent": str(_percent(rise))}
    link, messages = _render(rule, values)
    said = {"viewers": viewers, "window": window, "viewers_before": int(before), "surge_percent": _percent(rise)}
    return {rule.name: _content(
        "pt_viewer_surge_title", "pt_viewer_surge_reason", said,
        groups=_scoped(rule, book.groups), messages=messages, link=link,
        figures={"viewers": viewers, "viewers_before": float(before), "surge_percent": _percent(rise)},
    )}


def _behind_pace(rule: Rule, book: RuleBook, signals: Signals) -> dict[str, Content]:
    if not signals.on_air or signals.live_minutes_elapsed < rule.min_elapsed_minutes or not signals.live_minutes_left:
        return {}
    # With no sale at all the feeds are more likely down than the team slow: no projection to trust.
    if signals.revenue_fen <= 0 or signals.base_fen <= 0 or signals.projected_fen >= signals.base_fen or signals.needed_base_fen is None:
        return {}
    sku = signals.top_sku()
    product, list_price = book.products.get(sku, (sku or "", None)) if sku else ("", None)
    needed, rate = signals.needed_base_fen, signals.rate_average_fen
    values = {
        "event": book.event, "product": product or "爆款", "sku": sku or "", "list_price": fmt_price(list_price),
        "projected": fmt_yuan(signals.projected_fen).lstrip("¥"), "base": fmt_yuan(signals.base_fen).lstrip("¥"),
        "needed": fmt_yuan(needed).lstrip("¥"), "rate": fmt_yuan(rate).lstrip("¥"), "minutes_left": str(signals.live_minutes_left),
    }
    link, messages = _render(rule, values)
    # Whole fen, rounded down: a sum shown in whole yuan rounds the same as from the exact rate.
    said = {
        "projected_fen": signals.projected_fen, "base_fen": signals.base_fen, "minutes_left": signals.live_minutes_left,
        "needed_fen": int(needed), "rate_fen": int(rate), "product": product,
    }
    return {rule.name: _content(
        "pt_behind_pace_title", "pt_behind_pace_reason_product" if product else "pt_behind_pace_reason", said,
        groups=_scoped(rule, book.groups), messages=messages, link=link,
        figures={
            "projected_fen": signals.projected_fen, "base_fen": signals.base_fen, "needed_fen_per_minute": int(needed),
            "rate_fen_per_minute": int(rate), "minutes_left": signals.live_minutes_left, "sku": sku,
        },
    )}


def _quiet_group(rule: Rule, book: RuleBook, signals: Signals) -> dict[str, Content]:
    if not signals.on_air or signals.live_since is None:
        return {}
    found: dict[str, Content] = {}
    for group in _scoped(rule, book.groups):
        members = signals.group_members(group)
        if members < rule.min_members:
            continue
        last = signals.group_last_active(group)
        quiet_from = signals.live_since if last is None else max(last + 1, signals.live_since)
        quiet = signals.minute - quiet_from
        if quiet < rule.window_minutes:
            continue
        name = book.groups.get(group, group)
        link, messages = _render(rule, {"event": book.event, "group": name, "members": str(members), "quiet_minutes": str(quiet)})
        found[f"{rule.name}:{group}"] = _content(
            "pt_quiet_group_title", "pt_quiet_group_reason", {"group": name, "members": members, "quiet_minutes": quiet},
            groups=(group,), messages=messages, link=link,
            figures={"group": group, "members": members, "quiet_minutes": quiet},
        )
    return found


def _milestone(rule: Rule, book: RuleBook, signals: Signals, now: datetime) -> dict[str, Content]:
    found: dict[str, Content] = {}
    for amount in rule.milestones_fen:
        minute = signals.crossed(amount)
        if minute is None:
            continue
        reached = at_minute(minute + 1)
        if now >= reached + timedelta(minutes=rule.hold_minutes or 10):
            continue
        values = {"event": book.event, "milestone": fmt_wan_yuan(amount), "revenue": fmt_wan_yuan(signals.revenue_fen)}
        link, messages = _render(rule, values)
        said = {"milestone_fen": amount, "revenue_fen": signals.revenue_fen, "time": _hhmm(at_minute(minute), book.tz)}
        found[f"{rule.name}:{amount // 100}"] = _content(
            "pt_milestone_title", "pt_milestone_reason", said,
            groups=_scoped(rule, book.groups), messages=messages, link=link,
            figures={"milestone_fen": amount, "revenue_fen": signals.revenue_fen, "reached_at": at_minute(minute).isoformat()},
            expires_at=reached + timedelta(minutes=rule.hold_minutes or 10),
        )
    return found


def conditions(rule: Rule, book: RuleBook, signals: Signals, now: datetime) -> dict[str, Content]:
    """Return the instances of a rule whose condition holds at `now`, keyed by instance key."""
    if rule.kind in ("poster", "live_now", "order_screenshots"):
        return _schedule(rule, book, signals, now)
    if rule.kind == "milestone":
        return _milestone(rule, book, signals, now)
    return {"momentum_drop": _momentum_drop, "viewer_surge": _viewer_surge, "behind_pace": _behind_pace, "quiet_group": _quiet_group}[rule.kind](rule, book, signals)


