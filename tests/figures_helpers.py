"""Shared builders for the figures, commission and standings tests: an event and orders at given times (the store: `open_store` in conftest),
and `recompute`, the figures from a full read, which the incremental figures are compared with (here and in bench/figures.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, func, select

from warroom import schema
from warroom.config import EventConfig
from warroom.figures import RANK_WINDOW, Snapshot, Totals, add_into, build_snapshot, quarantine_counts
from warroom.records import Batch, CheckIn, OrderLine
from warroom.rules import LedgerRules
from warroom.store import Store
from warroom.store.keys import LIVE_BUYERS_COUNTER, PUSHES_COUNTER, REVENUE_PEAK_COUNTER

TZ = ZoneInfo("Asia/Shanghai")

_STAFF = [
    {"id": "S01", "name": "小林", "role": "order_taker", "team": "A", "aliases": ["linx01"]},
    {"id": "S02", "name": "小周", "role": "order_taker", "team": "A"},
    {"id": "S03", "name": "阿珍", "role": "order_taker", "team": "B"},
    {"id": "S04", "name": "小雪", "role": "order_taker", "team": "B"},
    {"id": "S05", "name": "婷婷", "role": "order_taker", "team": "B"},
    {"id": "S20", "name": "芳姐", "role": "community"},
    {"id": "S21", "name": "老马", "role": "community"},
    {"id": "S30", "name": "安琪", "role": "host"},
    {"id": "S31", "name": "大伟", "role": "host"},
    {"id": "S40", "name": "阿豪", "role": "hype"},
    {"id": "S50", "name": "老周", "role": "stats"},
]

BASE_EVENT = {
    "event": {"name": "测试场", "start": "2026-05-20T19:00:00+08:00", "end": "2026-05-20T23:00:00+08:00", "refund_window_days": 7},
    "goals": {"base": 10000, "stretch": 15000},
    "staff": _STAFF,
    "groups": [{"id": "G01", "name": "宠粉 1 群", "owner": "S20"}, {"id": "G02", "name": "宠粉 2 群", "owner": "S21"}],
    "sessions": [
        {"name": "第一场", "start": "2026-05-20T20:00:00+08:00", "end": "2026-05-20T21:00:00+08:00", "slots": [
            {"start": "2026-05-20T20:00:00+08:00", "end": "2026-05-20T20:30:00+08:00", "host": "S30"},
            {"start": "2026-05-20T20:30:00+08:00", "end": "2026-05-20T21:00:00+08:00", "host": "S31"},
        ]},
        {"name": "第二场", "start": "2026-05-20T21:30:00+08:00", "end": "2026-05-20T22:30:00+08:00"},
    ],
}


def make_event(**sections) -> EventConfig:
    """Return the test event with some sections replaced (dict sections are updated key by key)."""
    raw = {key: (dict(value) if isinstance(value, dict) else list(value)) for key, value in BASE_EVENT.items()}
    for key, value in sections.items():
        if isinstance(value, dict) and isinstance(raw.get(key), dict):
            raw[key] = raw[key] | value
        elif value is None:
            raw.pop(key, None)
        else:
            raw[key] = value
    return EventConfig.model_validate(raw)


def at(hour: int, minute: int = 0, second: int = 0, day: int = 20) -> datetime:
    """Return a moment on the event's evening, in Shanghai time."""
    return datetime(2026, 5, day, hour, minute, second, tzinfo=TZ)


def epoch(moment: datetime) -> int:
    """Return a moment as epoch seconds."""
    return int(moment.timestamp())


def fen(yuan: str | int) -> int:
    """Return yuan (written as text to stay exact) as fen."""
    return int(Decimal(str(yuan)) * 100)


_counter = iter(range(1, 1 << 30))


def order(amount: str | int, *, when: datetime | None = None, staff: str | None = "S01", qty: int = 1, status: str = "paid",
          refund: str | int = 0, customer: str | None = None, group: str | None = None, sku: str | None = None,
          order_id: str | None = None) -> OrderLine:
    """Return a paid order line of `amount` yuan (text keeps it exact), credited to `staff` by default."""
    number = next(_counter)
    return OrderLine(
        order_id=order_id or f"o{number}", ts=epoch(when or at(20, 10)), amount_fen=fen(amount), status=status, refund_fen=fen(refund),
        sku=sku, qty=qty, customer_id=customer or f"c{number}", staff_id=staff, group_id=group,
    )


def checkin(kind: str, *, when: datetime | None = None, customer: str | None = "c1", staff: str | None = None, group: str | None = None,
            value: int | None = None) -> CheckIn:
    """Return one check-in."""
    return CheckIn(checkin_id=f"k{next(_counter)}", ts=epoch(when or at(20, 5)), kind=kind, customer_id=customer, group_id=group, staff_id=staff, value=value)


def apply(store: Store, *rows) -> None:
    """Apply orders and check-ins as one batch."""
    store.apply(Batch(orders=[r for r in rows if isinstance(r, OrderLine)], checkins=[r for r in rows if isinstance(r, CheckIn)]))


MINUTE = timedelta(minutes=1)


# -- the slow reference ---------------------------------------------------------------------------------


def recompute(store: Store, config: EventConfig, now: datetime, *, rank_window: timedelta = RANK_WINDOW) -> Snapshot:
    """Return the snapshot computed from a full read of orders, check-ins and payouts: the slow reference the incremental figures are held to."""
    rules = LedgerRules.from_config(config)
    totals = Totals()
    orders, checkins = schema.orders, schema.checkins
    with store.reading() as conn:
        seq = conn.execute(select(schema.meta.c.value).where(schema.meta.c.key == "seq")).scalar_one()
        cells: dict[tuple[str, str, int, int], list[int]] = {}
        paying: set[str] = set()
        query = select(orders.c.ts, orders.c.amount_fen, orders.c.refund_fen, orders.c.status, orders.c.qty, orders.c.sku,
                       orders.c.group_id, orders.c.credited_staff, orders.c.customer_id)
        for ts, amount_fen, refund_fen, status, qty, sku, group_id, credited, customer_id in conn.execute(query):
            paid = status == "paid"
            values = (amount_fen - refund_fen if paid else 0, int(paid), int(status == "refunded"), amount_fen if status == "refunded" else 0, int(status == "cancelled"))
            minute, band = ts // 60, rules.band(amount_fen, qty)
            for dimension, key in (("total", ""), ("staff", credited or ""), ("sku", sku or ""), ("group", group_id or "")):
                cell = cells.get((dimension, key, minute, band))
                if cell is None:
                    cell = cells[(dimension, key, minute, band)] = [0] * 5
                add_into(cell, values, 1)
            if paid and customer_id:
                paying.add(customer_id)
        for (dimension, key, minute, band), values in cells.items():
            totals.add_order_cell(dimension, key, minute, band, values)
        joined, live = set(), set()
        counted: dict[tuple[str, str, str, int], int] = {}
        query = select(checkins.c.ts, checkins.c.kind, checkins.c.customer_id, checkins.c.group_id, checkins.c.staff_id, checkins.c.value)
        for ts, kind, customer_id, group_id, staff_id, value in conn.execute(query):
            minute = ts // 60
            for dimension, key in (("total", ""), ("staff", staff_id), ("group", group_id)):
                if key is not None:
                    counted[(kind, dimension, key, minute)] = counted.get((kind, dimension, key, minute), 0) + 1
            if kind == "viewers":
                peak, last, last_ts = totals.viewers.get(minute, (None, None, None))
                newer = last_ts is None or ts >= last_ts
                totals.viewers[minute] = (max(peak or value, value), value if newer else last, ts if newer else last_ts)
            elif customer_id and kind == "join_group":
                joined.add(customer_id)
            elif customer_id and kind == "enter_live":
                live.add(customer_id)
        for (kind, dimension, key, minute), events in counted.items():
            totals.add_checkin_cell(kind, dimension, key, minute, events)
        inviters = _earliest_inviters(conn)
        totals.counters = {"paying_customers": len(paying), "customers_joined": len(joined), "customers_live": len(live),
                           LIVE_BUYERS_COUNTER: len(paying & live)}
        for customer in paying:
            if customer in inviters:
                key = f"buyers:{inviters[customer]}"
                totals.counters[key] = totals.counters.get(key, 0) + 1
        # The peak is history, not a function of today's rows: it is read as the ledger kept it.
        counters = schema.counters
        peak = conn.execute(select(counters.c.value).where(counters.c.name == REVENUE_PEAK_COUNTER)).scalar()
        if peak is not None:
            totals.counters[REVENUE_PEAK_COUNTER] = peak
        pushes = schema.prompt_pushes
        for staff_id, count in conn.execute(select(pushes.c.staff_id, func.count()).group_by(pushes.c.staff_id)):
            totals.counters[PUSHES_COUNTER.format(staff_id)] = count
        payouts = schema.payouts
        for staff_id, amount in conn.execute(select(payouts.c.staff_id, payouts.c.amount_fen)):
            totals.paid_out[staff_id] = totals.paid_out.get(staff_id, 0) + amount
        totals.quarantined, totals.repaired = conn.execute(select(*quarantine_counts())).one()
    return build_snapshot(config, totals, seq, now, rank_window=rank_window)



def _earliest_inviters(conn: Connection) -> dict[str, str]:
    """Return each customer's earliest inviter, from invite and join_group check-ins."""
    checkins = schema.checkins
    query = (
        select(checkins.c.customer_id, checkins.c.staff_id)
        .where(checkins.c.kind.in_(("invite", "join_group")), checkins.c.staff_id.is_not(None), checkins.c.customer_id.is_not(None))
        .order_by(checkins.c.ts.desc())
    )
    # Walking newest first, the last write per customer is the earliest invite.
    return {row.customer_id: row.staff_id for row in conn.execute(query)}
