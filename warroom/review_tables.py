"""The review as localized tables: the review page shows them and the review workbook (`warroom.web.exports`) writes them, one sheet each."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from warroom.i18n import fmt_pct, fmt_yuan, role_label, t
from warroom.money import to_yuan
from warroom.review import Review

# How a column's values are kept and shown: money in fen, counts, fractions, event-local times, text.
KINDS = ("text", "money", "count", "percent", "time", "number")


@dataclass(frozen=True)
class Typed:
    """A cell kept and shown as another kind than its column's: a rate in the summary's column of numbers is a percent."""

    value: object
    kind: str


@dataclass(frozen=True)
class Table:
    """A localized table: the review page shows it and the review workbook writes it as one sheet."""

    key: str  # the i18n key of its title (and sheet name)
    title: str
    headers: tuple[str, ...]
    kinds: tuple[str, ...]
    rows: list[tuple]
    total: tuple | None = None  # a total row, written in bold under the rows


def _table(key: str, lang: str, columns: Sequence[tuple[str, str]], rows: Iterable[tuple]) -> Table:
    return Table(key=key, title=t(key, lang), headers=tuple(t(header, lang) for header, _ in columns),
                 kinds=tuple(kind for _, kind in columns), rows=list(rows))


def _local(moment: datetime, timezone: str) -> datetime:
    return moment.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)


def review_tables(review: Review, lang: str = "zh") -> list[Table]:
    """Return the review as tables: the summary, then one per breakdown."""
    total = review.revenue_fen
    earned = sum((row.total_fen for row in review.role_earnings), Decimal(0))
    roi = review.roi
    overview = _table("rv_sheet_summary", lang, (("rv_col_item", "text"), ("rv_col_value", "text"), ("rv_col_number", "number")), [
        (t("rv_col_event", lang), review.event, None),
        (t("rv_col_as_of", lang), _local(review.data_time, review.timezone).strftime("%Y-%m-%d %H:%M"), None),
        (t("rv_col_revenue", lang), fmt_yuan(total), to_yuan(total)),
        (t("rv_col_orders", lang), f"{review.paid_orders:,}", review.paid_orders),
        (t("rv_col_buyers", lang), f"{review.buyers:,}", review.buyers),
        (t("rv_col_aov", lang), fmt_yuan(Decimal(total) / review.paid_orders if review.paid_orders else 0),
         to_yuan(Decimal(total) / review.paid_orders) if review.paid_orders else 0),
        (t("rv_col_refunds", lang), f"{review.refunded_orders:,} / {fmt_yuan(review.refunded_fen)}", to_yuan(review.refunded_fen)),
        (t("rv_col_base_goal", lang), f"{fmt_yuan(review.base_fen)} · {fmt_pct(review.progress(review.base_fen))}", Typed(review.progress(review.base_fen), "percent")),
        (t("rv_col_stretch_goal", lang), f"{fmt_yuan(review.stretch_fen)} · {fmt_pct(review.progress(review.stretch_fen))}",
         Typed(review.progress(review.stretch_fen), "percent")),
        (t("rv_col_budget", lang), fmt_yuan(roi.budget_fen), to_yuan(roi.budget_fen)),
        (t("rv_col_roi", lang), f"{roi.roi:.2f}" if roi.roi is not None else "—", float(roi.roi) if roi.roi is not None else None),
        (t("rv_col_cost_ratio", lang), fmt_pct(roi.cost_ratio) if roi.cost_ratio is not None else "—",
         Typed(roi.cost_ratio, "percent") if roi.cost_ratio is not None else None),
    ])
    share_money = (("rv_col_revenue", "money"), ("rv_col_orders", "count"), ("rv_col_share", "percent"), ("rv_col_aov", "money"))
    tables = [
        overview,
        _table("rv_sheet_hours", lang, (("rv_col_hour", "time"), ("rv_col_revenue", "money"), ("rv_col_orders", "count"),
                                        ("rv_col_refunded_orders", "count"), ("rv_col_share", "percent")),
               [(row.hour, row.revenue_fen, row.paid_orders, row.refunded_orders, _share(row.revenue_fen, total)) for row in review.hours]),
        _table("rv_sheet_products", lang, (("rv_col_product", "text"), ("rv_col_sku", "text"), *share_money, ("rv_col_refunded_orders", "count")),
               [(row.label, row.detail, row.revenue_fen, row.paid_orders, row.share(total), row.aov_fen, row.refunded_orders) for row in review.products]),
        _table("rv_sheet_groups", lang, (("rv_col_group", "text"), ("rv_col_owner", "text"), ("rv_col_joins", "count"), *share_money),
               [(row.label, row.detail, row.joins or 0, row.revenue_fen, row.paid_orders, row.share(total), row.aov_fen) for row in review.groups]),
        _table("rv_sheet_roles", lang, (("rv_col_role", "text"), ("rv_col_sellers", "count"), *share_money),
               [(row.label, int(row.detail or 0), row.revenue_fen, row.paid_orders, row.share(total), row.aov_fen) for row in review.roles]),
        _table("rv_sheet_role_earnings", lang, (("rv_col_role", "text"), ("rv_col_earners", "count"), ("rv_col_commission", "money"),
                                                ("rv_col_pool", "money"), ("rv_col_earned", "money"), ("rv_col_share", "percent")),
               [(role_label(row.role, lang), row.people, row.commission_fen, row.pool_share_fen, row.total_fen, _share(row.total_fen, earned))
                for row in review.role_earnings]),
        _table("rv_sheet_tiers", lang, (("rv_col_tier", "text"), ("rv_col_buyers", "count"), *share_money, ("rv_col_per_buyer", "money")),
               [(row.label, row.buyers or 0, row.revenue_fen, row.paid_orders, row.share(total), row.aov_fen,
                 Decimal(row.revenue_fen) / row.buyers if row.buyers else Decimal(0)) for row in review.tiers]),
        _table("rv_sheet_funnel", lang, (("rv_col_stage", "text"), ("rv_col_customers", "count"), ("rv_col_of_previous", "percent"), ("rv_col_of_first", "percent")),
               [(t(f"rv_funnel_{step.key}", lang), step.customers, step.of_previous, step.of_first) for step in review.funnel]),
        # Each cost as a share of revenue; the total cost's share is the cost ratio (费比). ROI is in the summary.
        _table("rv_sheet_roi", lang, (("rv_col_item", "text"), ("rv_col_amount", "money"), ("rv_col_of_revenue", "percent")), [
            (t(key, lang), fen, _share(fen, total) if total else None)
            for key, fen in (("rv_col_revenue", roi.revenue_fen), ("rv_col_budget", roi.budget_fen), ("rv_col_commission", roi.commission_fen),
                             ("rv_col_pool", roi.pool_fen), ("rv_col_cost", roi.cost_fen))
        ]),
        _table("rv_sheet_flash_sales", lang, (("rv_col_time", "time"), ("rv_col_product", "text"), ("rv_col_price", "money"), ("rv_col_minutes", "count"),
                                              ("rv_col_sku_orders", "count"), ("rv_col_sku_revenue", "money"), ("rv_col_window_revenue", "money"),
                                              ("rv_col_before_revenue", "money"), ("rv_col_uplift", "percent")),
               [(_local(row.sale.at, review.timezone), row.sale.product, row.sale.price_fen, row.sale.minutes, row.sku_orders, row.sku_revenue_fen,
                 row.window_revenue_fen, row.before_revenue_fen, row.uplift) for row in review.flash_sales]),
    ]
    tables.append(_table("rv_sheet_pushes", lang, (
        ("rv_col_time", "time"), ("rv_col_rule", "text"), ("rv_col_template", "text"), ("rv_col_staff", "text"), ("rv_col_groups", "text"),
        ("rv_col_orders_before", "count"), ("rv_col_orders_after", "count"), ("rv_col_others_before", "count"), ("rv_col_others_after", "count"),
        ("rv_col_extra_orders", "number"), ("rv_col_extra_checkins", "number"), ("rv_col_complete", "text"),
    ), [(_local(row.pushed_at, review.timezone), row.title, row.template, row.staff, row.groups, row.orders_before, row.orders_after,
         row.others_orders_before, row.others_orders_after, row.extra_orders, row.extra_checkins,
         t("rv_yes", lang) if row.complete else t("rv_no", lang)) for row in review.pushes]))
    tables.append(_table("rv_sheet_lift_totals", lang, (
        ("rv_col_by", "text"), ("rv_col_key", "text"), ("rv_col_pushes", "count"), ("rv_col_group_pushes", "count"),
        ("rv_col_extra_orders", "number"), ("rv_col_extra_per_group", "number"),
    ), [(t(f"rv_by_{row.by}", lang), row.label or row.key, row.pushes, row.groups, row.extra_orders, row.extra_orders_per_group) for row in review.lift_totals]))
    return tables


def _share(part: int | Decimal, total: int | Decimal) -> Decimal:
    return Decimal(part) / total if total else Decimal(0)
