"""Canonical row → record: pure functions that read one row's text cells, or a block's column by column (SPEC §1)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from itertools import repeat
from typing import TypeVar

from warroom.config import FIRST_YEAR, LAST_YEAR
from warroom.records import CHECKIN_KINDS, CheckIn, OrderLine

# Cells that exports write for "nothing here".
EMPTY_MARKERS = frozenset({"", "-", "--", "—"})

# Status labels as shops write them, casefolded; a new label is a one-line change.
STATUS_LABELS: dict[str, str] = {
    "paid": "paid",
    "refunded": "refunded",
    "cancelled": "cancelled",
    "canceled": "cancelled",
    "已支付": "paid",
    "已付款": "paid",
    "待发货": "paid",
    "已发货": "paid",
    "待收货": "paid",
    "已收货": "paid",
    "已完成": "paid",
    "交易成功": "paid",
    "等待商家发货": "paid",
    "商家已发货": "paid",
    "等待买家确认收货": "paid",
    "已退款": "refunded",
    "退款成功": "refunded",
    "已取消": "cancelled",
    "已关闭": "cancelled",
    "交易关闭": "cancelled",
    # WeChat shop API states, which some tools export as numbers (10, awaiting payment, is not an order yet).
    "20": "paid",
    "30": "paid",
    "100": "paid",
    "200": "cancelled",
    "250": "cancelled",
}

# An after-sale cell (douyin 售后状态, weixin 商品售后) that contains one of these means the line was refunded.
REFUNDED_AFTER_SALE = ("退款成功", "已退款")

_CURRENCY = re.compile(r"^(?:¥|￥|RMB|CNY)|(?:元|RMB|CNY)$", re.IGNORECASE)
_MONEY = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$|^\.\d+$")
_TIMESTAMP = re.compile(
    r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})"
    r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?$",
    re.IGNORECASE,
)
_WHOLE = re.compile(r"^(\d{1,3}(?:,\d{3})+|\d+)$")
_QTY = re.compile(r"^(\d+)\s*[^\d.,]*$")  # "2", or "2件" / "1袋" as some exports write it
_FEN = Decimal("0.01")
_T = TypeVar("_T")

# What the store can hold of an order (SPEC §5): larger numbers are typos or a wrong column
# (a 19-digit Douyin order id in the amount), and would overflow the store's 64-bit sums.
MAX_MONEY_YUAN = 100_000_000
MAX_MONEY_FEN = MAX_MONEY_YUAN * 100
MAX_QTY = 1_000_000
MAX_VALUE = 100_000_000
# An id longer than this is no id: PostgreSQL's b-tree index takes at most about 2,700 bytes a key.
MAX_ID_CHARS = 256


class RowError(ValueError):
    """A row that cannot be understood; `reason` is a short English sentence for quarantine."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def clean(text: object) -> str | None:
    """Return a cell's text without padding or Excel's tab prefix, or None when the cell is empty."""
    if text is None:
        return None
    # str.strip() takes tabs too, so Excel's tab prefix goes with the padding.
    value = (text if type(text) is str else str(text)).strip()
    return None if value in EMPTY_MARKERS else value


def clean_cells(cells: Iterable[str]) -> list[str | None]:
    """Return `clean` of each of a record's text cells."""
    values: list[str | None] = list(map(str.strip, cells))
    if EMPTY_MARKERS.isdisjoint(values):
        return values  # nothing empty, the common case for a column of ids
    return [None if value in EMPTY_MARKERS else value for value in values]


def parse_money_fen(text: str, field: str = "amount") -> int:
    """Return a yuan amount (`1299`, `¥1,299.00`, `1299元`) as integer fen, rounded half-up."""
    return _money_fen(clean(text), field)


def _money_fen(value: str | None, field: str) -> int:
    if value is None:
        raise RowError(f"{field} is missing")
    if len(value) <= 9 and value.isdigit() and value.isascii() and int(value) <= MAX_MONEY_YUAN:
        return int(value) * 100  # plain whole yuan, the common case
    return _written_money_fen(value, field)


# Exports repeat a handful of prices: each distinct text is read once.
@lru_cache(maxsize=4096)
def _written_money_fen(value: str, field: str) -> int:
    number = _CURRENCY.sub("", value).strip()
    negative = number.startswith("-")
    number = number.lstrip("-").strip()
    number = _CURRENCY.sub("", number).strip()  # "-¥5" has its sign before the symbol
    if not _MONEY.match(number):
        raise RowError(f"{field} {_shown(value)} is not a number")
    try:
        yuan = Decimal(number.replace(",", ""))
    except InvalidOperation:
        raise RowError(f"{field} {_shown(value)} is not a number") from None
    if negative and yuan != 0:
        raise RowError(f"{field} {_shown(value)} is negative")
    if yuan > MAX_MONEY_YUAN:
        raise RowError(f"{field} {_shown(value)} is more than ¥{MAX_MONEY_YUAN:,}")
    return int(yuan.quantize(_FEN, rounding=ROUND_HALF_UP) * 100)


def parse_ts(text: str, tz: tzinfo) -> int:
    """Return a time (ISO 8601, `YYYY-MM-DD HH:MM:SS`, `YYYY/M/D H:MM`) as UTC epoch seconds; no offset means `tz`."""
    return _ts(clean(text), tz)


def _ts(value: str | None, tz: tzinfo) -> int:
    if value is None:
        raise RowError("ts is missing")
    return _epoch_seconds(value, tz)


# Rows come many to a second, so most times were just seen: each distinct text is read once.
@lru_cache(maxsize=16384)
def _epoch_seconds(value: str, tz: tzinfo) -> int:
    match = _TIMESTAMP.match(value)
    if not match:
        raise RowError(f"ts {_shown(value)} is not a time")
    year, month, day, hour, minute, second, offset = match.groups()
    if not FIRST_YEAR <= int(year) <= LAST_YEAR:
        raise RowError(f"ts {_shown(value)} is outside the years {FIRST_YEAR}–{LAST_YEAR}")
    try:
        moment = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
    except ValueError:
        raise RowError(f"ts {_shown(value)} is not a real date") from None
    return int(moment.replace(tzinfo=tz if offset is None else _offset(offset, value)).timestamp())


def _offset(text: str, value: str) -> tzinfo:
    if text.upper() == "Z":
        return UTC
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 23 or minutes > 59:
        raise RowError(f"ts {_shown(value)} has an impossible offset")
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if text[0] == "-" else delta)


def parse_status(text: str | None) -> str:
    """Return `paid`, `refunded` or `cancelled` for a status label; an empty cell is `paid`."""
    return _status(clean(text))


def _status(value: str | None) -> str:
    if value is None:
        return "paid"
    status = STATUS_LABELS.get(value.casefold())
    if status is None:
        raise RowError(f"status {_shown(value)} is unknown")
    return status


def parse_whole(text: str, field: str) -> int:
    """Return a non-negative whole number written with or without thousands separators."""
    value = clean(text)
    if value is None or not _WHOLE.match(value):
        raise RowError(f"{field} {_shown(value)} is not a whole number")
    digits = value.replace(",", "")
    # Compared as text first: int() refuses numbers of more than 4,300 digits with a ValueError.
    if len(digits.lstrip("0")) > len(str(MAX_VALUE)) or int(digits) > MAX_VALUE:
        raise RowError(f"{field} {_shown(value)} is more than {MAX_VALUE:,}")
    return int(digits)


def parse_qty(text: str | None) -> int:
    """Return a positive quantity (`2`, `2件`); an empty cell is 1."""
    return _qty(clean(text))


def _qty(value: str | None) -> int:
    if value is None:
        return 1
    if len(value) <= 6 and value.isdigit() and value.isascii() and int(value) >= 1:
        return int(value)  # a plain count under a million, the common case
    match = _QTY.match(value)
    if not match:
        raise RowError(f"qty {_shown(value)} is not a positive whole number")
    digits = match.group(1)
    # Compared as text first: int() refuses numbers of more than 4,300 digits with a ValueError.
    if len(digits.lstrip("0")) > len(str(MAX_QTY)) or int(digits) > MAX_QTY:
        raise RowError(f"qty {_shown(value)} is more than {MAX_QTY:,}")
    if int(digits) < 1:
        raise RowError(f"qty {_shown(value)} is not a positive whole number")
    return int(digits)


# The canonical cells of an order and of a check-in, in the order that `*_from_cells` takes them.
ORDER_FIELDS = ("order_id", "ts", "amount", "status", "after_sale", "refund_amount", "sku", "product", "qty", "customer_id", "staff_id", "group_id")
CHECKIN_FIELDS = ("id", "ts", "kind", "customer_id", "group_id", "staff_id", "value")


def order_from_row(row: dict[str, str], tz: tzinfo, alias_map: dict[str, str]) -> OrderLine:
    """Return the order line that a canonical row states; raise RowError when it cannot be read."""
    return order_from_cells([clean(row.get(field)) for field in ORDER_FIELDS], tz, alias_map)


def order_from_cells(cells: Sequence[str | None], tz: tzinfo, alias_map: dict[str, str]) -> OrderLine:
    """Return the order line that an order's cells state: in ORDER_FIELDS order, each as `clean` gives it; raise RowError when it cannot be read."""
    order_id, ts, amount, status, after_sale, refund_text, sku, product, qty, customer_id, staff_id, group_id = cells
    if order_id is None:
        raise RowError("order_id is missing")
    _check_ids(("order_id", order_id), ("sku", sku), ("customer_id", customer_id), ("staff_id", staff_id), ("group_id", group_id))
    ts = _ts(ts, tz)
    amount_fen = _money_fen(amount, "amount")
    status = _status(status)
    if after_sale and any(marker in after_sale for marker in REFUNDED_AFTER_SALE):
        status = "refunded"
    refund_fen = 0 if refund_text is None else _money_fen(refund_text, "refund_amount")
    if refund_fen > amount_fen:
        raise RowError(f"refund_amount {_shown(refund_text)} is more than amount {_shown(amount)}")
    return OrderLine(
        order_id=order_id,
        ts=ts,
        amount_fen=amount_fen,
        status=status,
        refund_fen=refund_fen,
        sku=sku,
        product=product,
        qty=_qty(qty),
        customer_id=customer_id,
        staff_id=_credited(staff_id, alias_map),
        group_id=group_id,
    )


def orders_from_columns(columns: Sequence[Sequence[str] | None], count: int, tz: tzinfo, alias_map: dict[str, str], *,
                        ids_may_be_long: bool = True) -> list[OrderLine | None]:
    """Return what order_from_cells gives for each of `count` rows, or None where it raises RowError.

    The rows come as raw text columns in ORDER_FIELDS order (None for a column the file lacks).
    A backlog is read this way because row by row the calls cost more than the store's write:
    ids are cleaned a column at a time, every other cell is read once per distinct text by the
    same functions order_from_cells uses, and a row that needs more than its own cells' rules (no
    id, a cell that does not read, an after-sale or refund cell) is left to order_from_cells.
    """
    raw = [[""] * count if column is None else column for column in columns]
    order_id, ts, amount, status, after_sale, refund, sku, product, qty, customer_id, staff_id, group_id = raw
    order_ids = clean_cells(order_id)
    seconds = _read_each(ts, lambda text: parse_ts(text, tz))
    amounts_fen = _read_each(amount, parse_money_fen)
    statuses = _read_each(status, parse_status)
    quantities = _read_each(qty, parse_qty)
    # What OrderLine._make does, without its Python call per row.
    lines: list[OrderLine | None] = list(map(tuple.__new__, repeat(OrderLine), zip(
        order_ids,
        seconds,
        amounts_fen,
        statuses,
        repeat(0),
        _read_each(sku, clean),
        _read_each(product, clean),
        quantities,
        clean_cells(customer_id),
        _read_each(staff_id, lambda text: _credited(clean(text), alias_map)),
        _read_each(group_id, clean),
        strict=False,  # repeat(0) is endless
    )))
    unsettled: set[int] = set()
    # A caller that knows no line of the block is longer than MAX_ID_CHARS says so: then no id can be.
    for values in (order_id, sku, customer_id, staff_id, group_id) if ids_may_be_long else ():
        if max(map(len, values), default=0) > MAX_ID_CHARS:  # with its padding: only then is a cell looked at
            unsettled.update(index for index, value in enumerate(values) if len(value) > MAX_ID_CHARS)
    for values in (order_ids, seconds, amounts_fen, statuses, quantities):
        if None in values:  # no id, or a cell that does not read
            unsettled.update(index for index, value in enumerate(values) if value is None)
    for values in (_read_each(after_sale, clean), _read_each(refund, clean)):
        if values.count(None) != count:  # an after-sale or refund cell, whose rules weigh other cells too
            unsettled.update(index for index, value in enumerate(values) if value is not None)
    for index in sorted(unsettled):
        try:
            lines[index] = order_from_cells([clean(column[index]) for column in raw], tz, alias_map)
        except RowError:
            lines[index] = None
    return lines


def checkin_from_row(row: dict[str, str], tz: tzinfo, alias_map: dict[str, str]) -> CheckIn:
    """Return the check-in that a canonical row states; raise RowError when it cannot be read."""
    return checkin_from_cells([clean(row.get(field)) for field in CHECKIN_FIELDS], tz, alias_map)


def checkin_from_cells(cells: Sequence[str | None], tz: tzinfo, alias_map: dict[str, str]) -> CheckIn:
    """Return the check-in that a check-in's cells state: in CHECKIN_FIELDS order, each as `clean` gives it; raise RowError when it cannot be read."""
    checkin_id, ts, kind_text, customer_id, group_id, staff_text, value_text = cells
    _check_ids(("id", checkin_id), ("customer_id", customer_id), ("group_id", group_id), ("staff_id", staff_text))
    ts = _ts(ts, tz)
    if kind_text is None:
        raise RowError("kind is missing")
    kind = kind_text.casefold()
    if kind not in CHECKIN_KINDS:
        raise RowError(f"kind {_shown(kind_text)} is unknown")
    if customer_id is None and kind != "viewers":
        raise RowError("customer_id is missing")
    if value_text is None and kind == "viewers":
        raise RowError("value is missing for viewers")
    value = None if value_text is None else parse_whole(value_text, "value")
    if checkin_id is None:
        # The staff id as written, not as aliased, so that editing aliases never turns old rows into new events.
        parts = (str(ts), kind, customer_id or "", group_id or "", staff_text or "", "" if value is None else str(value))
        checkin_id = hashlib.sha1("\x1f".join(parts).encode()).hexdigest()
    return CheckIn(
        checkin_id=checkin_id,
        ts=ts,
        kind=kind,
        customer_id=customer_id,
        group_id=group_id,
        staff_id=_credited(staff_text, alias_map),
        value=value,
    )


def checkins_from_columns(columns: Sequence[Sequence[str] | None], count: int, tz: tzinfo, alias_map: dict[str, str], *,
                          ids_may_be_long: bool = True) -> list[CheckIn | None]:
    """Return what checkin_from_cells gives for each of `count` rows given as raw text columns in CHECKIN_FIELDS order, or None where it raises RowError."""
    checkins: list[CheckIn | None] = []
    for cells in zip(*(repeat(None, count) if column is None else clean_cells(column) for column in columns), strict=True):
        try:
            checkins.append(checkin_from_cells(cells, tz, alias_map))
        except RowError:
            checkins.append(None)
    return checkins


def _check_ids(*named: tuple[str, str | None]) -> None:
    """Raise RowError when an id is longer than MAX_ID_CHARS."""
    for name, value in named:
        if value is not None and len(value) > MAX_ID_CHARS:
            raise RowError(f"{name} {_shown(value)} is longer than {MAX_ID_CHARS} characters")


def _shown(value: str | None) -> str:
    """Return a cell as a reason quotes it: repr, cut short, so that a 60 KB cell does not make a 60 KB reason."""
    return repr(value) if value is None or len(value) <= 40 else repr(value[:40]) + "…"


def _credited(staff_id: str | None, alias_map: dict[str, str]) -> str | None:
    """Return the staff member an id credits: the member an alias names, else the id as written."""
    return alias_map.get(staff_id, staff_id) if staff_id else None


def _read_each(cells: Sequence[str], read: Callable[[str], _T]) -> list[_T | None]:
    """Return `read` of each cell, reading each distinct text once; None where it raises RowError."""
    known: dict[str, _T | None] = {}
    for text in set(cells):
        try:
            known[text] = read(text)
        except RowError:
            known[text] = None
    return list(map(known.__getitem__, cells))

