"""The plotly charts: the big screen's revenue line, the leaderboards' race, the commission bars and the review's charts, in the theme's colours and font."""

from __future__ import annotations

import html
from bisect import bisect_right
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import plotly.graph_objects as go

from warroom.clock import at_minute
from warroom.commission import band_labels
from warroom.compare import SameMinute
from warroom.config import EventConfig
from warroom.figures import Snapshot
from warroom.i18n import fmt_axis_money, fmt_compact, fmt_yuan, t
from warroom.money import to_yuan
from warroom.review import chart_span
from warroom.schedule import flash_sales, live_sessions
from warroom.timeline import LiveAxis
from warroom.web.session import LiveEvent
from warroom.web.text import plot_text, text_ems
from warroom.web.theme import BACKGROUND, BLUE, CYAN, DIVIDER, FONT_STACK, GOLD, GREEN, LABEL, LINE, MUTED, ORANGE, PANEL, PINK, PURPLE, RED, SERIES, SOFT_TEXT

RACE_TOP = 8
CHART_MIN_HEIGHT = 280  # px: the chart alone on a phone
# A TV never needs the plotly toolbar or hover boxes. Streamlit sizes the figure to its box; plotly's own resizing
# ("responsive") would measure again inside the big screen's zoomed chart (big_screen.css) and halve it.
STATIC_CHART = {"staticPlot": True, "displayModeBar": False, "responsive": False}
# The review's charts: hover stays, the plotly toolbar (which a phone shows on every tap) goes.
QUIET_CHART = {"displayModeBar": False, "responsive": True}


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
            x=moments, y=totals, mode="lines", name=html.escape(row.name), line={"color": SERIES[index % len(SERIES)], "width": 3, "shape": "hv"},
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
                figure.add_vline(x=local(session.start), line={"color": DIVIDER, "width": 1.5, "dash": "dot"})
                figure.add_annotation(x=local(session.start), y=1, yref="paper", xanchor="left", yanchor="bottom", showarrow=False,
                                      text=html.escape(session.name), font={"color": MUTED, "size": 13})
    top_fen = max([int(row.value) for row in leaders] + [100])
    ticks = _ticks(top_fen)
    figure.update_layout(
        template="plotly_dark", height=height, paper_bgcolor=PANEL, plot_bgcolor=PANEL,
        font={"family": FONT_STACK, "size": 14, "color": SOFT_TEXT},
        title={"text": t("boards_race", lang, n=len(leaders) or top), "font": {"size": 18, "color": LABEL}, "x": 0.01},
        margin={"l": 60, "r": 20, "t": 70, "b": 40}, hovermode="x unified",
        legend={"orientation": "h", "y": -0.15, "x": 0},
        xaxis={"showgrid": False, "linecolor": LINE, "rangebreaks": breaks, "range": [local(start), local(end)],
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


def money_axis(top_fen: int, lang: str) -> dict:
    """Return a y axis of money from 0 past `top_fen`, its ticks in 万 (or ¥K/¥M in English) as the figures' own labels are."""
    step = _nice_step(max(int(top_fen), 100))
    ticks = list(range(0, int(top_fen) + step, step))
    return {"range": [0, ticks[-1] / 100], "tickvals": [fen / 100 for fen in ticks], "ticktext": [fmt_axis_money(fen, lang) for fen in ticks]}


def _nice_step(top_fen: int) -> int:
    """Return a round tick step (1, 2, 2.5 or 5 × 10^k fen) that gives at most six ticks up to `top_fen`."""
    magnitude = 100
    while True:
        for factor in (1, 2, 2.5, 5):
            step = int(magnitude * factor)
            if top_fen / step <= 6:
                return step
        magnitude *= 10


def _y_ticks(top_fen: int) -> list[int]:
    step = _nice_step(int(top_fen))
    return list(range(0, int(top_fen) + step, step))


def revenue_figure(config: EventConfig, snapshot: Snapshot, lang: str, history: SameMinute | None = None) -> go.Figure:
    """Return the big screen's revenue line on the live time axis (warroom.timeline): tonight's runway, the plan and where it is heading.

    The x axis is minutes of live time, the hours between sessions folded out, and runs to the end of the
    session on air (or the last one held). On it: each session's start, named; the flash sales as bands;
    the plan (a dashed line per goal, the goal spread evenly over the live time: where the team should be
    by now); the projection from now to the session's end, with its band; and the revenue so far. The
    y axis fits what is drawn; a goal line joins when it comes within reach, and until then a marker at
    the top says how far above it lies. With an earlier event (`history`, from `[[history]]`), its curve
    runs faint beside this one's, minute for minute of live time.
    """
    axis = LiveAxis.of(live_sessions(config), config.event.tz)
    pace = snapshot.pace
    now = snapshot.as_of
    end_x = axis.session_end_x(now)
    now_x = min(axis.x(now), end_x)
    # A minute outside 2000-2100 (a row an older version stored) cannot be drawn: its revenue counts from the start.
    earlier = sum(fen for minute, fen in snapshot.revenue_by_minute if minute < CHART_MINUTES[0])
    xs, totals, running = [0.0], [earlier], earlier
    for minute, fen in snapshot.revenue_by_minute:
        if CHART_MINUTES[0] <= minute < CHART_MINUTES[1]:
            running += fen
            xs.append(min(axis.x(at_minute(minute + 1)), end_x))
            totals.append(running)
    if now_x > xs[-1]:
        xs.append(now_x)
        totals.append(running)
    revenue = snapshot.revenue_fen

    shapes, annotations, traces = [], [], []
    for sale in flash_sales(config):
        x0, x1 = axis.x(sale.at), axis.x(sale.end)
        if x1 <= x0 or x0 >= end_x:
            continue
        held = sale.at <= now
        shapes.append({"type": "rect", "xref": "x", "x0": x0, "x1": x1, "yref": "y domain", "y0": 0, "y1": 1, "layer": "below", "line": {"width": 0},
                       "fillcolor": f"rgba(255, 77, 79, {0.20 if held else 0.08})"})
    for x in axis.boundaries():
        if x < end_x:
            shapes.append({"type": "line", "xref": "x", "x0": x, "x1": x, "yref": "y domain", "y0": 0, "y1": 1, "line": {"color": DIVIDER, "width": 2, "dash": "dot"}})

    # The plan (warroom.pace.planned_fen: each goal spread evenly over the live time), drawn up to now: its end is where the team should be by now.
    plan_now = {}
    for fen, planned, color, key in ((snapshot.base_fen, pace.planned_base_fen, ORANGE, "chart_base_plan"), (snapshot.stretch_fen, pace.planned_stretch_fen, RED, "chart_stretch_plan")):
        if fen and now_x > 0:
            plan_now[fen] = planned
            traces.append({"type": "scatter", "x": [0, now_x], "y": [0, planned / 100], "mode": "lines", "line": {"color": color, "width": 2.5, "dash": "dot"}, "opacity": 0.8})
            # Beside the line's end, or, near the axis's end (where the viewers' axis is), above it to the left.
            near_end = now_x > end_x * 0.8
            annotations.append({"x": now_x, "y": planned / 100, "xanchor": "right" if near_end else "left", "yanchor": "bottom" if near_end else "middle",
                                "showarrow": False, "xshift": -4 if near_end else 4,
                                "text": plot_text(t(key, lang, amount=fmt_compact(planned, lang))), "font": {"color": color, "size": 16}})

    # The projection from now to the end of this session, with its band (the tile's projected finish is the event's end).
    point_end = None
    if pace.on_air and end_x > now_x:
        low_end, point_end, high_end = pace.projected_within(Decimal(str(end_x - now_x)), revenue)
        traces.append({"type": "scatter", "x": [now_x, end_x, end_x, now_x], "y": [revenue / 100, high_end / 100, low_end / 100, revenue / 100],
                       "mode": "lines", "fill": "toself", "fillcolor": "rgba(64, 169, 255, 0.16)", "line": {"width": 0}})
        traces.append({"type": "scatter", "x": [now_x, end_x], "y": [revenue / 100, point_end / 100], "mode": "lines", "line": {"color": BLUE, "width": 3, "dash": "dash"}})

    # The y axis fits what has been sold and where the plan says it should be by now; the projection may run off its top.
    top_fen = max(revenue, *plan_now.values(), 100) * 1.25
    above = 0
    for fen, color, key in ((snapshot.stretch_fen, RED, "chart_stretch"), (snapshot.base_fen, ORANGE, "chart_base")):
        if not fen:
            continue
        label = plot_text(t(key, lang, amount=fmt_compact(fen, lang)))
        if fen <= top_fen * 1.35:
            top_fen = max(top_fen, fen * 1.08)
            shapes.append({"type": "line", "xref": "x domain", "x0": 0, "x1": 1, "yref": "y", "y0": fen / 100, "y1": fen / 100, "line": {"color": color, "width": 2.5, "dash": "dash"}})
            annotations.append({"xref": "x domain", "x": 0, "xanchor": "left", "yref": "y", "y": fen / 100, "yanchor": "bottom", "showarrow": False,
                                "text": label, "font": {"color": color, "size": 20}})
        else:
            # Out of reach for now: named at the top right (the stretch goal outermost), so the team knows the goal is there.
            annotations.append({"xref": "x domain", "x": 1, "xanchor": "right", "xshift": -above, "yref": "paper", "y": 1, "yanchor": "bottom", "showarrow": False,
                                "text": f"{label} ↑", "font": {"color": color, "size": 18}})
            above += int(text_ems(label) * 18) + 40
    if point_end is not None:
        annotations.append({"x": end_x, "y": min(point_end, top_fen * 0.93) / 100, "xanchor": "right", "yanchor": "bottom", "showarrow": False,
                            "text": plot_text(t("chart_projected", lang, amount=fmt_compact(point_end, lang))), "font": {"color": BLUE, "size": 18}})
    # The live room's viewers, faint, on an axis of their own at the right: when people came, and whether sales followed.
    viewers = [(axis.x(at_minute(minute)), count) for minute, count in snapshot.viewers_by_minute if CHART_MINUTES[0] <= minute < CHART_MINUTES[1]]
    viewers = [(x, count) for x, count in viewers if x <= now_x]
    peak_viewers = max([count for _x, count in viewers] + [0])
    if viewers:
        traces.append({"type": "scatter", "x": [x for x, _ in viewers], "y": [count for _, count in viewers], "yaxis": "y2", "mode": "lines",
                       "line": {"color": CYAN, "width": 2}, "opacity": 0.55})
    if history is not None and history.curve:
        earlier = [(x, fen) for x, fen in history.curve if x <= end_x]
        if earlier:
            traces.append({"type": "scatter", "x": [x for x, _ in earlier], "y": [fen / 100 for _, fen in earlier], "mode": "lines",
                           "line": {"color": LABEL, "width": 2.5, "shape": "hv", "dash": "solid"}, "opacity": 0.45})
            last_x, last_fen = earlier[-1]
            annotations.append({"x": last_x, "y": min(last_fen, top_fen * 0.95) / 100, "xanchor": "right", "yanchor": "top", "showarrow": False,
                                "text": plot_text(history.label), "font": {"color": LABEL, "size": 15}, "opacity": 0.8})
    traces.append({"type": "scatter", "x": xs, "y": [fen / 100 for fen in totals], "mode": "lines", "line": {"color": GOLD, "width": 5, "shape": "hv"},
                   "fill": "tozeroy", "fillcolor": "rgba(255, 214, 102, 0.14)"})
    ticks = axis.ticks(end_x)
    y_ticks = _y_ticks(int(top_fen))
    # Shapes and annotations are written out, and the template left empty (every colour is set here):
    # plotly's add_hline and a named template cost over 100 ms a figure, and every TV asks every 2 s.
    return go.Figure(data=traces, layout=dict(
        template={}, shapes=shapes, annotations=annotations, showlegend=False, hovermode=False, autosize=True,
        paper_bgcolor=PANEL, plot_bgcolor=PANEL,
        font={"family": FONT_STACK, "size": 18, "color": SOFT_TEXT},
        title={"text": t("revenue_over_time", lang), "font": {"size": 26, "color": LABEL}, "x": 0.02, "y": 0.97, "yanchor": "top"},
        margin={"l": 84, "r": 64 if viewers else 24, "t": 64, "b": 70},
        xaxis={"showgrid": False, "linecolor": LINE, "range": [0, max(end_x, 1.0)], "tickangle": 0, "tickvals": [tick.x for tick in ticks],
               "ticktext": [f"{tick.time}<br>{plot_text(tick.session)}" if tick.session else tick.time for tick in ticks], "zeroline": False},
        yaxis={"range": [0, top_fen / 100], "tickvals": [fen / 100 for fen in y_ticks], "ticktext": [fmt_axis_money(fen, lang) for fen in y_ticks],
               "gridcolor": "rgba(255,255,255,0.07)", "zeroline": False},
        yaxis2={"overlaying": "y", "side": "right", "range": [0, max(peak_viewers, 1) * 1.25], "showgrid": False, "zeroline": False,
                "visible": bool(viewers), "tickfont": {"color": CYAN, "size": 14}, "nticks": 4,
                "title": {"text": plot_text(t("lr_viewers_axis", lang)), "font": {"color": CYAN, "size": 14}, "standoff": 4}},
    ))


def live_revenue_figure(live: LiveEvent, snapshot: Snapshot, lang: str, history: SameMinute | None = None) -> go.Figure:
    """Return the big screen's revenue line, built once per store change and event minute for every screen (shared: never change it)."""
    # Thirty TVs each asking every 2 s would otherwise build thirty identical figures.
    key = (snapshot.seq, int(snapshot.as_of.timestamp()) // 60, history is not None)
    return live.shared(f"revenue_figure:{lang}").get(key, lambda: revenue_figure(live.config, snapshot, lang, history))


def commission_figure(rows: list, config: EventConfig, lang: str, top: int = 25) -> go.Figure:
    """Return each earner's commission by band, stacked, with their team-pool share on the end; best earners on top."""
    # People with commission of their own; those with only a pool share are in the table, not here.
    earners = sorted((row for row in rows if row.commission_fen > 0), key=lambda row: (-row.total_fen, row.staff_id))[:top]
    earners.reverse()  # plotly draws the first bar at the bottom
    names = [plot_text(row.name) for row in earners]
    colors = (BLUE, ORANGE, RED, PURPLE, CYAN, PINK)
    figure = go.Figure()
    for index, label in enumerate(band_labels(config)):
        figure.add_bar(y=names, x=[to_yuan(row.band_commission_fen[index]) for row in earners], orientation="h",
                       name=plot_text(t("cm_band_commission", lang, band=label)), marker_color=colors[index % len(colors)])
    figure.add_bar(y=names, x=[to_yuan(row.pool_share_fen) for row in earners], orientation="h", name=t("cm_pool_share", lang), marker_color=GOLD)
    figure.update_layout(
        barmode="stack", height=max(260, 28 * len(earners) + 110), margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0, "traceorder": "normal"}, xaxis={"tickprefix": "¥", "tickformat": ",.0f"},
        font={"family": FONT_STACK},
    )
    return figure


def review_revenue_figure(review, config: EventConfig, lang: str, height: int = 460, compact: bool = False) -> go.Figure:
    """Return revenue over time against the goals, with each flash sale shaded and each one held so far marked with its product.

    `compact` (a phone) labels the marks with their numbers only; the products are in the flash-sales tab and the hover.
    """
    tz = config.event.tz

    def local(moment: datetime) -> datetime:
        return moment.astimezone(tz).replace(tzinfo=None)

    sessions = live_sessions(config)
    # The axis is the event's (its sessions, or its data's span): points outside it are drawn off the edge.
    start, end = chart_span(config, [moment for moment, _ in review.curve], review.as_of)
    first = min(start, review.curve[0][0] - timedelta(minutes=1)) if review.curve else start
    moments = [first, *(moment for moment, _ in review.curve)]
    totals = [0, *(value for _, value in review.curve)]
    breaks = [{"bounds": [local(before.end), local(after.start)]} for before, after in zip(sessions, sessions[1:], strict=False) if before.end < after.start]
    figure = go.Figure(go.Scatter(
        x=[local(moment) for moment in moments], y=[value / 100 for value in totals], mode="lines", name=t("rv_curve", lang),
        line={"color": GOLD, "width": 3, "shape": "hv"}, fill="tozeroy", fillcolor="rgba(255, 214, 102, 0.12)",
        hovertemplate="%{x|%m-%d %H:%M}<br>¥%{y:,.0f}<extra></extra>",
    ))
    for fen, color, key in ((review.base_fen, ORANGE, "chart_base"), (review.stretch_fen, RED, "chart_stretch")):
        figure.add_hline(y=fen / 100, line={"color": color, "width": 2, "dash": "dash"},
                         annotation={"text": t(key, lang, amount=fmt_compact(fen, lang)), "font": {"color": color}}, annotation_position="top left")
    sales = [sale for sale in flash_sales(config) if sale.at <= end]
    xs, ys, hovers = [], [], []
    for index, sale in enumerate(sales):
        held = sale.at <= review.data_time
        # A sale still to come is shaded lighter, without a mark: there is no level of the curve to put it at yet.
        figure.add_vrect(x0=local(sale.at), x1=local(sale.end), fillcolor=f"rgba(255, 77, 79, {0.16 if held else 0.07})", line_width=0, layer="below")
        if not held:
            continue
        at = bisect_right(moments, sale.at) - 1
        xs.append(local(sale.at))
        ys.append(totals[max(at, 0)] / 100)
        short = sale.product if len(sale.product) <= 7 else sale.product[:6] + "…"
        hovers.append(f"{local(sale.at):%m-%d %H:%M} {plot_text(sale.product)}<br>{plot_text(t('bs_sale_price', lang, price=fmt_yuan(sale.price_fen)))}")
        # Labels above the curve (it only rises), at two heights so that neighbours do not collide.
        figure.add_annotation(
            x=xs[-1], y=ys[-1], text=f"{index + 1}" if compact else f"{index + 1}. {plot_text(short)}", showarrow=True, arrowhead=0, arrowcolor="rgba(255, 120, 117, 0.7)",
            ax=-8, ay=-34 if index % 2 == 0 else -62, font={"size": 11, "color": "#ffb3b3"}, bgcolor="rgba(11, 16, 32, 0.75)",
        )
    if xs:
        figure.add_scatter(
            x=xs, y=ys, mode="markers", name=t("rv_flash_sales", lang), hovertext=hovers, hoverinfo="text",
            marker={"symbol": "diamond", "size": 10, "color": RED, "line": {"color": BACKGROUND, "width": 1}},
        )
    top_fen = max(review.stretch_fen, review.revenue_fen, 100) * 1.1
    step = _nice_step(int(top_fen))
    ticks = list(range(0, int(top_fen) + step, step))
    figure.update_layout(
        height=height, showlegend=False, margin={"l": 10, "r": 10, "t": 30, "b": 10}, font={"family": FONT_STACK},
        xaxis={"rangebreaks": breaks, "range": [local(start), local(end)], "showgrid": False,
               "tickformatstops": [{"dtickrange": [None, 86_400_000], "value": "%H:%M\n%m-%d"}, {"dtickrange": [86_400_000, None], "value": "%m-%d"}]},
        yaxis={"range": [0, top_fen / 100], "tickvals": [fen / 100 for fen in ticks], "ticktext": [fmt_axis_money(fen, lang) for fen in ticks]},
    )
    return figure


def bar_figure(labels: list[str], values: list[int | float], lang: str, *, horizontal: bool = False, height: int = 340, color: str = GOLD,
               money: bool = True) -> go.Figure:
    """Return a bar chart by label, each bar labelled: money given in fen (shown as compact yuan), else plain numbers."""
    shown = [value / 100 for value in values] if money else list(values)
    text = [fmt_compact(value, lang) for value in values] if money else [f"{value:,.1f}".removesuffix(".0") for value in values]
    template = "¥%{VALUE:,.2f}" if money else "%{VALUE:,.1f}"
    labels = [plot_text(label) for label in labels]  # names from the feeds and the event file: text, not plotly's HTML
    if horizontal:
        bar = go.Bar(y=labels[::-1], x=shown[::-1], text=text[::-1], orientation="h", marker_color=color, textposition="auto",
                     hovertemplate="%{y}<br>" + template.replace("VALUE", "x") + "<extra></extra>")
    else:
        bar = go.Bar(x=labels, y=shown, text=text, marker_color=color, textposition="auto",
                     hovertemplate="%{x}<br>" + template.replace("VALUE", "y") + "<extra></extra>")
    figure = go.Figure(bar)
    # Money ticks in 万 (or ¥K/¥M), as the bars' own labels are: plotly's own would read ¥100k beside 10.0万.
    axis = {key: value for key, value in money_axis(int(max([*values, 100])), lang).items() if key != "range"} if money else {"separatethousands": True}
    figure.update_layout(height=height, margin={"l": 10, "r": 10, "t": 20, "b": 10}, font={"family": FONT_STACK},
                         **({"xaxis": axis, "yaxis": {"automargin": True}} if horizontal else {"yaxis": axis, "xaxis": {"type": "category"}}))
    return figure


def donut_figure(labels: list[str], values_fen: list[int], lang: str, height: int = 320) -> go.Figure:
    """Return a donut of money shares by label."""
    colors = [GOLD, RED, BLUE, GREEN, ORANGE, PURPLE, CYAN, PINK, MUTED]
    # Labels inside their slices, hidden where a slice is too thin to hold one (nine roles: outside labels ran into each other);
    # with more than a few slices a legend names them all.
    many = len(labels) > 4
    figure = go.Figure(go.Pie(labels=[plot_text(label) for label in labels], values=[fen / 100 for fen in values_fen], hole=0.55, sort=False,
                              marker={"colors": [colors[index % len(colors)] for index in range(len(labels))]}, textposition="inside",
                              texttemplate="%{label}<br>%{percent:.1%}", insidetextorientation="horizontal",
                              hovertemplate="%{label}<br>¥%{value:,.2f} (%{percent:.1%})<extra></extra>"))
    figure.update_layout(height=height + (40 if many else 0), margin={"l": 10, "r": 10, "t": 10, "b": 10}, showlegend=many, font={"family": FONT_STACK},
                         uniformtext={"minsize": 10, "mode": "hide"}, legend={"orientation": "h", "y": -0.05, "x": 0})
    return figure


def funnel_figure(review, lang: str, height: int = 320) -> go.Figure:
    """Return the funnel joined → entered live → paid, with each stage's share of the first."""
    figure = go.Figure(go.Funnel(
        y=[t(f"rv_funnel_{step.key}", lang) for step in review.funnel], x=[step.customers for step in review.funnel],
        texttemplate=t("rv_funnel_text", lang), marker={"color": [BLUE, ORANGE, GOLD]}, textfont={"color": BACKGROUND},
    ))
    figure.update_layout(height=height, margin={"l": 10, "r": 10, "t": 10, "b": 10}, font={"family": FONT_STACK})
    return figure

