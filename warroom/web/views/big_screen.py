"""The big screen's panels: the header, the revenue card with its goal bars, the KPI tiles, the leaderboard and the footer line."""

from __future__ import annotations

from decimal import Decimal

from warroom.compare import SameMinute
from warroom.config import EventConfig
from warroom.figures import Snapshot
from warroom.i18n import fmt_compact, fmt_int, fmt_pct, fmt_yuan, role_label, t
from warroom.show_summary import show_summary
from warroom.web.templating import render
from warroom.web.text import coming_time, event_time, fit_ems, fmt_standing, text_ems, trend

TOP_ORDER_TAKERS = 8


def header_html(config: EventConfig, snapshot: Snapshot, lang: str) -> str:
    """Return the header: the event's name and whether it is on air (the TV's language comes from its link's `lang`)."""
    pace = snapshot.pace
    if pace.on_air:
        parts = [t("on_air", lang)]
        if pace.session and pace.session != config.event.name:
            parts.append(pace.session)
        parts.append(t("live_minutes_left", lang, minutes=fmt_int(pace.session_minutes_left)))
    elif pace.finished:
        parts = [t("show_over", lang)]
    else:
        parts = [t("off_air", lang)]
        if pace.next_start is not None:
            # Between two nights the TV says when the show is back, not only that it is off.
            parts.append(t("next_live", lang, name=pace.next_session or "", time=coming_time(pace.next_start, snapshot.as_of, config)).replace("  ", " "))
    return render("big_screen/header.html", name=config.event.name, on_air=pace.on_air, status=" · ".join(parts))


def revenue_html(config: EventConfig, snapshot: Snapshot, lang: str, history: SameMinute | None = None) -> str:
    """Return the revenue card: the total, very large, when it was read, "vs last time" at the same live minute (with `[[history]]`), and the two goal bars."""
    updated = event_time(snapshot.as_of, config).strftime("%H:%M:%S")
    revenue = fmt_yuan(snapshot.revenue_fen)
    bars = [
        _goal_bar(t(label, lang), snapshot.revenue_fen, goal_fen, kind, lang)
        for label, goal_fen, kind in (("base_goal", snapshot.base_fen, "base"), ("stretch_goal", snapshot.stretch_fen, "stretch"))
    ]
    change = history.versus(snapshot.revenue_fen) if history is not None else None
    versus = t("cmp_vs_last", lang, earlier=history.label, change=f"{'+' if change >= 0 else '−'}{fmt_pct(abs(change))}") if change is not None else ""
    return render("big_screen/revenue.html", label=t("revenue", lang), updated=t("updated_at", lang, time=updated), revenue=revenue,
                  fit=fit_ems(text_ems(revenue)), bars=bars, versus=versus, ahead=change is not None and change >= 0)


def _goal_bar(label: str, revenue_fen: int, goal_fen: int, kind: str, lang: str) -> dict:
    fraction = Decimal(revenue_fen) / goal_fen if goal_fen else Decimal(0)
    reached = goal_fen > 0 and revenue_fen >= goal_fen
    width = min(max(fraction, Decimal(0)), Decimal(1)) * 100
    note = t("goal_reached", lang) + " ✓" if reached else t("to_go", lang, amount=fmt_compact(goal_fen - revenue_fen, lang))
    return {"label": label, "goal": fmt_yuan(goal_fen), "note": note, "reached": reached, "percent": fmt_pct(fraction),
            "css": "done" if reached else kind, "width": f"{width:.2f}"}


def _tile(label: str, value: str, note: str = "", value_class: str = "", unit: str = "", *, badge: str | None = None, badge_class: str = "") -> dict:
    # The value and its small unit (at 0.52 em) are fitted to the tile's width together.
    ems = text_ems(value) + 0.52 * (text_ems(unit) + 0.4)
    return {"label": label, "value": value, "unit": unit, "value_class": value_class, "fit": fit_ems(ems), "note": note, "badge": badge, "badge_class": badge_class}


def kpi_tiles_html(snapshot: Snapshot, lang: str) -> str:
    """Return the tiles: paid orders, buyers against the number needed, the run-rate and where it is heading."""
    pace = snapshot.pace
    per_minute = t("per_minute", lang)
    tiles = [_tile(t("paid_orders", lang), fmt_int(snapshot.paid_orders), t("aov", lang, amount=fmt_yuan(snapshot.aov_fen)))]

    buyers = fmt_int(snapshot.paying_customers)
    if snapshot.buyers_needed:
        reached = snapshot.paying_customers >= snapshot.buyers_needed
        progress = fmt_pct(Decimal(snapshot.paying_customers) / snapshot.buyers_needed)
        tiles.append(_tile(t("buyers", lang), buyers, unit=f"/ {fmt_int(snapshot.buyers_needed)}",
                           badge=progress + (" ✓" if reached else ""), badge_class="wr-ok" if reached else ""))
    else:
        tiles.append(_tile(t("buyers", lang), buyers))

    direction = trend(pace)
    value_class = f"wr-{direction}" if direction != "flat" else ""
    if pace.rate_before_fen:
        change = (pace.rate_last_fen - pace.rate_before_fen) / pace.rate_before_fen
        arrow = {"up": "▲", "down": "▼", "flat": "■"}[direction]
        tiles.append(_tile(t("run_rate", lang), fmt_yuan(pace.rate_last_fen), t("vs_previous", lang), value_class, unit=per_minute,
                           badge=f"{arrow} {fmt_pct(abs(change))}", badge_class=f"wr-{direction}"))
    else:
        tiles.append(_tile(t("run_rate", lang), fmt_yuan(pace.rate_last_fen), t("no_previous", lang), value_class, unit=per_minute))

    band = t("projected_band", lang, low=fmt_compact(pace.projected_low_fen, lang), high=fmt_compact(pace.projected_high_fen, lang))
    tiles.append(_tile(t("projected", lang), fmt_compact(pace.projected_fen, lang), band))

    for key, needed, goal_fen in (("needed_base", pace.needed_base_fen, snapshot.base_fen), ("needed_stretch", pace.needed_stretch_fen, snapshot.stretch_fen)):
        if snapshot.revenue_fen >= goal_fen:
            tiles.append(_tile(t(key, lang), t("goal_reached", lang) + " ✓", "", "wr-ok"))
        elif needed is None:
            tiles.append(_tile(t(key, lang), "—", t("no_time_left", lang), "wr-muted"))
        else:
            # Green while the last ten minutes' pace would get there, amber when it would not.
            # Off air there is no pace to judge, so the figure stays neutral.
            keeping_up = "" if not pace.on_air else "wr-ok" if pace.rate_last_fen >= needed else "wr-warn"
            to_go = t("to_go", lang, amount=fmt_compact(goal_fen - snapshot.revenue_fen, lang))
            tiles.append(_tile(t(key, lang), fmt_yuan(needed), to_go, keeping_up, unit=per_minute))
    return render("big_screen/tiles.html", tiles=tiles)


def leaderboard_html(snapshot: Snapshot, lang: str, role: str = "order_taker", top: int = TOP_ORDER_TAKERS) -> str:
    """Return the top of one role's leaderboard: rank, name, a bar against the leader, and the value."""
    standings = [s for s in snapshot.leaderboards.get(role, []) if s.value > 0][:top]
    leader = max(Decimal(standings[0].value), Decimal(1)) if standings else Decimal(1)
    rows = [{"rank": s.rank, "name": s.name, "width": f"{Decimal(s.value) / leader * 100:.1f}", "value": fmt_standing(s, lang)} for s in standings]
    title = t("top_order_takers", lang, n=top) if role == "order_taker" else t("bs_role_board", lang, role=role_label(role, lang), n=top)
    return render("big_screen/leaderboard.html", title=title, rows=rows, empty=t("no_sales_yet", lang))


def teams_html(snapshot: Snapshot, lang: str) -> str:
    """Return the team battle: each team's credited revenue against the leading team's, with its paid orders."""
    teams = snapshot.teams
    leader = max([team.revenue_fen for team in teams] + [1])
    rows = [{"rank": team.rank, "name": team.team, "width": f"{Decimal(team.revenue_fen) / leader * 100:.1f}", "value": fmt_yuan(team.revenue_fen)} for team in teams]
    return render("big_screen/leaderboard.html", title=t("bs_team_battle", lang), rows=rows, empty=t("no_sales_yet", lang))


def rotation(snapshot: Snapshot) -> list[str]:
    """Return the boards the TV turns between: the order-takers', each other role's that has a score, and the team battle when there are teams."""
    roles = [role for role, standings in snapshot.leaderboards.items() if role != "order_taker" and any(s.value > 0 for s in standings)]
    return ["order_taker", *roles, *(["teams"] if len(snapshot.teams) > 1 else [])]


def rotate_seconds(query_value: str | None, config: EventConfig) -> int:
    """Return how long each board shows: the kiosk link's `rotate` (whole seconds, 5 to 3600), else the event file's; 0 does not rotate."""
    if query_value and query_value.isdigit() and 5 <= int(query_value) <= 3600:
        return int(query_value)
    return config.big_screen.rotate_seconds


def board_html(snapshot: Snapshot, lang: str, period: int, wall_seconds: float) -> str:
    """Return the board showing now: with a period, the boards of `rotation` in turn, each for `period` seconds of the wall clock (every TV in step)."""
    boards = rotation(snapshot) if period else ["order_taker"]
    board = boards[int(wall_seconds // period) % len(boards)] if period else boards[0]
    return teams_html(snapshot, lang) if board == "teams" else leaderboard_html(snapshot, lang, board)


def footer_notice_html(line: str) -> str:
    """Return the big screen's footer line (the store was opened again), escaped."""
    return render("big_screen/footer.html", line=line)


def live_room_html(snapshot: Snapshot, lang: str) -> str:
    """Return the live room's strip (SPEC §4.1, as 抖音罗盘 and 视频号助手 show it): viewers now and at the peak, entries, conversion and GPM; "" without any live-room data."""
    room = snapshot.live
    if room.viewers is None and not room.entries:
        return ""
    dash = "—"
    cells = [
        {"label": t("lr_viewers", lang), "value": fmt_int(room.viewers) if room.viewers is not None else dash,
         "note": t("lr_peak", lang, n=fmt_int(room.peak_viewers)) if room.peak_viewers is not None else ""},
        {"label": t("lr_entries", lang), "value": fmt_int(room.entries), "note": t("lr_entrants", lang, n=fmt_int(room.entrants))},
        {"label": t("lr_conversion", lang), "value": fmt_pct(room.conversion) if room.conversion is not None else dash,
         "note": t("lr_buyers", lang, n=fmt_int(room.entrant_buyers))},
        {"label": t("metric_gpm", lang), "value": fmt_compact(int(room.gpm_fen), lang) if room.gpm_fen is not None else dash, "note": ""},
    ]
    return render("big_screen/live_room.html", title=t("lr_title", lang), cells=cells)


def summary_html(config: EventConfig, snapshot: Snapshot, lang: str) -> str:
    """Return the show's result, in the tiles' place once the last session has ended: goals reached, orders and buyers, each board's top, the best flash sale."""
    summary = show_summary(snapshot, config)
    goals = [{"label": t(f"sum_{kind}", lang), "reached": kind in summary.goals_reached} for kind in ("base", "stretch")]
    leaders = [
        {"role": role_label(role, lang), "names": "、".join(standing.name for standing in standings), "value": fmt_standing(standings[0], lang)}
        for role, standings in summary.leaders.items() if standings
    ]
    best = summary.best_flash_sale
    return render(
        "big_screen/summary.html", title=t("sum_title", lang), goals=goals, missed=t("sum_missed", lang),
        orders=t("sum_orders", lang, orders=fmt_int(summary.paid_orders), buyers=fmt_int(summary.paying_customers)),
        peak=t("lr_peak", lang, n=fmt_int(summary.peak_viewers)) if summary.peak_viewers is not None else "",
        leaders_title=t("sum_leaders", lang), leaders=leaders,
        best_title=t("sum_best_sale", lang), best=t("sum_best_sale_line", lang, product=best.sale.product, amount=fmt_compact(best.revenue_fen, lang)) if best else "",
    )
