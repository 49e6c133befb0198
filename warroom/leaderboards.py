"""The leaderboards: which metric ranks each role, the ranked rows with their movement, and the teams.

`warroom.figures` folds the rollups (`FoldedTotals`) and calls `leaderboards` and `teams` for each snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol

from warroom.clock import minute_of
from warroom.config import ROLES, EventConfig
from warroom.store.keys import ORDER_SUMS, PUSHES_COUNTER

REVENUE, PAID_ORDERS = ORDER_SUMS.index("revenue_fen"), ORDER_SUMS.index("paid_orders")
CheckinCell = tuple[str, str, str]  # (kind, dimension, key)

# The metrics each role can be ranked by; the first is the default (SPEC §4), the event file's
# [[leaderboards]] may pick another. A role not listed here is ranked like order_taker.
ROLE_METRICS: dict[str, tuple[str, ...]] = {
    "order_taker": ("revenue", "orders", "invites", "conversion"),
    "community": ("revenue", "joins"),
    "host": ("revenue", "gpm"),
    "hype": ("activity", "shares", "check_ins", "pushes"),
}
MONEY_METRICS = {"revenue", "gpm"}
# Buyers per inviter are kept as a running count, not per minute, so conversion has no history
# to compare with: its rows carry no movement.
NO_HISTORY_METRICS = {"conversion", "pushes"}


def competition_ranks(values: list) -> list[int]:
    """Return ranks for values sorted descending: ties share a rank and the next skips (1, 2, 2, 4)."""
    ranks, previous = [], object()
    for position, value in enumerate(values, start=1):
        ranks.append(ranks[-1] if value == previous else position)
        previous = value
    return ranks


def role_metrics(role: str) -> tuple[str, ...]:
    """Return the metrics a role can be ranked by, the default first."""
    return ROLE_METRICS.get(role, ROLE_METRICS["order_taker"])


@dataclass(frozen=True)
class Standing:
    """One row of a leaderboard."""

    rank: int
    staff_id: str
    name: str
    team: str | None
    metric: str
    value: int | Decimal  # fen for money metrics, a count or a ratio otherwise
    movement: int | None = None  # places climbed since the rank window began (negative: fell); None when unknown


@dataclass(frozen=True)
class TeamTotal:
    """One team's credited sales, ranked by revenue."""

    rank: int
    team: str
    members: tuple[str, ...]
    revenue_fen: int
    paid_orders: int
    commission_fen: Decimal


class FoldedTotals(Protocol):
    """What the leaderboards read of the figures' folded totals (warroom.figures)."""

    by_minute: dict[int, list[int]]  # minute → order sums in ORDER_SUMS order
    checkin_by_key: dict[CheckinCell, int]
    checkin_by_minute: dict[tuple[str, int], int]
    counters: dict[str, int]

    def rolled_back(self, sums: dict[str, dict[str, list[int]]], before_minute: int) -> tuple[dict[str, dict[str, list[int]]], dict[CheckinCell, int]]:
        """Return the sums and check-in counts as they stood before `before_minute`."""


def leaderboard_metric(config: EventConfig, role: str) -> str:
    """Return the metric that ranks a role: the event file's choice when the role knows it, else the role's default."""
    chosen = {board.role: board.metric for board in config.leaderboards}.get(role)
    return chosen if chosen in role_metrics(role) else role_metrics(role)[0]


def ranked_roles(config: EventConfig) -> list[str]:
    """Return the roles that get a leaderboard: those with members and a metric (by default or from the event file)."""
    staffed = {member.role for member in config.staff}
    chosen = {board.role for board in config.leaderboards}
    return [role for role in ROLES if role in staffed and (role in ROLE_METRICS or role in chosen)]


def _on_air_minutes(config: EventConfig) -> dict[str, list[int]]:
    on_air: dict[str, list[int]] = {}
    for session in config.sessions:
        for slot in session.slots:
            on_air.setdefault(slot.host, []).extend(range(minute_of(slot.start), minute_of(slot.end)))
    return on_air


def _metric_values(config: EventConfig, role: str, metric: str, sums: dict[str, dict[str, list[int]]], checkins: dict[CheckinCell, int],
                   totals: FoldedTotals, before_minute: int | None = None) -> dict[str, int | Decimal]:
    """Return each member's value of one metric, from totals (rolled back to `before_minute` when given)."""
    members = [member.id for member in config.staff if member.role == role]
    staff_totals, group_totals = sums.get("staff", {}), sums.get("group", {})

    def checkins_by_staff(*kinds: str) -> dict[str, int]:
        return {m: sum(checkins.get((kind, "staff", m), 0) for kind in kinds) for m in members}

    if role == "community":
        owned: dict[str, list[str]] = {}
        for group in config.groups:
            owned.setdefault(group.owner, []).append(group.id)
        if metric == "joins":
            return {m: sum(checkins.get(("join_group", "group", g), 0) for g in owned.get(m, ())) for m in members}
        return {m: sum(group_totals[g][REVENUE] for g in owned.get(m, ()) if g in group_totals) for m in members}
    if role == "host":
        on_air = _on_air_minutes(config)
        if before_minute is not None:
            on_air = {host: [x for x in minutes if x < before_minute] for host, minutes in on_air.items()}
        revenue = {m: sum(totals.by_minute[x][REVENUE] for x in on_air.get(m, ()) if x in totals.by_minute) for m in members}
        if metric == "gpm":
            entries = {m: sum(totals.checkin_by_minute.get(("enter_live", x), 0) for x in on_air.get(m, ())) for m in members}
            return {m: (Decimal(revenue[m]) * 1000 / entries[m]) if entries[m] else Decimal(0) for m in members}
        return revenue
    if role == "hype" and metric == "pushes":
        return {m: totals.counters.get(PUSHES_COUNTER.format(m), 0) for m in members}
    if role == "hype":
        kinds = {"activity": ("share", "check_in"), "shares": ("share",), "check_ins": ("check_in",)}[metric]
        return checkins_by_staff(*kinds)
    # order_taker and every other role: credited sales
    if metric == "orders":
        return {m: staff_totals[m][PAID_ORDERS] if m in staff_totals else 0 for m in members}
    if metric == "invites":
        return checkins_by_staff("invite")
    if metric == "conversion":
        invited = checkins_by_staff("invite")
        buyers = {m: totals.counters.get(f"buyers:{m}", 0) for m in members}
        return {m: Decimal(buyers[m]) / invited[m] if invited[m] else Decimal(0) for m in members}
    return {m: staff_totals[m][REVENUE] if m in staff_totals else 0 for m in members}


def _ranked(values: dict[str, int | Decimal]) -> list[tuple[int, str, int | Decimal]]:
    """Return (rank, staff id, value), best first; ties share a rank and are listed by staff id."""
    ordered = sorted(values.items(), key=lambda item: (-item[1], item[0]))
    return [(rank, sid, value) for rank, (sid, value) in zip(competition_ranks([v for _, v in ordered]), ordered, strict=True)]


def leaderboards(config: EventConfig, totals: FoldedTotals, sums: dict[str, dict[str, list[int]]], now: datetime, rank_window: timedelta) -> dict[str, list[Standing]]:
    """Return each ranked role's leaderboard, with each member's movement since `rank_window` ago."""
    staff = config.staff_by_id()
    before_minute = minute_of(now - rank_window)
    past: tuple[dict[str, dict[str, list[int]]], dict[CheckinCell, int]] | None = None
    boards: dict[str, list[Standing]] = {}
    for role in ranked_roles(config):
        metric = leaderboard_metric(config, role)
        ranked = _ranked(_metric_values(config, role, metric, sums, totals.checkin_by_key, totals))
        past_ranks: dict[str, int] = {}
        if metric not in NO_HISTORY_METRICS:
            if past is None:
                past = totals.rolled_back(sums, before_minute)
            past_ranks = {sid: rank for rank, sid, _ in _ranked(_metric_values(config, role, metric, *past, totals, before_minute))}
        boards[role] = [
            Standing(rank=rank, staff_id=sid, name=staff[sid].name, team=staff[sid].team, metric=metric, value=value,
                     movement=past_ranks[sid] - rank if sid in past_ranks else None)
            for rank, sid, value in ranked
        ]
    return boards


def teams(config: EventConfig, staff_totals: dict[str, list[int]], commission: dict[str, Decimal]) -> list[TeamTotal]:
    """Return the teams ranked by their members' credited revenue."""
    members: dict[str, list[str]] = {}
    for member in config.staff:
        if member.team:
            members.setdefault(member.team, []).append(member.id)
    rows = []
    for team, ids in members.items():
        revenue = sum(staff_totals[sid][REVENUE] for sid in ids if sid in staff_totals)
        orders = sum(staff_totals[sid][PAID_ORDERS] for sid in ids if sid in staff_totals)
        rows.append((team, tuple(ids), revenue, orders, sum((commission.get(sid, Decimal(0)) for sid in ids), Decimal(0))))
    rows.sort(key=lambda row: (-row[2], row[0]))
    ranks = competition_ranks([row[2] for row in rows])
    return [TeamTotal(rank, team, ids, revenue, orders, earned) for rank, (team, ids, revenue, orders, earned) in zip(ranks, rows, strict=True)]
