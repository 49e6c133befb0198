"""The plotly charts: the big screen's revenue line, the leaderboards' race, the commission bars and the review's charts, in the theme's colours and font."""

from __future__ import annotations

import html
from bisect import bisect_right
from datetime import UTC, datetime, timedelta

import plotly.graph_objects as go

from warroom.clock import at_minute
from warroom.commission import band_labels
from warroom.config import EventConfig
from warroom.figures import Snapshot
from warroom.i18n import fmt_axis_money, fmt_compact, fmt_yuan, t
from warroom.money import to_yuan
from warroom.review import chart_span
from warroom.schedule import flash_sales, live_sessions
from warroom.web.session import LiveEvent
from warroom.web.text import plot_text
from warroom.web.theme import BACKGROUND, BLUE, CYAN, DIVIDER, FONT_STACK, GOLD, GREEN, LABEL, LINE, MUTED, ORANGE, PANEL, PINK, PURPLE, RED, SERIES, SOFT_TEXT

RACE_TOP = 8
CHART_MIN_HEIGHT = 280  # px: the chart alone on a phone
# A TV never needs the plotly toolbar or hover boxes.
STATIC_CHART = {"staticPlot": True, "displayModeBar": False, "responsive": True}
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


def _nice_step(top_fen: int) -> int:
    """Return a round tick step (1, 2, 2.5 or 5 × 10^k fen) that gives at most six ticks up to `top_fen`."""
    magnitude = 100
    while True:
        for factor in (1, 2, 2.5, 5):
            step = int(magnitude * factor)
            if top_fen / step <= 6:
                return step
        magnitude *= 10


def revenue_figure(config: EventConfig, snapshot: Snapshot, lang: str) -> go.Figure:
    """Return the cumulative revenue line in the event's timezone, with the base and stretch goals drawn across."""
    tz = config.event.tz

    def local(moment: datetime) -> datetime:
        # Plotly draws a timestamp's wall time as written, so hand it naive event-local times.
        return moment.astimezone(tz).replace(tzinfo=None)

    sessions = live_sessions(config)
    # A minute outside 2000-2100 (a row an older version stored) cannot be drawn: its revenue counts from the start.
    by_minute = [(minute, fen) for minute, fen in snapshot.revenue_by_minute if CHART_MINUTES[0] <= minute < CHART_MINUTES[1]]
    earlier = sum(fen for minute, fen in snapshot.revenue_by_minute if minute < CHART_MINUTES[0])
    start = min(sessions[0].start, at_minute(by_minute[0][0])) if by_minute else sessions[0].start
    moments, totals, running = [start], [earlier], earlier
    for minute, fen in by_minute:
        running += fen
        moments.append(at_minute(minute + 1))
        totals.append(running)
    # The axis runs to the end of the session on air (the runway left tonight), of the first session
    # before the event opens, or of the last one held after it: never on to today (warroom.review.chart_span).
    end = chart_span(config, moments[1:], snapshot.as_of)[1]
    if min(snapshot.as_of, end) > moments[-1]:
        moments.append(min(snapshot.as_of, end))
        totals.append(running)
    times = [local(moment) for moment in moments]
    # The hours between live sessions are cut out of the time axis, so tonight is not squeezed
    # into a corner by the nights before; each session's start is marked with its name.
    breaks = [
        {"bounds": [local(before.end), local(after.start)]}
        for before, after in zip(sessions, sessions[1:], strict=False)
        if before.end < after.start and after.start <= snapshot.as_of
    ]

    top_fen = max(snapshot.stretch_fen, snapshot.revenue_fen, 100) * 1.12
    step = _nice_step(int(top_fen))
    ticks = list(range(0, int(top_fen) + step, step))
    # Shapes and annotations are written out, and the template left empty (every colour is set here):
    # plotly's add_hline and a named template cost over 100 ms a figure, and every TV asks every 2 s.
    shapes, annotations = [], []
    for fen, color, key in ((snapshot.base_fen, ORANGE, "chart_base"), (snapshot.stretch_fen, RED, "chart_stretch")):
        shapes.append({"type": "line", "xref": "x domain", "x0": 0, "x1": 1, "yref": "y", "y0": fen / 100, "y1": fen / 100,
                       "line": {"color": color, "width": 2.5, "dash": "dash"}})
        # Under the line at the left, where the curve is still low: above the stretch line a short chart has no room beside the session names.
        annotations.append({"xref": "x domain", "x": 0, "xanchor": "left", "yref": "y", "y": fen / 100, "yanchor": "top", "showarrow": False,
                            "text": t(key, lang, amount=fmt_compact(fen, lang)), "font": {"color": color, "size": 20}})
    if len(sessions) > 1:
        for session in sessions:
            if session.name and session.start <= snapshot.as_of:
                shapes.append({"type": "line", "xref": "x", "x0": local(session.start), "x1": local(session.start), "yref": "y domain", "y0": 0, "y1": 1,
                               "line": {"color": DIVIDER, "width": 1.5, "dash": "dot"}})
                # Above the plot area, where the line and the goal labels never reach.
                annotations.append({"x": local(session.start), "y": 1, "yref": "paper", "xanchor": "left", "yanchor": "bottom", "showarrow": False,
                                    "text": plot_text(session.name), "font": {"color": MUTED, "size": 18}})
    line = {"type": "scatter", "x": times, "y": [fen / 100 for fen in totals], "mode": "lines", "line": {"color": GOLD, "width": 5, "shape": "hv"},
            "fill": "tozeroy", "fillcolor": "rgba(255, 214, 102, 0.14)"}
    return go.Figure(data=[line], layout=dict(
        template={}, shapes=shapes, annotations=annotations, height=CHART_MIN_HEIGHT, showlegend=False, hovermode=False,
        paper_bgcolor=PANEL, plot_bgcolor=PANEL,
        font={"family": FONT_STACK, "size": 18, "color": SOFT_TEXT},
        title={"text": t("revenue_over_time", lang), "font": {"size": 26, "color": LABEL}, "x": 0.02, "y": 0.96},
        margin={"l": 90, "r": 30, "t": 86, "b": 50},
        xaxis={
            "showgrid": False, "linecolor": LINE, "rangebreaks": breaks, "range": [local(start), local(end)],
            "tickformatstops": [
                {"dtickrange": [None, 86_400_000], "value": "%H:%M"},
                {"dtickrange": [86_400_000, None], "value": "%m-%d"},
            ],
        },
        yaxis={
            "range": [0, top_fen / 100], "tickvals": [fen / 100 for fen in ticks], "ticktext": [fmt_axis_money(fen, lang) for fen in ticks],
            "gridcolor": "rgba(255,255,255,0.07)", "zeroline": False,
        },
    ))


def live_revenue_figure(live: LiveEvent, snapshot: Snapshot, lang: str) -> go.Figure:
    """Return the big screen's revenue line, built once per store change and event minute for every screen (shared: never change it)."""
    # Thirty TVs each asking every 2 s would otherwise build thirty identical figures.
    key = (snapshot.seq, int(snapshot.as_of.timestamp()) // 60)
    return live.shared(f"revenue_figure:{lang}").get(key, lambda: revenue_figure(live.config, snapshot, lang))


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
    top_fen = int(max([*values, 100]))
    ticks = list(range(0, top_fen + _nice_step(top_fen), _nice_step(top_fen)))
    axis = ({"tickvals": [fen / 100 for fen in ticks], "ticktext": [fmt_axis_money(fen, lang) for fen in ticks]} if money
            else {"separatethousands": True})
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

