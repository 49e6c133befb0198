"""The leaderboards page's tables: one role's board, with rank moves, and the team totals."""

from __future__ import annotations

from decimal import Decimal

from warroom.i18n import fmt_int, fmt_yuan, t
from warroom.leaderboards import Standing, TeamTotal
from warroom.money import yuan_text
from warroom.web.templating import render
from warroom.web.text import metric_label, metric_text


def movement_html(movement: int | None) -> str:
    """Return a rank move as ▲2 / ▼1 / – (nothing when unknown)."""
    return render("leaderboards/movement.html", value=movement)


def headline_html(title: str, total: str, updated: str) -> str:
    """Return the leaderboards page's headline: its title, the total so far and when it was read."""
    return render("leaderboards/headline.html", title=title, total=total, updated=updated)


def board_html(board: list[Standing], lang: str, *, me: str | None = None, commission_fen: dict[str, Decimal] | None = None) -> str:
    """Return one role's leaderboard as a table: rank, move, name, team, value, and commission only when given.

    `commission_fen` is what each member has earned with their team-pool share (warroom.payouts.earned_by_staff),
    so that a row says what the member's own page says.
    """
    metric = board[0].metric if board else ""
    head = {"rank": t("boards_rank", lang), "move": t("boards_move", lang), "name": t("boards_name", lang), "team": t("boards_team", lang),
            "metric": metric_label(metric, lang) if board else "", "commission": t("boards_commission", lang)}
    rows = [
        {"rank": row.rank, "movement": row.movement, "name": row.name, "me": row.staff_id == me, "team": row.team or "",
         "value": metric_text(metric, row.value, lang),
         "commission": yuan_text(commission_fen.get(row.staff_id, Decimal(0))) if commission_fen is not None else ""}
        for row in board
    ]
    return render("leaderboards/board.html", rows=rows, head=head, show_teams=any(row.team for row in board), show_commission=commission_fen is not None,
                  me_label=t("my_me", lang), empty=t("boards_empty", lang))


def teams_html(teams: list[TeamTotal], lang: str, *, earned_fen: dict[str, Decimal] | None = None, my_team: str | None = None) -> str:
    """Return the team totals: rank, team, members, revenue, orders, and, when given each member's earnings, the team's (pool shares included)."""
    show_commission = earned_fen is not None
    head = [t("boards_rank", lang), t("boards_team", lang), t("boards_members", lang), t("metric_revenue", lang), t("metric_orders", lang)]
    if show_commission:
        head.append(t("boards_commission", lang))
    rows = [
        {"rank": team.rank, "team": team.team, "me": team.team == my_team, "members": len(team.members), "revenue": fmt_yuan(team.revenue_fen),
         "orders": fmt_int(team.paid_orders),
         "commission": yuan_text(sum((earned_fen.get(member, Decimal(0)) for member in team.members), Decimal(0))) if earned_fen is not None else ""}
        for team in teams
    ]
    return render("leaderboards/teams.html", rows=rows, head=head, show_commission=show_commission, empty=t("boards_no_teams", lang))
