"""After the show: where the money came from, who bought, what each flash sale and push did.

`build_review(store, config, snapshot)` reads the rollups and the customers table once (never
the order table; only the lift of pushes, from `warroom.prompt_state`, counts the orders around
each push), and returns a `Review`: revenue over time against the goals with the flash
sales marked, breakdowns by hour, product, group, role and buyer tier, the funnel, ROI against
`event.budget`, each flash sale's window, and the lift of each acknowledged push (from
`warroom.prompt_state`). `warroom.review_tables` turns it into localized tables, which the review
page shows and `warroom.web.exports` writes, one sheet each.

Buyer tiers. Every paying customer falls in exactly one tier, the first that fits:
- **high value** (`high_value`): spent at least `[review] high_value` (default ¥5,000) net of refunds
  in the event, or is among the top `high_value_top_percent` (default 5 %) of buyers by spend;
- **repeat** (`repeat`): two or more paid orders in the event;
- **new** (`new`): exactly one paid order, i.e. their first order of this event.
Paid orders without a customer id cannot be tiered; their revenue shows as `unknown`.

ROI is 投产比: revenue ÷ budget. The cost ratio (费比) puts the commission and the team pool on
top of the budget: (budget + commission + pool) ÷ revenue.

The flash sales the review marks and the live sessions its chart spans are `warroom.schedule`'s.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from warroom import schema
from warroom.clock import at_minute
from warroom.config import EventConfig, ReviewSettings
from warroom.figures import Snapshot
from warroom.i18n import fmt_list, role_label, t
from warroom.leaderboards import Standing
from warroom.money import to_fen
from warroom.payouts import RoleEarnings, earnings_by_role
from warroom.prompt_state import LIFT_MINUTES, lift, lift_summary, prompt_contents
from warroom.prompt_text import pusher_label, rule_title, template_label
from warroom.prompts import title_and_reason
from warroom.schedule import FlashSale, flash_sales, live_sessions
from warroom.store import Store
from warroom.timeline import LiveAxis

TIERS = ("high_value", "repeat", "new")
UNKNOWN = "unknown"


@dataclass(frozen=True)
class TierRule:
    """What makes a buyer high value: a spend in fen, or a place in the top share of buyers by spend (`[review]`)."""

    high_value_fen: int = to_fen(ReviewSettings().high_value)
    top_share: Decimal = ReviewSettings().high_value_top_percent / 100

    @classmethod
    def from_config(cls, config: EventConfig) -> TierRule:
        """Return the event's rule, from its `[review]` section."""
        return cls(high_value_fen=to_fen(config.review.high_value), top_share=config.review.high_value_top_percent / 100)


# -- rows -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slice:
    """One row of a breakdown: a key, its label, and what it sold."""

    key: str
    label: str
    revenue_fen: int
    paid_orders: int
    refunded_orders: int = 0
    refunded_fen: int = 0
    buyers: int | None = None  # buyer tiers only
    detail: str = ""  # product: the sku; group: the owner's name; role: how many people sold
    joins: int | None = None  # groups only: join_group check-ins

    @property
    def aov_fen(self) -> Decimal:
        """Return the average order value."""
        return Decimal(self.revenue_fen) / self.paid_orders if self.paid_orders else Decimal(0)

    def share(self, total_fen: int) -> Decimal:
        """Return this row's share of a total revenue."""
        return Decimal(self.revenue_fen) / total_fen if total_fen else Decimal(0)


@dataclass(frozen=True)
class HourSlice:
    """Sales in one hour of event-local time."""

    hour: datetime  # naive, event-local, on the hour
    revenue_fen: int
    paid_orders: int
    refunded_orders: int


@dataclass(frozen=True)
class FunnelStep:
    """One stage of the funnel: joined a group → entered the live room → paid."""

    key: str  # joined, entered_live, paid
    customers: int
    of_previous: Decimal | None  # conversion from the stage before; None for the first
    of_first: Decimal | None


@dataclass(frozen=True)
class Roi:
    """Revenue against what the event cost."""

    budget_fen: int
    revenue_fen: int
    commission_fen: Decimal  # every member's commission
    pool_fen: Decimal  # the team pool, when unlocked

    @property
    def cost_fen(self) -> Decimal:
        """Return the budget plus commission and the team pool."""
        return self.budget_fen + self.commission_fen + self.pool_fen

    @property
    def roi(self) -> Decimal | None:
        """Return revenue ÷ budget (投产比); None without a budget."""
        return Decimal(self.revenue_fen) / self.budget_fen if self.budget_fen else None

    @property
    def cost_ratio(self) -> Decimal | None:
        """Return (budget + commission + pool) ÷ revenue (费比); None without revenue."""
        return self.cost_fen / self.revenue_fen if self.revenue_fen else None


@dataclass(frozen=True)
class FlashSaleResult:
    """What sold during one flash sale's window, and in the same length of time before it."""

    sale: FlashSale
    sku_orders: int
    sku_revenue_fen: int
    window_revenue_fen: int  # every product, during the window
    before_revenue_fen: int  # every product, the same number of minutes before

    @property
    def uplift(self) -> Decimal | None:
        """Return the window's revenue relative to the minutes before (0.5 = 50 % more); None without a before."""
        return Decimal(self.window_revenue_fen) / self.before_revenue_fen - 1 if self.before_revenue_fen else None


@dataclass(frozen=True)
class PushLiftRow:
    """What one acknowledged push did (see warroom.prompt_state.lift)."""

    pushed_at: datetime
    title: str  # the prompt's title as the operator page showed it, in the review's language
    rule: str
    kind: str
    template: str  # the message variant as people say it: 文案 A
    staff: str  # who pushed, by name (a lead's own push: 团队长)
    groups: str
    orders_before: int
    orders_after: int
    others_orders_before: int
    others_orders_after: int
    extra_orders: float
    extra_checkins: float
    complete: bool


@dataclass(frozen=True)
class LiftTotal:
    """Lift totalled by rule or by message template."""

    by: str  # rule or template
    key: str  # the rule's name or the template key (rule#index)
    pushes: int
    groups: int
    extra_orders: float
    extra_orders_per_group: float
    label: str = ""  # the prompt's title, with the message variant for a template ("推送晒单 · 文案 A")


@dataclass(frozen=True)
class Review:
    """Everything the review page shows and the review workbook holds."""

    event: str
    as_of: datetime
    timezone: str
    revenue_fen: int
    paid_orders: int
    buyers: int
    refunded_orders: int
    refunded_fen: int
    base_fen: int
    stretch_fen: int
    curve: list[tuple[datetime, int]]  # (end of an epoch minute, UTC; cumulative revenue), ascending
    hours: list[HourSlice]
    products: list[Slice]
    groups: list[Slice]
    roles: list[Slice]
    tiers: list[Slice]
    funnel: list[FunnelStep]
    roi: Roi
    flash_sales: list[FlashSaleResult]
    top_order_takers: list[Standing]
    pushes: list[PushLiftRow]
    lift_totals: list[LiftTotal] = field(default_factory=list)
    data_until: datetime | None = None  # the end of the newest minute of data, never after as_of (see `data_time`)
    role_earnings: list[RoleEarnings] = field(default_factory=list)  # every role that earned, commission and pool shares

    @property
    def data_time(self) -> datetime:
        """Return when the data ends: the newest minute with an order or a check-in, capped at the clock; as_of without one."""
        return self.data_until or self.as_of

    def progress(self, goal_fen: int) -> Decimal:
        """Return revenue as a fraction of a goal."""
        return Decimal(self.revenue_fen) / goal_fen if goal_fen else Decimal(0)


# -- the review ----------------------------------------------------------------------------------------


def _rollup_sums(conn) -> dict[str, dict[str, list[int]]]:
    """Return order totals (revenue, paid, refunded orders, refunded fen) per dimension and key."""
    rollup = schema.order_rollup
    query = (
        select(rollup.c.dimension, rollup.c.key, func.sum(rollup.c.revenue_fen), func.sum(rollup.c.paid_orders),
               func.sum(rollup.c.refunded_orders), func.sum(rollup.c.refunded_fen))
        .where(rollup.c.dimension.in_(("sku", "group", "staff")))
        .group_by(rollup.c.dimension, rollup.c.key)
    )
    sums: dict[str, dict[str, list[int]]] = defaultdict(dict)
    for dimension, key, revenue, paid, refunded, refunded_fen in conn.execute(query):
        sums[dimension][key] = [int(revenue), int(paid), int(refunded), int(refunded_fen)]
    return sums


def _minute_totals(conn, dimension: str = "total") -> dict[tuple[str, int], tuple[int, int, int]]:
    """Return (key, minute) → (revenue, paid orders, refunded orders) for one dimension."""
    rollup = schema.order_rollup
    query = (
        select(rollup.c.key, rollup.c.minute, func.sum(rollup.c.revenue_fen), func.sum(rollup.c.paid_orders), func.sum(rollup.c.refunded_orders))
        .where(rollup.c.dimension == dimension).group_by(rollup.c.key, rollup.c.minute)
    )
    return {(key, int(minute)): (int(revenue), int(paid), int(refunded)) for key, minute, revenue, paid, refunded in conn.execute(query)}


def by_hour(totals: dict[tuple[str, int], tuple[int, int, int]], config: EventConfig) -> list[HourSlice]:
    """Return sales per event-local hour, for the hours that had any."""
    hours: dict[datetime, list[int]] = defaultdict(lambda: [0, 0, 0])
    tz = config.event.tz
    for (_key, minute), values in totals.items():
        hour = at_minute(minute).astimezone(tz).replace(minute=0, second=0, microsecond=0, tzinfo=None)
        for index, value in enumerate(values):
            hours[hour][index] += value
    return [HourSlice(hour, *values) for hour, values in sorted(hours.items()) if any(values)]


def _sorted(slices: Iterable[Slice]) -> list[Slice]:
    # Unknowns (no sku, no group, no staff) go last whatever they sold.
    return sorted(slices, key=lambda row: (row.key == "", -row.revenue_fen, -row.paid_orders, row.key))


def by_product(sums: dict[str, list[int]], config: EventConfig, lang: str = "zh") -> list[Slice]:
    """Return sales per product, best first."""
    names = {product.sku: product.name for product in config.products}
    return _sorted(
        Slice(key=sku, label=names.get(sku, sku) if sku else t("rv_unknown_product", lang), revenue_fen=revenue, paid_orders=paid,
              refunded_orders=refunded, refunded_fen=refunded_fen, detail=sku)
        for sku, (revenue, paid, refunded, refunded_fen) in sums.items() if revenue or paid or refunded
    )


def by_group(sums: dict[str, list[int]], joins: dict[str, int], config: EventConfig, lang: str = "zh") -> list[Slice]:
    """Return sales and joins per group (every group in the event file, then any others), best first."""
    staff = {member.id: member.name for member in config.staff}
    owners = {group.id: staff.get(group.owner, group.owner) for group in config.groups}
    names = {group.id: group.name for group in config.groups}
    keys = [*names, *(key for key in sums if key not in names)]
    rows = []
    for key in keys:
        revenue, paid, refunded, refunded_fen = sums.get(key, [0, 0, 0, 0])
        if key not in names and not (revenue or paid or refunded):
            continue
        rows.append(Slice(key=key, label=names.get(key, key) if key else t("rv_no_group", lang), revenue_fen=revenue, paid_orders=paid,
                          refunded_orders=refunded, refunded_fen=refunded_fen, detail=owners.get(key, ""), joins=joins.get(key, 0)))
    return _sorted(rows)


def by_role(sums: dict[str, list[int]], config: EventConfig, lang: str = "zh") -> list[Slice]:
    """Return sales per role of the credited staff member (unattributed last), best first."""
    roles = {member.id: member.role for member in config.staff}
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    sellers: dict[str, int] = defaultdict(int)
    for staff_id, values in sums.items():
        role = roles.get(staff_id, UNKNOWN) if staff_id else ""
        for index, value in enumerate(values):
            totals[role][index] += value
        if staff_id and values[0] > 0:
            sellers[role] += 1
    return _sorted(
        Slice(key=role, label=role_label(role, lang), revenue_fen=revenue, paid_orders=paid, refunded_orders=refunded,
              refunded_fen=refunded_fen, detail=str(sellers.get(role, 0)))
        for role, (revenue, paid, refunded, refunded_fen) in totals.items() if revenue or paid or refunded
    )


def buyer_tier(orders: int, spent_fen: int, top_spender: bool, rule: TierRule = TierRule()) -> str:
    """Return a paying customer's tier: high_value, repeat or new (see the module's docstring)."""
    if spent_fen >= rule.high_value_fen or top_spender:
        return "high_value"
    return "repeat" if orders >= 2 else "new"


def by_tier(buyers: Sequence[tuple[int, int]], total_revenue_fen: int, total_orders: int, lang: str = "zh", rule: TierRule = TierRule()) -> list[Slice]:
    """Return sales per buyer tier from each paying customer's (paid orders, net spend); orders without a customer last."""
    ranked = sorted(buyers, key=lambda buyer: -buyer[1])
    top = math.ceil(len(ranked) * rule.top_share)
    # Everyone who spent as much as the last of the top share is in it too: ties are not split.
    cutoff = ranked[top - 1][1] if top else None
    sums: dict[str, list[int]] = {tier: [0, 0, 0] for tier in TIERS}
    for orders, spent in ranked:
        row = sums[buyer_tier(orders, spent, cutoff is not None and spent >= cutoff and spent > 0, rule)]
        row[0] += spent
        row[1] += orders
        row[2] += 1
    rows = [Slice(key=tier, label=t(f"rv_tier_{tier}", lang), revenue_fen=revenue, paid_orders=orders, buyers=count)
            for tier, (revenue, orders, count) in sums.items()]
    rest_revenue = total_revenue_fen - sum(row.revenue_fen for row in rows)
    rest_orders = total_orders - sum(row.paid_orders for row in rows)
    if rest_revenue or rest_orders:
        rows.append(Slice(key=UNKNOWN, label=t("rv_tier_unknown", lang), revenue_fen=rest_revenue, paid_orders=rest_orders, buyers=0))
    return rows


def funnel_steps(funnel: dict[str, int]) -> list[FunnelStep]:
    """Return the funnel joined → entered live → paid, with the conversion at each step."""
    steps, first, previous = [], None, None
    for key in ("joined", "entered_live", "paid"):
        customers = funnel.get(key, 0)
        steps.append(FunnelStep(
            key=key, customers=customers,
            of_previous=Decimal(customers) / previous if previous else None,
            of_first=Decimal(customers) / first if first else None,
        ))
        first = customers if first is None else first
        previous = customers
    return steps


def flash_sale_results(config: EventConfig, totals: dict[tuple[str, int], tuple[int, int, int]],
                       sku_minutes: dict[tuple[str, int], tuple[int, int, int]]) -> list[FlashSaleResult]:
    """Return what each flash sale's product sold in its window, and the revenue of every product in the window and before it."""
    total_by_minute: dict[int, int] = defaultdict(int)
    for (_key, minute), (revenue, _paid, _refunded) in totals.items():
        total_by_minute[minute] += revenue
    results = []
    for sale in flash_sales(config):
        start, end = int(sale.at.timestamp()) // 60, int(sale.end.timestamp()) // 60
        window = range(start, end)
        before = range(start - (end - start), start)
        results.append(FlashSaleResult(
            sale=sale,
            sku_orders=sum(sku_minutes.get((sale.sku, minute), (0, 0, 0))[1] for minute in window),
            sku_revenue_fen=sum(sku_minutes.get((sale.sku, minute), (0, 0, 0))[0] for minute in window),
            window_revenue_fen=sum(total_by_minute.get(minute, 0) for minute in window),
            before_revenue_fen=sum(total_by_minute.get(minute, 0) for minute in before),
        ))
    return results


def push_lifts(store: Store, config: EventConfig, at: datetime, minutes: int = LIFT_MINUTES, lang: str = "zh") -> tuple[list[PushLiftRow], list[LiftTotal]]:
    """Return each acknowledged push's lift and the totals by rule and template, named by the prompts' titles, never their rule ids."""
    staff = {member.id: member.name for member in config.staff}
    groups = {group.id: group.name for group in config.groups}
    lifts = lift(store, config, at=at, minutes=minutes)
    contents = prompt_contents(store, (item.push.prompt_key for item in lifts))

    def title(push) -> str:
        content = contents.get(push.prompt_key)
        return title_and_reason(content, lang)[0] if content is not None else rule_title(push.rule, push.kind, lang)

    rows = [
        PushLiftRow(
            pushed_at=item.push.pushed_at, title=title(item.push), rule=item.push.rule, kind=item.push.kind,
            template=template_label(item.push.template, lang), staff=pusher_label(item.push.staff_id, staff, lang),
            groups=fmt_list((groups.get(group, group) for group in item.push.groups), lang),
            orders_before=item.orders_before, orders_after=item.orders_after,
            others_orders_before=item.others_orders_before, others_orders_after=item.others_orders_after,
            extra_orders=item.extra_orders, extra_checkins=item.extra_checkins, complete=item.complete,
        )
        for item in lifts
    ]
    labels = {}
    for item in lifts:
        named = rule_title(item.push.rule, item.push.kind, lang)
        labels[("rule", item.push.rule)] = named
        labels[("template", item.push.template_key)] = f"{named} · {template_label(item.push.template, lang)}"
    totals = [
        LiftTotal(by=by, key=summary.key, pushes=summary.pushes, groups=summary.groups, extra_orders=summary.extra_orders,
                  extra_orders_per_group=summary.extra_orders_per_group, label=labels.get((by, summary.key), summary.key))
        for by in ("rule", "template")
        for summary in lift_summary(lifts, by=by, complete_only=False)
    ]
    return rows, totals


def _curve(totals: dict[tuple[str, int], tuple[int, int, int]]) -> list[tuple[datetime, int]]:
    running, points = 0, []
    by_minute: dict[int, int] = defaultdict(int)
    for (_key, minute), (revenue, _paid, _refunded) in totals.items():
        by_minute[minute] += revenue
    for minute in sorted(by_minute):
        if by_minute[minute]:
            running += by_minute[minute]
            points.append((at_minute(minute + 1), running))
    return points


def data_until(order_minutes: Iterable[int], checkin_minute: int | None, as_of: datetime, config: EventConfig) -> datetime:
    """Return when the data ends: the end of the newest minute with an order or a check-in, else the event's end, never after `as_of`.

    A review or a poster made the day after the show says when its figures stopped, not when it was made.
    """
    minutes = [*order_minutes, *([checkin_minute] if checkin_minute is not None else [])]
    return min(as_of, at_minute(max(minutes) + 1) if minutes else config.event.end)


def build_review(store: Store, config: EventConfig, snapshot: Snapshot, lang: str = "zh") -> Review:
    """Return the review of the event as of the snapshot, read from the rollups and the customers table."""
    customers, checkin_rollup = schema.customers, schema.checkin_rollup
    with store.reading() as conn:
        sums = _rollup_sums(conn)
        totals = _minute_totals(conn, "total")
        sku_minutes = _minute_totals(conn, "sku")
        buyers = [(int(orders), int(spent)) for orders, spent in conn.execute(
            select(customers.c.paid_orders, customers.c.paid_fen).where(customers.c.paid_orders > 0))]
        joins = {key: int(events) for key, events in conn.execute(
            select(checkin_rollup.c.key, func.sum(checkin_rollup.c.events))
            .where(checkin_rollup.c.kind == "join_group", checkin_rollup.c.dimension == "group").group_by(checkin_rollup.c.key))}
    lifted = push_lifts(store, config, snapshot.as_of, lang=lang)
    pool = snapshot.team_pool
    return Review(
        event=config.event.name, as_of=snapshot.as_of, timezone=config.event.timezone,
        revenue_fen=snapshot.revenue_fen, paid_orders=snapshot.paid_orders, buyers=snapshot.paying_customers,
        refunded_orders=snapshot.refunded_orders, refunded_fen=snapshot.refunded_fen,
        base_fen=snapshot.base_fen, stretch_fen=snapshot.stretch_fen,
        curve=_curve(totals), hours=by_hour(totals, config),
        products=by_product(sums.get("sku", {}), config, lang), groups=by_group(sums.get("group", {}), joins, config, lang),
        roles=by_role(sums.get("staff", {}), config, lang),
        tiers=by_tier(buyers, snapshot.revenue_fen, snapshot.paid_orders, lang, TierRule.from_config(config)),
        funnel=funnel_steps(snapshot.funnel),
        roi=Roi(budget_fen=to_fen(config.event.budget), revenue_fen=snapshot.revenue_fen,
                commission_fen=sum(snapshot.commission_fen.values(), Decimal(0)), pool_fen=pool.amount_fen if pool.unlocked else Decimal(0)),
        flash_sales=flash_sale_results(config, totals, sku_minutes),
        top_order_takers=[row for row in snapshot.leaderboards.get("order_taker", []) if row.value > 0][:3],
        pushes=lifted[0],
        lift_totals=lifted[1],
        data_until=snapshot.data_as_of,
        role_earnings=earnings_by_role(snapshot, config),
    )


def chart_span(config: EventConfig, moments: Sequence[datetime], as_of: datetime) -> tuple[datetime, datetime]:
    """Return the time axis of the revenue-over-time chart: from the first live session's start to the end of the last one
    held by `as_of` (the data's span when the event declares no sessions), never outside the event.

    `moments` are the curve's points, ascending. Sales before the first session show as the level the
    curve starts at; rows dated after the event (a late export, a clock set wrong) do not stretch the
    axis to the day the review is read.
    """
    sessions = live_sessions(config)
    earliest, latest = min(config.event.start, sessions[0].start), max(config.event.end, sessions[-1].end)
    inside = [moment for moment in moments if earliest <= moment <= latest]
    first_data, last_data = (inside[0] - timedelta(minutes=1), inside[-1]) if inside else (None, None)
    if config.sessions:
        start = sessions[0].start
        end = max([sessions[0].end, *(session.end for session in sessions if session.start <= as_of), *([last_data] if last_data else [])])
    else:
        start = first_data or earliest
        end = last_data or as_of
    start = min(max(start, earliest), latest)
    end = min(max(end, start), latest)
    # Never a sliver: an hour at least, when the event has it.
    return start, max(end, min(start + timedelta(hours=1), latest))


def live_x(config: EventConfig, moments: Sequence[datetime]) -> list[float]:
    """Return each moment as minutes of live time since the first session began (time between sessions cut out: warroom.timeline)."""
    axis = LiveAxis.of(live_sessions(config), config.event.tz)
    return [axis.x(moment) for moment in moments]
