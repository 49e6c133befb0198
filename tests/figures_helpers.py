"""Shared builders for the figures, commission and standings tests: an event and orders at given times (the store: `open_store` in conftest)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from warroom.config import EventConfig
from warroom.records import Batch, CheckIn, OrderLine
from warroom.store import Store

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
