"""`warroom compare` and `warroom plan` as readable tables on a terminal (the JSON is in warroom.compare and warroom.plan)."""

from __future__ import annotations

import unicodedata
from decimal import ROUND_HALF_UP, Decimal

from warroom.compare import Comparison, FigureChange
from warroom.money import yuan_text
from warroom.plan import Membership, Plan
from warroom.text import printable

PROBLEM_LINES = {
    "plan_no_aov": "the earlier event has no paid orders (or no revenue): its AOV is unknown, so no payers needed",
    "plan_no_joins": "the earlier event has no join_group check-ins: its payer rate is unknown, so no members needed",
    "plan_no_payers": "no one who joined the earlier event's groups paid: its payer rate is 0, so no members needed",
    "plan_no_entrants": "the earlier event has no enter_live check-ins: its live conversion is unknown, so no entrants needed",
    "plan_no_live_payers": "no live-room entrant of the earlier event paid: its conversion is 0, so no entrants needed",
}
LABELS = {"revenue": "revenue", "orders": "orders", "paying_customers": "paying customers", "aov": "AOV", "gpm": "GPM",
          "conversion": "live conversion", "refunds": "refunds", "roi": "ROI"}


def _width(text: str) -> int:
    """Return how many terminal columns `text` takes (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def table_lines(headers: list[str], rows: list[list[str]], right: set[int] | None = None) -> list[str]:
    """Return a plain-text table: a header, a rule, the rows; columns in `right` aligned right."""
    right = right or set()
    cells = [[printable(cell) for cell in row] for row in [headers, *rows]]
    widths = [max(_width(row[index]) for row in cells) for index in range(len(headers))]

    def line(row: list[str]) -> str:
        padded = [(" " * (widths[i] - _width(cell)) + cell) if i in right else (cell + " " * (widths[i] - _width(cell))) for i, cell in enumerate(row)]
        return "  ".join(padded).rstrip()

    return [line(cells[0]), "  ".join("-" * width for width in widths), *(line(row) for row in cells[1:])]


def _ratio(value: Decimal | None, places: str = "0.01") -> str:
    return "—" if value is None else str(value.quantize(Decimal(places), rounding=ROUND_HALF_UP))


def _percent(value: Decimal | None) -> str:
    return "—" if value is None else f"{(value * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


def figure_text(key: str, value: int | Decimal | None) -> str:
    """Return one key figure as text: money in yuan, counts with separators, ratios and shares."""
    if value is None:
        return "—"
    if key in ("revenue", "aov", "gpm", "refunds"):
        return yuan_text(value)
    if key == "conversion":
        return _percent(Decimal(value))
    if key == "roi":
        return _ratio(Decimal(value))
    return f"{value:,}"


def change_text(row: FigureChange) -> str:
    """Return a figure's change as a signed percentage, or a dash when the earlier event had none."""
    change = row.change
    if change is None:
        return "—"
    return ("+" if change > 0 else "") + _percent(change)


def compare_lines(comparison: Comparison) -> list[str]:
    """Return the comparison as tables: key figures, funnel, staff in both, flash sales."""
    this, earlier = comparison.this, comparison.earlier
    lines = [f"{printable(this.name)} compared with {printable(earlier.label)}", ""]
    rows = [[LABELS[row.key], figure_text(row.key, row.this), figure_text(row.key, row.earlier), change_text(row)] for row in comparison.figures]
    lines += table_lines(["", "this event", "earlier", "change"], rows, right={1, 2, 3})
    lines += ["", "funnel (customers)"]
    funnel = [[step.key.replace("_", " "), f"{step.customers:,}", _percent(step.of_first), f"{then.customers:,}", _percent(then.of_first)]
              for step, then in zip(this.funnel, earlier.funnel, strict=True)]
    lines += table_lines(["", "this event", "of joined", "earlier", "of joined"], funnel, right={1, 2, 3, 4})
    lines += ["", f"staff in both events ({len(comparison.staff)})"]
    staff = [[row.staff_id, row.name, yuan_text(row.this_fen), yuan_text(row.earlier_fen), signed_yuan(row.change_fen), row.trend] for row in comparison.staff]
    lines += table_lines(["id", "name", "this event", "earlier", "change", ""], staff, right={2, 3, 4}) if staff else ["  (no one sold in both)"]
    for figures in (this, earlier):
        lines += ["", f"flash sales of {printable(figures.label)}, by revenue in their window"]
        sales = [[str(rank), f"{row.sale.at:%m-%d %H:%M}", row.sale.product, yuan_text(row.window_revenue_fen), yuan_text(row.sku_revenue_fen), f"{row.sku_orders:,}"]
                 for rank, row in enumerate(figures.flash_sales, start=1)]
        lines += table_lines(["#", "at", "product", "window revenue", "its product", "orders"], sales, right={0, 3, 4, 5}) if sales else ["  (none)"]
    return lines


def plan_lines(plan: Plan, members: Membership | None) -> list[str]:
    """Return the plan as a table, what it means for each order-taker, and the groups as they fill (when the new event's store is there)."""
    figures = plan.figures
    aov = Decimal(figures.aov.numerator) / figures.aov.denominator if figures.aov is not None else None
    rows = [
        ["base goal", yuan_text(figures.base_fen), ""],
        ["earlier AOV", yuan_text(aov) if aov is not None else "—", "revenue ÷ paid orders"],
        ["payers needed", _count(figures.payers_needed), "⌈base goal ÷ AOV⌉"],
        ["earlier payer rate", _fraction(figures.payer_rate), "paying customers ÷ customers who joined a group"],
        ["group members needed", _count(figures.members_needed), "⌈payers needed ÷ payer rate⌉"],
        ["earlier live conversion", _fraction(figures.conversion), "live entrants who paid ÷ entrants"],
        ["live entrants needed", _count(figures.entrants_needed), "⌈payers needed ÷ conversion⌉"],
    ]
    lines = [f"{printable(plan.event)}: planned backwards from {printable(plan.earlier)}", ""]
    lines += table_lines(["", "", "how"], rows, right={1})
    lines += [f"warroom plan: {PROBLEM_LINES[key]}" for key in figures.problems]
    if plan.invites_each is not None:
        lines += ["", f"each of {plan.order_takers} order-takers invites {plan.invites_each:,} people: "
                      f"{plan.invites_each_a_day:,} a day over {plan.invite_days} day(s) ([plan] invite_days)"]
    if members is None:
        return lines
    joined = f"{members.joined:,}" + (f" of {members.needed:,} needed ({_percent(members.share)})" if members.needed else "")
    lines += ["", f"group members so far: {joined}"]
    if members.takers and plan.invites_each is not None:
        takers = [[row.staff_id, row.name, f"{row.invited:,}", _count(row.needed)] for row in members.takers]
        lines += table_lines(["id", "order-taker", "invited so far", "needs"], takers, right={2, 3})
    return lines


def signed_yuan(fen: int) -> str:
    """Return a change in yuan with its sign in front: +¥1,306, -¥20,555."""
    return ("-" if fen < 0 else "+" if fen > 0 else "") + yuan_text(abs(fen))


def _count(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def _fraction(value) -> str:
    return "—" if value is None else _percent(Decimal(value.numerator) / value.denominator)
