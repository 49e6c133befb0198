"""Generate the "520 真爱宠粉节" sample campaign: the event file, both feeds and the expected totals.

Run `python sample_data/generate.py`. It rewrites `sample_data/520/` in place and prints the
totals. The output is the same, byte for byte, on every run: one seeded `random.Random`, no
clock, no hash-ordered iteration. Money is integer fen throughout.
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

SEED = 520
TZ = timezone(timedelta(hours=8))
OUT = Path(__file__).resolve().parent / "520"

EVENT_NAME = "520 真爱宠粉节"
EVENT_START = datetime(2026, 5, 18, 10, 0, tzinfo=TZ)
EVENT_END = datetime(2026, 5, 21, 23, 30, tzinfo=TZ)
BASE_GOAL_FEN = 1_000_000_00
STRETCH_GOAL_FEN = 1_500_000_00

# The orders are topped up with between-sale orders until each evening's net revenue reaches
# its target: the first evening stops short of the base goal, so it is crossed early on the second.
EVENING_TARGETS_FEN = (880_000_00, 1_760_000_00)
NEW_BUYER_RATE = 0.82  # share of orders placed by a customer who has not bought before
BUYER_POOL = 1_180  # customers who would buy at all; the rest only watch
CUSTOMERS = 1_500
CHECK_IN_POSTS = 640
SHARES = 210

# (id, name, team, aliases, invite weight)
ORDER_TAKERS = (
    ("S01", "小林", "A", ("linx01",), 1.3),
    ("S02", "小周", "A", (), 1.1),
    ("S03", "阿珍", "A", (), 1.0),
    ("S04", "小雪", "A", (), 0.9),
    ("S05", "婷婷", "A", ("tingting_wx",), 1.2),
    ("S06", "小吴", "B", (), 1.0),
    ("S07", "阿杰", "B", (), 0.8),
    ("S08", "小美", "B", ("xiaomei88",), 1.1),
    ("S09", "佳佳", "B", (), 1.0),
    ("S10", "小赵", "B", (), 0.9),
    ("S11", "晓晓", "C", (), 1.2),
    ("S12", "小陈", "C", ("chen12", "dy_chen12"), 1.0),
    ("S13", "阿敏", "C", (), 0.7),
    ("S14", "小唐", "C", (), 1.0),
    ("S15", "小鱼", "C", (), 0.8),
)
OTHER_STAFF = (
    ("S16", "芳姐", "community"),
    ("S17", "老马", "community"),
    ("S18", "小桃", "community"),
    ("S19", "安琪", "host"),
    ("S20", "大伟", "host"),
    ("S21", "可可", "host"),
    ("S22", "乐乐", "host"),
    ("S23", "阿豪", "hype"),
    ("S24", "小鹿", "hype"),
    ("S25", "米粒", "hype"),
    ("S26", "小胖", "hype"),
    ("S27", "朵朵", "hype"),
    ("S28", "老周", "stats"),
    ("S29", "小文", "copy"),
    ("S30", "阿图", "poster"),
    ("S31", "小影", "video"),
    ("S32", "阿强", "props"),
    ("S33", "小满", "props"),
    ("S34", "小杨", "stats"),
)
TEAM_COMMUNITY = {"A": "S16", "B": "S17", "C": "S18"}
TEAM_GROUPS = {"A": ("G01", "G02", "G03", "G04"), "B": ("G05", "G06", "G07", "G08"), "C": ("G09", "G10", "G11", "G12")}
HOSTS = ("S19", "S20", "S21", "S22")
HYPE = ("S23", "S24", "S25", "S26", "S27")

# (sku, name, list price in yuan, weight among the orders placed between flash sales)
PRODUCTS = (
    ("P01", "玫瑰精油身体乳", 99, 3),
    ("P02", "氨基酸洁面乳", 129, 3),
    ("P03", "玻尿酸补水面膜 10 片装", 159, 4),
    ("P04", "丝绒哑光口红", 199, 4),
    ("P05", "清透防晒喷雾", 169, 2),
    ("P06", "香氛洗护三件套", 239, 3),
    ("P07", "真丝眼罩礼盒", 259, 2),
    ("P08", "520 限定香薰蜡烛", 299, 4),
    ("P09", "情侣保温杯套装", 329, 3),
    ("P10", "胶原蛋白肽饮 30 瓶", 399, 4),
    ("P11", "紧致眼霜", 459, 3),
    ("P12", "宠粉零食大礼包", 188, 3),
    ("P13", "珍珠发夹三件套", 139, 2),
    ("P14", "护手霜礼盒", 119, 2),
    ("P15", "小金瓶修护精华", 520, 5),
    ("P16", "玫瑰金化妆刷套装", 569, 3),
    ("P17", "轻奢真皮钱包", 599, 4),
    ("P18", "焕亮粉底液双支装", 659, 3),
    ("P19", "情侣睡衣套装", 699, 4),
    ("P20", "蓝牙降噪耳机", 799, 4),
    ("P21", "香水礼盒 50ml", 888, 5),
    ("P22", "抗老面霜", 899, 4),
    ("P23", "情侣款电动牙刷", 620, 3),
    ("P24", "真丝枕套两件装", 729, 3),
    ("P25", "美容仪导入笔", 999, 3),
    ("P26", "羊绒围巾", 859, 3),
    ("P27", "水晶手链", 539, 4),
    ("P28", "焕颜精华套装", 1299, 5),
    ("P29", "高速吹风机", 2999, 3),
    ("P30", "18K 金 520 锁骨链", 2999, 3),
    ("P31", "铂金情侣对戒", 3299, 2),
    ("P32", "护肤全年礼盒", 3999, 2),
    ("P33", "射频美容仪", 1999, 3),
    ("P34", "智能扫地机器人", 2399, 2),
    ("P35", "真丝连衣裙", 1099, 4),
    ("P36", "羊绒大衣", 1699, 3),
    ("P37", "轻奢手提包", 1499, 3),
    ("P38", "智能手表", 1899, 3),
    ("P39", "空气净化器", 2199, 2),
    ("P40", "和田玉手镯", 4999, 1),
)
PRICE = {sku: price for sku, _, price, _ in PRODUCTS}
NAME = {sku: name for sku, name, _, _ in PRODUCTS}

SESSIONS = (
    ("第一晚", datetime(2026, 5, 20, 19, 30, tzinfo=TZ), datetime(2026, 5, 20, 22, 55, tzinfo=TZ)),
    ("第二晚", datetime(2026, 5, 21, 19, 30, tzinfo=TZ), datetime(2026, 5, 21, 22, 55, tzinfo=TZ)),
)
# Host slots as minutes after the session start; the second evening rotates the hosts by two.
SLOT_MINUTES = ((0, 55), (55, 105), (105, 155), (155, 205))
SALE_MINUTES = 10

# (evening, "HH:MM", sku, flash price in yuan, target groups or () for all, expected orders, max qty)
FLASH_SALES = (
    (0, "19:50", "P03", 99, (), 90, 3),
    (0, "20:15", "P28", 999, ("G01", "G02", "G03", "G04", "G05", "G06"), 75, 1),
    (0, "20:40", "P30", 2520, (), 75, 1),
    (0, "21:05", "P15", 299, ("G07", "G08", "G09", "G10", "G11", "G12"), 70, 2),
    (0, "21:30", "P29", 1999, (), 90, 1),
    (0, "21:55", "P21", 520, ("G01", "G02", "G05", "G06", "G09", "G10"), 65, 2),
    (0, "22:20", "P32", 2999, (), 60, 1),
    (1, "19:45", "P10", 199, (), 85, 3),
    (1, "20:10", "P34", 1699, ("G07", "G08", "G09", "G10", "G11", "G12"), 55, 1),
    (1, "20:35", "P36", 1299, (), 65, 1),
    (1, "21:00", "P25", 699, ("G01", "G02", "G03", "G04", "G05", "G06"), 60, 2),
    (1, "21:21", "P31", 2521, (), 80, 1),
    (1, "21:45", "P20", 599, ("G03", "G04", "G07", "G08", "G11", "G12"), 55, 2),
    (1, "22:10", "P33", 1314, (), 75, 1),
    (1, "22:35", "P40", 3999, (), 40, 1),
)

ORDER_HEADER = ("order_id", "ts", "amount", "status", "refund_amount", "sku", "product", "qty", "customer_id", "staff_id", "group_id")
CHECKIN_KINDS = ("join_group", "enter_live", "check_in", "invite", "share")


@dataclass
class Customer:
    """A customer of the campaign: who invited them, into which group, and when."""

    customer_id: str
    inviter: str
    group_id: str
    invited: datetime
    joined: datetime


@dataclass
class Order:
    """One order as first written, plus the state its last row leaves it in."""

    ts: datetime
    evening: int
    sku: str
    unit_fen: int
    qty: int
    amount_fen: int
    customer: Customer
    staff_field: str
    flash: bool
    order_id: str = ""
    status: str = "paid"
    refund_fen: int = 0
    update_ts: datetime | None = None
    amount_text: str = ""
    ts_text: str = ""

    @property
    def net_fen(self) -> int:
        """Return what this order adds to revenue in its final state."""
        return self.amount_fen - self.refund_fen if self.status == "paid" else 0


def at(evening: int, hhmm: str) -> datetime:
    """Return the time `HH:MM` on the given evening."""
    hour, minute = map(int, hhmm.split(":"))
    return SESSIONS[evening][1].replace(hour=hour, minute=minute)


def iso(moment: datetime) -> str:
    """Return an ISO 8601 time with the +08:00 offset."""
    return moment.isoformat()


def plain_time(moment: datetime) -> str:
    """Return `YYYY-MM-DD HH:MM:SS`, which the feed reads in the event's timezone."""
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def yuan(fen: int) -> str:
    """Return fen as yuan with two decimals, e.g. 129900 -> 1299.00."""
    return f"{fen // 100}.{fen % 100:02d}"


def money_text(fen: int, rng: random.Random) -> str:
    """Return an amount in one of the money formats the feed accepts, mostly the plain ones."""
    roll = rng.random()
    if roll < 0.025:
        return f"¥{fen // 100:,}.{fen % 100:02d}"
    if roll < 0.05:
        return f"{fen // 100}元" if fen % 100 == 0 else f"{yuan(fen)}元"
    if roll < 0.52 and fen % 100 == 0:
        return str(fen // 100)
    return yuan(fen)


def staff_toml() -> list[dict]:
    """Return the [[staff]] tables."""
    members = [{"id": sid, "name": name, "role": "order_taker", "team": team, "aliases": list(aliases)} for sid, name, team, aliases, _ in ORDER_TAKERS]
    members += [{"id": sid, "name": name, "role": role} for sid, name, role in OTHER_STAFF]
    return members


def groups() -> list[tuple[str, str, str]]:
    """Return (id, name, owner) of the twelve WeChat groups."""
    rows = []
    for team, group_ids in TEAM_GROUPS.items():
        for group_id in group_ids:
            rows.append((group_id, f"520 宠粉 {int(group_id[1:])} 群", TEAM_COMMUNITY[team]))
    return rows


def make_customers(rng: random.Random) -> list[Customer]:
    """Return the customers, numbered in the order they were invited."""
    # Most join on the 18th and 19th, a few on the 20th before the show; by hour, with evening peaks.
    hour_weights = {8: 2, 9: 3, 10: 5, 11: 6, 12: 8, 13: 7, 14: 5, 15: 5, 16: 5, 17: 5, 18: 6, 19: 8, 20: 10, 21: 10, 22: 7, 23: 3}
    days = ((datetime(2026, 5, 18, tzinfo=TZ), 10, 23, 680), (datetime(2026, 5, 19, tzinfo=TZ), 8, 23, 775), (datetime(2026, 5, 20, tzinfo=TZ), 9, 18, 45))
    takers = [row[0] for row in ORDER_TAKERS]
    taker_weights = [row[4] for row in ORDER_TAKERS]
    team_of = {row[0]: row[2] for row in ORDER_TAKERS}
    drafts = []
    for day, first_hour, last_hour, count in days:
        hours = list(range(first_hour, last_hour + 1))
        weights = [hour_weights[hour] for hour in hours]
        for _ in range(count):
            hour = rng.choices(hours, weights)[0]
            invited = day + timedelta(hours=hour, seconds=rng.randrange(3600))
            if day.day == 20:
                invited = min(invited, day + timedelta(hours=19, minutes=10))
            inviter = rng.choices(takers, taker_weights)[0]
            group_id = rng.choice(TEAM_GROUPS[team_of[inviter]])
            joined = invited + timedelta(seconds=rng.randint(15, 900))
            drafts.append((invited, joined, inviter, group_id))
    drafts.sort(key=lambda draft: draft[0])
    return [Customer(f"C{index:04d}", inviter, group_id, invited, joined) for index, (invited, joined, inviter, group_id) in enumerate(drafts, 1)]


class BuyerPicker:
    """Picks the customer of each order: mostly a first-time buyer, sometimes a repeat buyer."""

    def __init__(self, customers: list[Customer], rng: random.Random):
        self.rng = rng
        pool = rng.sample(customers, BUYER_POOL)
        pool.sort(key=lambda customer: customer.customer_id)
        self.fresh: dict[str, list[Customer]] = {group_id: [] for group_id, _, _ in groups()}
        self.repeat: dict[str, list[Customer]] = {group_id: [] for group_id, _, _ in groups()}
        for customer in pool:
            self.fresh[customer.group_id].append(customer)
        for members in self.fresh.values():
            rng.shuffle(members)

    def pick(self, target_groups: tuple[str, ...]) -> Customer:
        """Return a buyer, from the sale's target groups most of the time."""
        group_ids = list(target_groups) if target_groups and self.rng.random() < 0.85 else list(self.fresh)
        want_fresh = self.rng.random() < NEW_BUYER_RATE
        for source in (self.fresh, self.repeat) if want_fresh else (self.repeat, self.fresh):
            sizes = [len(source[group_id]) for group_id in group_ids]
            if sum(sizes):
                group_id = self.rng.choices(group_ids, sizes)[0]
                if source is self.fresh:
                    customer = self.fresh[group_id].pop()
                    self.repeat[group_id].append(customer)
                    return customer
                return self.rng.choice(self.repeat[group_id])
        return self.pick(())


def credited_field(customer: Customer, rng: random.Random) -> str:
    """Return the staff_id an order carries: mostly the inviter, sometimes a teammate, 30% empty."""
    if rng.random() < 0.30:
        return ""
    if rng.random() < 0.9:
        return customer.inviter
    team = next(row[2] for row in ORDER_TAKERS if row[0] == customer.inviter)
    return rng.choice([row[0] for row in ORDER_TAKERS if row[2] == team])


def coupon_fen(rng: random.Random, unit_fen: int, rate: float) -> int:
    """Return a coupon discount of 10-50 yuan for some orders, else 0."""
    if rng.random() >= rate or unit_fen < 9000:
        return 0
    return rng.choice((10, 10, 20, 20, 30, 50)) * 100


def in_flash_window(moment: datetime) -> bool:
    """Return whether a flash sale is running at this moment."""
    for evening, hhmm, *_ in FLASH_SALES:
        start = at(evening, hhmm)
        if start <= moment < start + timedelta(minutes=SALE_MINUTES):
            return True
    return False


def make_orders(customers: list[Customer], rng: random.Random) -> list[Order]:
    """Return the orders: bursts at each flash sale, then trickle orders up to each evening's target."""
    picker = BuyerPicker(customers, rng)
    orders: list[Order] = []
    for evening, hhmm, sku, flash_price, target_groups, expected, max_qty in FLASH_SALES:
        start = at(evening, hhmm)
        count = expected + rng.randint(-6, 6)
        for _ in range(count):
            # Front-loaded: the first two minutes of a sale take about half of its orders.
            offset = min(SALE_MINUTES * 60 - 1, int(SALE_MINUTES * 60 * rng.random() ** 1.8))
            customer = picker.pick(target_groups)
            qty = 1 if max_qty == 1 or rng.random() < 0.7 else rng.randint(2, max_qty)
            unit_fen = flash_price * 100
            amount_fen = unit_fen * qty - coupon_fen(rng, unit_fen, 0.06)
            orders.append(Order(start + timedelta(seconds=offset), evening, sku, unit_fen, qty, amount_fen, customer, credited_field(customer, rng), True))

    # A few orders change later: refunds, cancellations and partial refunds (SPEC §1 updates).
    flash_orders = sorted(orders, key=lambda order: order.ts)
    changed = rng.sample(flash_orders, 13)
    for index, order in enumerate(changed):
        session_end = SESSIONS[order.evening][2]
        order.update_ts = min(order.ts + timedelta(minutes=rng.randint(5, 60), seconds=rng.randrange(60)), session_end + timedelta(minutes=15))
        if index < 6:
            order.status = "refunded"
        elif index < 10:
            order.status = "cancelled"
        else:
            order.refund_fen = max(1000, (order.amount_fen // 5) // 1000 * 1000)

    # Orders between the sales, at list price, until each evening reaches its target.
    skus = [sku for sku, *_ in PRODUCTS]
    weights = [row[3] for row in PRODUCTS]
    for evening, target_fen in enumerate(EVENING_TARGETS_FEN):
        session_start, session_end = SESSIONS[evening][1], SESSIONS[evening][2]
        span = int((session_end - session_start).total_seconds()) - 60
        while sum(order.net_fen for order in orders if order.evening <= evening) < target_fen:
            moment = session_start + timedelta(seconds=rng.randrange(span))
            if in_flash_window(moment):
                continue
            sku = rng.choices(skus, weights)[0]
            unit_fen = PRICE[sku] * 100
            qty = 1 if unit_fen >= 100_000 or rng.random() < 0.8 else rng.randint(2, 3)
            customer = picker.pick(())
            amount_fen = unit_fen * qty - coupon_fen(rng, unit_fen, 0.25)
            orders.append(Order(moment, evening, sku, unit_fen, qty, amount_fen, customer, credited_field(customer, rng), False))

    orders.sort(key=lambda order: (order.ts, order.customer.customer_id, order.sku))
    per_day: Counter[str] = Counter()
    for order in orders:
        day = order.ts.strftime("%y%m%d")
        per_day[day] += 1
        order.order_id = f"DD{day}{per_day[day]:04d}"
        order.ts_text = iso(order.ts) if rng.random() < 0.12 else plain_time(order.ts)
        order.amount_text = money_text(order.amount_fen, rng)

    # A handful of rows name the order-taker by an alias that a shop export would use.
    alias_of = {row[0]: row[3] for row in ORDER_TAKERS if row[3]}
    aliased = [order for order in orders if order.staff_field in alias_of]
    for order in rng.sample(aliased, 8):
        order.staff_field = rng.choice(alias_of[order.staff_field])
    return orders


def order_row(order: Order, ts_text: str, status: str, refund_text: str) -> list[str]:
    """Return one CSV row of an order."""
    customer = order.customer
    return [
        order.order_id,
        ts_text,
        order.amount_text,
        status,
        refund_text,
        order.sku,
        NAME[order.sku],
        str(order.qty),
        customer.customer_id,
        order.staff_field,
        customer.group_id,
    ]


def bad_order_rows(template: Order) -> list[list[str]]:
    """Return the seven deliberately bad order rows, each with a different fault."""
    base = order_row(template, plain_time(template.ts), "paid", "")
    faults = []
    for index in range(7):
        row = list(base)
        row[0] = f"DD{template.ts:%y%m%d}{9901 + index}"
        faults.append(row)
    faults[0][1] = "昨晚9点"  # a time that cannot be read
    faults[1][2] = "-299.00"  # a negative amount
    faults[2][0] = ""  # no order id
    faults[3][3] = "on_hold"  # an unknown status
    faults[4][2] = "abc"  # an amount that cannot be read
    faults[5][1] = ""  # no time
    faults[6][1] = "2026-05-32 21:05:00"  # a date that does not exist
    return faults


def write_orders(orders: list[Order], rng: random.Random) -> tuple[str, int]:
    """Return the orders CSV text and how many bad rows it holds."""
    entries: list[tuple[datetime, int, list[str]]] = []
    for order in orders:
        entries.append((order.ts, len(entries), order_row(order, order.ts_text, "paid", "")))
        if order.update_ts is not None:
            update_text = iso(order.update_ts) if rng.random() < 0.3 else plain_time(order.update_ts)
            refund_text = yuan(order.refund_fen) if order.refund_fen else ""
            entries.append((order.update_ts, len(entries), order_row(order, update_text, order.status, refund_text)))
    entries.sort(key=lambda entry: (entry[0], entry[1]))
    rows = [entry[2] for entry in entries]
    # Spread the bad rows through the file; each borrows the time of the row it follows.
    bad_rows = []
    for number in range(7, 0, -1):
        position = len(rows) * number // 8
        template = next(order for order in orders if order.order_id == rows[position - 1][0])
        bad = bad_order_rows(template)[number - 1]
        bad_rows.append(bad)
        if bad[1] not in ("", "昨晚9点", "2026-05-32 21:05:00"):
            bad[1] = rows[position - 1][1]
        rows.insert(position, bad)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(ORDER_HEADER)
    writer.writerows(rows)
    return buffer.getvalue(), len(bad_rows)


def viewers_online(moment: datetime, evening: int, rng: random.Random) -> int:
    """Return the viewers online at one minute of a session: a swell over the evening, spikes at flash sales."""
    start, end = SESSIONS[evening][1], SESSIONS[evening][2]
    progress = (moment - start).total_seconds() / (end - start).total_seconds()
    base = 350 + 1700 * min(1.0, progress * 3) - 900 * max(0.0, progress - 0.7) / 0.3
    boost = 0.0
    for sale_evening, hhmm, *_ in FLASH_SALES:
        if sale_evening != evening:
            continue
        minutes = (moment - at(evening, hhmm)).total_seconds() / 60
        if -4 <= minutes < 0:
            boost += 1400 * (minutes + 4) / 4
        elif 0 <= minutes < 14:
            boost += 1400 * (1 - minutes / 14)
    scale = 1.0 if evening == 0 else 1.12
    return int((base + boost) * scale * rng.uniform(0.96, 1.04))


def make_checkins(customers: list[Customer], orders: list[Order], rng: random.Random) -> list[dict]:
    """Return the check-in events, without ids, in the order they were made up."""
    events: list[dict] = []
    for customer in customers:
        events.append(
            {"ts": customer.invited, "kind": "invite", "customer_id": customer.customer_id, "group_id": customer.group_id, "staff_id": customer.inviter}
        )
        events.append(
            {"ts": customer.joined, "kind": "join_group", "customer_id": customer.customer_id, "group_id": customer.group_id, "staff_id": customer.inviter}
        )

    # Entering the live room: a buyer enters before their first order of the evening; others drop in.
    first_order: dict[tuple[str, int], datetime] = {}
    for order in orders:
        key = (order.customer.customer_id, order.evening)
        first_order[key] = min(first_order.get(key, order.ts), order.ts)
    buyers = {order.customer.customer_id for order in orders}
    for customer in customers:
        for evening, (_, start, end) in enumerate(SESSIONS):
            first = first_order.get((customer.customer_id, evening))
            if first is not None:
                earliest = max(start, first - timedelta(minutes=45))
                latest = first - timedelta(seconds=20)
                span = max(0, int((latest - earliest).total_seconds()))
                moment = earliest + timedelta(seconds=rng.randint(0, span)) if latest > earliest else start
            else:
                chance = 0.2 if customer.customer_id in buyers else 0.45
                if rng.random() >= chance:
                    continue
                moment = start + timedelta(seconds=int((end - start).total_seconds() * rng.random() ** 1.5))
            events.append({"ts": moment, "kind": "enter_live", "customer_id": customer.customer_id, "group_id": customer.group_id})

    # Daily check-in posts in the groups: one per customer per day at most, after they joined.
    owner = {group_id: owner_id for group_id, _, owner_id in groups()}
    posted: set[tuple[str, int]] = set()
    day_weights = ((18, 0.15), (19, 0.30), (20, 0.30), (21, 0.25))
    while len(posted) < CHECK_IN_POSTS:
        day = rng.choices([d for d, _ in day_weights], [w for _, w in day_weights])[0]
        moment = datetime(2026, 5, day, 8, tzinfo=TZ) + timedelta(seconds=rng.randrange(14 * 3600))
        customer = rng.choice(customers)
        if customer.joined >= moment or (customer.customer_id, day) in posted:
            continue
        posted.add((customer.customer_id, day))
        events.append(
            {"ts": moment, "kind": "check_in", "customer_id": customer.customer_id, "group_id": customer.group_id, "staff_id": owner[customer.group_id]}
        )

    # Shares of the live room and the posters, some prompted by a hype member.
    shares = 0
    while shares < SHARES:
        day = rng.choices((19, 20, 21), (0.2, 0.4, 0.4))[0]
        if day == 19:
            moment = datetime(2026, 5, 19, 9, tzinfo=TZ) + timedelta(seconds=rng.randrange(14 * 3600))
        else:
            moment = datetime(2026, 5, day, 18, 30, tzinfo=TZ) + timedelta(seconds=rng.randrange(4 * 3600))
        customer = rng.choice(customers)
        if customer.joined >= moment:
            continue
        event = {"ts": moment, "kind": "share", "customer_id": customer.customer_id, "group_id": customer.group_id}
        if rng.random() < 0.35:
            event["staff_id"] = rng.choice(HYPE)
        events.append(event)
        shares += 1

    # A snapshot of the viewers online every minute of each session.
    for evening, (_, start, end) in enumerate(SESSIONS):
        moment = start
        while moment <= end:
            events.append({"ts": moment, "kind": "viewers", "value": viewers_online(moment, evening, rng)})
            moment += timedelta(minutes=1)
    return events


def write_checkins(events: list[dict]) -> tuple[str, Counter[str], int]:
    """Return the check-ins JSON Lines text, the count of each kind, and how many bad lines it holds."""
    ordered = sorted(enumerate(events), key=lambda pair: (pair[1]["ts"], pair[0]))
    lines = []
    counts: Counter[str] = Counter()
    for number, (_, event) in enumerate(ordered, 1):
        record = {"id": f"K{number:06d}", "ts": iso(event["ts"]), "kind": event["kind"]}
        for key in ("customer_id", "group_id", "staff_id", "value"):
            if event.get(key) is not None:
                record[key] = event[key]
        counts[event["kind"]] += 1
        lines.append(json.dumps(record, ensure_ascii=False))
    # Two bad lines: one cut off mid-write, one of a kind the feed does not know.
    truncated = '{"id": "K900001", "ts": "2026-05-19T15:42:'
    unknown = json.dumps({"id": "K900002", "ts": "2026-05-20T20:41:07+08:00", "kind": "like", "customer_id": "C0321", "group_id": "G03"}, ensure_ascii=False)
    for moment, line in ((datetime(2026, 5, 20, 20, 41, 7, tzinfo=TZ), unknown), (datetime(2026, 5, 19, 15, 42, tzinfo=TZ), truncated)):
        lines.insert(next(index for index, (_, event) in enumerate(ordered) if event["ts"] > moment), line)
    return "\n".join(lines) + "\n", counts, 2


def toml_string(value: str) -> str:
    """Return a TOML basic string."""
    return json.dumps(value, ensure_ascii=False)


def toml_value(value) -> str:
    """Return a TOML value for a string, number or list of strings."""
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    return str(value)


# The demo's [access]: bcrypt hashes of "lead520" and "boss520" (fixed, so that regenerating
# keeps the file stable) and a public link secret. The login page shows the passwords (demo_hint).
DEMO_LEAD_PASSWORD_HASH = "$2b$12$ETC2.6yHGIRv1EpraEoZVe.IbztJrb4TGewQofFCJYlZD.a7VKemq"
DEMO_BOSS_PASSWORD_HASH = "$2b$12$CjygA8nayI3PDueKCheEEeWYKI20HpDOFrfQWeVkd8aOKfGzqaj0K"
DEMO_LINK_SECRET = "jdIEYBQz5THCn3YgnuGAWFzsBcy6skE9"


def event_toml() -> str:
    """Return the event file."""
    lines = [
        "# The 520 sample campaign. Generated by sample_data/generate.py; edit that, not this.",
        "[event]",
        f"name = {toml_string(EVENT_NAME)}",
        f'start = "{iso(EVENT_START)}"',
        f'end = "{iso(EVENT_END)}"',
        'timezone = "Asia/Shanghai"',
        "budget = 15000",
        "refund_window_days = 7",
        "",
        "[goals]",
        f"base = {BASE_GOAL_FEN // 100}",
        f"stretch = {STRETCH_GOAL_FEN // 100}",
        "paying_customers = 1000",
        "",
        "[store]",
        'url = "sqlite:///warroom.db"',
        "",
        "[commission]",
        "bands = [ { from = 0, rate = 0.10 }, { from = 500, rate = 0.12 }, { from = 1000, rate = 0.15 } ]",
        'basis = "unit_price"',
        "team_pool_rate = 0.03",
        'team_pool_goal = "base"',
        'team_pool_split = "equal"',
        "",
        "# Public demo credentials: team lead password lead520, boss password boss520. Never reuse them.",
        "[access]",
        f'lead_password_hash = "{DEMO_LEAD_PASSWORD_HASH}"',
        f'boss_password_hash = "{DEMO_BOSS_PASSWORD_HASH}"',
        f'link_secret = "{DEMO_LINK_SECRET}"',
        "demo_hint = true",
        "",
        '[[feeds]]\nkind = "orders"\npath = "feeds/orders.csv"\nformat = "csv"',
        "",
        '[[feeds]]\nkind = "checkins"\npath = "feeds/checkins.jsonl"\nformat = "jsonl"',
    ]
    for member in staff_toml():
        lines += ["", "[[staff]]"]
        lines += [f"{key} = {toml_value(value)}" for key, value in member.items() if value != []]
    for sku, name, price, _ in PRODUCTS:
        lines += ["", "[[products]]", f"sku = {toml_string(sku)}", f"name = {toml_string(name)}", f"price = {price}"]
    for group_id, name, owner in groups():
        lines += ["", "[[groups]]", f"id = {toml_string(group_id)}", f"name = {toml_string(name)}", f"owner = {toml_string(owner)}"]
    for evening, (name, start, end) in enumerate(SESSIONS):
        lines += ["", "[[sessions]]", f"name = {toml_string(name)}", f'start = "{iso(start)}"', f'end = "{iso(end)}"']
        for slot, (first, last) in enumerate(SLOT_MINUTES):
            host = HOSTS[(slot + 2 * evening) % len(HOSTS)]
            lines += [
                "",
                "[[sessions.slots]]",
                f'start = "{iso(start + timedelta(minutes=first))}"',
                f'end = "{iso(start + timedelta(minutes=last))}"',
                f'host = "{host}"',
            ]
    for evening, hhmm, sku, price, target_groups, _, _ in FLASH_SALES:
        lines += [
            "",
            "[[flash_sales]]",
            f'at = "{iso(at(evening, hhmm))}"',
            f'sku = "{sku}"',
            f"price = {price}",
            f"minutes = {SALE_MINUTES}",
            f"groups = {toml_value(target_groups)}",
        ]
    return "\n".join(lines) + "\n"


def expected_totals(orders: list[Order], counts: Counter[str], quarantined: int) -> dict:
    """Return the SPEC §4 figures that the generated feeds must give."""
    paid = [order for order in orders if order.status == "paid"]
    refunded = [order for order in orders if order.status == "refunded"]
    return {
        "event": EVENT_NAME,
        "revenue": round(sum(order.net_fen for order in paid) / 100, 2),
        "orders": len(paid),
        "paying_customers": len({order.customer.customer_id for order in paid}),
        "refunds": {"orders": len(refunded), "amount": round(sum(order.amount_fen for order in refunded) / 100, 2)},
        "checkins": {kind: counts[kind] for kind in CHECKIN_KINDS},
        "quarantined": quarantined,
    }


def goal_crossings(orders: list[Order]) -> dict[str, datetime | None]:
    """Return when net revenue first reached each goal, replaying the rows in time order."""
    changes = []
    for order in orders:
        changes.append((order.ts, order.amount_fen))
        if order.update_ts is not None:
            changes.append((order.update_ts, order.net_fen - order.amount_fen))
    changes.sort(key=lambda change: change[0])
    crossed: dict[str, datetime | None] = {"base": None, "stretch": None}
    running = 0
    for moment, delta in changes:
        running += delta
        for name, goal in (("base", BASE_GOAL_FEN), ("stretch", STRETCH_GOAL_FEN)):
            if crossed[name] is None and running >= goal:
                crossed[name] = moment
    return crossed


def main() -> None:
    """Regenerate sample_data/520/ and print its totals."""
    rng = random.Random(SEED)
    customers = make_customers(rng)
    orders = make_orders(customers, rng)
    orders_text, bad_orders = write_orders(orders, rng)
    checkins_text, counts, bad_checkins = write_checkins(make_checkins(customers, orders, rng))
    expected = expected_totals(orders, counts, bad_orders + bad_checkins)

    (OUT / "feeds").mkdir(parents=True, exist_ok=True)
    files = {
        "event.toml": event_toml(),
        "feeds/orders.csv": orders_text,
        "feeds/checkins.jsonl": checkins_text,
        "expected.json": json.dumps(expected, ensure_ascii=False, indent=2) + "\n",
    }
    for name, text in files.items():
        (OUT / name).write_text(text, encoding="utf-8", newline="\n")

    per_minute = Counter(order.ts.replace(second=0) for order in orders)
    busiest, busiest_count = max(per_minute.items(), key=lambda item: (item[1], item[0]))
    crossed = goal_crossings(orders)
    evenings = [sum(order.net_fen for order in orders if order.evening == evening) for evening in range(len(SESSIONS))]
    print(f"wrote {OUT}: " + ", ".join(f"{name} {len(text.encode('utf-8')) // 1024} KB" for name, text in files.items()))
    print(json.dumps(expected, ensure_ascii=False))
    print("revenue by evening: " + ", ".join(yuan(fen) for fen in evenings))
    print(f"base goal reached {crossed['base']}, stretch goal reached {crossed['stretch']}")
    print(f"busiest minute: {busiest_count} orders at {busiest:%Y-%m-%d %H:%M}")
    print(f"orders that carry a staff_id: {sum(1 for order in orders if order.staff_field) / len(orders):.0%} of {len(orders)} orders")


if __name__ == "__main__":
    main()
