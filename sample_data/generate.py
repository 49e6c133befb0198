"""Generate the sample campaigns (`campaigns.py`: 520 and the earlier 三八节): each one's event file, both feeds and the expected totals.

Run `python sample_data/generate.py`. It rewrites `sample_data/520/` and `sample_data/38/` in place
and prints their totals. The output is the same, byte for byte, on every run: one seeded
`random.Random` per campaign, no clock, no hash-ordered iteration. Money is integer fen throughout.
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from campaigns import CAMPAIGNS, PRODUCTS, SALE_MINUTES, SLOT_MINUTES, Campaign

NEW_BUYER_RATE = 0.82  # share of orders placed by a customer who has not bought before
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


def at(c: Campaign, evening: int, hhmm: str) -> datetime:
    """Return the time `HH:MM` on the given evening."""
    hour, minute = map(int, hhmm.split(":"))
    return c.sessions[evening][1].replace(hour=hour, minute=minute)


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


def staff_toml(c: Campaign) -> list[dict]:
    """Return the [[staff]] tables."""
    members = [{"id": sid, "name": name, "role": "order_taker", "team": team, "aliases": list(aliases)} for sid, name, team, aliases, _ in c.order_takers]
    members += [{"id": sid, "name": name, "role": role} for sid, name, role in c.other_staff]
    return members


def groups(c: Campaign) -> list[tuple[str, str, str]]:
    """Return (id, name, owner) of the campaign's WeChat groups."""
    rows = []
    for team, group_ids in c.team_groups.items():
        for group_id in group_ids:
            rows.append((group_id, f"{c.group_prefix} {int(group_id[1:])} 群", c.team_community[team]))
    return rows


def make_customers(c: Campaign, rng: random.Random) -> list[Customer]:
    """Return the customers, numbered in the order they were invited."""
    # Most join on the first two days, a few on the day of the show before it starts; by hour, with evening peaks.
    hour_weights = {8: 2, 9: 3, 10: 5, 11: 6, 12: 8, 13: 7, 14: 5, 15: 5, 16: 5, 17: 5, 18: 6, 19: 8, 20: 10, 21: 10, 22: 7, 23: 3}
    takers = [row[0] for row in c.order_takers]
    taker_weights = [row[4] for row in c.order_takers]
    team_of = {row[0]: row[2] for row in c.order_takers}
    last_day = c.join_days[-1][0]
    drafts = []
    for day, first_hour, last_hour, count in c.join_days:
        hours = list(range(first_hour, last_hour + 1))
        weights = [hour_weights[hour] for hour in hours]
        for _ in range(count):
            hour = rng.choices(hours, weights)[0]
            invited = day + timedelta(hours=hour, seconds=rng.randrange(3600))
            if day == last_day:
                invited = min(invited, day + timedelta(hours=19, minutes=10))
            inviter = rng.choices(takers, taker_weights)[0]
            group_id = rng.choice(c.team_groups[team_of[inviter]])
            joined = invited + timedelta(seconds=rng.randint(15, 900))
            drafts.append((invited, joined, inviter, group_id))
    drafts.sort(key=lambda draft: draft[0])
    return [Customer(f"C{index:04d}", inviter, group_id, invited, joined) for index, (invited, joined, inviter, group_id) in enumerate(drafts, 1)]


class BuyerPicker:
    """Picks the customer of each order: mostly a first-time buyer, sometimes a repeat buyer."""

    def __init__(self, c: Campaign, customers: list[Customer], rng: random.Random):
        self.rng = rng
        pool = rng.sample(customers, c.buyer_pool)
        pool.sort(key=lambda customer: customer.customer_id)
        self.fresh: dict[str, list[Customer]] = {group_id: [] for group_id, _, _ in groups(c)}
        self.repeat: dict[str, list[Customer]] = {group_id: [] for group_id, _, _ in groups(c)}
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


def credited_field(c: Campaign, customer: Customer, rng: random.Random) -> str:
    """Return the staff_id an order carries: mostly the inviter, sometimes a teammate, 30% empty."""
    if rng.random() < 0.30:
        return ""
    if rng.random() < 0.9:
        return customer.inviter
    team = next(row[2] for row in c.order_takers if row[0] == customer.inviter)
    return rng.choice([row[0] for row in c.order_takers if row[2] == team])


def coupon_fen(rng: random.Random, unit_fen: int, rate: float) -> int:
    """Return a coupon discount of 10-50 yuan for some orders, else 0."""
    if rng.random() >= rate or unit_fen < 9000:
        return 0
    return rng.choice((10, 10, 20, 20, 30, 50)) * 100


def in_flash_window(c: Campaign, moment: datetime) -> bool:
    """Return whether a flash sale is running at this moment."""
    for evening, hhmm, *_ in c.flash_sales:
        start = at(c, evening, hhmm)
        if start <= moment < start + timedelta(minutes=SALE_MINUTES):
            return True
    return False


def make_orders(c: Campaign, customers: list[Customer], rng: random.Random) -> list[Order]:
    """Return the orders: bursts at each flash sale, then trickle orders up to each evening's target."""
    picker = BuyerPicker(c, customers, rng)
    orders: list[Order] = []
    for evening, hhmm, sku, flash_price, target_groups, expected, max_qty in c.flash_sales:
        start = at(c, evening, hhmm)
        count = expected + rng.randint(-6, 6)
        for _ in range(count):
            # Front-loaded: the first two minutes of a sale take about half of its orders.
            offset = min(SALE_MINUTES * 60 - 1, int(SALE_MINUTES * 60 * rng.random() ** 1.8))
            customer = picker.pick(target_groups)
            qty = 1 if max_qty == 1 or rng.random() < 0.7 else rng.randint(2, max_qty)
            unit_fen = flash_price * 100
            amount_fen = unit_fen * qty - coupon_fen(rng, unit_fen, 0.06)
            orders.append(Order(start + timedelta(seconds=offset), evening, sku, unit_fen, qty, amount_fen, customer, credited_field(c, customer, rng), True))

    # A few orders change later: refunds, cancellations and partial refunds (SPEC §1 updates).
    flash_orders = sorted(orders, key=lambda order: order.ts)
    refunded, cancelled, partial = c.changes
    changed = rng.sample(flash_orders, refunded + cancelled + partial)
    for index, order in enumerate(changed):
        session_end = c.sessions[order.evening][2]
        order.update_ts = min(order.ts + timedelta(minutes=rng.randint(5, 60), seconds=rng.randrange(60)), session_end + timedelta(minutes=15))
        if index < refunded:
            order.status = "refunded"
        elif index < refunded + cancelled:
            order.status = "cancelled"
        else:
            order.refund_fen = max(1000, (order.amount_fen // 5) // 1000 * 1000)

    # Orders between the sales, at list price, until each evening reaches its target.
    skus = [sku for sku, *_ in PRODUCTS]
    weights = [row[3] for row in PRODUCTS]
    price = c.price
    for evening, target_fen in enumerate(c.evening_targets_fen):
        session_start, session_end = c.sessions[evening][1], c.sessions[evening][2]
        span = int((session_end - session_start).total_seconds()) - 60
        while sum(order.net_fen for order in orders if order.evening <= evening) < target_fen:
            moment = session_start + timedelta(seconds=rng.randrange(span))
            if in_flash_window(c, moment):
                continue
            sku = rng.choices(skus, weights)[0]
            unit_fen = price[sku] * 100
            qty = 1 if unit_fen >= 100_000 or rng.random() < 0.8 else rng.randint(2, 3)
            customer = picker.pick(())
            amount_fen = unit_fen * qty - coupon_fen(rng, unit_fen, 0.25)
            orders.append(Order(moment, evening, sku, unit_fen, qty, amount_fen, customer, credited_field(c, customer, rng), False))

    orders.sort(key=lambda order: (order.ts, order.customer.customer_id, order.sku))
    per_day: Counter[str] = Counter()
    for order in orders:
        day = order.ts.strftime("%y%m%d")
        per_day[day] += 1
        order.order_id = f"DD{day}{per_day[day]:04d}"
        order.ts_text = iso(order.ts) if rng.random() < 0.12 else plain_time(order.ts)
        order.amount_text = money_text(order.amount_fen, rng)

    # A handful of rows name the order-taker by an alias that a shop export would use.
    alias_of = {row[0]: row[3] for row in c.order_takers if row[3]}
    aliased = [order for order in orders if order.staff_field in alias_of]
    for order in rng.sample(aliased, c.aliased):
        order.staff_field = rng.choice(alias_of[order.staff_field])
    return orders


def order_row(c: Campaign, order: Order, ts_text: str, status: str, refund_text: str) -> list[str]:
    """Return one CSV row of an order."""
    customer = order.customer
    return [
        order.order_id,
        ts_text,
        order.amount_text,
        status,
        refund_text,
        order.sku,
        c.product_name[order.sku],
        str(order.qty),
        customer.customer_id,
        order.staff_field,
        customer.group_id,
    ]


def bad_order_rows(c: Campaign, template: Order) -> list[list[str]]:
    """Return the seven deliberately bad order rows, each with a different fault."""
    base = order_row(c, template, plain_time(template.ts), "paid", "")
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
    faults[6][1] = c.bad_date  # a date that does not exist
    return faults


def write_orders(c: Campaign, orders: list[Order], rng: random.Random) -> tuple[str, int]:
    """Return the orders CSV text and how many bad rows it holds."""
    entries: list[tuple[datetime, int, list[str]]] = []
    for order in orders:
        entries.append((order.ts, len(entries), order_row(c, order, order.ts_text, "paid", "")))
        if order.update_ts is not None:
            update_text = iso(order.update_ts) if rng.random() < 0.3 else plain_time(order.update_ts)
            refund_text = yuan(order.refund_fen) if order.refund_fen else ""
            entries.append((order.update_ts, len(entries), order_row(c, order, update_text, order.status, refund_text)))
    entries.sort(key=lambda entry: (entry[0], entry[1]))
    rows = [entry[2] for entry in entries]
    # Spread the bad rows through the file; each borrows the time of the row it follows.
    bad_rows = []
    for number in range(7, 0, -1):
        position = len(rows) * number // 8
        template = next(order for order in orders if order.order_id == rows[position - 1][0])
        bad = bad_order_rows(c, template)[number - 1]
        bad_rows.append(bad)
        if bad[1] not in ("", "昨晚9点", c.bad_date):
            bad[1] = rows[position - 1][1]
        rows.insert(position, bad)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(ORDER_HEADER)
    writer.writerows(rows)
    return buffer.getvalue(), len(bad_rows)


def viewers_online(c: Campaign, moment: datetime, evening: int, rng: random.Random) -> int:
    """Return the viewers online at one minute of a session: a swell over the evening, spikes at flash sales."""
    start, end = c.sessions[evening][1], c.sessions[evening][2]
    progress = (moment - start).total_seconds() / (end - start).total_seconds()
    base = 350 + 1700 * min(1.0, progress * 3) - 900 * max(0.0, progress - 0.7) / 0.3
    boost = 0.0
    for sale_evening, hhmm, *_ in c.flash_sales:
        if sale_evening != evening:
            continue
        minutes = (moment - at(c, evening, hhmm)).total_seconds() / 60
        if -4 <= minutes < 0:
            boost += 1400 * (minutes + 4) / 4
        elif 0 <= minutes < 14:
            boost += 1400 * (1 - minutes / 14)
    scale = c.viewer_scales[evening]
    return int((base + boost) * scale * rng.uniform(0.96, 1.04))


def make_checkins(c: Campaign, customers: list[Customer], orders: list[Order], rng: random.Random) -> list[dict]:
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
        for evening, (_, start, end) in enumerate(c.sessions):
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
    owner = {group_id: owner_id for group_id, _, owner_id in groups(c)}
    posted: set[tuple[str, datetime]] = set()
    while len(posted) < c.check_in_posts:
        day = rng.choices([d for d, _ in c.post_days], [w for _, w in c.post_days])[0]
        moment = day + timedelta(hours=8, seconds=rng.randrange(14 * 3600))
        customer = rng.choice(customers)
        if customer.joined >= moment or (customer.customer_id, day) in posted:
            continue
        posted.add((customer.customer_id, day))
        events.append(
            {"ts": moment, "kind": "check_in", "customer_id": customer.customer_id, "group_id": customer.group_id, "staff_id": owner[customer.group_id]}
        )

    # Shares of the live room and the posters, some prompted by a hype member.
    shares = 0
    first_share_day = c.share_days[0][0]
    while shares < c.shares:
        day = rng.choices([d for d, _ in c.share_days], [w for _, w in c.share_days])[0]
        if day == first_share_day:
            moment = day + timedelta(hours=9, seconds=rng.randrange(14 * 3600))
        else:
            moment = day + timedelta(hours=18, minutes=30, seconds=rng.randrange(4 * 3600))
        customer = rng.choice(customers)
        if customer.joined >= moment:
            continue
        event = {"ts": moment, "kind": "share", "customer_id": customer.customer_id, "group_id": customer.group_id}
        if rng.random() < 0.35:
            event["staff_id"] = rng.choice(c.hype)
        events.append(event)
        shares += 1

    # A snapshot of the viewers online every minute of each session.
    for evening, (_, start, end) in enumerate(c.sessions):
        moment = start
        while moment <= end:
            events.append({"ts": moment, "kind": "viewers", "value": viewers_online(c, moment, evening, rng)})
            moment += timedelta(minutes=1)
    return events


def write_checkins(c: Campaign, events: list[dict]) -> tuple[str, Counter[str], int]:
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
    unknown_at, truncated_at = c.bad_checkins_at
    truncated = f'{{"id": "K900001", "ts": "{truncated_at:%Y-%m-%dT%H:%M}:'
    unknown = json.dumps({"id": "K900002", "ts": iso(unknown_at), "kind": "like", "customer_id": "C0321", "group_id": "G03"}, ensure_ascii=False)
    for moment, line in ((unknown_at, unknown), (truncated_at, truncated)):
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


def event_toml(c: Campaign) -> str:
    """Return the event file."""
    lines = [
        c.title,
        "[event]",
        f"name = {toml_string(c.name)}",
        f'start = "{iso(c.start)}"',
        f'end = "{iso(c.end)}"',
        'timezone = "Asia/Shanghai"',
        f"budget = {c.budget}",
        "refund_window_days = 7",
        "",
        "[goals]",
        f"base = {c.base_goal_fen // 100}",
        f"stretch = {c.stretch_goal_fen // 100}",
        f"paying_customers = {c.paying_customers_goal}",
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
    for member in staff_toml(c):
        lines += ["", "[[staff]]"]
        lines += [f"{key} = {toml_value(value)}" for key, value in member.items() if value != []]
    for sku, name, price, _ in PRODUCTS:
        lines += ["", "[[products]]", f"sku = {toml_string(sku)}", f"name = {toml_string(name)}", f"price = {price}"]
    for group_id, name, owner in groups(c):
        lines += ["", "[[groups]]", f"id = {toml_string(group_id)}", f"name = {toml_string(name)}", f"owner = {toml_string(owner)}"]
    for evening, (name, start, end) in enumerate(c.sessions):
        lines += ["", "[[sessions]]", f"name = {toml_string(name)}", f'start = "{iso(start)}"', f'end = "{iso(end)}"']
        for slot, (first, last) in enumerate(SLOT_MINUTES):
            host = c.hosts[(slot + 2 * evening) % len(c.hosts)]
            lines += [
                "",
                "[[sessions.slots]]",
                f'start = "{iso(start + timedelta(minutes=first))}"',
                f'end = "{iso(start + timedelta(minutes=last))}"',
                f'host = "{host}"',
            ]
    for evening, hhmm, sku, price, target_groups, _, _ in c.flash_sales:
        lines += [
            "",
            "[[flash_sales]]",
            f'at = "{iso(at(c, evening, hhmm))}"',
            f'sku = "{sku}"',
            f"price = {price}",
            f"minutes = {SALE_MINUTES}",
            f"groups = {toml_value(target_groups)}",
        ]
    lines += c.extra_toml
    return "\n".join(lines) + "\n"


def expected_totals(c: Campaign, orders: list[Order], counts: Counter[str], quarantined: int) -> dict:
    """Return the SPEC §4 figures that the generated feeds must give."""
    paid = [order for order in orders if order.status == "paid"]
    refunded = [order for order in orders if order.status == "refunded"]
    return {
        "event": c.name,
        "revenue": round(sum(order.net_fen for order in paid) / 100, 2),
        "orders": len(paid),
        "paying_customers": len({order.customer.customer_id for order in paid}),
        "refunds": {"orders": len(refunded), "amount": round(sum(order.amount_fen for order in refunded) / 100, 2)},
        "checkins": {kind: counts[kind] for kind in CHECKIN_KINDS},
        "quarantined": quarantined,
    }


def goal_crossings(c: Campaign, orders: list[Order]) -> dict[str, datetime | None]:
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
        for name, goal in (("base", c.base_goal_fen), ("stretch", c.stretch_goal_fen)):
            if crossed[name] is None and running >= goal:
                crossed[name] = moment
    return crossed


def generate(c: Campaign) -> None:
    """Rewrite one campaign's folder and print its totals."""
    rng = random.Random(c.seed)
    customers = make_customers(c, rng)
    orders = make_orders(c, customers, rng)
    orders_text, bad_orders = write_orders(c, orders, rng)
    checkins_text, counts, bad_checkins = write_checkins(c, make_checkins(c, customers, orders, rng))
    expected = expected_totals(c, orders, counts, bad_orders + bad_checkins)

    (c.out / "feeds").mkdir(parents=True, exist_ok=True)
    files = {
        "event.toml": event_toml(c),
        "feeds/orders.csv": orders_text,
        "feeds/checkins.jsonl": checkins_text,
        "expected.json": json.dumps(expected, ensure_ascii=False, indent=2) + "\n",
    }
    for name, text in files.items():
        (c.out / name).write_text(text, encoding="utf-8", newline="\n")

    per_minute = Counter(order.ts.replace(second=0) for order in orders)
    busiest, busiest_count = max(per_minute.items(), key=lambda item: (item[1], item[0]))
    crossed = goal_crossings(c, orders)
    evenings = [sum(order.net_fen for order in orders if order.evening == evening) for evening in range(len(c.sessions))]
    print(f"wrote {c.out}: " + ", ".join(f"{name} {len(text.encode('utf-8')) // 1024} KB" for name, text in files.items()))
    print(json.dumps(expected, ensure_ascii=False))
    print("revenue by evening: " + ", ".join(yuan(fen) for fen in evenings))
    print(f"base goal reached {crossed['base']}, stretch goal reached {crossed['stretch']}")
    print(f"busiest minute: {busiest_count} orders at {busiest:%Y-%m-%d %H:%M}")
    print(f"orders that carry a staff_id: {sum(1 for order in orders if order.staff_field) / len(orders):.0%} of {len(orders)} orders")


def main() -> None:
    """Regenerate every sample campaign's folder and print their totals."""
    for campaign in CAMPAIGNS:
        generate(campaign)


if __name__ == "__main__":
    main()
