"""Planning backwards (倒推): the next event's goal worked back from an earlier event's figures (SPEC §7 `plan`).

The 520 campaign was planned this way: a base goal of ¥1M at the last event's AOV of about ¥1,000
meant 1,000 paying customers; at the last event's rate of group members who paid, that meant
filling the groups with 1,500 people; over the days of inviting before the event, that meant each
order-taker inviting about 100 people a day.

    payers_needed   = ⌈base goal ÷ earlier AOV⌉                   (AOV = revenue ÷ paid orders)
    members_needed  = ⌈payers_needed ÷ earlier payer_rate⌉        (payer_rate = paying customers ÷ customers who joined a group)
    entrants_needed = ⌈payers_needed ÷ earlier conversion⌉        (conversion = live-room entrants who paid ÷ entrants)

Every ceiling is taken on the exact ratio (integer fen and counts, as fractions), never on a
rounded one; the output rounds the rates to 4 decimals. A ratio that the earlier event cannot give
(no orders, no joins, no payers, no entrants) makes what depends on it None, with one line saying why.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from warroom.compare import CampaignFigures
from warroom.config import EventConfig
from warroom.money import to_fen, to_yuan


def _ceil(value: Fraction) -> int:
    """Return the smallest integer at least `value`."""
    return -(-value.numerator // value.denominator)


@dataclass(frozen=True)
class PlanFigures:
    """What the new event needs, worked back from the earlier event's ratios; None where the earlier event cannot say."""

    base_fen: int
    aov: Fraction | None  # fen per paid order
    payer_rate: Fraction | None
    conversion: Fraction | None
    payers_needed: int | None
    members_needed: int | None
    entrants_needed: int | None
    problems: tuple[str, ...]  # one line for each figure left None, saying why (keys of warroom/strings.toml: plan_no_*)


def plan_figures(base_fen: int, revenue_fen: int, orders: int, paying_customers: int, joined: int, entrants: int, entrants_paying: int) -> PlanFigures:
    """Return the SPEC §7 plan from a base goal and the earlier event's counts, with exact ratios and ceilings."""
    problems = []
    aov = Fraction(revenue_fen, orders) if orders and revenue_fen > 0 else None
    payer_rate = Fraction(paying_customers, joined) if joined else None
    conversion = Fraction(entrants_paying, entrants) if entrants else None
    payers = _ceil(Fraction(base_fen) / aov) if aov is not None else None
    if aov is None:
        problems.append("plan_no_aov")
    members = entrants_needed = None
    if not payer_rate:
        problems.append("plan_no_joins" if payer_rate is None else "plan_no_payers")
    elif payers is not None:
        members = _ceil(payers / payer_rate)
    if not conversion:
        problems.append("plan_no_entrants" if conversion is None else "plan_no_live_payers")
    elif payers is not None:
        entrants_needed = _ceil(payers / conversion)
    return PlanFigures(base_fen, aov, payer_rate, conversion, payers, members, entrants_needed, tuple(problems))


@dataclass(frozen=True)
class Plan:
    """The new event's plan from an earlier event: the figures, and what they mean for each order-taker."""

    event: str
    earlier: str
    figures: PlanFigures
    order_takers: int
    invite_days: int

    @property
    def invites_each(self) -> int | None:
        """Return the group members each order-taker must bring in, rounded up; None without a need or order-takers."""
        if self.figures.members_needed is None or not self.order_takers:
            return None
        return _ceil(Fraction(self.figures.members_needed, self.order_takers))

    @property
    def invites_each_a_day(self) -> int | None:
        """Return the invites each order-taker needs a day over `[plan] invite_days`, rounded up."""
        if self.figures.members_needed is None or not self.order_takers:
            return None
        return _ceil(Fraction(self.figures.members_needed, self.order_takers * self.invite_days))


def plan_from(config: EventConfig, earlier: CampaignFigures) -> Plan:
    """Return the plan of the event `config` describes, worked back from the earlier event's figures."""
    figures = plan_figures(to_fen(config.goals.base), earlier.revenue_fen, earlier.orders, earlier.paying_customers,
                           earlier.joined, earlier.entrants, earlier.entrants_paying)
    order_takers = sum(1 for member in config.staff if member.role == "order_taker")
    return Plan(event=config.event.name, earlier=earlier.label, figures=figures, order_takers=order_takers, invite_days=config.plan.invite_days)


def _rate(value: Fraction | None) -> float | None:
    if value is None:
        return None
    return float((Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


def plan_json(plan: Plan) -> dict:
    """Return `warroom plan --json` (SPEC §7): the needs, and the earlier event's ratios they come from (rates to 4 decimals)."""
    figures = plan.figures
    aov = figures.aov
    return {
        "payers_needed": figures.payers_needed,
        "members_needed": figures.members_needed,
        "entrants_needed": figures.entrants_needed,
        "from": {
            "aov": to_yuan(Decimal(aov.numerator) / Decimal(aov.denominator)) if aov is not None else None,
            "payer_rate": _rate(figures.payer_rate),
            "conversion": _rate(figures.conversion),
        },
    }


@dataclass(frozen=True)
class TakerProgress:
    """One order-taker's invites so far against what the plan asks of each."""

    staff_id: str
    name: str
    invited: int
    needed: int | None


@dataclass(frozen=True)
class Membership:
    """The groups as they fill before the event, against the members the plan needs."""

    joined: int
    needed: int | None
    takers: tuple[TakerProgress, ...]

    @property
    def share(self) -> Decimal | None:
        """Return the members so far as a share of those needed (capped at 1 for a progress bar); None without a need."""
        if not self.needed:
            return None
        return min(Decimal(self.joined) / self.needed, Decimal(1))


def membership(plan: Plan, config: EventConfig, joined: int, invites_by_staff: dict[str, int]) -> Membership:
    """Return the current group membership (customers who joined a group) and each order-taker's invites, against the plan."""
    takers = tuple(
        TakerProgress(member.id, member.name, invites_by_staff.get(member.id, 0), plan.invites_each)
        for member in config.staff if member.role == "order_taker"
    )
    return Membership(joined=joined, needed=plan.figures.members_needed, takers=takers)
