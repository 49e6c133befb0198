"""One builder of the tests' event files: the small event's TOML, with the sections a test adds.

    small_event(staff("S23", "阿豪", "hype"), product("P1", "玫瑰精油", 199), access(link_secret="..."))
"""

from __future__ import annotations

import json

SMALL_EVENT = """
[event]
name = "小测试"
start = "2026-05-20T19:00:00+08:00"
end = "2026-05-20T23:00:00+08:00"

[goals]
base = 10000
stretch = 15000
paying_customers = 10

[[staff]]
id = "S01"
name = "小林"
role = "order_taker"
aliases = ["linx01"]

[[staff]]
id = "S02"
name = "小周"
role = "order_taker"

[[staff]]
id = "S20"
name = "阿青"
role = "community"

[[groups]]
id = "G01"
name = "宠粉 1 群"
owner = "S20"

[[sessions]]
name = "第一晚"
start = "2026-05-20T20:00:00+08:00"
end = "2026-05-20T22:00:00+08:00"

[[feeds]]
kind = "orders"
path = "feeds/orders.csv"

[[feeds]]
kind = "checkins"
path = "feeds/checkins.jsonl"
"""


def toml_value(value: object) -> str:
    """Return a TOML literal for a string, number, boolean or list of them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def table(header: str, **keys: object) -> str:
    """Return one TOML table (`[x]`) or array item (`[[x]]`) with these keys, None ones left out."""
    lines = [f"{key} = {toml_value(value)}" for key, value in keys.items() if value is not None]
    return "\n" + "\n".join([header, *lines]) + "\n"


def staff(staff_id: str, name: str, role: str, **more: object) -> str:
    """Return one more `[[staff]]` member."""
    return table("[[staff]]", id=staff_id, name=name, role=role, **more)


def product(sku: str, name: str, price: int) -> str:
    """Return one `[[products]]` entry."""
    return table("[[products]]", sku=sku, name=name, price=price)


def flash_sale(at: str, sku: str, price: int, **more: object) -> str:
    """Return one `[[flash_sales]]` entry (at: an ISO time with its offset)."""
    return table("[[flash_sales]]", at=at, sku=sku, price=price, **more)


def access(**keys: object) -> str:
    """Return the `[access]` section (password hashes, link secret, demo hint)."""
    return table("[access]", **keys)


def store(url: str) -> str:
    """Return the `[store]` section naming this store URL."""
    return table("[store]", url=url)


def small_event(*sections: str, budget: int | None = None, staff_token: str | None = None) -> str:
    """Return the small event's TOML with these sections appended, a `budget` in [event] and a fixed `token` for S02 when given."""
    text = SMALL_EVENT
    if budget is not None:
        text = text.replace('end = "2026-05-20T23:00:00+08:00"', f'end = "2026-05-20T23:00:00+08:00"\nbudget = {budget}', 1)
    if staff_token is not None:
        text = text.replace('id = "S02"\nname = "小周"\nrole = "order_taker"', f'id = "S02"\nname = "小周"\nrole = "order_taker"\ntoken = "{staff_token}"', 1)
    return text + "".join(sections)
