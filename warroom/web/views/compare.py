"""The review page's comparison with an earlier event, and the big screen's earlier-event line ("vs last time").

Only the events that the event file's `[[history]]` names can be compared. An uploaded event file
would name a store of its choosing (a PostgreSQL URL on the network, any SQLite path on this
machine) for the app to open: that is for whoever edits the event file on the server to decide,
not for a browser, so the page offers no upload and says why.

The earlier event's figures are read from its own store (read-only) and kept for a few minutes;
this event's come from the live snapshot and review the page already holds.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from warroom.campaign_history import earlier_figures, history_config
from warroom.compare import CampaignFigures, Comparison, SameMinute, compare, figures_of, same_minute
from warroom.config import ConfigError
from warroom.figures import Snapshot
from warroom.i18n import fmt_compact, fmt_int, fmt_pct, fmt_yuan, role_label, t
from warroom.web.campaign_text import column_names, figure_text
from warroom.web.charts import money_axis
from warroom.web.errors import show_detail
from warroom.web.session import LiveEvent, review_of
from warroom.web.templating import render, style_tag
from warroom.web.text import plot_text
from warroom.web.theme import BACKGROUND, FONT_STACK, GOLD, MUTED

HISTORY_TTL_SECONDS = 300  # how long an earlier event's figures are kept: it is over, but its store may still be filled
CHART_HEIGHT = 420


def _read_earlier(live: LiveEvent, index: int) -> tuple[CampaignFigures | None, ConfigError | None]:
    """Return the figures of the event's `[[history]]` entry `index`, or the one-line error why not."""
    try:
        earlier, label = history_config(live.config, index)
        return earlier_figures(earlier, live.figures.clock.now(), label, this_url=live.config.store_url), None
    except ConfigError as error:
        return None, error


def earlier_of(live: LiveEvent, index: int = 0) -> tuple[CampaignFigures | None, ConfigError | None]:
    """Return the earlier event named by `[[history]]` entry `index` (kept a few minutes), or why it cannot be read.

    Held by the live event, which an edited event file replaces, and shared by every session as it is: every
    TV asks each second, and a cache that pickles its answer would copy the whole curve for each of them.
    """
    return live.shared(f"history:{index}").get(None, lambda: _read_earlier(live, index), max_age=HISTORY_TTL_SECONDS)


def tv_history(live: LiveEvent, now) -> SameMinute | None:
    """Return the first `[[history]]` event's revenue at the same minute into the live session as `now`, and its curve; None without one.

    For the big screen: `curve` is (live minutes, cumulative revenue in fen), and `on_this_clock(config)`
    the same laid on this event's sessions as (moment, fen), for a faint second line on a time axis;
    `revenue_fen` and `versus(this revenue)` give "vs last time" on the revenue tile.
    """
    if not live.config.history:
        return None
    earlier, _error = earlier_of(live)
    return same_minute(live.config, now, earlier) if earlier is not None else None


def history_choice(live: LiveEvent, lang: str) -> int | None:
    """Return which `[[history]]` entry to compare with: a select box when there are several; None when there is none (and say so)."""
    entries = live.config.history
    if not entries:
        st.info(t("cmp_no_history", lang), icon=":material/history:")
        return None
    if len(entries) == 1:
        return 0
    return st.selectbox(t("cmp_pick", lang), range(len(entries)), format_func=lambda index: entries[index].label or entries[index].path, key="cmp_pick")


def this_figures(live: LiveEvent, snapshot: Snapshot, lang: str) -> CampaignFigures:
    """Return this event's figures from the page's snapshot and review."""
    return figures_of(live.config, snapshot, review_of(live, snapshot, lang), live.figures.store.live_entrants())


def figures_html(comparison: Comparison, lang: str) -> str:
    """Return the key figures of both events side by side with their change, as a table; every text escaped."""
    rows = []
    for row in comparison.figures:
        change = row.change
        # Refunds going up is bad news: the arrow's colour says which way is good.
        better = None if change is None or change == 0 else (change > 0) != (row.key == "refunds")
        rows.append({
            "label": t(f"cmp_fig_{row.key}", lang), "this": figure_text(row.key, row.this), "earlier": figure_text(row.key, row.earlier),
            "change": "—" if change is None else ("▲ " if change > 0 else "▼ " if change < 0 else "") + fmt_pct(abs(change)),
            "css": "" if better is None else ("up" if better else "down"),
        })
    this, earlier = column_names(comparison, lang)
    return render("compare/figures.html", rows=rows, this=this, earlier=earlier, change=t("cmp_change", lang))


def curves_figure(comparison: Comparison, lang: str, height: int = CHART_HEIGHT) -> go.Figure:
    """Return both events' cumulative revenue by minutes into the live session (gaps between sessions folded out)."""
    figure = go.Figure()
    this_name, earlier_name = (plot_text(name) for name in column_names(comparison, lang))
    for figures, name, color, dash, width in ((comparison.earlier, earlier_name, MUTED, "dot", 2), (comparison.this, this_name, GOLD, "solid", 3)):
        xs = [0.0, *(x for x, _ in figures.curve)]
        ys = [0.0, *(fen / 100 for _, fen in figures.curve)]
        figure.add_scatter(x=xs, y=ys, mode="lines", name=name, line={"color": color, "width": width, "dash": dash, "shape": "hv"},
                           hovertemplate=name + "<br>" + t("cmp_minute_hover", lang) + "<br>¥%{y:,.0f}<extra></extra>")
    figure.update_layout(
        height=height, margin={"l": 10, "r": 10, "t": 30, "b": 10}, font={"family": FONT_STACK},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        xaxis={"title": {"text": t("cmp_minutes_axis", lang)}, "showgrid": False, "rangemode": "tozero"},
        yaxis=money_axis(max([fen for figures in (comparison.this, comparison.earlier) for _, fen in figures.curve] + [100]) * 1.05, lang),
    )
    return figure


def funnel_figure(comparison: Comparison, lang: str, height: int = 460) -> go.Figure:
    """Return the funnel (joined → entered live → paid) of both events as grouped bars, each labelled with its share of those who joined."""
    figure = go.Figure()
    this_name, earlier_name = (plot_text(name) for name in column_names(comparison, lang))
    # The colours of the curves: this event gold, the earlier one muted.
    for figures, name, color in ((comparison.earlier, earlier_name, MUTED), (comparison.this, this_name, GOLD)):
        labels = [t(f"rv_funnel_{step.key}", lang) for step in figures.funnel]
        text = [fmt_int(step.customers) + (f" · {fmt_pct(step.of_first)}" if step.of_first is not None else "") for step in figures.funnel]
        figure.add_bar(x=labels, y=[step.customers for step in figures.funnel], name=name, marker_color=color, text=text,
                       textposition="auto", textfont={"color": BACKGROUND}, hovertemplate="%{x}<br>%{y:,}<extra>" + name + "</extra>")
    figure.update_layout(barmode="group", height=height, margin={"l": 10, "r": 10, "t": 30, "b": 10}, font={"family": FONT_STACK},
                         legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0}, yaxis={"separatethousands": True})
    return figure


def staff_frame(comparison: Comparison, lang: str) -> pd.DataFrame:
    """Return the people in both events: what each sold in each, the change, and whether they grew or fell."""
    arrows = {"grew": t("cmp_grew", lang), "fell": t("cmp_fell", lang), "same": t("cmp_same", lang)}
    this_column, earlier_column = column_names(comparison, lang)
    return pd.DataFrame({
        t("cmp_col_name", lang): [row.name for row in comparison.staff],
        t("cmp_col_role", lang): [role_label(row.role, lang) for row in comparison.staff],
        this_column: [row.this_fen / 100 for row in comparison.staff],
        earlier_column: [row.earlier_fen / 100 for row in comparison.staff],
        t("cmp_change", lang): [row.change_fen / 100 for row in comparison.staff],
        t("cmp_col_trend", lang): [arrows[row.trend] for row in comparison.staff],
    })


def sales_frame(figures: CampaignFigures, lang: str) -> pd.DataFrame:
    """Return one event's flash sales ranked by the revenue of their window."""
    return pd.DataFrame({
        "#": list(range(1, len(figures.flash_sales) + 1)),
        t("cmp_col_product", lang): [row.sale.product for row in figures.flash_sales],
        t("cmp_col_window", lang): [row.window_revenue_fen / 100 for row in figures.flash_sales],
        t("cmp_col_orders", lang): [row.sku_orders for row in figures.flash_sales],
    })


def show_comparison(live: LiveEvent, snapshot: Snapshot, lang: str) -> Comparison | None:
    """Show the review's comparison with an earlier event from `[[history]]`: figures, curves, funnels, staff in both, flash sales.

    Return the comparison (None without one), for the review's exports to carry.
    """
    st.html(style_tag("campaigns.css"))
    st.subheader(t("cmp_title", lang))
    index = history_choice(live, lang)
    st.caption(t("cmp_only_history", lang))
    if index is None:
        return None
    earlier, error = earlier_of(live, index)
    if earlier is None:
        st.warning(t("cmp_unavailable", lang), icon=":material/history:")
        show_detail(error, lang)
        return None
    comparison = compare(this_figures(live, snapshot, lang), earlier)
    if snapshot.as_of < live.config.event.end:
        # Still on: the earlier totals are final, so the fair figure is the earlier event at this same minute of live time.
        then = same_minute(live.config, snapshot.as_of, earlier)
        versus = then.versus(snapshot.revenue_fen)
        st.info(t("cmp_still_on", lang, earlier=earlier.label, minutes=fmt_int(int(then.minutes)), revenue=fmt_yuan(then.revenue_fen),
                  change="—" if versus is None else t("cmp_ahead" if versus >= 0 else "cmp_behind", lang, share=fmt_pct(abs(versus)))),
                icon=":material/schedule:")
    st.html(figures_html(comparison, lang))
    st.plotly_chart(curves_figure(comparison, lang), config={"displayModeBar": False, "responsive": True}, key="cmp_curves")
    st.caption(t("cmp_curves_note", lang, earlier=earlier.label, revenue=fmt_compact(earlier.revenue_fen, lang)))
    funnel, staff = st.columns([2, 3])
    with funnel:
        st.markdown(f"**{t('cmp_funnel', lang)}**")
        st.plotly_chart(funnel_figure(comparison, lang), config={"displayModeBar": False, "responsive": True}, key="cmp_funnel")
    with staff:
        st.markdown(f"**{t('cmp_staff', lang, count=len(comparison.staff))}**")
        money = st.column_config.NumberColumn(format="¥%,.0f")
        columns = {name: money for name in column_names(comparison, lang)} | {t("cmp_change", lang): st.column_config.NumberColumn(format="%+,.0f")}
        st.dataframe(staff_frame(comparison, lang), hide_index=True, column_config=columns, height=460, key="cmp_staff_table")
    st.markdown(f"**{t('cmp_sales', lang)}**")
    for column, figures in zip(st.columns(2), (comparison.this, comparison.earlier), strict=True):
        with column:
            st.caption(figures.label)
            if not figures.flash_sales:
                st.info(t("cmp_no_sales_yet", lang), icon=":material/timer:")
                continue
            st.dataframe(sales_frame(figures, lang), hide_index=True, key=f"cmp_sales_{figures is comparison.this}",
                         column_config={t("cmp_col_window", lang): st.column_config.NumberColumn(format="¥%,.0f")})
    return comparison
