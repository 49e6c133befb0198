"""The leaderboards page's tables: one role's board, with rank moves, and the team totals."""

from __future__ import annotations

import html
from decimal import Decimal

from warroom.commission import yuan_text
from warroom.figures import Standing, TeamTotal
from warroom.i18n import fmt_int, fmt_yuan, t
from warroom.web.text import metric_label, metric_text


def _e(text: object) -> str:
    return html.escape(str(text))


def movement_html(movement: int | None) -> str:
    """Return a rank move as ▲2 / ▼1 / – (nothing when unknown)."""
    if movement is None:
        return ""
    if movement > 0:
        return f'<span class="wp-up">▲{movement}</span>'
    if movement < 0:
        return f'<span class="wp-down">▼{-movement}</span>'
    return '<span class="wp-muted">–</span>'



# -- leaderboards -----------------------------------------------------------------------------------


def board_html(board: list[Standing], lang: str, *, me: str | None = None, commission_fen: dict[str, Decimal] | None = None) -> str:
    """Return one role's leaderboard as a table: rank, move, name, team, value, and commission only when given."""
    if not board:
        return f'<div class="wp wp-card wp-muted">{_e(t("boards_empty", lang))}</div>'
    metric = board[0].metric
    show_teams = any(row.team for row in board)
    head = [f'<th>{_e(t("boards_rank", lang))}</th>', f'<th>{_e(t("boards_move", lang))}</th>', f'<th>{_e(t("boards_name", lang))}</th>']
    if show_teams:
        head.append(f'<th>{_e(t("boards_team", lang))}</th>')
    head.append(f'<th class="num">{_e(metric_label(metric, lang))}</th>')
    if commission_fen is not None:
        head.append(f'<th class="num">{_e(t("boards_commission", lang))}</th>')
    rows = []
    for row in board:
        cells = [f'<td><span class="wp-pos">{row.rank}</span></td>', f"<td>{movement_html(row.movement)}</td>"]
        name = _e(row.name) + (f' <span class="wp-muted">{_e(t("my_me", lang))}</span>' if row.staff_id == me else "")
        cells.append(f"<td>{name}</td>")
        if show_teams:
            cells.append(f"<td>{_e(row.team or '')}</td>")
        cells.append(f'<td class="num">{_e(metric_text(metric, row.value, lang))}</td>')
        if commission_fen is not None:
            cells.append(f'<td class="num">{_e(yuan_text(commission_fen.get(row.staff_id, Decimal(0))))}</td>')
        css = " ".join(filter(None, [f"r{row.rank}", "me" if row.staff_id == me else ""]))
        rows.append(f'<tr class="{css}">{"".join(cells)}</tr>')
    return f'<div class="wp wp-card wp-scroll"><table class="wp-table"><thead><tr>{"".join(head)}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'


def teams_html(teams: list[TeamTotal], lang: str, *, show_commission: bool, my_team: str | None = None) -> str:
    """Return the team totals: rank, team, members, revenue, orders, and commission only when asked."""
    if not teams:
        return f'<div class="wp wp-card wp-muted">{_e(t("boards_no_teams", lang))}</div>'
    head = [t("boards_rank", lang), t("boards_team", lang), t("boards_members", lang), t("metric_revenue", lang), t("metric_orders", lang)]
    if show_commission:
        head.append(t("boards_commission", lang))
    header = "".join(f'<th{" class=num" if index >= 2 else ""}>{_e(label)}</th>' for index, label in enumerate(head))
    rows = []
    for team in teams:
        cells = [f'<td><span class="wp-pos">{team.rank}</span></td>', f"<td>{_e(team.team)}</td>", f'<td class="num">{len(team.members)}</td>',
                 f'<td class="num">{_e(fmt_yuan(team.revenue_fen))}</td>', f'<td class="num">{fmt_int(team.paid_orders)}</td>']
        if show_commission:
            cells.append(f'<td class="num">{_e(yuan_text(team.commission_fen))}</td>')
        css = " ".join(filter(None, [f"r{team.rank}", "me" if team.team == my_team else ""]))
        rows.append(f'<tr class="{css}">{"".join(cells)}</tr>')
    return f'<div class="wp wp-card wp-scroll"><table class="wp-table"><thead><tr>{header}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'


