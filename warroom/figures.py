"""The live figures: an incremental read model over the store's rollups.

`LiveFigures.refresh()` reads only the rollup rows whose seq is newer than the last one it saw
(the store bumps a row's seq whenever ingest changes it), folds them into in-memory totals,
and returns a `Snapshot`. A refresh therefore costs what changed since the last one plus the
staff and the minutes of the event, never a re-read of the order table. The tests build the same
snapshot from a full read (`tests/figures_helpers.recompute`) and hold the two equal; `bench/figures.py`
times both.

What the snapshot holds, in short:
- revenue net of refunds (SPEC §4), against the base and stretch goals;
- the pace over the live sessions (`[[sessions]]`, else the whole event as one session): the
  run-rate over the last 10 minutes of live time against the 10 before, a projected finish (the
  plan blended with the live average) inside its band, the minutes left of the session on air,
  and the run-rate needed for each goal (`warroom.pace.pace_at`,
  a pure function of the sessions, the revenue by minute and the time, is the one pace formula:
  other modules call it rather than copy it);
- buyers against the number needed, AOV and the funnel (joined → entered live → paid);
- the live room (SPEC §4.1: viewers, entries, GPM, conversion) and its viewers by minute
  (`warroom.live_room`), and `data_as_of`, when the store's data ends, which every page prints;
- a leaderboard per role, ranked by the role's metric (`warroom.leaderboards`: `ROLE_METRICS`, or
  the event file's `[[leaderboards]]`), ties sharing a rank (1, 2, 2, 4), with each row's movement
  since `rank_window` ago, and team totals when staff have a `team`;
- commission, the team pool and payouts (see `warroom.commission`).
"""

from __future__ import annotations

import math
import threading
from bisect import bisect_left, insort
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Connection, func, literal, select, union_all

from warroom import schema
from warroom.clock import Clock, SystemClock, minute_of
from warroom.commission import TeamPool, commission_by_staff, commission_status, team_pool
from warroom.config import EventConfig
from warroom.leaderboards import MONEY_METRICS, Standing, TeamTotal, leaderboards, teams
from warroom.live_room import LiveRoom, data_as_of, live_json, live_room, viewers_by_minute
from warroom.money import to_fen, to_yuan
from warroom.pace import Pace, pace_at
from warroom.schedule import live_sessions
from warroom.store import Store
from warroom.store.keys import LIVE_BUYERS_COUNTER, ORDER_SUMS, REVENUE_PEAK_COUNTER

__all__ = [
    "COUNTED_KINDS", "RANK_WINDOW", "LiveFigures", "Snapshot", "TeamPool", "Totals", "build_snapshot", "quarantine_counts", "stats_json",
]

# Positions in a folded list of order sums (ORDER_SUMS order).
REVENUE, PAID_ORDERS, REFUNDED_ORDERS, REFUNDED_FEN, CANCELLED_ORDERS = range(len(ORDER_SUMS))
COUNTED_KINDS = ("join_group", "enter_live", "check_in", "invite", "share")
# Rank movement compares the ranking now with the ranking this long ago.
RANK_WINDOW = timedelta(minutes=15)

@dataclass(frozen=True)
class Snapshot:
    """Every figure the screens and `warroom stats` show, at one moment."""

    event: str
    as_of: datetime
    seq: int
    revenue_fen: int
    paid_orders: int
    paying_customers: int
    refunded_orders: int
    refunded_fen: int
    cancelled_orders: int
    base_fen: int
    stretch_fen: int
    buyers_needed: int | None  # the event file's goal, else estimated from the base goal and revenue per buyer
    checkins: dict[str, int]
    live: LiveRoom  # the live room (SPEC §4.1)
    viewers_by_minute: list[tuple[int, int]]  # (epoch minute, latest viewers snapshot that minute), ascending, up to now
    data_as_of: datetime  # when the store's data ends: its newest minute with an order or a check-in, never after as_of
    funnel: dict[str, int]
    quarantined: int  # records in quarantine: rows set aside, and the repair notes of rows that count
    repaired: int  # of those, rows that count, noted because their control characters were removed (SPEC §5)
    revenue_by_minute: list[tuple[int, int]]  # (epoch minute, revenue that minute), ascending; shared between snapshots: read, never write
    staff_revenue_by_minute: dict[str, dict[int, int]]  # shared between snapshots until it changes: read, never write
    leaderboards: dict[str, list[Standing]]
    commission_fen: dict[str, Decimal]
    team_pool: TeamPool
    pace: Pace
    sku_revenue_fen: dict[str, int] = field(default_factory=dict)
    group_revenue_fen: dict[str, int] = field(default_factory=dict)
    staff_band_revenue_fen: dict[str, tuple[int, ...]] = field(default_factory=dict)  # credited revenue per commission band
    staff_paid_orders: dict[str, int] = field(default_factory=dict)
    teams: list[TeamTotal] = field(default_factory=list)
    paid_out_fen: dict[str, int] = field(default_factory=dict)
    revenue_peak_fen: int = 0
    commission_status: str = "pending"  # final once the refund window after the event has passed
    refund_deadline: datetime | None = None
    buyers_needed_estimated: bool = False
    rank_window_minutes: int = int(RANK_WINDOW.total_seconds() // 60)

    @property
    def aov_fen(self) -> Decimal:
        """Return the average order value."""
        return Decimal(self.revenue_fen) / self.paid_orders if self.paid_orders else Decimal(0)

    def progress(self, goal_fen: int) -> Decimal:
        """Return revenue as a fraction of a goal."""
        return Decimal(self.revenue_fen) / goal_fen if goal_fen else Decimal(0)


# -- the folded totals ------------------------------------------------------------------------------

OrderCell = tuple[str, str, int]  # (dimension, key, band)
CheckinCell = tuple[str, str, str]  # (kind, dimension, key)
_RANKED_DIMENSIONS = ("staff", "group")  # the order dimensions that leaderboards read


def add_into(target: list[int], values: Sequence[int], sign: int) -> None:
    """Add `sign × values` to `target`, position by position, in place."""
    for index, value in enumerate(values):
        target[index] += sign * value


class Totals:
    """The folded rollups a snapshot is computed from, kept per minute and summed over minutes."""

    def __init__(self) -> None:
        self.cells: dict[int, dict[OrderCell, list[int]]] = {}
        self.checkin_cells: dict[int, dict[CheckinCell, int]] = {}
        self.minutes: list[int] = []  # every minute that holds a cell, ascending
        self.by_key: dict[OrderCell, list[int]] = {}
        self.by_minute: dict[int, list[int]] = {}
        self.staff_minute: dict[str, dict[int, int]] = {}
        self.checkin_by_key: dict[CheckinCell, int] = {}
        self.checkin_by_minute: dict[tuple[str, int], int] = {}
        self.viewers: dict[int, tuple[int | None, int | None, int | None]] = {}
        self.counters: dict[str, int] = {}
        self.paid_out: dict[str, int] = {}
        self.quarantined = 0
        self.repaired = 0
        # Snapshots share the per-staff minute series; a series is copied before it next changes.
        self._shared_series: set[str] = set()
        self._minute_series: list[tuple[int, int]] = []
        self._changed_minutes: set[int] = set()
        # The last `rolled_back` answer, (before_minute, staff and group sums, check-in totals): it
        # holds until a cell before that minute changes (live rows land in the last few minutes).
        self._past: tuple[int, dict[str, dict[str, list[int]]], dict[CheckinCell, int]] | None = None

    def _note_minute(self, minute: int) -> None:
        if minute not in self.cells and minute not in self.checkin_cells:
            insort(self.minutes, minute)

    def add_order_cell(self, dimension: str, key: str, minute: int, band: int, values: Sequence[int], sign: int = 1) -> None:
        """Add `sign × values` to one rollup cell and to every total summed from it."""
        cell_key = (dimension, key, band)
        if self._past is not None and minute < self._past[0]:
            self._past = None
        row = self.cells.get(minute)
        if row is None:
            self._note_minute(minute)
            row = self.cells[minute] = {}
        for target, index in ((row, cell_key), (self.by_key, cell_key)):
            bucket = target.get(index)
            if bucket is None:
                bucket = target[index] = [0] * 5
            add_into(bucket, values, sign)
            if not any(bucket):
                del target[index]
        if dimension == "total":
            bucket = self.by_minute.setdefault(minute, [0] * 5)
            add_into(bucket, values, sign)
            if not any(bucket):
                del self.by_minute[minute]
            self._changed_minutes.add(minute)
        elif dimension == "staff" and values[REVENUE]:
            series = self.staff_minute.get(key)
            if series is None:
                series = self.staff_minute[key] = {}
            elif key in self._shared_series:
                series = self.staff_minute[key] = dict(series)
                self._shared_series.discard(key)
            value = series.get(minute, 0) + sign * values[REVENUE]
            if value:
                series[minute] = value
            else:
                series.pop(minute, None)

    def set_order_cell(self, dimension: str, key: str, minute: int, band: int, values: Sequence[int]) -> None:
        """Replace one rollup cell by its stored values."""
        previous = self.cells.get(minute, {}).get((dimension, key, band))
        delta = [new - old for new, old in zip(values, previous, strict=True)] if previous else list(values)
        if any(delta):
            self.add_order_cell(dimension, key, minute, band, delta)

    def add_checkin_cell(self, kind: str, dimension: str, key: str, minute: int, events: int) -> None:
        """Add events to one check-in cell and to every total summed from it."""
        if self._past is not None and minute < self._past[0]:
            self._past = None
        row = self.checkin_cells.get(minute)
        if row is None:
            self._note_minute(minute)
            row = self.checkin_cells[minute] = {}
        cell_key = (kind, dimension, key)
        for target, index in ((row, cell_key), (self.checkin_by_key, cell_key)):
            value = target.get(index, 0) + events
            if value:
                target[index] = value
            else:
                target.pop(index, None)
        if dimension == "total":
            value = self.checkin_by_minute.get((kind, minute), 0) + events
            if value:
                self.checkin_by_minute[(kind, minute)] = value
            else:
                self.checkin_by_minute.pop((kind, minute), None)

    def set_checkin_cell(self, kind: str, dimension: str, key: str, minute: int, events: int) -> None:
        """Replace one check-in cell by its stored count."""
        previous = self.checkin_cells.get(minute, {}).get((kind, dimension, key), 0)
        if events != previous:
            self.add_checkin_cell(kind, dimension, key, minute, events - previous)

    def latest_minute(self) -> int | None:
        """Return the newest minute that holds an order or a check-in, or None."""
        minutes, cells, checkin_cells = self.minutes, self.cells, self.checkin_cells
        # A minute stays listed once its cells cancel out (rare): skip those from the end.
        for minute in reversed(minutes):
            if cells.get(minute) or checkin_cells.get(minute):
                return minute
        return None

    def minute_series(self) -> list[tuple[int, int]]:
        """Return (minute, revenue) for every minute with revenue, ascending; a new list only after a change."""
        changed, by_minute = self._changed_minutes, self.by_minute
        if not changed:
            return self._minute_series
        if len(changed) * 8 > len(self._minute_series):
            series = sorted((minute, values[REVENUE]) for minute, values in by_minute.items() if values[REVENUE])
        else:
            # A published list is never changed: patch a copy at the few minutes that moved.
            series = list(self._minute_series)
            for minute in changed:
                index = bisect_left(series, (minute,))
                present = index < len(series) and series[index][0] == minute
                revenue = by_minute[minute][REVENUE] if minute in by_minute else 0
                if revenue and present:
                    series[index] = (minute, revenue)
                elif revenue:
                    series.insert(index, (minute, revenue))
                elif present:
                    del series[index]
        self._minute_series = series
        changed.clear()
        return series

    def staff_series(self) -> dict[str, dict[int, int]]:
        """Return each staff member's revenue by minute, shared with earlier snapshots until it changes."""
        self._shared_series = set(self.staff_minute)
        return {key: series for key, series in self.staff_minute.items() if series}

    def rolled_back(self, sums: dict[str, dict[str, list[int]]], before_minute: int) -> tuple[dict[str, dict[str, list[int]]], dict[CheckinCell, int]]:
        """Return the staff and group sums and the check-in totals without the cells of `before_minute` and later.

        The answer is kept until `before_minute` moves or a cell before it changes; callers only read it.
        """
        if self._past is not None and self._past[0] == before_minute:
            return self._past[1], self._past[2]
        past = {dimension: {key: list(values) for key, values in sums.get(dimension, {}).items()} for dimension in _RANKED_DIMENSIONS}
        checkins = dict(self.checkin_by_key)
        for minute in self.minutes[bisect_left(self.minutes, before_minute):]:
            for (dimension, key, _band), values in self.cells.get(minute, {}).items():
                if dimension in past:
                    # Leaderboards read revenue and paid orders only.
                    bucket = past[dimension].setdefault(key, [0] * 5)
                    bucket[REVENUE] -= values[REVENUE]
                    bucket[PAID_ORDERS] -= values[PAID_ORDERS]
            for key, events in self.checkin_cells.get(minute, {}).items():
                checkins[key] = checkins.get(key, 0) - events
        self._past = (before_minute, past, checkins)
        return past, checkins


class LiveFigures:
    """The incremental read model of one event; thread-safe, one per process is enough."""

    def __init__(self, store: Store, config: EventConfig, clock: Clock | None = None, *, rank_window: timedelta = RANK_WINDOW):
        self.store = store
        self.config = config
        self.clock = clock or SystemClock()
        self.rank_window = rank_window
        self._lock = threading.Lock()
        self._seq = -1
        self._totals = Totals()

    def refresh(self, now: datetime | None = None) -> Snapshot:
        """Fold in what changed since the last refresh and return the figures at `now`."""
        with self._lock:
            with self.store.reading() as conn:
                self._catch_up(conn)
            if LIVE_BUYERS_COUNTER not in self._totals.counters:
                # A store made before the ledger kept this counter, opened read-only (a writer counts it once when it opens).
                self._totals.counters[LIVE_BUYERS_COUNTER] = self.store.live_buyers()
            return build_snapshot(self.config, self._totals, self._seq, now or self.clock.now(), rank_window=self.rank_window)

    def _catch_up(self, conn: Connection) -> None:
        totals = self._totals
        # Releasing quarantined rows takes no seq, so the (small) quarantine is counted every time,
        # in the same round trip as the seq.
        quarantined, repaired = quarantine_counts()
        seq, totals.quarantined, totals.repaired = conn.execute(select(schema.meta.c.value, quarantined, repaired).where(schema.meta.c.key == "seq")).one()
        if seq == self._seq:
            return
        since = self._seq
        rollup = schema.order_rollup
        # A closed seq range: without fresh statistics (a bulk load that autovacuum has not yet
        # analysed) PostgreSQL guesses that `seq > x` matches a third of the table and scans it all.
        columns = (rollup.c.dimension, rollup.c.key, rollup.c.minute, rollup.c.band, *(rollup.c[name] for name in ORDER_SUMS))
        for dimension, key, minute, band, *values in conn.execute(select(*columns).where(rollup.c.seq.between(since + 1, seq))):
            totals.set_order_cell(dimension, key, minute, band, values)
        table = schema.checkin_rollup
        columns = (table.c.kind, table.c.dimension, table.c.key, table.c.minute, table.c.events, table.c.value_max, table.c.value_last, table.c.value_last_ts)
        for kind, dimension, key, minute, events, value_max, value_last, value_last_ts in conn.execute(select(*columns).where(table.c.seq.between(since + 1, seq))):
            totals.set_checkin_cell(kind, dimension, key, minute, events)
            if kind == "viewers" and dimension == "total":
                totals.viewers[minute] = (value_max, value_last, value_last_ts)
        counters, payouts = schema.counters, schema.payouts
        small = union_all(
            select(literal("counter"), counters.c.name, counters.c.value).where(counters.c.seq.between(since + 1, seq)),
            select(literal("payout"), payouts.c.staff_id, payouts.c.amount_fen).where(payouts.c.seq.between(since + 1, seq)),
        )
        for source, name, value in conn.execute(small):
            if source == "counter":
                totals.counters[name] = value
            else:
                totals.paid_out[name] = totals.paid_out.get(name, 0) + value
        self._seq = seq


def quarantine_counts() -> tuple:
    """Return scalar subqueries of the records in quarantine and of the repair notes among them."""
    table = schema.quarantine
    return (select(func.count()).select_from(table).scalar_subquery(),
            select(func.count()).where(table.c.repaired.is_(True)).scalar_subquery())


# -- pace --------------------------------------------------------------------------------------------


class _MinuteRevenue(Mapping[int, int]):
    """A read-only view of the folded totals as revenue per epoch minute."""

    def __init__(self, by_minute: dict[int, list[int]]) -> None:
        self._by_minute = by_minute

    def __getitem__(self, minute: int) -> int:
        return self._by_minute[minute][REVENUE]

    def get(self, minute: int, default: int = 0) -> int:  # type: ignore[override]
        values = self._by_minute.get(minute)
        return values[REVENUE] if values is not None else default

    def __iter__(self):
        return iter(self._by_minute)

    def __len__(self) -> int:
        return len(self._by_minute)


def _pace(config: EventConfig, totals: Totals, revenue_fen: int, base_fen: int, stretch_fen: int, now: datetime) -> Pace:
    return pace_at(live_sessions(config), _MinuteRevenue(totals.by_minute), revenue_fen, base_fen, stretch_fen, now)


# -- leaderboards ------------------------------------------------------------------------------------


def _by_dimension(by_key: dict[OrderCell, list[int]]) -> dict[str, dict[str, list[int]]]:
    """Return the order totals summed over bands, per dimension and key."""
    summed: dict[str, dict[str, list[int]]] = {}
    for (dimension, key, _band), values in by_key.items():
        bucket = summed.setdefault(dimension, {}).get(key)
        if bucket is None:
            bucket = summed[dimension][key] = [0] * 5
        add_into(bucket, values, 1)
    return summed


# -- from folded totals to a snapshot --------------------------------------------------------------


def build_snapshot(config: EventConfig, totals: Totals, seq: int, now: datetime, *, rank_window: timedelta = RANK_WINDOW) -> Snapshot:
    """Return the snapshot of folded totals at `now`."""
    sums = _by_dimension(totals.by_key)
    revenue_fen, paid_orders, refunded_orders, refunded_fen, cancelled_orders = sums.get("total", {}).get("", [0] * 5)
    base_fen, stretch_fen = to_fen(config.goals.base), to_fen(config.goals.stretch)
    staff_totals = sums.get("staff", {})
    known = config.staff_by_id()
    bands = len(config.commission.bands)
    band_revenue: dict[str, list[int]] = {}
    for (dimension, key, band), values in totals.by_key.items():
        if dimension == "staff" and key in known:
            band_revenue.setdefault(key, [0] * bands)[min(band, bands - 1)] += values[REVENUE]
    staff_band_revenue = {sid: tuple(values) for sid, values in band_revenue.items()}
    staff_revenue = {sid: staff_totals[sid][REVENUE] for sid in known if sid in staff_totals}
    commission = commission_by_staff(config, staff_band_revenue)
    now_minute = minute_of(now)
    counted = {kind: totals.checkin_by_key.get((kind, "total", ""), 0) for kind in COUNTED_KINDS}
    paying = totals.counters.get("paying_customers", 0)
    buyers_needed, estimated = config.goals.paying_customers, False
    if buyers_needed is None and revenue_fen > 0 and paying:
        buyers_needed, estimated = math.ceil(Decimal(base_fen) * paying / revenue_fen), True
    peak = max(totals.counters.get(REVENUE_PEAK_COUNTER, 0), revenue_fen)
    return Snapshot(
        event=config.event.name,
        as_of=now,
        seq=seq,
        revenue_fen=revenue_fen,
        paid_orders=paid_orders,
        paying_customers=paying,
        refunded_orders=refunded_orders,
        refunded_fen=refunded_fen,
        cancelled_orders=cancelled_orders,
        base_fen=base_fen,
        stretch_fen=stretch_fen,
        buyers_needed=buyers_needed,
        checkins=counted,
        live=live_room(totals.viewers, now_minute, entries=counted["enter_live"], entrants=totals.counters.get("customers_live", 0),
                       entrant_buyers=totals.counters.get(LIVE_BUYERS_COUNTER, 0), revenue_fen=revenue_fen),
        viewers_by_minute=viewers_by_minute(totals.viewers, now_minute),
        data_as_of=data_as_of(totals.latest_minute(), now, config.event.end),
        funnel={
            "joined": totals.counters.get("customers_joined", 0),
            "entered_live": totals.counters.get("customers_live", 0),
            "paid": paying,
        },
        quarantined=totals.quarantined,
        repaired=totals.repaired,
        revenue_by_minute=totals.minute_series(),
        staff_revenue_by_minute=totals.staff_series(),
        leaderboards=leaderboards(config, totals, sums, now, rank_window),
        commission_fen=commission,
        team_pool=team_pool(config, revenue_fen, staff_revenue, peak),
        pace=_pace(config, totals, revenue_fen, base_fen, stretch_fen, now),
        sku_revenue_fen={k: v[REVENUE] for k, v in sums.get("sku", {}).items()},
        group_revenue_fen={k: v[REVENUE] for k, v in sums.get("group", {}).items()},
        staff_band_revenue_fen=staff_band_revenue,
        staff_paid_orders={sid: staff_totals[sid][PAID_ORDERS] for sid in known if sid in staff_totals},
        teams=teams(config, staff_totals, commission),
        paid_out_fen=dict(totals.paid_out),
        revenue_peak_fen=peak,
        commission_status=commission_status(config, now),
        refund_deadline=config.event.refund_deadline,
        buyers_needed_estimated=estimated,
        rank_window_minutes=int(rank_window.total_seconds() // 60),
    )


def stats_json(snapshot: Snapshot) -> dict:
    """Return the figures in the shape of SPEC §4."""

    def metric_value(standing: Standing) -> float | int:
        if standing.metric in MONEY_METRICS:
            return to_yuan(standing.value)
        if isinstance(standing.value, Decimal):
            return float(standing.value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))
        return standing.value

    def ratio(value: Decimal) -> float:
        return float(value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))

    pool = snapshot.team_pool
    return {
        "event": snapshot.event,
        "revenue": to_yuan(snapshot.revenue_fen),
        "orders": snapshot.paid_orders,
        "paying_customers": snapshot.paying_customers,
        "refunds": {"orders": snapshot.refunded_orders, "amount": to_yuan(snapshot.refunded_fen)},
        "goals": {
            "base": to_yuan(snapshot.base_fen),
            "stretch": to_yuan(snapshot.stretch_fen),
            "base_progress": ratio(snapshot.progress(snapshot.base_fen)),
            "stretch_progress": ratio(snapshot.progress(snapshot.stretch_fen)),
        },
        "leaderboards": {
            role: [{"rank": s.rank, "staff_id": s.staff_id, "name": s.name, "metric": s.metric, "value": metric_value(s)} for s in board]
            for role, board in snapshot.leaderboards.items()
        },
        "commission": {
            "staff": [{"staff_id": sid, "commission": to_yuan(fen)} for sid, fen in snapshot.commission_fen.items()],
            "team_pool": {"rate": float(pool.rate), "unlocked": pool.unlocked, "amount": to_yuan(pool.amount_fen)},
        },
        "checkins": dict(snapshot.checkins),
        "quarantined": snapshot.quarantined,
        "live": live_json(snapshot.live),
    }
