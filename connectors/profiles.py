"""Shop-export profiles as data: which headers feed which canonical column (SPEC §1, EXPORT_FORMATS.md).

A profile maps each canonical column to an ordered tuple of header aliases. For every row the
first alias whose cell is not empty wins, so "子订单编号, else 主订单编号" is just the order of
the tuple. A new alias is a one-line change here.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from connectors.parse import clean

ORDER_COLUMNS = ("order_id", "ts", "amount", "status", "after_sale", "refund_amount", "sku", "product", "qty", "customer_id", "staff_id", "group_id")
CHECKIN_COLUMNS = ("id", "ts", "kind", "customer_id", "group_id", "staff_id", "value")
REQUIRED = {"orders": ("order_id", "ts", "amount"), "checkins": ("ts", "kind")}

# A detected profile needs at least this many of its distinctive headers, and more than any other profile.
MIN_DETECT_SCORE = 2

_PRODUCT_WITH_CODE = re.compile(r"^(.*?)-\(([^()]+)\)$")  # douyin 选购商品: "焕颜精华套装-(P01)"


@dataclass(frozen=True)
class Profile:
    """A header mapping: canonical column → header aliases, plus the quirks of one shop's export."""

    name: str
    kinds: tuple[str, ...]
    columns: dict[str, tuple[str, ...]]
    # Other headers this shop's exports carry: they only help to recognise a file.
    seen: tuple[str, ...] = ()
    # Appended to order_id (first non-empty wins) when a shop writes one row per product line of an order.
    line_key: tuple[str, ...] = ()
    # Whether the product cell may read "name-(code)", the code standing in for a missing sku.
    product_code_in_name: bool = False
    # Columns read only to build line_key, never passed on.
    helpers: tuple[str, ...] = ()


PROFILES: dict[str, Profile] = {
    "canonical": Profile(
        name="canonical",
        kinds=("orders", "checkins"),
        columns={name: (name,) for name in dict.fromkeys(ORDER_COLUMNS + CHECKIN_COLUMNS) if name != "after_sale"},
    ),
    "douyin": Profile(
        name="douyin",
        kinds=("orders",),
        columns={
            "order_id": ("子订单编号", "主订单编号"),
            "ts": ("支付完成时间", "订单提交时间"),
            "amount": ("订单应付金额",),
            "status": ("订单状态",),
            "after_sale": ("售后状态",),
            "sku": ("商家编码",),
            "product": ("选购商品",),
            "qty": ("商品数量",),
            "customer_id": ("收件人手机号",),
            "staff_id": ("达人ID",),
        },
        seen=("商品规格", "运费", "收件人", "详细地址", "商家备注", "订单完成时间", "取消原因", "发货时间",
              "平台实际承担优惠金额", "商家实际承担优惠金额", "达人实际承担优惠金额", "商品ID", "商品金额", "商品单价",
              "订单类型", "达人昵称", "快递信息", "支付方式", "流量体裁", "流量渠道", "流量来源", "流量类型", "平台优惠"),
        product_code_in_name=True,
    ),
    "weixin": Profile(
        name="weixin",
        kinds=("orders",),
        columns={
            "order_id": ("订单号",),
            "ts": ("支付时间", "订单下单时间"),
            "amount": ("商品实际价格(总共)", "订单实际支付金额"),
            "status": ("订单状态",),
            "after_sale": ("商品售后",),
            "refund_amount": ("商品已退款金额",),
            "sku": ("SKU编码(自定义)",),
            "product": ("商品名称",),
            "qty": ("商品数量",),
            "customer_id": ("收件人手机",),
            "staff_id": ("企微工号",),
            "platform_sku": ("商品编码(平台)",),
        },
        seen=("商品价格(单件)", "商品实际价格(单件)", "订单运费", "商品平均运费", "技术服务费", "运费险预计投保费用",
              "商品发货", "带货账号昵称", "企微企业ID", "导购最近分享时间"),
        line_key=("sku", "platform_sku", "product"),
        helpers=("platform_sku",),
    ),
    "youzan": Profile(
        name="youzan",
        kinds=("orders",),
        columns={
            "order_id": ("订单号",),
            "ts": ("买家付款时间",),
            "amount": ("订单实付金额",),
            "status": ("订单状态",),
            "product": ("全部商品名称",),
            "qty": ("订单商品总件数",),
            "customer_id": ("买家手机号", "买家昵称"),
            "staff_id": ("分销员",),
        },
        # The item-level export's headers too: 商品已退款金额 is in both Youzan and WeChat files, so it proves nothing.
        seen=("收货人/提货人", "收货人手机号/提货人手机号", "详细收货地址/提货地址", "订单创建时间", "交易成功时间",
              "商品金额合计", "运费", "店铺优惠合计", "买家姓名", "会员等级", "客户标签", "外部订单号", "订单商品状态",
              "商品名称", "商品类型", "商品规格", "规格编码", "商品编码", "商品单价", "商品优惠后价格", "商品数量",
              "商品金额小计", "商品发货状态", "发货员工", "商品退款状态", "商品已退款金额", "商家订单备注"),
    ),
}


def normalise_header(text: str) -> str:
    """Return a header cell as it is compared: NFKC (full-width brackets), no BOM, tabs, quotes or case."""
    return unicodedata.normalize("NFKC", text).replace("\ufeff", "").strip().strip('"').strip().casefold()


def _headers_of(profile: Profile) -> set[str]:
    aliases = {alias for names in profile.columns.values() for alias in names}
    return {normalise_header(name) for name in aliases | set(profile.seen)}


def distinctive_headers() -> dict[str, frozenset[str]]:
    """Return, per profile, the headers that no other profile knows: what detection scores on."""
    known = {name: _headers_of(profile) for name, profile in PROFILES.items()}
    return {
        name: frozenset(headers - set().union(*(other for other_name, other in known.items() if other_name != name)))
        for name, headers in known.items()
    }


_DISTINCTIVE = distinctive_headers()


def detect_profile(headers: Sequence[str]) -> str | None:
    """Return the profile whose distinctive headers a file carries most (at least two), or None when unclear."""
    present = {normalise_header(header) for header in headers}
    scores = sorted(((len(present & marks), name) for name, marks in _DISTINCTIVE.items()), reverse=True)
    (best, name), (runner_up, _) = scores[0], scores[1]
    if best < MIN_DETECT_SCORE or best == runner_up:
        return None
    return name


class HeaderError(ValueError):
    """A file whose header this feed cannot read; `reason` says why, for quarantine."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ColumnMap:
    """Where each canonical column sits in one file: canonical → the positions of its aliases, in order."""

    profile: Profile
    positions: dict[str, tuple[int, ...]]
    width: int

    def row(self, cells: Sequence[str]) -> dict[str, str]:
        """Return the canonical row for one record's cells: per column, the first non-empty alias."""
        row: dict[str, str] = {}
        for column, positions in self.positions.items():
            for position in positions:
                if position < len(cells) and clean(cells[position]) is not None:
                    row[column] = cells[position]
                    break
        return shape_row(self.profile, row)


def map_header(profile_name: str, kind: str, headers: Sequence[str], *, require: bool = True) -> ColumnMap:
    """Return how a header maps onto canonical columns; raise HeaderError for another shop's header or (if `require`) a missing column."""
    profile = PROFILES[profile_name]
    if kind not in profile.kinds:
        raise HeaderError(f"profile {profile_name!r} reads orders, not {kind}")
    detected = detect_profile(headers)
    if detected is not None and detected != profile_name:
        raise HeaderError(f"the header looks like a {detected!r} export, but the feed's profile is {profile_name!r}")
    index: dict[str, int] = {}
    for position, header in enumerate(headers):
        index.setdefault(normalise_header(header), position)
    positions = {
        column: tuple(index[normalise_header(alias)] for alias in aliases if normalise_header(alias) in index)
        for column, aliases in profile.columns.items()
    }
    for column in REQUIRED[kind] if require else ():
        if not positions.get(column):
            expected = " or ".join(profile.columns.get(column, (column,)))
            raise HeaderError(f"the header has no {column} column (profile {profile_name!r} reads it from {expected})")
    return ColumnMap(profile=profile, positions={column: found for column, found in positions.items() if found}, width=len(headers))


def map_object(profile_name: str, kind: str, record: dict[str, str]) -> dict[str, str]:
    """Return the canonical row for one JSON object whose keys are a profile's headers; missing fields are the row's problem."""
    keys = tuple(record)
    return _object_columns(profile_name, kind, keys).row([record[key] for key in keys])


@lru_cache(maxsize=256)
def _object_columns(profile_name: str, kind: str, keys: tuple[str, ...]) -> ColumnMap:
    # JSON Lines repeat the same keys line after line: map them once.
    return map_header(profile_name, kind, keys, require=False)


def shape_row(profile: Profile, row: dict[str, str]) -> dict[str, str]:
    """Return a profile's row with its quirks resolved: product codes in names, per-line order ids, helpers dropped."""
    if profile.product_code_in_name and clean(row.get("product")):
        match = _PRODUCT_WITH_CODE.match(clean(row["product"]) or "")
        if match:
            row["product"] = match.group(1).strip()
            if clean(row.get("sku")) is None:
                row["sku"] = match.group(2).strip()
    if profile.line_key and clean(row.get("order_id")):
        line = next((clean(row.get(column)) for column in profile.line_key if clean(row.get(column))), None)
        if line is not None:
            row["order_id"] = f"{clean(row['order_id'])}:{line}"
    for helper in profile.helpers:
        row.pop(helper, None)
    return row
