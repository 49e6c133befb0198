"""The review, for bosses after the show: revenue against the goals with the flash sales marked; the
breakdowns by hour, product, group, role and buyer tier; the funnel; ROI; each flash sale and push;
and the take-aways: the review workbook (XLSX) and the data poster (PNG) for the groups."""

import streamlit as st

from warroom.i18n import fmt_compact, fmt_int, fmt_pct, fmt_yuan, role_label, t
from warroom.review import TierRule
from warroom.review_tables import review_tables
from warroom.web import charts, frame, language, session, text, theme
from warroom.web.exports import PNG_MIME, XLSX_MIME, data_poster, review_workbook
from warroom.web.views import boss as boss_view
from warroom.web.views import compare as compare_view

lang = language.language()
live, snapshot = frame.open_boss_page(lang)
config = live.config
review = session.review_of(live, snapshot, lang)
tables = {table.key: table for table in review_tables(review, lang)}
# When the data ends (the newest order or check-in), not the wall clock: a review read the day after says when the show's figures stopped.
as_of = text.event_time(review.data_time, config).strftime("%Y-%m-%d %H:%M")

st.title(t("rv_title", lang))
st.caption(t("rv_caption", lang, event=text.plain(config.event.name), time=as_of))
if snapshot.pace.on_air:
    st.info(t("rv_still_live", lang), icon=":material/live_tv:")

roi = review.roi
aov = snapshot.aov_fen
st.html(boss_view.kpis_html([
    (t("revenue", lang), fmt_yuan(review.revenue_fen), fmt_compact(review.revenue_fen, lang), "gold"),
    (t("paid_orders", lang), fmt_int(review.paid_orders), t("aov", lang, amount=fmt_yuan(aov)), ""),
    (t("buyers", lang), fmt_int(review.buyers), t("rv_refunds", lang, orders=fmt_int(review.refunded_orders), amount=fmt_yuan(review.refunded_fen)), ""),
    (t("base_goal", lang), fmt_pct(review.progress(review.base_fen)), fmt_yuan(review.base_fen), "ok" if review.revenue_fen >= review.base_fen else "warn"),
    (t("stretch_goal", lang), fmt_pct(review.progress(review.stretch_fen)), fmt_yuan(review.stretch_fen), "ok" if review.revenue_fen >= review.stretch_fen else "warn"),
    (t("rv_col_roi", lang), f"{roi.roi:.1f}" if roi.roi is not None else "—", t("rv_budget_of", lang, amount=fmt_yuan(roi.budget_fen)) if roi.budget_fen else t("rv_no_budget", lang), ""),
]))

st.subheader(t("rv_over_time", lang))
st.plotly_chart(charts.review_revenue_figure(review, config, lang, compact=frame.on_phone()), config=charts.QUIET_CHART, key="review_curve")
st.caption(t("rv_over_time_note", lang))

tabs = st.tabs([t(key, lang) for key in ("rv_sheet_hours", "rv_sheet_products", "rv_sheet_groups", "rv_sheet_roles", "rv_sheet_tiers",
                                         "rv_sheet_funnel", "rv_sheet_roi", "rv_sheet_flash_sales", "rv_sheet_pushes")])
with tabs[0]:
    st.plotly_chart(charts.bar_figure([f"{row.hour:%m-%d %H}:00" for row in review.hours], [row.revenue_fen for row in review.hours], lang), key="by_hour", config=charts.QUIET_CHART)
    boss_view.show_table(tables["rv_sheet_hours"], key="t_hours")
with tabs[1]:
    top = review.products[:15]
    st.plotly_chart(charts.bar_figure([row.label for row in top], [row.revenue_fen for row in top], lang, horizontal=True, height=60 + 26 * len(top)), key="by_product", config=charts.QUIET_CHART)
    boss_view.show_table(tables["rv_sheet_products"], key="t_products")
with tabs[2]:
    st.plotly_chart(charts.bar_figure([row.label for row in review.groups], [row.revenue_fen for row in review.groups], lang, color=theme.BLUE), key="by_group", config=charts.QUIET_CHART)
    boss_view.show_table(tables["rv_sheet_groups"], key="t_groups")
with tabs[3]:
    # Every role that earns, by what it earned (a pool share counts): sales alone are one slice, the order-takers'.
    chart, table = st.columns([2, 3])
    with chart:
        st.markdown(f"**{t('rv_role_earnings_title', lang)}**")
        st.plotly_chart(charts.donut_figure([role_label(row.role, lang) for row in review.role_earnings], [float(max(row.total_fen, 0)) for row in review.role_earnings], lang),
                        key="by_role", config=charts.QUIET_CHART)
    with table:
        boss_view.show_table(tables["rv_sheet_role_earnings"], key="t_role_earnings")
    st.markdown(f"**{t('rv_role_sales_title', lang)}**")
    boss_view.show_table(tables["rv_sheet_roles"], key="t_roles")
with tabs[4]:
    chart, table = st.columns([2, 3])
    with chart:
        st.plotly_chart(charts.donut_figure([row.label for row in review.tiers], [max(row.revenue_fen, 0) for row in review.tiers], lang), key="by_tier", config=charts.QUIET_CHART)
    with table:
        boss_view.show_table(tables["rv_sheet_tiers"], key="t_tiers")
        tiers = TierRule.from_config(live.config)
        st.caption(t("rv_tiers_note", lang, amount=fmt_yuan(tiers.high_value_fen), share=fmt_pct(tiers.top_share)))
with tabs[5]:
    chart, table = st.columns([3, 2])
    with chart:
        st.plotly_chart(charts.funnel_figure(review, lang), key="funnel", config=charts.QUIET_CHART)
    with table:
        boss_view.show_table(tables["rv_sheet_funnel"], key="t_funnel")
with tabs[6]:
    st.html(boss_view.kpis_html([
        (t("rv_col_roi", lang), f"{roi.roi:.2f}" if roi.roi is not None else "—", t("rv_roi_note", lang), "gold"),
        (t("rv_col_cost_ratio", lang), fmt_pct(roi.cost_ratio) if roi.cost_ratio is not None else "—", t("rv_cost_ratio_note", lang), ""),
        (t("rv_col_cost", lang), fmt_yuan(roi.cost_fen), t("rv_cost_note", lang), ""),
    ]))
    if not roi.budget_fen:
        st.info(t("rv_no_budget_hint", lang))
    boss_view.show_table(tables["rv_sheet_roi"], key="t_roi")
with tabs[7]:
    if review.flash_sales:
        labels = [f"{index}. {row.sale.product}" for index, row in enumerate(review.flash_sales, start=1)]
        st.plotly_chart(charts.bar_figure(labels, [row.sku_revenue_fen for row in review.flash_sales], lang, color=theme.RED), key="flash_sales", config=charts.QUIET_CHART)
        boss_view.show_table(tables["rv_sheet_flash_sales"], key="t_flash_sales")
    else:
        st.info(t("rv_no_flash_sales", lang))
with tabs[8]:
    if not review.pushes:
        st.info(t("rv_no_pushes", lang), icon=":material/campaign:")
    else:
        by_rule = [row for row in review.lift_totals if row.by == "rule"]
        st.plotly_chart(charts.bar_figure([row.label or row.key for row in by_rule], [row.extra_orders for row in by_rule], lang, color=theme.GREEN, money=False,
                                      horizontal=True, height=90 + 36 * len(by_rule)), key="lift", config=charts.QUIET_CHART)
        st.caption(t("rv_lift_note", lang))
        boss_view.show_table(tables["rv_sheet_lift_totals"], key="t_lift_totals")
        boss_view.show_table(tables["rv_sheet_pushes"], key="t_pushes")

comparison = compare_view.show_comparison(live, snapshot, lang)

st.divider()
st.subheader(t("rv_exports", lang))
export_key = ("review_exports", snapshot.seq, lang)
built = st.session_state.get("review_exports")
if st.button(t("rv_build", lang), icon=":material/build:", type="primary" if built is None else "secondary"):
    with st.status(t("rv_building", lang), expanded=True) as status:
        progress = st.progress(0.0)
        st.write(t("rv_build_tables", lang))
        progress.progress(0.3)
        workbook = review_workbook(review, lang, comparison)
        st.write(t("rv_build_poster", lang))
        progress.progress(0.7)
        poster = data_poster(review, config, lang, comparison)
        progress.progress(1.0)
        status.update(label=t("rv_built", lang), state="complete", expanded=False)
    built = st.session_state["review_exports"] = (export_key, workbook, poster)
if built is not None:
    key, workbook, poster = built
    if key != export_key:
        st.caption(t("rv_exports_stale", lang))
    date = text.event_time(review.data_time, config).strftime("%Y%m%d-%H%M")
    left, right = st.columns(2)
    with left:
        st.download_button(t("rv_download_xlsx", lang), data=workbook, file_name=boss_view.safe_file_name(t("rv_title", lang), config.event.name, date, suffix="xlsx"),
                           mime=XLSX_MIME, on_click="ignore", icon=":material/table_view:", width="stretch")
        st.download_button(t("rv_download_poster", lang), data=poster, file_name=boss_view.safe_file_name(t("rv_poster", lang), config.event.name, date, suffix="png"),
                           mime=PNG_MIME, on_click="ignore", icon=":material/image:", width="stretch")
    with right:
        st.image(poster, caption=t("rv_poster", lang), width=270)
