"""The panels of the personal, leaderboard and setup pages: pure functions from the figures to HTML
or a plotly figure, so they are tested without a browser. Every name is escaped.

The CSS is mobile first: a personal page must read well on a 390 px phone between two orders.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import plotly.graph_objects as go

from warroom.clock import at_minute
from warroom.config import EventConfig, Product, Staff
from warroom.figures import Snapshot
from warroom.health import IngestHealth
from warroom.i18n import fmt_axis_money, fmt_duration, fmt_int, fmt_list, fmt_pct, fmt_yuan, t
from warroom.leaderboards import MONEY_METRICS, Standing, TeamTotal
from warroom.money import to_fen, yuan_text
from warroom.schedule import live_sessions
from warroom.standings import PersonalView, WhatIf

RACE_TOP = 8
RACE_COLORS = ("#ffd666", "#ff7875", "#69b1ff", "#73d13d", "#b37feb", "#ffa940", "#5cdbd3", "#ff85c0")
FONT_STACK = "'Noto Sans CJK SC', 'Noto Sans SC', 'PingFang SC', 'Microsoft YaHei', sans-serif"

PAGE_CSS = """
.wp { color: #f2f4f8; font-variant-numeric: tabular-nums; line-height: 1.35; }
.wp-card { box-sizing: border-box; background: linear-gradient(180deg, #141b2d 0%, #10172a 100%); border: 1px solid #222c44;
  border-radius: 16px; padding: 0.9rem 1.1rem; margin-bottom: 0.2rem; }
.wp-label { font-size: 0.95rem; color: #aab2c3; font-weight: 600; margin-bottom: 0.35rem; }
.wp-sub { font-size: 0.95rem; color: #8c95a8; margin-top: 0.3rem; }
.wp-who { display: flex; flex-wrap: wrap; justify-content: space-between; align-items: baseline; gap: 0.1rem 0.6rem; font-size: 1.05rem; color: #c9d1e0; }
.wp-who b { font-size: 1.35rem; color: #f2f4f8; }
.wp-who > span:last-child { white-space: nowrap; }
.wp-rank { font-size: 4rem; font-weight: 800; color: #ffd666; line-height: 1.05; margin-top: 0.3rem; white-space: nowrap; }
.wp-rank small { font-size: 1.2rem; color: #aab2c3; font-weight: 600; margin-left: 0.4rem; }
.wp-value { font-size: 1.45rem; font-weight: 800; margin-top: 0.1rem; }
.wp-gap { font-size: 1.1rem; color: #f2f4f8; margin-top: 0.5rem; padding: 0.45rem 0.7rem; border-radius: 10px; background: rgba(255, 77, 79, 0.12); }
.wp-gap.first { background: rgba(255, 214, 102, 0.14); }
.wp-row { display: grid; grid-template-columns: 2.2rem 1fr auto; gap: 0.6rem; align-items: center; padding: 0.5rem 0.5rem;
  border-bottom: 1px solid #1f2940; font-size: 1.08rem; }
.wp-row:last-child { border-bottom: none; }
.wp-row.me { background: rgba(255, 214, 102, 0.16); box-shadow: inset 0 0 0 1px rgba(255, 214, 102, 0.55); border-radius: 10px; font-weight: 800; border-bottom-color: transparent; color: #ffd666; }
.wp-row .n { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.wp-row .v { text-align: right; white-space: nowrap; font-weight: 700; }
.wp-row .d { display: block; font-size: 0.85rem; color: #8c95a8; font-weight: 500; text-align: right; }
.wp-pos { display: inline-flex; align-items: center; justify-content: center; width: 1.9rem; height: 1.9rem; border-radius: 50%;
  background: #222c44; color: #c9d1e0; font-weight: 800; font-size: 0.95rem; }
.wp-money { font-size: 2.5rem; font-weight: 800; color: #ffd666; line-height: 1.1; white-space: nowrap; }
.wp-lines { margin-top: 0.4rem; font-size: 1rem; color: #c9d1e0; }
.wp-lines div { margin-top: 0.15rem; }
.wp-whatif { font-size: 1.3rem; font-weight: 800; color: #ffd666; line-height: 1.4; }
.wp-up { color: #ff7a45; } .wp-down { color: #69b1ff; } .wp-muted { color: #8c95a8; } .wp-ok { color: #73d13d; } .wp-warn { color: #ffa940; }
.wp-scroll { overflow-x: auto; }
.wp-table { width: 100%; border-collapse: collapse; font-size: 1rem; }
.wp-table th { text-align: left; color: #8c95a8; font-weight: 600; padding: 0.45rem 0.6rem; border-bottom: 1px solid #2f3a52; white-space: nowrap; }
.wp-table td { padding: 0.5rem 0.6rem; border-bottom: 1px solid #1f2940; white-space: nowrap; }
.wp-table .num { text-align: right; }
.wp-table tr.me td { background: rgba(255, 214, 102, 0.16); font-weight: 800; color: #ffd666; }
.wp-table tr.r1 .wp-pos { background: #ffd666; color: #1a1300; } .wp-table tr.r2 .wp-pos { background: #d9dee8; color: #1a1d24; }
.wp-table tr.r3 .wp-pos { background: #d48806; color: #1a1000; }
.wp-headline { display: flex; flex-wrap: wrap; justify-content: space-between; align-items: baseline; gap: 0.4rem 1.2rem; }
.wp-headline .t { font-size: 1.7rem; font-weight: 800; }
.wp-headline .s { font-size: 1.05rem; color: #aab2c3; }
.wp-headline .s b { color: #ffd666; font-size: 1.3rem; }
.wp-badge { display: inline-block; padding: 0.15rem 0.7rem; border-radius: 999px; font-size: 0.9rem; border: 1px solid #3a4458; color: #aab2c3; }
.wp-badge.ok { color: #73d13d; border-color: rgba(115, 209, 61, 0.55); } .wp-badge.bad { color: #ff7875; border-color: rgba(255, 77, 79, 0.55); }
.wp-glance { display: grid; grid-template-columns: repeat(auto-fill, minmax(9rem, 1fr)); gap: 0.7rem; }
.wp-glance .wp-value { font-size: 1.2rem; }
.wp-qr-name { font-size: 1.1rem; font-weight: 800; margin-top: 0.2rem; }
.wp-qr-id { font-size: 0.85rem; color: #8c95a8; word-break: break-all; }
[data-testid="stMainBlockContainer"] { padding-top: 4.2rem !important; }
@media (max-width: 640px) {
  [data-testid="stMainBlockContainer"] { padding: 4.3rem 0.8rem 2rem !important; }
  .wp-rank { font-size: 3.5rem; }
  .wp-table { font-size: 0.95rem; }
  .wp-table th, .wp-table td { padding: 0.45rem 0.4rem; }
}
"""


def _e(text: object) -> str:
    return html.escape(str(text))


def role_label(role: str, lang: str) -> str:
    """Return a staff role's name: 接单员, 主播 …"""
    return t(f"role_{role}", lang)


def metric_label(metric: str, lang: str) -> str:
    """Return a leaderboard metric's name: 成交额, 订单数 …"""
    return t(f"metric_{metric}", lang)


def metric_text(metric: str, value: int | Decimal, lang: str) -> str:
    """Return a metric value in its unit: ¥ for money, a count, or a percentage."""
    if metric in MONEY_METRICS:
        return fmt_yuan(value)
    if metric == "orders":
        return t("orders_count", lang, count=fmt_int(value))
    if metric == "conversion":
        return fmt_pct(value)
    return fmt_int(value)


def movement_html(movement: int | None) -> str:
    """Return a rank move as ▲2 / ▼1 / – (nothing when unknown)."""
    if movement is None:
        return ""
    if movement > 0:
        return f'<span class="wp-up">▲{movement}</span>'
    if movement < 0:
        return f'<span class="wp-down">▼{-movement}</span>'
    return '<span class="wp-muted">–</span>'


# -- my ranking -------------------------------------------------------------------------------------


def my_rank_html(view: PersonalView, lang: str, window_minutes: int, updated: str) -> str:
    """Return the top card of my page: who I am, my rank (large), my value, and the gap to the place above."""
    team = f" · {_e(view.team)}" if view.team else ""
    who = f'<div class="wp-who"><span><b>{_e(view.name)}</b> · {_e(role_label(view.role, lang))}{team}</span><span class="wp-muted">{_e(updated)}</span></div>'
    mine = view.standing
    if mine is None:
        return f'<div class="wp wp-card">{who}<div class="wp-sub">{_e(t("my_no_board", lang))}</div></div>'
    board = _e(t("my_board", lang, role=role_label(view.role, lang), metric=metric_label(mine.metric, lang)))
    moved = ""
    if mine.movement:
        key = "my_moved_up" if mine.movement > 0 else "my_moved_down"
        moved = f'<span class="{"wp-up" if mine.movement > 0 else "wp-down"}">{_e(t(key, lang, places=abs(mine.movement), minutes=window_minutes))}</span>'
    rank = f'<div class="wp-rank">{_e(t("my_rank", lang, rank=mine.rank))}<small>{_e(t("my_of", lang, count=view.board_size))}</small></div>'
    value = f'<div class="wp-value">{_e(metric_text(mine.metric, mine.value, lang))} {moved}</div>'
    if view.place_above is not None and view.gap_to_above is not None:
        above = view.place_above
        if view.gap_to_above > 0:
            gap_text = t("my_gap_above", lang, rank=above.rank, name=above.name, gap=metric_text(mine.metric, view.gap_to_above, lang))
        else:
            gap_text = t("my_level_above", lang, rank=above.rank, name=above.name)
        gap = f'<div class="wp-gap">{_e(gap_text)}</div>'
    else:
        runner_up = view.below[0] if view.below else None
        if runner_up is not None:
            lead = metric_text(mine.metric, mine.value - runner_up.value, lang)
            gap = f'<div class="wp-gap first">{_e(t("my_first", lang, rank=runner_up.rank, gap=lead))}</div>'
        else:
            gap = f'<div class="wp-gap first">{_e(t("my_first_alone", lang))}</div>'
    return f'<div class="wp wp-card">{who}<div class="wp-sub">{board}</div>{rank}{value}{gap}</div>'


def around_me_html(view: PersonalView, lang: str) -> str:
    """Return the rows around me: up to two above, me (highlighted), up to two below, each with its distance from me."""
    mine = view.standing
    if mine is None:
        return ""
    rows = []
    for row in [*view.above, mine, *view.below]:
        is_me = row.staff_id == view.staff_id
        name = f'{_e(row.name)} <span class="wp-muted">{_e(t("my_me", lang))}</span>' if is_me else _e(row.name)
        distance = ""
        if not is_me:
            difference = row.value - mine.value
            sign = "+" if difference > 0 else "−" if difference < 0 else "±"
            distance = f'<span class="d">{sign}{_e(metric_text(row.metric, abs(difference), lang))}</span>'
        rows.append(
            f'<div class="wp-row{" me" if is_me else ""}"><span class="wp-pos">{row.rank}</span><span class="n">{name}</span>'
            f'<span class="v">{_e(metric_text(row.metric, row.value, lang))}{distance}</span></div>'
        )
    return f'<div class="wp wp-card"><div class="wp-label">{_e(t("my_around", lang))}</div>{"".join(rows)}</div>'


def rival_html(view: PersonalView, lang: str) -> str:
    """Return my closest rival and how far ahead or behind they are."""
    if view.rival is None or view.rival_gap is None or view.standing is None:
        return ""
    gap = metric_text(view.standing.metric, abs(view.rival_gap), lang)
    key = "my_rival_ahead" if view.rival_gap > 0 else "my_rival_behind" if view.rival_gap < 0 else "my_rival_level"
    css = "wp-up" if view.rival_gap > 0 else "wp-down" if view.rival_gap < 0 else ""
    text = _e(t(key, lang, name=view.rival.name, gap=gap))
    return (
        f'<div class="wp wp-card"><div class="wp-label">{_e(t("my_rival", lang))}</div>'
        f'<div class="wp-value"><span class="wp-pos">{view.rival.rank}</span> <span class="{css}">{text}</span></div></div>'
    )


def my_commission_html(view: PersonalView, snapshot: Snapshot, config: EventConfig, lang: str) -> str:
    """Return my commission so far (mine only): the total, its parts, paid and owed, and whether it is final."""
    mine = view.account
    if mine.status == "final":
        status = t("my_commission_final", lang)
    else:
        status = t("my_commission_pending", lang, date=config.event.refund_deadline.astimezone(config.event.tz).strftime("%m-%d"))
    lines = [t("my_commission_orders", lang, amount=yuan_text(mine.commission_fen))]
    pool = snapshot.team_pool
    if mine.pool_share_fen:
        lines.append(t("my_pool_share", lang, amount=yuan_text(mine.pool_share_fen)))
    elif not pool.unlocked and config.commission.team_pool_split != "none" and pool.short_fen > 0:
        lines.append(t("my_pool_locked", lang, amount=yuan_text(pool.short_fen)))
    if mine.paid_fen:
        if mine.clawback_fen:
            lines.append(t("my_clawback", lang, paid=yuan_text(mine.paid_fen), amount=yuan_text(mine.clawback_fen)))
        else:
            lines.append(t("my_paid", lang, paid=yuan_text(mine.paid_fen), balance=yuan_text(mine.balance_fen)))
    details = "".join(f"<div>{_e(line)}</div>" for line in lines)
    return (
        f'<div class="wp wp-card"><div class="wp-label">{_e(t("my_commission", lang))} · <span class="wp-muted">{_e(status)}</span></div>'
        f'<div class="wp-money">{_e(yuan_text(mine.earned_fen))}</div><div class="wp-lines">{details}</div></div>'
    )


def what_if_line(result: WhatIf, lang: str) -> str:
    """Return the what-if line: "再出一单 ¥1,299：+¥194.85，升至第 3 名"."""
    price = yuan_text(result.unit_price_fen)
    text = (t("whatif_one", lang, price=price, earned=yuan_text(result.commission_fen)) if result.qty == 1
            else t("whatif_many", lang, qty=result.qty, price=price, earned=yuan_text(result.commission_fen)))
    if result.rank_after is not None:
        text += t("whatif_up" if result.places_up else "whatif_stay", lang, rank=result.rank_after)
    if result.pool_unlocks and result.pool_share_delta_fen:
        text += t("whatif_pool", lang, amount=yuan_text(result.pool_share_delta_fen))
    return text


def product_label(product: Product) -> str:
    """Return a product as the what-if picker lists it: "玫瑰精油身体乳 · ¥99"."""
    return f"{product.name} · {yuan_text(to_fen(product.price))}"


def suggested_product(products: list[Product], gap_fen: int | Decimal | None) -> Product | None:
    """Return the product the what-if starts with: the cheapest that would close a money gap, else the dearest."""
    if not products:
        return None
    by_price = sorted(products, key=lambda product: product.price)
    if gap_fen is not None and gap_fen > 0:
        closing = [product for product in by_price if to_fen(product.price) >= gap_fen]
        if closing:
            return closing[0]
    return by_price[-1]


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


# The epoch minutes a chart can draw: SPEC §5 keeps times within the years 2000-2100.
CHART_MINUTES = (int(datetime(2000, 1, 1, tzinfo=UTC).timestamp()) // 60, int(datetime(2101, 1, 1, tzinfo=UTC).timestamp()) // 60)


def race_figure(config: EventConfig, snapshot: Snapshot, lang: str, top: int = RACE_TOP, height: int = 420) -> go.Figure:
    """Return each top order-taker's cumulative revenue over time, in event time, with the gaps between live sessions cut out."""
    tz = config.event.tz

    def local(moment: datetime) -> datetime:
        return moment.astimezone(tz).replace(tzinfo=None)

    leaders = [row for row in snapshot.leaderboards.get("order_taker", []) if row.value > 0][:top]
    sessions = live_sessions(config)
    figure = go.Figure()
    drawable = {row.staff_id: {minute: fen for minute, fen in snapshot.staff_revenue_by_minute.get(row.staff_id, {}).items()
                               if CHART_MINUTES[0] <= minute < CHART_MINUTES[1]} for row in leaders}
    first_minutes = [min(series) for series in drawable.values() if series]
    start = min([sessions[0].start, *(at_minute(minute) for minute in first_minutes)])
    # The race ends now, or at the end of the last session begun (after the show, the line stops with it).
    begun = [session.end for session in sessions if session.start <= snapshot.as_of]
    end = max(min(snapshot.as_of, max(begun)) if begun else snapshot.as_of, start)
    for index, row in enumerate(leaders):
        # A minute outside 2000-2100 (a row an older version stored) cannot be drawn: its revenue counts from the start.
        series = drawable[row.staff_id]
        running = sum(fen for minute, fen in snapshot.staff_revenue_by_minute.get(row.staff_id, {}).items() if minute < CHART_MINUTES[0])
        moments, totals = [local(start)], [running / 100]
        for minute in sorted(series):
            running += series[minute]
            moments.append(local(at_minute(minute + 1)))
            totals.append(running / 100)
        moments.append(max(local(end), moments[-1]))
        totals.append(running / 100)
        figure.add_trace(go.Scatter(
            # plotly reads a legend entry as HTML: a name is text.
            x=moments, y=totals, mode="lines", name=html.escape(row.name), line={"color": RACE_COLORS[index % len(RACE_COLORS)], "width": 3, "shape": "hv"},
            hovertemplate="%{x|%H:%M} · ¥%{y:,.0f}<extra>" + html.escape(row.name) + "</extra>",
        ))
    breaks = [
        {"bounds": [local(before.end), local(after.start)]}
        for before, after in zip(sessions, sessions[1:], strict=False)
        if before.end < after.start and after.start <= snapshot.as_of
    ]
    if len(sessions) > 1:
        for session in sessions:
            if session.name and session.start <= snapshot.as_of:
                figure.add_vline(x=local(session.start), line={"color": "#3a4458", "width": 1.5, "dash": "dot"})
                figure.add_annotation(x=local(session.start), y=1, yref="paper", xanchor="left", yanchor="bottom", showarrow=False,
                                      text=html.escape(session.name), font={"color": "#8c95a8", "size": 13})
    top_fen = max([int(row.value) for row in leaders] + [100])
    ticks = _ticks(top_fen)
    figure.update_layout(
        template="plotly_dark", height=height, paper_bgcolor="#10172a", plot_bgcolor="#10172a",
        font={"family": FONT_STACK, "size": 14, "color": "#c9d1e0"},
        title={"text": t("boards_race", lang, n=len(leaders) or top), "font": {"size": 18, "color": "#aab2c3"}, "x": 0.01},
        margin={"l": 60, "r": 20, "t": 70, "b": 40}, hovermode="x unified",
        legend={"orientation": "h", "y": -0.15, "x": 0},
        xaxis={"showgrid": False, "linecolor": "#2f3a52", "rangebreaks": breaks, "range": [local(start), local(end)],
               "tickformatstops": [{"dtickrange": [None, 86_400_000], "value": "%H:%M"}, {"dtickrange": [86_400_000, None], "value": "%m-%d"}]},
        yaxis={"range": [0, top_fen * 1.08 / 100], "tickvals": [fen / 100 for fen in ticks], "ticktext": [fmt_axis_money(fen, lang) for fen in ticks],
               "gridcolor": "rgba(255,255,255,0.07)", "zeroline": False},
    )
    return figure


def _ticks(top_fen: int) -> list[int]:
    """Return round tick values (1, 2, 2.5 or 5 × 10^k fen apart), at most five steps up to `top_fen`."""
    magnitude = 100
    while True:
        for factor in (1, 2, 2.5, 5):
            step = int(magnitude * factor)
            if top_fen / step <= 5:
                return list(range(0, top_fen + 1, step))
        magnitude *= 10


# -- setup ------------------------------------------------------------------------------------------


def staff_by_role(config: EventConfig) -> dict[str, list[Staff]]:
    """Return the staff grouped by role, in the event file's order of roles first met."""
    grouped: dict[str, list[Staff]] = {}
    for member in config.staff:
        grouped.setdefault(member.role, []).append(member)
    return grouped


def lag_text(lag: timedelta | None, lang: str) -> str:
    """Return a lag as a short duration, or a dash when nothing was read yet."""
    return fmt_duration(lag.total_seconds(), lang) if lag is not None else t("setup_never", lang)



def glance_html(config: EventConfig, lang: str) -> str:
    """Return the event at a glance: dates, goals, buyers goal, sessions, flash sales, staff, products and groups, as tiles."""
    tz = config.event.tz
    start, end = config.event.start.astimezone(tz), config.event.end.astimezone(tz)
    tiles = [
        # "05-18 – 21" within a month: short enough for the tile not to break the date in two.
        (t("setup_dates", lang), f"{start:%m-%d} – {end:%d}" if (start.year, start.month) == (end.year, end.month) else f"{start:%m-%d} – {end:%m-%d}",
         f"{start:%H:%M} – {end:%H:%M}"),
        (t("base_goal", lang), fmt_yuan(to_fen(config.goals.base)), ""),
        (t("stretch_goal", lang), fmt_yuan(to_fen(config.goals.stretch)), ""),
        (t("setup_buyers_goal", lang), fmt_int(config.goals.paying_customers) if config.goals.paying_customers else "—", ""),
        (t("setup_sessions", lang), fmt_int(len(config.sessions) or 1), ""),
        (t("setup_flash_sales", lang), fmt_int(len(config.flash_sales)), ""),
        (t("setup_staff", lang), fmt_int(len(config.staff)), ""),
        (t("setup_products_groups", lang), f"{fmt_int(len(config.products))} / {fmt_int(len(config.groups))}", ""),
    ]
    cells = "".join(
        f'<div class="wp-card"><div class="wp-label">{_e(label)}</div><div class="wp-value">{_e(value)}</div>'
        f'{f"<div class=wp-sub>{_e(sub)}</div>" if sub else ""}</div>'
        for label, value, sub in tiles
    )
    return f'<div class="wp wp-glance">{cells}</div>'


def session_rows(config: EventConfig, lang: str) -> list[dict[str, str]]:
    """Return one row per live session: its name, start, end and hosts in slot order."""
    tz, names = config.event.tz, {member.id: member.name for member in config.staff}
    return [
        {
            t("setup_session_name", lang): session.name,
            t("setup_start", lang): f"{session.start.astimezone(tz):%m-%d %H:%M}",
            t("setup_end", lang): f"{session.end.astimezone(tz):%m-%d %H:%M}",
            t("setup_hosts", lang): " → ".join(names.get(slot.host, slot.host) for slot in session.slots),
        }
        for session in live_sessions(config)
    ]


def flash_sale_rows(config: EventConfig, lang: str) -> list[dict[str, str]]:
    """Return one row per flash sale: when, the product, the price, how long and which groups."""
    tz = config.event.tz
    products = {product.sku: product.name for product in config.products}
    groups = {group.id: group.name for group in config.groups}
    return [
        {
            t("setup_start", lang): f"{sale.at.astimezone(tz):%m-%d %H:%M}",
            t("setup_sale_product", lang): products.get(sale.sku, sale.sku),
            t("setup_sale_price", lang): yuan_text(to_fen(sale.price)),
            t("setup_sale_minutes", lang): str(sale.minutes),
            t("setup_sale_groups", lang): fmt_list((groups.get(group, group) for group in sale.groups), lang) or t("setup_all_groups", lang),
        }
        for sale in sorted(config.flash_sales, key=lambda sale: sale.at)
    ]


def staff_rows(config: EventConfig, lang: str) -> list[dict[str, str]]:
    """Return one row per role: how many staff and who."""
    return [
        {t("setup_role", lang): role_label(role, lang), t("setup_count", lang): str(len(members)), t("setup_staff", lang): fmt_list((m.name for m in members), lang)}
        for role, members in staff_by_role(config).items()
    ]


def feed_rows(health: IngestHealth, config: EventConfig, lang: str) -> list[dict[str, str]]:
    """Return one row per feed: files, bytes read and unread, the last row seen (event time), its lag and the quarantined rows."""
    tz = config.event.tz
    return [
        {
            t("setup_feed", lang): feed.label,
            t("setup_kind", lang): t(f"setup_kind_{feed.kind}", lang),
            t("setup_files", lang): str(feed.files),
            t("setup_read", lang): _bytes(feed.bytes_read),
            t("setup_unread", lang): _bytes(feed.bytes_unread),
            t("setup_last_row", lang): f"{feed.last_row_at.astimezone(tz):%m-%d %H:%M:%S}" if feed.last_row_at else t("setup_never", lang),
            t("setup_lag", lang): lag_text(feed.lag, lang),
            t("setup_quarantined", lang): str(feed.quarantined),
        }
        for feed in health.feeds
    ]


def _bytes(count: int) -> str:
    if count < 1024:
        return f"{count} B"
    if count < 1024 * 1024:
        return f"{count / 1024:,.1f} KB"
    return f"{count / 1024 / 1024:,.1f} MB"
