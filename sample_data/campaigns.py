"""The sample campaigns, as data: the "520 真爱宠粉节" event and the same team's earlier, smaller 三八节 campaign.

`generate.py` makes each campaign's event file, feeds and expected totals from one `Campaign`. Both
sell the same shop's products; the staff ids match across them (S01–S12 take orders in both), so
that `warroom compare` finds the people in both events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

TZ = timezone(timedelta(hours=8))
HERE = Path(__file__).resolve().parent
# Host slots as minutes after the session start; the second evening rotates the hosts by two.
SLOT_MINUTES = ((0, 55), (55, 105), (105, 155), (155, 205))
SALE_MINUTES = 10


@dataclass(frozen=True)
class Campaign:
    """Everything that makes one sample campaign what it is; the generator's code is the same for each."""

    seed: int
    folder: str  # under sample_data/
    title: str  # the event file's first comment
    name: str
    start: datetime
    end: datetime
    budget: int  # yuan
    base_goal_fen: int
    stretch_goal_fen: int
    paying_customers_goal: int
    # The orders are topped up with between-sale orders until each evening's net revenue reaches its target.
    evening_targets_fen: tuple[int, ...]
    buyer_pool: int  # customers who would buy at all; the rest only watch
    check_in_posts: int
    shares: int
    order_takers: tuple  # (id, name, team, aliases, invite weight)
    other_staff: tuple  # (id, name, role)
    team_community: dict[str, str]
    team_groups: dict[str, tuple[str, ...]]
    hosts: tuple[str, ...]
    hype: tuple[str, ...]
    group_prefix: str  # groups are named "{prefix} {n} 群"
    sessions: tuple  # (name, start, end)
    # (evening, "HH:MM", sku, flash price in yuan, target groups or () for all, expected orders, max qty)
    flash_sales: tuple
    join_days: tuple  # (day, first hour, last hour, customers invited that day); the last day's invites stop at 19:10
    post_days: tuple[tuple[datetime, float], ...]  # days of daily check-in posts, with their weights
    share_days: tuple[tuple[datetime, float], ...]  # days of shares and their weights: the first in the daytime, the others in the evening
    changes: tuple[int, int, int]  # flash-sale orders later refunded, cancelled, partly refunded
    aliased: int  # order rows that name their order-taker by an alias
    viewer_scales: tuple[float, ...]  # per evening
    bad_checkins_at: tuple[datetime, datetime]  # when the check-in of an unknown kind and the cut-off line fall
    bad_date: str  # an order time on a day that does not exist
    extra_toml: tuple[str, ...] = ()  # lines at the end of the event file

    @property
    def out(self) -> Path:
        """Return the folder the campaign is written to."""
        return HERE / self.folder

    @property
    def price(self) -> dict[str, int]:
        """Return each product's list price in yuan."""
        return {sku: price for sku, _, price, _ in PRODUCTS}

    @property
    def product_name(self) -> dict[str, str]:
        """Return each product's name."""
        return {sku: name for sku, name, _, _ in PRODUCTS}


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

# (id, name, team, aliases, invite weight)
ORDER_TAKERS_520 = (
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
OTHER_STAFF_520 = (
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

SESSIONS_520 = (
    ("第一晚", datetime(2026, 5, 20, 19, 30, tzinfo=TZ), datetime(2026, 5, 20, 22, 55, tzinfo=TZ)),
    ("第二晚", datetime(2026, 5, 21, 19, 30, tzinfo=TZ), datetime(2026, 5, 21, 22, 55, tzinfo=TZ)),
)

# (evening, "HH:MM", sku, flash price in yuan, target groups or () for all, expected orders, max qty)
FLASH_SALES_520 = (
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


CAMPAIGN_520 = Campaign(
    seed=520,
    folder="520",
    title="# The 520 sample campaign. Generated by sample_data/generate.py; edit that, not this.",
    name="520 真爱宠粉节",
    start=datetime(2026, 5, 18, 10, 0, tzinfo=TZ),
    end=datetime(2026, 5, 21, 23, 30, tzinfo=TZ),
    budget=15000,
    base_goal_fen=1_000_000_00,
    stretch_goal_fen=1_500_000_00,
    paying_customers_goal=1000,
    # The first evening stops short of the base goal, so it is crossed early on the second.
    evening_targets_fen=(880_000_00, 1_760_000_00),
    buyer_pool=1_180,
    check_in_posts=640,
    shares=210,
    order_takers=ORDER_TAKERS_520,
    other_staff=OTHER_STAFF_520,
    team_community={"A": "S16", "B": "S17", "C": "S18"},
    team_groups={"A": ("G01", "G02", "G03", "G04"), "B": ("G05", "G06", "G07", "G08"), "C": ("G09", "G10", "G11", "G12")},
    hosts=("S19", "S20", "S21", "S22"),
    hype=("S23", "S24", "S25", "S26", "S27"),
    group_prefix="520 宠粉",
    sessions=SESSIONS_520,
    flash_sales=FLASH_SALES_520,
    join_days=((datetime(2026, 5, 18, tzinfo=TZ), 10, 23, 680), (datetime(2026, 5, 19, tzinfo=TZ), 8, 23, 775), (datetime(2026, 5, 20, tzinfo=TZ), 9, 18, 45)),
    post_days=tuple((datetime(2026, 5, day, tzinfo=TZ), weight) for day, weight in ((18, 0.15), (19, 0.30), (20, 0.30), (21, 0.25))),
    share_days=((datetime(2026, 5, 19, tzinfo=TZ), 0.2), (datetime(2026, 5, 20, tzinfo=TZ), 0.4), (datetime(2026, 5, 21, tzinfo=TZ), 0.4)),
    changes=(6, 4, 3),
    aliased=8,
    viewer_scales=(1.0, 1.12),
    bad_checkins_at=(datetime(2026, 5, 20, 20, 41, 7, tzinfo=TZ), datetime(2026, 5, 19, 15, 42, tzinfo=TZ)),
    bad_date="2026-05-32 21:05:00",
    # The earlier campaign to compare with and plan from, and the days of inviting before the show.
    extra_toml=("", "[[history]]", 'path = "../38/event.toml"', 'label = "三八节"', "", "[plan]", "invite_days = 3"),
)

# The same team's earlier, smaller campaign: 13 order-takers (S13–S15 joined later; S35 has left since).
# 阿珍 (S03) and 婷婷 (S05) invited far more people then, so that they sold more then than at 520: the comparison shows who fell.
_STARS_38 = {"S03": 2.6, "S05": 3.2}
ORDER_TAKERS_38 = (*((sid, name, team, aliases, _STARS_38.get(sid, weight)) for sid, name, team, aliases, weight in ORDER_TAKERS_520[:12]),
                   ("S35", "阿兰", "C", (), 0.9))
OTHER_STAFF_38 = tuple(row for row in OTHER_STAFF_520 if row[0] in ("S16", "S17", "S18", "S19", "S20", "S21", "S23", "S24", "S25", "S28", "S29", "S30"))

CAMPAIGN_38 = Campaign(
    seed=38,
    folder="38",
    title="# The 38 sample campaign (三八节: the 520 team's earlier, smaller one). Generated by sample_data/generate.py; edit that, not this.",
    name="三八女神节 宠粉专场",
    start=datetime(2026, 3, 5, 10, 0, tzinfo=TZ),
    end=datetime(2026, 3, 8, 23, 30, tzinfo=TZ),
    budget=9000,
    base_goal_fen=500_000_00,
    stretch_goal_fen=700_000_00,
    paying_customers_goal=500,
    evening_targets_fen=(255_000_00, 612_000_00),
    buyer_pool=700,
    check_in_posts=380,
    shares=120,
    order_takers=ORDER_TAKERS_38,
    other_staff=OTHER_STAFF_38,
    team_community={"A": "S16", "B": "S17", "C": "S18"},
    team_groups={"A": ("G01", "G02", "G03"), "B": ("G04", "G05", "G06"), "C": ("G07", "G08")},
    hosts=("S19", "S20", "S21"),
    hype=("S23", "S24", "S25"),
    group_prefix="三八 宠粉",
    sessions=(
        ("第一晚", datetime(2026, 3, 7, 19, 30, tzinfo=TZ), datetime(2026, 3, 7, 22, 55, tzinfo=TZ)),
        ("第二晚", datetime(2026, 3, 8, 19, 30, tzinfo=TZ), datetime(2026, 3, 8, 22, 55, tzinfo=TZ)),
    ),
    flash_sales=(
        (0, "19:50", "P03", 99, (), 60, 3),
        (0, "20:30", "P28", 999, ("G01", "G02", "G03", "G04"), 45, 1),
        (0, "21:10", "P15", 299, (), 50, 2),
        (0, "21:45", "P21", 380, ("G05", "G06", "G07", "G08"), 40, 2),
        (0, "22:20", "P32", 2999, (), 30, 1),
        (1, "19:45", "P10", 199, (), 55, 3),
        (1, "20:20", "P36", 1299, (), 40, 1),
        (1, "21:00", "P25", 699, ("G01", "G02", "G03", "G04"), 35, 2),
        (1, "21:38", "P38", 1380, (), 45, 1),
        (1, "22:15", "P30", 2380, (), 30, 1),
    ),
    join_days=((datetime(2026, 3, 5, tzinfo=TZ), 10, 23, 430), (datetime(2026, 3, 6, tzinfo=TZ), 8, 23, 520), (datetime(2026, 3, 7, tzinfo=TZ), 9, 18, 50)),
    post_days=tuple((datetime(2026, 3, day, tzinfo=TZ), weight) for day, weight in ((5, 0.15), (6, 0.30), (7, 0.30), (8, 0.25))),
    share_days=((datetime(2026, 3, 6, tzinfo=TZ), 0.2), (datetime(2026, 3, 7, tzinfo=TZ), 0.4), (datetime(2026, 3, 8, tzinfo=TZ), 0.4)),
    changes=(4, 2, 2),
    aliased=5,
    viewer_scales=(0.62, 0.7),
    bad_checkins_at=(datetime(2026, 3, 7, 20, 41, 7, tzinfo=TZ), datetime(2026, 3, 6, 15, 42, tzinfo=TZ)),
    bad_date="2026-03-32 21:05:00",
)

CAMPAIGNS = (CAMPAIGN_520, CAMPAIGN_38)
